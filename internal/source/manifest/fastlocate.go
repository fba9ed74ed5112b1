package manifest

import (
	"bytes"
	"strconv"

	"github.com/kube4c/kube4c/internal/inventory"
)

// fastLocator answers field-line questions for block-style YAML by indentation alone, without
// building a node tree (which costs ~20× the text in allocations). It handles what kubectl, Helm
// and people write: block mappings, "- " sequences (indented or not), plain keys, scalars and
// block scalars. Anything else on the way — flow collections, anchors, aliases, tags, quoted or
// complex keys, tabs, directives — makes it decline (ok == false) and the caller parses the
// document properly. FuzzFastLocate checks that whenever it answers, it answers exactly what the
// parser-based walk answers.
type fastLocator struct {
	lines []fastLine
}

type fastLine struct {
	indent  int    // leading spaces
	text    []byte // content after the indentation, comments not stripped
	skip    bool   // blank or comment-only
	badTabs bool   // tab in the indentation
}

func newFastLocator(doc []byte) (*fastLocator, bool) {
	f := &fastLocator{lines: make([]fastLine, 0, bytes.Count(doc, []byte{'\n'})+1)}
	for len(doc) > 0 || len(f.lines) == 0 {
		i := bytes.IndexByte(doc, '\n')
		var l []byte
		if i < 0 {
			l, doc = doc, nil
		} else {
			l, doc = doc[:i], doc[i+1:]
		}
		l = bytes.TrimRight(l, "\r")
		n := 0
		for n < len(l) && l[n] == ' ' {
			n++
		}
		fl := fastLine{indent: n, text: l[n:]}
		fl.badTabs = n < len(l) && l[n] == '\t'
		fl.skip = len(bytes.TrimSpace(fl.text)) == 0 || fl.text[0] == '#'
		if fl.badTabs && len(bytes.TrimSpace(fl.text)) == 0 {
			fl.badTabs, fl.skip = false, true
		}
		f.lines = append(f.lines, fl)
		if doc == nil {
			break
		}
	}
	// The first line is what followed a "---" marker: only a comment may stand there.
	if len(f.lines) > 0 && !f.lines[0].skip && f.lines[0].indent > 0 {
		return nil, false
	}
	for _, l := range f.lines {
		if l.badTabs || (!l.skip && l.indent == 0 && (l.text[0] == '%' || bytes.HasPrefix(l.text, []byte("...")))) {
			return nil, false
		}
	}
	return f, true
}

// nextContent returns the index of the first non-skipped line at or after i, or len(lines).
func (f *fastLocator) nextContent(i int) int {
	for i < len(f.lines) && f.lines[i].skip {
		i++
	}
	return i
}

// locate returns the 1-based line (within the document) of the deepest existing node on path,
// matching walk(): the key's line for mapping values, the item's line for sequence items.
func (f *fastLocator) locate(path inventory.FieldPath) (int, bool) {
	first := f.nextContent(0)
	if first >= len(f.lines) {
		return 0, false
	}
	// block describes the node being descended: its entries start at line `start`, at column
	// `col`, and it is a sequence when its entries are "- " items.
	start, col := first, f.lines[first].indent
	line := first + 1
	for _, seg := range path {
		l := f.lines[start]
		text := l.text[col-l.indent:]
		if isSeqItem(text) {
			idx, err := strconv.Atoi(seg)
			if err != nil {
				return line, true // a key into a sequence: walk stops here too
			}
			item, ok := f.seqItem(start, col, idx)
			if !ok {
				return 0, false
			}
			if item < 0 {
				return line, true // index out of range
			}
			line = item + 1
			// The item's content starts after "- " on the same line.
			it := f.lines[item].text[col-f.lines[item].indent:]
			rest := bytes.TrimLeft(it[1:], " ")
			if len(rest) == 0 || rest[0] == '#' || !plainStart(rest[0]) || rest[0] == '-' {
				return 0, false // "-" alone, nested sequence, flow, anchor, tag, quoted: let the parser answer
			}
			if _, _, isKey := splitKey(rest); !isKey {
				// A scalar item: nothing to descend into.
				return line, true
			}
			start, col = item, col+(len(it)-len(rest))
			continue
		}
		keyLine, ok := f.mappingKey(start, col, seg)
		if !ok {
			return 0, false
		}
		if keyLine < 0 {
			return line, true // key absent: the parent's line
		}
		line = keyLine + 1
		kl := f.lines[keyLine]
		ktext := kl.text[col-kl.indent:]
		_, value, _ := splitKey(ktext)
		value = bytes.TrimSpace(value)
		if len(value) > 0 && value[0] != '#' {
			switch value[0] {
			case '{', '[', '&', '*', '!':
				return 0, false
			}
			return line, true // scalar or block scalar: walk stops at the key
		}
		// The value is the block below, if any.
		next := f.nextContent(keyLine + 1)
		if next >= len(f.lines) {
			return line, true
		}
		nl := f.lines[next]
		switch {
		case nl.indent > col:
			start, col = next, nl.indent
		case nl.indent == col && isSeqItem(nl.text):
			start, col = next, nl.indent
		default:
			return line, true // empty (null) value
		}
	}
	return line, true
}

// mappingKey finds key in the block mapping whose entries are at column col starting at line
// start. It returns -1 when the mapping has no such key, and ok == false when a line it meets is
// not a plain "key:" entry (so the caller falls back to the parser).
func (f *fastLocator) mappingKey(start, col int, key string) (int, bool) {
	for i := start; i < len(f.lines); i++ {
		l := f.lines[i]
		if l.skip {
			continue
		}
		text := l.text
		if i == start && l.indent < col {
			// The first entry of a mapping inside a "- " item shares the item's line.
			text = l.text[col-l.indent:]
		} else if l.indent < col {
			return -1, true // the mapping ended
		} else if l.indent > col {
			continue // inside some entry's value
		}
		if i != start && l.indent == col && isSeqItem(text) {
			// A "- " at the mapping's own column ends it when the mapping is an item's content,
			// or is the value of the previous key (compact sequence): either way, not a key.
			if f.lines[start].indent < col {
				return -1, true
			}
			continue
		}
		k, _, isKey := splitKey(text)
		if !isKey {
			return 0, false
		}
		if string(k) == key {
			return i, true
		}
	}
	return -1, true
}

// seqItem returns the line of item idx of the sequence whose "- " entries are at column col,
// starting at line start (-1 when there are fewer items).
func (f *fastLocator) seqItem(start, col, idx int) (int, bool) {
	n := 0
	for i := start; i < len(f.lines); i++ {
		l := f.lines[i]
		if l.skip {
			continue
		}
		text := l.text
		if i == start && l.indent < col {
			text = l.text[col-l.indent:]
		} else if l.indent < col {
			return -1, true
		} else if l.indent > col {
			continue
		}
		if !isSeqItem(text) {
			return -1, true // the sequence ended (a sibling key at the same column)
		}
		if n == idx {
			return i, true
		}
		n++
	}
	return -1, true
}

func isSeqItem(text []byte) bool {
	return len(text) > 0 && text[0] == '-' && (len(text) == 1 || text[1] == ' ')
}

// plainStart reports whether a plain key or scalar may start with c (no indicator characters).
func plainStart(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '?', ':', '#':
		return false
	}
	return true
}

// splitKey splits a "key: value" line. It accepts only plain keys without spaces before the
// colon; anything else is reported as not a key.
func splitKey(text []byte) (key, value []byte, ok bool) {
	if len(text) == 0 || !plainStart(text[0]) || text[0] == '-' && (len(text) == 1 || text[1] == ' ') {
		return nil, nil, false
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case ':':
			if i+1 == len(text) || text[i+1] == ' ' {
				k := text[:i]
				if len(k) == 0 || k[len(k)-1] == ' ' || bytes.Contains(k, []byte(" #")) {
					return nil, nil, false
				}
				return k, text[i+1:], true
			}
		case '#':
			if i > 0 && text[i-1] == ' ' {
				return nil, nil, false
			}
		}
	}
	return nil, nil, false
}
