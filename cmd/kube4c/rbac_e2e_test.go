package main

// End-to-end tests of the rbac commands on the bundled example (examples/insecure-shop, whose
// manifests/rbac.yaml and kubernetes-dashboard.yaml hold the grants).

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const insecureShop = "examples/insecure-shop"

type e2eGrant struct {
	Subject struct{ Kind, Namespace, Name string } `json:"subject"`
	System  bool                                   `json:"systemComponent"`
	Scope   string                                 `json:"scope"`
	Binding struct{ Kind, Namespace, Name, Location string }
	Role    struct{ Kind, Namespace, Name, Location string }
}

func (g e2eGrant) subject() string {
	if g.Subject.Namespace != "" {
		return g.Subject.Kind + " " + g.Subject.Namespace + "/" + g.Subject.Name
	}
	return g.Subject.Kind + " " + g.Subject.Name
}

func whoCanJSON(t *testing.T, args ...string) []e2eGrant {
	t.Helper()
	args = append(append([]string{"rbac", "who-can"}, args...), "-o", "json")
	r := kube4c(t, repoRoot(t), nil, args...)
	wantCode(t, r, 0, args...)
	var out struct {
		Grants []e2eGrant `json:"grants"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	return out.Grants
}

func subjects(gs []e2eGrant) map[string]e2eGrant {
	m := map[string]e2eGrant{}
	for _, g := range gs {
		if _, ok := m[g.subject()]; !ok {
			m[g.subject()] = g
		}
	}
	return m
}

func TestE2ERBACWhoCan(t *testing.T) {
	root := repoRoot(t)
	t.Run("secrets in kube-system", func(t *testing.T) {
		got := subjects(whoCanJSON(t, "get", "secrets", "-n", "kube-system", insecureShop))
		sync, ok := got["ServiceAccount shop/cart-api"]
		if !ok {
			t.Fatalf("cart-api (ClusterRoleBinding cart-api-secret-sync) missing: %v", got)
		}
		if sync.Binding.Kind != "ClusterRoleBinding" || sync.Binding.Name != "cart-api-secret-sync" || sync.Role.Name != "secret-sync" || sync.Scope != "cluster-wide" {
			t.Errorf("cart-api grant = %+v", sync)
		}
		if want := insecureShop + "/manifests/rbac.yaml:"; !strings.HasPrefix(sync.Binding.Location, want) {
			t.Errorf("binding location %q, want %s<line>", sync.Binding.Location, want)
		}
		// cluster-admin is a built-in role: the manifests bind it without defining it.
		if d, ok := got["ServiceAccount kubernetes-dashboard/kubernetes-dashboard"]; !ok || d.Role.Name != "cluster-admin" {
			t.Errorf("dashboard (bound to built-in cluster-admin) missing or wrong: %+v", d)
		}
		for _, no := range []string{"ServiceAccount shop/ci-deployer", "ServiceAccount shop-batch/default"} {
			if _, ok := got[no]; ok {
				t.Errorf("%s may not read secrets in kube-system, but is listed", no)
			}
		}
	})
	t.Run("RoleBinding only in its namespace", func(t *testing.T) {
		if _, ok := subjects(whoCanJSON(t, "create", "deployments", "-n", "shop", insecureShop))["ServiceAccount shop/ci-deployer"]; !ok {
			t.Error("ci-deployer may create deployments in shop (RoleBinding shop/ci-deployer)")
		}
		if _, ok := subjects(whoCanJSON(t, "create", "deployments.apps", "-n", "shop-batch", insecureShop))["ServiceAccount shop/ci-deployer"]; ok {
			t.Error("ci-deployer's RoleBinding is in shop, not shop-batch")
		}
		// The built-in edit role, aggregated from system:aggregate-to-edit, lets shop-batch's
		// default service account create deployments there.
		if g, ok := subjects(whoCanJSON(t, "create", "deploy", "-n", "shop-batch", insecureShop))["ServiceAccount shop-batch/default"]; !ok || g.Role.Name != "edit" {
			t.Errorf("shop-batch/default via ClusterRole edit: %+v %v", g, ok)
		}
	})
	t.Run("subresource and group", func(t *testing.T) {
		got := subjects(whoCanJSON(t, "get", "nodes/proxy", insecureShop))
		if _, ok := got["Group acme:oncall"]; !ok {
			t.Errorf("acme:oncall may get nodes/proxy: %v", got)
		}
		if _, ok := subjects(whoCanJSON(t, "get", "nodes", insecureShop))["Group acme:oncall"]; ok {
			t.Error("nodes/proxy does not grant nodes")
		}
	})
	t.Run("table", func(t *testing.T) {
		args := []string{"rbac", "who-can", "impersonate", "users", insecureShop}
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, 0, args...)
		for _, want := range []string{"Who can impersonate users cluster-wide: 2 subject(s)", "SUBJECT", "Group acme:support",
			"ClusterRoleBinding support-impersonation", "ClusterRole support-impersonation", insecureShop + "/manifests/rbac.yaml:"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("unknown resource is explained", func(t *testing.T) {
		args := []string{"rbac", "who-can", "get", "widgets.acme.example", insecureShop}
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, 0, args...)
		if !strings.Contains(r.stderr, `taken as resource "widgets" in API group "acme.example"`) {
			t.Errorf("no note about the unknown resource:\n%s", r)
		}
	})
}

func TestE2ERBACCan(t *testing.T) {
	root := repoRoot(t)
	args := []string{"rbac", "can", "sa:shop/ci-deployer", insecureShop, "-o", "json"}
	r := kube4c(t, root, nil, args...)
	wantCode(t, r, 0, args...)
	var out struct {
		Identity struct {
			User   string
			Groups []string
		}
		Known  bool
		Scopes []struct {
			Namespace string
			Rules     []e2eGrant
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Identity.User != "system:serviceaccount:shop:ci-deployer" || strings.Join(out.Identity.Groups, ",") != "system:serviceaccounts,system:serviceaccounts:shop,system:authenticated" || !out.Known {
		t.Errorf("identity %+v known %v", out.Identity, out.Known)
	}
	if len(out.Scopes) != 1 || out.Scopes[0].Namespace != "shop" || len(out.Scopes[0].Rules) != 3 {
		t.Fatalf("want the 3 rules of Role shop/deployer in namespace shop, got %+v", out.Scopes)
	}

	args = []string{"rbac", "can", "group:acme:oncall", insecureShop}
	r = kube4c(t, root, nil, args...)
	wantCode(t, r, 0, args...)
	for _, want := range []string{"Group acme:oncall, groups acme:oncall, system:authenticated", "Cluster-wide (ClusterRoleBindings):",
		"nodes/proxy", "events,events.events.k8s.io", "ClusterRoleBinding oncall -> ClusterRole oncall"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	args = []string{"rbac", "can", "user:nobody", insecureShop}
	r = kube4c(t, root, nil, args...)
	wantCode(t, r, 0, args...)
	if !strings.Contains(r.stdout, "no binding names this subject") || !strings.Contains(r.stdout, "No rules are granted.") {
		t.Errorf("unknown subject:\n%s", r.stdout)
	}
}

func TestE2ERBACPaths(t *testing.T) {
	root := repoRoot(t)
	args := []string{"rbac", "paths", "sa:shop/ci-deployer", insecureShop, "-o", "json"}
	r := kube4c(t, root, nil, args...)
	wantCode(t, r, 0, args...)
	var out struct {
		Admin bool `json:"clusterAdmin"`
		Paths []struct {
			Admin bool `json:"clusterAdmin"`
			Steps []struct {
				Technique string
				To        *struct{ Kind, Namespace, Name string }
				Text      string
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Admin || len(out.Paths) == 0 || !out.Paths[0].Admin {
		t.Fatalf("ci-deployer reaches cluster-admin through cart-api:\n%s", r.stdout)
	}
	// The spec's chain: create pods in shop -> run as shop/cart-api -> cart-api reads every secret.
	steps := out.Paths[0].Steps
	if len(steps) != 2 || steps[0].To == nil || steps[0].To.Namespace+"/"+steps[0].To.Name != "shop/cart-api" ||
		steps[1].Technique != "read-all-secrets" {
		t.Errorf("shortest admin path:\n%s", r.stdout)
	}

	args = []string{"rbac", "paths", "sa:shop/ci-deployer", insecureShop}
	r = kube4c(t, root, nil, args...)
	wantCode(t, r, 0, args...)
	if !strings.Contains(r.stdout, "ServiceAccount shop/ci-deployer can become cluster-admin equivalent in 2 steps:") ||
		!strings.Contains(r.stdout, "  1. ") || !strings.Contains(r.stdout, "  2. ") {
		t.Errorf("table output:\n%s", r.stdout)
	}

	args = []string{"rbac", "paths", "sa:shop/ci-deployer", insecureShop, "--max-depth", "1"}
	r = kube4c(t, root, nil, args...)
	wantCode(t, r, 0, args...)
	if !strings.Contains(r.stdout, "cannot become cluster-admin equivalent within 1 steps") {
		t.Errorf("--max-depth 1:\n%s", r.stdout)
	}

	args = []string{"rbac", "paths", "sa:kubernetes-dashboard/kubernetes-dashboard", insecureShop}
	r = kube4c(t, root, nil, args...)
	wantCode(t, r, 0, args...)
	if !strings.Contains(r.stdout, "is cluster-admin equivalent:") {
		t.Errorf("dashboard is bound to cluster-admin:\n%s", r.stdout)
	}
}

// TestE2ERBACScanDepth checks that scan's --rbac-path-depth bounds the escalation-path control:
// the shop's CI deployer needs two steps to reach cluster-admin equivalence.
func TestE2ERBACScanDepth(t *testing.T) {
	root := repoRoot(t)
	for _, c := range []struct {
		depth string
		want  int
	}{{"1", 0}, {"2", 1}, {"5", 1}} {
		args := []string{"scan", insecureShop, "-o", "json", "--rbac-path-depth", c.depth}
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, 1, args...)
		if got := len(parseReport(t, r).findings("cluster/rbac-escalation-path", "RoleBinding/shop/ci-deployer")); got != c.want {
			t.Errorf("--rbac-path-depth %s: %d escalation-path findings for RoleBinding shop/ci-deployer, want %d", c.depth, got, c.want)
		}
	}
	args := []string{"scan", insecureShop, "--rbac-path-depth", "0"}
	r := kube4c(t, root, nil, args...)
	wantCode(t, r, 2, args...)
}

func TestE2ERBACErrors(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("kind: ClusterRoleBinding\nmetadata: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "binary.yaml"), []byte("kind: Role\x00\x01\x02"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "huge.yaml"), []byte(strings.Repeat("a: b\n", 300000)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".", filepath.Join(bad, "loop")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"rbac", "can", "sa:noslash", insecureShop}, 2, "want sa:NAMESPACE/NAME"},
		{[]string{"rbac", "who-can", "get"}, 2, "requires at least 2 arg(s)"},
		{[]string{"rbac", "who-can", "get", "secrets", insecureShop, "-o", "yaml"}, 2, "unknown output format"},
		{[]string{"rbac", "who-can", "get", "/metrics", "-n", "x", insecureShop}, 2, "has no namespace or name"},
		{[]string{"rbac", "who-can", "get", "secrets", "--cluster", insecureShop}, 2, "give no paths"},
		{[]string{"rbac", "paths", "user:a", "--max-depth", "0", insecureShop}, 2, "--max-depth must be at least 1"},
		// A malformed file is reported with its line; the answer for the rest is still printed.
		{[]string{"rbac", "who-can", "get", "secrets", "-n", "kube-system", broken, insecureShop}, 2, "broken.yaml:2: malformed YAML"},
		{[]string{"rbac", "who-can", "get", "secrets", "-n", "kube-system", broken, insecureShop, "--skip-invalid"}, 0, "broken.yaml:2: malformed YAML"},
		{[]string{"rbac", "who-can", "get", "secrets", filepath.Join(dir, "missing")}, 2, "missing"},
		// Binary and oversized files are refused by name, a symlink loop is not followed forever.
		{[]string{"rbac", "can", "user:a", bad, "--max-file-size", "1MB"}, 2, "binary.yaml: binary file"},
		{[]string{"rbac", "paths", "user:a", bad, "--max-file-size", "1MB"}, 2, "huge.yaml: file is 1.4 MB, over the 1.0 MB limit"},
	} {
		r := kube4c(t, root, nil, c.args...)
		wantCode(t, r, c.code, c.args...)
		if !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("kube4c %s: stderr lacks %q\n%s", strings.Join(c.args, " "), c.stderr, r)
		}
		if strings.Contains(strings.Join(c.args, " "), "broken.yaml") && !strings.Contains(r.stdout, "ServiceAccount shop/cart-api") {
			t.Errorf("kube4c %s: the answer for the readable files is missing\n%s", strings.Join(c.args, " "), r)
		}
	}
}
