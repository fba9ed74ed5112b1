package controldoc

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/catalog"
)

// TestControlsDocIsCurrent fails when docs/controls.md no longer matches the catalog. Regenerate
// it with `make docs`.
func TestControlsDocIsCurrent(t *testing.T) {
	var want bytes.Buffer
	if err := Markdown(&want, catalog.All()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/controls.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("docs/controls.md is stale: run `make docs` and commit the result")
	}
}

func TestMarkdownCoversEveryControl(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, catalog.All()); err != nil {
		t.Fatal(err)
	}
	for _, c := range catalog.All() {
		if !strings.Contains(b.String(), "\n## "+c.ID+"\n") {
			t.Errorf("control %s has no section", c.ID)
		}
		if !strings.Contains(b.String(), "(#"+anchor(c.ID)+")") {
			t.Errorf("control %s is not in the index", c.ID)
		}
	}
}
