package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kube4c/kube4c/internal/inventory"
)

// preflight reads the kustomization in dir and, recursively, every local base and component, and
// refuses what would need the network or an external program before krusty runs:
//   - remote resources, bases and components (git repositories, `github.com/…`, `git::`, URLs):
//     kustomize would run `git clone` or fetch over HTTP;
//   - any file reference that is a URL (patches, replacements, generators, openapi, crds…): the
//     kustomize loader fetches URLs with HTTP GET;
//   - helmCharts / helmChartInflationGenerator: they need a helm binary (and usually a chart
//     repository). The problem suggests scanning the chart directory directly.
//
// Malformed kustomizations are left to krusty, which reports them.
func preflight(dir string) []inventory.Problem {
	var probs []inventory.Problem
	seen := map[string]bool{}
	var visit func(d string, depth int)
	visit = func(d string, depth int) {
		kfile, ok := kustomizationFile(d)
		if !ok || depth > 100 {
			return
		}
		key := kfile
		if abs, err := filepath.Abs(kfile); err == nil {
			key = abs
		}
		if seen[key] {
			return
		}
		seen[key] = true
		data, err := os.ReadFile(kfile)
		if err != nil {
			return
		}
		var k map[string]any
		if err := sigsyaml.Unmarshal(data, &k); err != nil || k == nil {
			return
		}
		add := func(needle, msg string) {
			probs = append(probs, inventory.Problem{Severity: "error", File: kfile, Line: lineOf(data, needle),
				Message: fmt.Sprintf("kustomization %s: %s", dir, msg)})
		}
		for _, field := range []string{"helmCharts", "helmChartInflationGenerator"} {
			if v, ok := k[field]; ok && v != nil {
				msg := fmt.Sprintf("%s: not rendered (it needs the helm binary and often a chart repository; kube4c works offline). Scan the chart directory directly with kube4c", field)
				if d != dir {
					msg = fmt.Sprintf("base %s: %s", d, msg)
				}
				add(field+":", msg)
			}
		}
		for _, field := range []string{"resources", "bases", "components"} {
			for _, ref := range stringList(k[field]) {
				if isRemote(d, ref) {
					add(ref, fmt.Sprintf("%s: remote %s %q refused: kube4c does not fetch git repositories or URLs (offline); vendor it locally and point the kustomization at the copy", where(dir, d), strings.TrimSuffix(field, "s"), ref))
					continue
				}
				p := filepath.Join(d, filepath.FromSlash(ref))
				if fi, err := os.Stat(p); err == nil && fi.IsDir() {
					visit(p, depth+1)
				}
			}
		}
		for _, ref := range fileRefs(k) {
			if isURL(ref) {
				add(ref, fmt.Sprintf("%s: remote file %q refused: kube4c does not fetch URLs (offline); download it and reference the local copy", where(dir, d), ref))
			}
		}
	}
	visit(dir, 0)
	return probs
}

func where(root, d string) string {
	if d == root {
		return "kustomization"
	}
	return "base " + d
}

// lineOf returns the first line of data containing needle, else 0.
func lineOf(data []byte, needle string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, needle) {
			return i + 1
		}
	}
	return 0
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// fileRefs lists the other fields of a kustomization that name files kustomize loads.
func fileRefs(k map[string]any) []string {
	var out []string
	for _, f := range []string{"crds", "configurations", "generators", "transformers", "validators"} {
		out = append(out, stringList(k[f])...)
	}
	for _, s := range stringList(k["patchesStrategicMerge"]) {
		if !strings.Contains(s, "\n") {
			out = append(out, s)
		}
	}
	for _, f := range []string{"patches", "patchesJson6902", "replacements"} {
		l, _ := k[f].([]any)
		for _, e := range l {
			if m, ok := e.(map[string]any); ok {
				if s, ok := m["path"].(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	if m, ok := k["openapi"].(map[string]any); ok {
		if s, ok := m["path"].(string); ok {
			out = append(out, s)
		}
	}
	for _, f := range []string{"configMapGenerator", "secretGenerator"} {
		l, _ := k[f].([]any)
		for _, e := range l {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			refs := append(stringList(m["files"]), stringList(m["envs"])...)
			if s, ok := m["env"].(string); ok {
				refs = append(refs, s)
			}
			for _, r := range refs {
				if _, after, ok := strings.Cut(r, "="); ok {
					r = after
				}
				out = append(out, r)
			}
		}
	}
	return out
}

func isURL(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "git::") ||
		strings.HasPrefix(l, "ssh://") || strings.HasPrefix(l, "git@") || strings.HasPrefix(l, "file://") ||
		strings.Contains(l, "://")
}

// isRemote tells whether a resources/bases/components entry is remote: anything existing on disk
// is local; otherwise URLs, git forms and host-like first segments (github.com/org/repo//path)
// are remote.
func isRemote(dir, ref string) bool {
	if isURL(ref) {
		return true
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(ref))); err == nil {
		return false
	}
	if strings.Contains(ref, "?ref=") || strings.Contains(ref, "?version=") || strings.Contains(ref, ".git//") || strings.HasSuffix(ref, ".git") {
		return true
	}
	first, _, _ := strings.Cut(ref, "/")
	if strings.HasPrefix(first, ".") || !strings.Contains(first, ".") {
		return false
	}
	// github.com, gitlab.com, bitbucket.org, a private host: a dotted first segment with more path.
	return strings.Contains(ref, "/") && !strings.HasSuffix(first, ".yaml") && !strings.HasSuffix(first, ".yml") && !strings.HasSuffix(first, ".json")
}
