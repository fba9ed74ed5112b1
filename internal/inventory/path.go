package inventory

import (
	"strconv"
	"strings"
)

// FieldPath addresses a field inside an object: map keys and sequence indexes (as decimal
// strings), e.g. {"spec", "containers", "0", "image"}.
type FieldPath []string

// Path builds a FieldPath from segments; ints become sequence indexes.
func Path(segs ...any) FieldPath {
	p := make(FieldPath, 0, len(segs))
	for _, s := range segs {
		switch v := s.(type) {
		case string:
			p = append(p, v)
		case int:
			p = append(p, strconv.Itoa(v))
		case FieldPath:
			p = append(p, v...)
		default:
			panic("inventory.Path: unsupported segment type")
		}
	}
	return p
}

// Child returns a new path with more segments appended.
func (p FieldPath) Child(segs ...any) FieldPath {
	out := make(FieldPath, 0, len(p)+len(segs))
	out = append(out, p...)
	return append(out, Path(segs...)...)
}

// String renders the path as spec.containers[0].image; keys that are not plain identifiers are
// quoted: metadata.annotations["kube4c.io/ignore"].
func (p FieldPath) String() string {
	var b strings.Builder
	for _, s := range p {
		if isIndex(s) {
			b.WriteString("[" + s + "]")
			continue
		}
		if isIdent(s) {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
			continue
		}
		b.WriteString("[" + strconv.Quote(s) + "]")
	}
	return b.String()
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

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
