package source

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/inventory"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

func load(t *testing.T, opts Options, paths ...string) (*inventory.Inventory, int) {
	t.Helper()
	inv := inventory.New()
	n, err := Load(context.Background(), paths, opts, inv)
	if err != nil {
		t.Fatal(err)
	}
	return inv, n
}

func names(inv *inventory.Inventory) string {
	var out []string
	for _, o := range inv.Objects() {
		out = append(out, o.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestWalkDirectories(t *testing.T) {
	d := t.TempDir()
	write(t, filepath.Join(d, "a.yaml"), cm("a"))
	write(t, filepath.Join(d, "sub", "b.yml"), cm("b"))
	write(t, filepath.Join(d, "sub", "c.json"), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}`)
	write(t, filepath.Join(d, "sub", "notes.txt"), cm("txt"))
	write(t, filepath.Join(d, ".git", "x.yaml"), cm("git"))
	write(t, filepath.Join(d, "vendor", "x.yaml"), cm("vendor"))
	write(t, filepath.Join(d, "node_modules", "x.yaml"), cm("node"))
	write(t, filepath.Join(d, ".github", "workflows", "ci.yaml"), "name: ci\non: push\n") // not Kubernetes: skipped quietly
	// a symlink loop and a link to a directory already read
	if err := os.Symlink(d, filepath.Join(d, "sub", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(d, "missing"), filepath.Join(d, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	inv, n := load(t, Options{}, d)
	if got := names(inv); got != "a,b,c" {
		t.Errorf("objects %s, want a,b,c", got)
	}
	if n != 4 { // a.yaml, b.yml, c.json, .github/workflows/ci.yaml
		t.Errorf("sources %d, want 4", n)
	}
	probs := inv.Problems()
	if len(probs) != 1 || probs[0].Severity != "warning" || !strings.Contains(probs[0].Message, "broken symbolic link") {
		t.Errorf("problems %+v", probs)
	}
}

func TestRefusedFilesAndMissingPaths(t *testing.T) {
	d := t.TempDir()
	write(t, filepath.Join(d, "big.yaml"), cm("big")+strings.Repeat("# padding\n", 200))
	write(t, filepath.Join(d, "bin.yaml"), "apiVersion: v1\x00\x01\x02")
	write(t, filepath.Join(d, "ok.yaml"), cm("ok"))
	inv, _ := load(t, Options{MaxFileSize: 1000}, d, filepath.Join(d, "nope.yaml"))
	if got := names(inv); got != "ok" {
		t.Errorf("objects %s", got)
	}
	var msgs []string
	for _, p := range inv.Problems() {
		if p.Severity != "error" {
			t.Errorf("problem %v should be an error", p)
		}
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"big.yaml: file is 2.0 KB, over the 1000 bytes limit", "bin.yaml: binary file", "nope.yaml: no such file or directory"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing problem %q in:\n%s", want, all)
		}
	}
}

func TestStdin(t *testing.T) {
	inv, n := load(t, Options{Stdin: strings.NewReader(cm("from-stdin") + "---\n" + cm("two"))}, "-")
	if got := names(inv); got != "from-stdin,two" || n != 1 {
		t.Fatalf("objects %s sources %d", got, n)
	}
	if o := inv.Objects()[0]; o.Source.File != "<stdin>" || o.Source.Origin != inventory.FromStdin {
		t.Errorf("source %+v", o.Source)
	}
}

func TestChartsAndKustomizationsAreNotWalkedAsManifests(t *testing.T) {
	d := t.TempDir()
	write(t, filepath.Join(d, "chart", "Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
	write(t, filepath.Join(d, "chart", "values.yaml"), "name: from-chart\n")
	write(t, filepath.Join(d, "chart", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n")
	write(t, filepath.Join(d, "kust", "kustomization.yaml"), "resources: [cm.yaml]\nnamePrefix: k-\n")
	write(t, filepath.Join(d, "kust", "cm.yaml"), cm("x"))
	inv, n := load(t, Options{DefaultNamespace: "team"}, d)
	if got := names(inv); got != "from-chart,k-x" {
		t.Fatalf("objects %s (problems %v)", got, inv.Problems())
	}
	if n != 2 {
		t.Errorf("sources %d, want 2", n)
	}
	for _, o := range inv.Objects() {
		if o.Namespace != "team" {
			t.Errorf("%s namespace %q, want team", o.Ref(), o.Namespace)
		}
	}
}
