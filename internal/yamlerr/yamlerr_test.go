package yamlerr

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestPositionNamesTheBrokenLine(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		line int
	}{
		{"a: 1\nb: 2\nc: [x\nd: 4\n", 3},            // unclosed flow sequence: the line that opens it
		{"a:\n  b: 1\n c: 2\n", 3},                  // bad indentation: parser error, 0-based in the library
		{"a: 1\nb: \"unterminated\n", 2},            // scanner error, 1-based in the library
		{"kind: Pod\nmetadata:\n  labels: [a\n", 3}, // stays within the document
		{"a: 1\n- b\n", 2},
		{"\"000000\r", 1}, // a lone CR is a YAML line break: the error must not name line 2 of a 1-line input                          // block sequence where a key is expected
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tc.doc), &n)
		if err == nil {
			t.Fatalf("no error for %q", tc.doc)
		}
		line, msg := Position(err, []byte(tc.doc))
		if line != tc.line {
			t.Errorf("%q: line %d (%s), want %d", tc.doc, line, msg, tc.line)
		}
	}
}
