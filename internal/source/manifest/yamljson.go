package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Limits that keep hostile documents from exhausting memory or the stack.
const (
	// maxDepth bounds nesting. Kubernetes objects nest well below 50 levels; CRD schemas a little more.
	maxDepth = 256
	// maxExpandedNodes bounds the nodes a document may expand to through aliases (alias bombs).
	maxExpandedNodes = 2_000_000
)

var (
	errTooDeep      = fmt.Errorf("document nests deeper than %d levels; refused", maxDepth)
	errAliasBomb    = fmt.Errorf("document expands to more than %d nodes through aliases (alias bomb?); refused", maxExpandedNodes)
	errNonScalarKey = errors.New("mapping key is not a scalar")
)

// positionedError is an error at a line of the document.
type positionedError struct {
	line int
	msg  string
}

func (e *positionedError) Error() string { return e.msg }

// toJSON converts a YAML node tree to JSON the way Kubernetes reads YAML: scalars by their
// resolved YAML tag, merge keys honoured, aliases expanded (bounded), duplicate keys refused
// (kubectl refuses them too: a later duplicate silently overriding "privileged: false" is exactly
// what a security scanner must not accept).
func toJSON(n *yaml.Node) ([]byte, error) {
	c := &converter{}
	if err := c.node(n, 0); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

type converter struct {
	buf      bytes.Buffer
	expanded int
}

func (c *converter) node(n *yaml.Node, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	c.expanded++
	if c.expanded > maxExpandedNodes {
		return errAliasBomb
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			c.buf.WriteString("null")
			return nil
		}
		return c.node(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return &positionedError{n.Line, fmt.Sprintf("line %d: unknown alias", n.Line)}
		}
		return c.node(n.Alias, depth+1)
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.node(e, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		pairs, err := c.mappingPairs(n, depth)
		if err != nil {
			return err
		}
		c.buf.WriteByte('{')
		for i, p := range pairs {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			writeJSONString(&c.buf, p.key)
			c.buf.WriteByte(':')
			if err := c.node(p.value, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		c.scalar(n)
		return nil
	}
	return &positionedError{n.Line, fmt.Sprintf("line %d: unsupported YAML node", n.Line)}
}

type pair struct {
	key   string
	value *yaml.Node
}

// mappingPairs returns the keys of a mapping in order, with merge keys ("<<") applied: explicit
// keys win over merged ones, earlier merged mappings win over later ones.
func (c *converter) mappingPairs(n *yaml.Node, depth int) ([]pair, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	var explicit []pair
	var merges []*yaml.Node
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key, err := keyString(k)
		if err != nil {
			return nil, &positionedError{k.Line, fmt.Sprintf("line %d: %v", k.Line, err)}
		}
		if seen[key] {
			return nil, &positionedError{k.Line, fmt.Sprintf("line %d: mapping key %q already defined", k.Line, key)}
		}
		seen[key] = true
		explicit = append(explicit, pair{key, v})
	}
	for _, m := range merges {
		m = resolveAlias(m)
		var sources []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{m}
		case yaml.SequenceNode:
			for _, e := range m.Content {
				sources = append(sources, resolveAlias(e))
			}
		default:
			return nil, &positionedError{m.Line, fmt.Sprintf("line %d: merge key value must be a mapping or a sequence of mappings", m.Line)}
		}
		for _, s := range sources {
			if s.Kind != yaml.MappingNode {
				return nil, &positionedError{s.Line, fmt.Sprintf("line %d: merge key value must be a mapping", s.Line)}
			}
			c.expanded += len(s.Content)
			if c.expanded > maxExpandedNodes {
				return nil, errAliasBomb
			}
			sub, err := c.mappingPairs(s, depth+1)
			if err != nil {
				return nil, err
			}
			for _, p := range sub {
				if !seen[p.key] {
					seen[p.key] = true
					explicit = append(explicit, p)
				}
			}
		}
	}
	return explicit, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func keyString(k *yaml.Node) (string, error) {
	if k.Kind != yaml.ScalarNode {
		return "", errNonScalarKey
	}
	return k.Value, nil
}

func (c *converter) scalar(n *yaml.Node) {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
		return
	case "!!bool":
		if b, err := strconv.ParseBool(strings.ToLower(v)); err == nil {
			c.buf.WriteString(strconv.FormatBool(b))
			return
		}
	case "!!int":
		clean := strings.ReplaceAll(v, "_", "")
		if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
			c.buf.WriteString(strconv.FormatInt(i, 10))
			return
		}
		if u, err := strconv.ParseUint(strings.TrimPrefix(clean, "+"), 0, 64); err == nil {
			c.buf.WriteString(strconv.FormatUint(u, 10))
			return
		}
	case "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			c.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
	}
	// !!str, !!timestamp, !!binary, custom tags and anything unparsable stay strings.
	writeJSONString(&c.buf, v)
}

const hexDigits = "0123456789abcdef"

// writeJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			b.WriteByte(hexDigits[(r>>12)&0xf])
			b.WriteByte(hexDigits[(r>>8)&0xf])
			b.WriteByte(hexDigits[(r>>4)&0xf])
			b.WriteByte(hexDigits[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}
