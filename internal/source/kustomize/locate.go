package kustomize

import (
	"bytes"
	"errors"
	"io"
	"strconv"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kube4c/kube4c/internal/inventory"
)

// originLocator locates fields of a kustomize output object in the original resource file: paths
// that exist in the original document use the manifest locator (their line in the file); paths
// added by the build (patches, transformers) point at the document's start.
type originLocator struct {
	orig     *inventory.Object // the original file's object (manifest locator)
	data     []byte            // the original file
	fallback inventory.Location
	doc      *yaml.Node
	docDone  bool
}

func (l *originLocator) Locate(paths []inventory.FieldPath) []inventory.Location {
	out := make([]inventory.Location, len(paths))
	if !l.docDone {
		l.docDone = true
		l.doc = documentAt(l.data, l.orig.Source.Line)
	}
	var exists []inventory.FieldPath
	var idx []int
	for i, p := range paths {
		if l.doc != nil && pathExists(l.doc, p) {
			exists = append(exists, p)
			idx = append(idx, i)
			continue
		}
		out[i] = l.fallback
	}
	if len(exists) > 0 {
		locs := l.orig.Locate(exists)
		for j, i := range idx {
			if j < len(locs) {
				out[i] = locs[j]
			} else {
				out[i] = l.fallback
			}
		}
	}
	return out
}

// documentAt returns the top node of the first document of data whose content starts at or after
// line (documents of a multi-document file are decoded in order).
func documentAt(data []byte, line int) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 0; n < 10000; n++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return nil
		}
		if len(doc.Content) == 0 {
			continue
		}
		top := doc.Content[0]
		if top.Line >= line {
			return top
		}
	}
	return nil
}

// pathExists reports whether every segment of p exists under n.
func pathExists(n *yaml.Node, p inventory.FieldPath) bool {
	for depth, seg := range p {
		if n == nil || depth > 512 {
			return false
		}
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == seg {
					next = n.Content[i+1]
					break
				}
			}
			if next == nil {
				return false
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return false
			}
			n = n.Content[i]
		default:
			return false
		}
	}
	return n != nil
}
