package manifest

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kube4c/kube4c/internal/inventory"
)

// FuzzParse feeds arbitrary bytes to the manifest decoder: it must never panic, never hang, and
// every object it returns must have a kind and a location inside the input.
func FuzzParse(f *testing.F) {
	f.Add([]byte(multi))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("--- !!map\n? [a]\n: b\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, probs := Parse(data, inventory.Source{File: "fuzz.yaml"}, Options{})
		// Lines as an editor counts them: LF, CRLF and a lone CR each end a line.
		lines := 1
		for i, b := range data {
			if b == '\n' || (b == '\r' && (i+1 == len(data) || data[i+1] != '\n')) {
				lines++
			}
		}
		for _, o := range objs {
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("object without kind: %+v", o)
			}
			if o.Source.Line < 1 || o.Source.Line > lines {
				t.Fatalf("object line %d outside 1..%d", o.Source.Line, lines)
			}
			for _, l := range o.Locate([]inventory.FieldPath{inventory.Path("metadata", "name"), inventory.Path("spec", "x", 3)}) {
				if l.Line < 1 || l.Line > lines {
					t.Fatalf("located line %d outside 1..%d", l.Line, lines)
				}
			}
		}
		for _, p := range probs {
			if p.Line < 0 || p.Line > lines {
				t.Fatalf("problem line %d outside 0..%d: %s", p.Line, lines, p.Message)
			}
		}
	})
}

// FuzzFastLocate checks the indentation-based locator against the parser-based walk: whenever the
// fast path answers, it must give the same line.
func FuzzFastLocate(f *testing.F) {
	f.Add([]byte(multi), "spec.template.spec.containers.1.securityContext.privileged")
	f.Add([]byte("a:\n- b: 1\n  c:\n    d: 2\n- e\n"), "a.0.c.d")
	f.Add([]byte("a:\n  - x: 1\n    y: |\n      z: 3\n  - w\nb: 2\n"), "a.0.y.z")
	f.Add([]byte("k: v\n"), "k.x.y")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		fl, ok := newFastLocator(doc)
		if !ok {
			return
		}
		var root yaml.Node
		if yaml.Unmarshal(doc, &root) != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
			return
		}
		p := inventory.FieldPath(strings.Split(path, "."))
		got, ok := fl.locate(p)
		if !ok {
			return
		}
		top := root.Content[0]
		_, want := walk(top, p, top.Line)
		if got != want {
			t.Fatalf("fast locator says line %d, parser says %d, for %q in:\n%s", got, want, path, doc)
		}
	})
}
