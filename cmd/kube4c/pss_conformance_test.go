package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/catalog"
)

// pssFixturesDir finds the official Pod Security Standards fixtures shipped with the pinned
// k8s.io/pod-security-admission module (test/testdata/<level>/<version>/{pass,fail}/*.yaml).
func pssFixturesDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatalf("locating k8s.io/pod-security-admission in the module cache: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("PSS fixtures not found: %v", err)
	}
	return dir
}

type reportFinding struct {
	ControlID string `json:"controlId"`
	Location  struct {
		File string `json:"file"`
	} `json:"location"`
	References catalog.References `json:"references"`
}

var trailingDigits = regexp.MustCompile(`\d+$`)

// TestPSSConformance feeds every official PSS fixture through `kube4c scan` at its level and
// version: every fail fixture must yield the control of its check, and no pass fixture may yield
// any PSS control.
func TestPSSConformance(t *testing.T) {
	root := pssFixturesDir(t)
	// fixture file names are lower-cased check IDs plus an index.
	controlOf := map[string]string{}
	for _, c := range catalog.All() {
		if c.References.PSS != nil {
			controlOf[strings.ToLower(c.References.PSS.Check)] = c.ID
		}
	}
	total := 0
	for _, level := range []string{"baseline", "restricted"} {
		versions, err := os.ReadDir(filepath.Join(root, level))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range versions {
			dir := filepath.Join(root, level, v.Name())
			t.Run(level+"/"+v.Name(), func(t *testing.T) {
				var out, errb bytes.Buffer
				code := run(context.Background(), []string{"scan", dir, "--pss-level", level, "--pss-version", v.Name(),
					"-o", "json", "--fail-on", "none"}, nil, &out, &errb)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errb.String())
				}
				var rep struct {
					Findings []reportFinding `json:"findings"`
					Problems []any           `json:"problems"`
				}
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					t.Fatal(err)
				}
				if len(rep.Problems) > 0 {
					t.Errorf("problems reading fixtures: %v", rep.Problems)
				}
				pssByFile := map[string][]string{}
				for _, f := range rep.Findings {
					if f.References.PSS != nil {
						pssByFile[f.Location.File] = append(pssByFile[f.Location.File], f.ControlID)
					}
				}
				files, _ := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
				if len(files) == 0 {
					t.Fatal("no fixtures")
				}
				for _, file := range files {
					total++
					got := pssByFile[file]
					sort.Strings(got)
					base := strings.TrimSuffix(filepath.Base(file), ".yaml")
					switch filepath.Base(filepath.Dir(file)) {
					case "pass":
						if len(got) > 0 {
							t.Errorf("%s: pass fixture yielded PSS controls %v", file, got)
						}
					case "fail":
						want, ok := controlOf[trailingDigits.ReplaceAllString(base, "")]
						if !ok {
							t.Errorf("%s: no control for this check", file)
							continue
						}
						if !contains(got, want) {
							t.Errorf("%s: fail fixture yielded %v, want %s", file, got, want)
						}
					}
				}
			})
		}
	}
	if total < 4000 {
		t.Fatalf("only %d fixtures checked; expected the whole upstream set (4,500+)", total)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
