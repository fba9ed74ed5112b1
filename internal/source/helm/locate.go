package helm

import (
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
)

// templateText is a template's source, split into lines for the best-effort locator.
//
// Rendered output lines are not template lines, so field paths are mapped by looking for their keys
// in the template text (see docs/sources.md, "Helm: line numbers"):
//   - the object's document in the template is the n-th top-level `kind: <Kind>` line for the n-th
//     rendered object of that kind (or, if no such line exists, the n-th top-level `kind:` line),
//     bounded by `---` separators;
//   - each key of the path is searched inside the block of the previously found key (greater
//     indentation, or a `- ` item at the same indentation), skipping keys that cannot be found
//     (they may come from an `include`);
//   - if the leaf key (for an index, its parent key) is not found nested, its first occurrence after
//     the nearest located ancestor (within the document) is used;
//   - otherwise the document's `kind:` line, otherwise line 1.
type templateText struct {
	lines []tline
}

type tline struct {
	indent  int    // leading spaces
	keyCol  int    // column of the mapping key after any "- " prefixes (-1: not a key line)
	key     string // the mapping key, unquoted
	value   string // the text after "key:", trimmed
	dash    bool   // the line starts with "- "
	content bool   // a YAML content line (not blank, not a comment, not a pure template action)
	sep     bool   // a document separator "---"
}

func newTemplateText(data []byte) *templateText {
	raw := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if n := len(raw); n > 0 && raw[n-1] == "" {
		raw = raw[:n-1] // a final newline does not start a new line
	}
	t := &templateText{lines: make([]tline, len(raw))}
	for i, s := range raw {
		t.lines[i] = parseLine(s)
	}
	return t
}

func parseLine(s string) tline {
	l := tline{keyCol: -1}
	trimmed := strings.TrimLeft(s, " ")
	l.indent = len(s) - len(trimmed)
	body := strings.TrimSpace(trimmed)
	if strings.HasPrefix(trimmed, "---") && strings.TrimSpace(strings.TrimPrefix(trimmed, "---")) == "" && l.indent == 0 {
		l.sep = true
		return l
	}
	if body == "" || strings.HasPrefix(body, "#") || strings.HasPrefix(body, "{{") {
		return l
	}
	l.content = true
	col := l.indent
	rest := trimmed
	for strings.HasPrefix(rest, "- ") || rest == "-" {
		l.dash = true
		if rest == "-" {
			return l
		}
		r2 := strings.TrimLeft(rest[2:], " ")
		col += len(rest) - len(r2)
		rest = r2
	}
	key, value, ok := splitKey(rest)
	if !ok {
		return l
	}
	l.keyCol, l.key, l.value = col, key, value
	return l
}

// splitKey splits `key: value`, `"key": value` or `'key': value`; keys holding template actions
// are not keys.
func splitKey(s string) (key, value string, ok bool) {
	if s == "" {
		return "", "", false
	}
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", "", false
		}
		key = s[1 : end+1]
		rest := s[end+2:]
		if !strings.HasPrefix(rest, ":") {
			return "", "", false
		}
		rest = rest[1:]
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return "", "", false
		}
		return key, strings.TrimSpace(rest), true
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			key = s[:i]
			if key == "" || strings.Contains(key, "{{") || strings.ContainsAny(key, "#") {
				return "", "", false
			}
			return strings.TrimSpace(key), strings.TrimSpace(s[i+1:]), true
		}
		if s[i] == ' ' && i+1 < len(s) && s[i+1] == '#' {
			return "", "", false
		}
	}
	return "", "", false
}

// tdoc is one document of a template: lines [from, to) (0-based) and its kind line.
type tdoc struct {
	from, to int
	kind     int // 0-based index of the kind: line, -1 if none
	start    int // 1-based line where the document starts (Source.Line), 0 for an empty template
}

// document finds the template document that produced the nth object of kind (idx is the object's
// position among all objects rendered from this template).
func (t *templateText) document(kind string, nth, idx int) tdoc {
	var exact, any []int
	for i, l := range t.lines {
		if l.keyCol == 0 && !l.dash && l.key == "kind" {
			any = append(any, i)
			if unquote(l.value) == kind {
				exact = append(exact, i)
			}
		}
	}
	k := -1
	switch {
	case len(exact) > 0:
		k = exact[min(nth, len(exact)-1)]
	case len(any) > 0:
		k = any[min(idx, len(any)-1)]
	}
	d := tdoc{from: 0, to: len(t.lines), kind: k}
	if k >= 0 {
		for i := k; i >= 0; i-- {
			if t.lines[i].sep {
				d.from = i + 1
				break
			}
		}
		for i := k + 1; i < len(t.lines); i++ {
			if t.lines[i].sep {
				d.to = i
				break
			}
		}
	}
	// The document starts at its first top-level key (apiVersion or kind, usually).
	d.start = 0
	for i := d.from; i < d.to; i++ {
		if t.lines[i].keyCol == 0 && !t.lines[i].dash {
			d.start = i + 1
			break
		}
	}
	if d.start == 0 {
		if k >= 0 {
			d.start = k + 1
		} else if len(t.lines) > 0 {
			d.start = 1
		}
	}
	return d
}

func unquote(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// locate maps a field path to a 1-based line of the template.
func (t *templateText) locate(doc tdoc, p inventory.FieldPath) int {
	fallback := 1
	if doc.kind >= 0 {
		fallback = doc.kind + 1
	} else if doc.start > 0 {
		fallback = doc.start
	}
	if len(t.lines) == 0 {
		return 1
	}
	// Keys of the path (indexes dropped: a sequence index maps to its parent key).
	var keys []string
	for _, s := range p {
		if !isIndex(s) {
			keys = append(keys, s)
		}
	}
	if len(keys) == 0 {
		return clamp(fallback, len(t.lines))
	}
	cur, curCol := doc.from-1, -1 // nearest located ancestor: line and key column
	for i, key := range keys {
		leaf := i == len(keys)-1
		if l := t.findNested(doc, cur, curCol, key); l >= 0 {
			cur, curCol = l, t.lines[l].keyCol
			if leaf {
				return l + 1
			}
			continue
		}
		if leaf {
			for l := cur + 1; l < doc.to; l++ {
				if t.lines[l].key == key {
					return l + 1
				}
			}
			for l := doc.from; l < doc.to; l++ {
				if t.lines[l].key == key {
					return l + 1
				}
			}
		}
	}
	return clamp(fallback, len(t.lines))
}

// findNested finds key inside the block of the key at line parent (column parentCol); parent -1
// (or before the document) means the document's top level.
func (t *templateText) findNested(doc tdoc, parent, parentCol int, key string) int {
	childCol := -1 // the column of the first child key found: siblings share it
	for l := parent + 1; l < doc.to; l++ {
		ln := t.lines[l]
		if !ln.content {
			continue
		}
		if parentCol >= 0 {
			inside := ln.indent > parentCol || (ln.indent == parentCol && ln.dash)
			if !inside {
				return -1
			}
		}
		if ln.keyCol < 0 {
			continue
		}
		if childCol < 0 {
			childCol = ln.keyCol
		}
		if ln.key == key && (ln.keyCol == childCol || (parentCol < 0 && ln.keyCol == 0)) {
			return l
		}
	}
	return -1
}

func clamp(line, n int) int {
	if line > n {
		line = n
	}
	if line < 1 {
		line = 1
	}
	return line
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// templateLocator is the Locator of an object rendered from a template.
type templateLocator struct {
	file string
	text *templateText
	doc  tdoc
}

func (l *templateLocator) Locate(paths []inventory.FieldPath) []inventory.Location {
	out := make([]inventory.Location, len(paths))
	for i, p := range paths {
		out[i] = inventory.Location{File: l.file, Line: l.text.locate(l.doc, p)}
	}
	return out
}
