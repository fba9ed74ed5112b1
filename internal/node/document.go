package node

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	"go.yaml.in/yaml/v3"
)

// Document is a YAML or JSON configuration file read from the node (a KubeletConfiguration, an
// EncryptionConfiguration, an audit Policy, ...), kept as a node tree so every value has a line.
type Document struct {
	Path string `json:"path"`
	// Err says why the file could not be read or parsed; Root is nil then.
	Err  string     `json:"error,omitempty"`
	Root *yaml.Node `json:"-"`
}

// ParseDocument parses YAML or JSON data read from path.
func ParseDocument(path string, data []byte) *Document {
	d := &Document{Path: path}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		d.Err = fmt.Sprintf("not valid YAML or JSON: %v", err)
		return d
	}
	if len(n.Content) == 0 {
		d.Err = "empty"
		return d
	}
	if n.Content[0].Kind != yaml.MappingNode {
		d.Err = "not a YAML mapping"
		return d
	}
	d.Root = n.Content[0]
	return d
}

// DeepCopy copies the document (the node tree is shared: it is never modified).
func (d *Document) DeepCopy() *Document {
	if d == nil {
		return nil
	}
	out := *d
	return &out
}

// Get returns the node at a path of mapping keys and sequence indexes, or nil.
func (d *Document) Get(path ...string) *yaml.Node {
	if d == nil || d.Root == nil {
		return nil
	}
	return Get(d.Root, path...)
}

// Get returns the node under n at a path of mapping keys and sequence indexes, or nil.
func Get(n *yaml.Node, path ...string) *yaml.Node {
	for _, seg := range path {
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					next = n.Content[i+1]
				}
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}

// Scalar returns the value of a scalar at path, and whether there is one.
func (d *Document) Scalar(path ...string) (string, bool) {
	n := d.Get(path...)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

// Location of the node at path (its key's line for mapping values), or of the document.
func (d *Document) Location(path ...string) inventory.Location {
	if d == nil {
		return inventory.Location{}
	}
	loc := inventory.Location{File: d.Path}
	if d.Root == nil {
		return loc
	}
	n := d.Root
	line := 0
	for _, seg := range path {
		next, keyLine := child(n, seg)
		if next == nil {
			break
		}
		n, line = next, keyLine
	}
	if line > 0 {
		loc.Line = line
	}
	return loc
}

// child returns the child of n at seg, and the line of its key (or of the item).
func child(n *yaml.Node, seg string) (*yaml.Node, int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1], n.Content[i].Line
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i], n.Content[i].Line
		}
	}
	return nil, 0
}

// Bool parses a YAML boolean scalar the way Kubernetes' decoders do (true/false, any case).
func Bool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
