package manifest

import (
	"strconv"

	"github.com/kube4c/kube4c/internal/inventory"
	yaml "go.yaml.in/yaml/v3"
)

// yamlLocator finds field lines by parsing the object's document again. Keeping only the
// document's bytes (not its node tree) keeps memory bounded: a node tree costs ~20× the text.
type yamlLocator struct {
	file      string
	doc       []byte
	firstLine int // line of the document's first byte in the file
}

// itemLocator locates fields of one object of a document (the document itself or a List item).
type itemLocator struct {
	loc    *yamlLocator
	prefix inventory.FieldPath
}

// Locate resolves each path to the line of its deepest existing field: a path to a missing field
// (e.g. a securityContext that should be set) points at its nearest existing parent.
func (l *itemLocator) Locate(paths []inventory.FieldPath) []inventory.Location {
	out := make([]inventory.Location, len(paths))
	if fl, ok := newFastLocator(l.loc.doc); ok {
		done := true
		for i, p := range paths {
			full := append(append(inventory.FieldPath{}, l.prefix...), p...)
			line, ok := fl.locate(full)
			if !ok {
				done = false
				break
			}
			out[i] = inventory.Location{File: l.loc.file, Line: l.loc.firstLine + line - 1}
		}
		if done {
			return out
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(l.loc.doc, &root); err != nil || len(root.Content) == 0 {
		for i := range out {
			out[i] = inventory.Location{File: l.loc.file, Line: l.loc.firstLine}
		}
		return out
	}
	top := root.Content[0]
	base, baseLine := walk(top, l.prefix, top.Line)
	for i, p := range paths {
		_, line := walk(base, p, baseLine)
		out[i] = inventory.Location{File: l.loc.file, Line: l.loc.firstLine + line - 1}
	}
	return out
}

// walk follows path from n and returns the deepest node reached and the line to report for it
// (the key's line for mapping values).
func walk(n *yaml.Node, path inventory.FieldPath, line int) (*yaml.Node, int) {
	for depth, seg := range path {
		if n == nil || depth > maxDepth {
			break
		}
		n = resolveAlias(n)
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == seg {
					next, line = n.Content[i+1], k.Line
					break
				}
			}
			if next == nil {
				return n, line
			}
			n = next
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(n.Content) {
				return n, line
			}
			n = n.Content[idx]
			line = n.Line
		default:
			return n, line
		}
	}
	return n, line
}
