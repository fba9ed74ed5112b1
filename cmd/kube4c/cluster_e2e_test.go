package main

// End-to-end tests of `kube4c scan --cluster` against a real control plane (internal/testenv):
//
//	go test ./cmd/kube4c -run Cluster
//
// One control plane serves every subtest; each works in namespaces of its own.

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source/manifest"
	"github.com/kube4c/kube4c/internal/testenv"
)

type clusterHarness struct {
	env   *testenv.Env
	admin kubernetes.Interface
	dir   string
	// adminKubeconfig is a kubeconfig file for env.Admin.
	adminKubeconfig string
}

func TestClusterE2E(t *testing.T) {
	env := testenv.Start(t)
	h := &clusterHarness{env: env, admin: kubernetes.NewForConfigOrDie(env.Admin), dir: t.TempDir()}
	h.adminKubeconfig = h.kubeconfig(t, "admin", env.Admin)

	t.Run("PartialPermissions", h.testPartialPermissions)
	t.Run("Errors", h.testErrors)
	t.Run("SecretsNeverLeave", h.testSecretsNeverLeave)
	t.Run("Namespaces", h.testNamespaces)
	t.Run("RBAC", h.testRBAC)
	t.Run("Netpol", h.testNetpol)
}

func (h *clusterHarness) kubeconfig(t *testing.T, name string, cfg *rest.Config) string {
	t.Helper()
	path := filepath.Join(h.dir, name+".kubeconfig")
	if err := h.env.Kubeconfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	return path
}

// workload creates a namespace with a Deployment that fails several controls (and waits for its
// default ServiceAccount).
func (h *clusterHarness) workload(t *testing.T, ns string) {
	t.Helper()
	ctx := t.Context()
	if _, err := h.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web"}
	if _, err := h.admin.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:latest"}}},
			},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() error {
		_, err := h.admin.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

func waitFor(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// --- partial permissions in every machine-readable format ---

// Without Secrets the escalation search cannot see legacy token Secrets, so the two controls
// built on it are not evaluated either; without NetworkPolicies, none of the network controls.
var wantNotEvaluated = []string{"cluster/bootstrap-token-secret", "cluster/legacy-sa-token-secret",
	"cluster/namespace-no-default-deny-egress", "cluster/namespace-no-default-deny-ingress",
	"cluster/namespace-no-networkpolicy", "cluster/netpol-cross-environment", "cluster/netpol-egress-to-metadata",
	"cluster/netpol-internet-ingress-unexposed", "cluster/netpol-reachable-from-all-namespaces",
	"cluster/netpol-selects-no-pod", "cluster/netpol-unrestricted-egress",
	"cluster/rbac-escalation-path", "cluster/rbac-workload-admin-sa"}

// readerWithout binds the read-only role of deploy/rbac-reader.yaml, minus the given resources, to
// a new user, and returns a kubeconfig for that user once the authorizer lets it list namespaces.
func (h *clusterHarness) readerWithout(t *testing.T, user string, drop ...string) string {
	t.Helper()
	ctx := t.Context()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "rbac-reader.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs, probs := manifest.Parse(data, inventory.Source{File: "rbac-reader.yaml"}, manifest.Options{})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var role *rbacv1.ClusterRole
	for _, o := range objs {
		if cr, ok := o.Object.(*rbacv1.ClusterRole); ok {
			role = cr.DeepCopy()
		}
	}
	if role == nil {
		t.Fatal("no ClusterRole in deploy/rbac-reader.yaml")
	}
	role.Name = "kube4c-reader-without-" + strings.Join(drop, "-")
	for i := range role.Rules {
		role.Rules[i].Resources = slices.DeleteFunc(role.Rules[i].Resources, func(r string) bool { return slices.Contains(drop, r) })
	}
	if _, err := h.admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := h.env.UserConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	waitFor(t, 15*time.Second, func() error {
		_, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{Limit: 1})
		return err
	})
	return h.kubeconfig(t, user, cfg)
}

func (h *clusterHarness) testPartialPermissions(t *testing.T) {
	const user = "partial-reader"
	h.workload(t, "e2e-pp")

	kc := h.readerWithout(t, user, "secrets", "networkpolicies")

	checkStderr := func(t *testing.T, r runResult) {
		t.Helper()
		for _, res := range []string{"secrets", "networkpolicies"} {
			if !strings.Contains(r.stderr, "warning: "+res+": cannot list "+res+": 403 Forbidden") {
				t.Errorf("stderr does not warn that %s are forbidden:\n%s", res, r.stderr)
			}
		}
	}

	t.Run("json", func(t *testing.T) {
		args := []string{"scan", "--cluster", "--kubeconfig", kc, "-o", "json"}
		r := kube4c(t, h.dir, nil, args...)
		wantCode(t, r, 1, args...) // findings decide; the 403s are warnings, not exit 2
		checkStderr(t, r)
		var rep struct {
			NotEvaluated []struct {
				ControlID string `json:"controlId"`
				Reason    string `json:"reason"`
			} `json:"notEvaluated"`
			Findings []struct {
				ControlID string `json:"controlId"`
			} `json:"findings"`
			Problems []struct {
				Severity string `json:"severity"`
				Resource string `json:"resource"`
				Message  string `json:"message"`
			} `json:"problems"`
			Summary struct {
				Errors       int `json:"errors"`
				NotEvaluated int `json:"notEvaluated"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		var got []string
		for _, n := range rep.NotEvaluated {
			got = append(got, n.ControlID)
			if !strings.Contains(n.Reason, "forbidden") {
				t.Errorf("notEvaluated %s: reason %q", n.ControlID, n.Reason)
			}
		}
		if !slices.Equal(got, wantNotEvaluated) || rep.Summary.NotEvaluated != len(wantNotEvaluated) {
			t.Errorf("notEvaluated = %v (summary %d), want %v", got, rep.Summary.NotEvaluated, wantNotEvaluated)
		}
		var warned []string
		for _, p := range rep.Problems {
			if p.Severity != "warning" || !strings.Contains(p.Message, "403") {
				t.Errorf("problem %+v, want a 403 warning", p)
			}
			warned = append(warned, p.Resource)
		}
		sort.Strings(warned)
		if !slices.Equal(warned, []string{"networkpolicies", "secrets"}) || rep.Summary.Errors != 0 {
			t.Errorf("problems name %v (errors %d), want warnings for networkpolicies and secrets", warned, rep.Summary.Errors)
		}
		for _, f := range rep.Findings {
			if slices.Contains(wantNotEvaluated, f.ControlID) {
				t.Errorf("finding for %s, which was not evaluated", f.ControlID)
			}
		}
	})

	t.Run("sarif", func(t *testing.T) {
		args := []string{"scan", "--cluster", "--kubeconfig", kc, "-o", "sarif"}
		r := kube4c(t, h.dir, nil, args...)
		wantCode(t, r, 1, args...)
		checkStderr(t, r)
		var doc struct {
			Runs []struct {
				Invocations []struct {
					ExecutionSuccessful bool `json:"executionSuccessful"`
					Notifications       []struct {
						Level          string                `json:"level"`
						Message        struct{ Text string } `json:"message"`
						AssociatedRule *struct{ ID string }  `json:"associatedRule"`
					} `json:"toolExecutionNotifications"`
				} `json:"invocations"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Runs) != 1 || len(doc.Runs[0].Invocations) != 1 {
			t.Fatalf("SARIF: %v\n%s", err, r)
		}
		inv := doc.Runs[0].Invocations[0]
		if !inv.ExecutionSuccessful {
			t.Error("executionSuccessful = false for warnings only")
		}
		var got []string
		forbidden := 0
		for _, n := range inv.Notifications {
			if n.AssociatedRule != nil {
				got = append(got, n.AssociatedRule.ID)
				if !strings.HasPrefix(n.Message.Text, n.AssociatedRule.ID+" not evaluated: ") {
					t.Errorf("notification %q", n.Message.Text)
				}
			} else if strings.Contains(n.Message.Text, "403 Forbidden") {
				forbidden++
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, wantNotEvaluated) || forbidden != 2 {
			t.Errorf("SARIF not-evaluated notifications for %v and %d 403 warnings; want %v and 2", got, forbidden, wantNotEvaluated)
		}
	})

	t.Run("junit", func(t *testing.T) {
		args := []string{"scan", "--cluster", "--kubeconfig", kc, "-o", "junit"}
		r := kube4c(t, h.dir, nil, args...)
		wantCode(t, r, 1, args...)
		checkStderr(t, r)
		var doc struct {
			Suites []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					ClassName string `xml:"classname,attr"`
					Name      string `xml:"name,attr"`
					Skipped   *struct {
						Message string `xml:"message,attr"`
					} `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("JUnit: %v\n%s", err, r)
		}
		var got []string
		for _, s := range doc.Suites {
			for _, c := range s.Cases {
				if c.Name == "not evaluated" {
					if c.Skipped == nil || !strings.HasPrefix(c.Skipped.Message, "not evaluated: ") {
						t.Errorf("testcase %s: %+v", c.ClassName, c.Skipped)
					}
					got = append(got, c.ClassName)
				}
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, wantNotEvaluated) {
			t.Errorf("JUnit not-evaluated testcases %v, want %v", got, wantNotEvaluated)
		}
	})
}

// --- clear errors, exit 2 ---

func (h *clusterHarness) testErrors(t *testing.T) {
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()

	write := func(name string, cluster *clientcmdapi.Cluster, auth *clientcmdapi.AuthInfo) string {
		c := clientcmdapi.NewConfig()
		c.Clusters["c"] = cluster
		c.AuthInfos["u"] = auth
		c.Contexts["ctx"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
		c.CurrentContext = "ctx"
		path := filepath.Join(h.dir, name+".kubeconfig")
		if err := clientcmd.WriteToFile(*c, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	unreachable := write("unreachable", &clientcmdapi.Cluster{Server: "https://127.0.0.1:" + strconv.Itoa(closedPort), CertificateAuthorityData: h.env.CAData},
		&clientcmdapi.AuthInfo{Token: "whatever"})
	bogus := write("bogus", &clientcmdapi.Cluster{Server: h.env.Server, CertificateAuthorityData: h.env.CAData},
		&clientcmdapi.AuthInfo{Token: "not-a-valid-token"})

	for _, tc := range []struct {
		name string
		args []string
		want []string // substrings of the error line
	}{
		{"unreachable server", []string{"--kubeconfig", unreachable}, []string{"cannot reach the cluster at https://127.0.0.1:" + strconv.Itoa(closedPort), "connection refused"}},
		{"invalid credentials", []string{"--kubeconfig", bogus}, []string{"rejected the credentials (401 Unauthorized)", h.env.Server}},
		{"unknown context", []string{"--kubeconfig", h.adminKubeconfig, "--context", "no-such-context"}, []string{"no-such-context"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range [][]string{{"scan"}, {"rbac", "who-can", "get", "secrets"}, {"netpol", "matrix"}, {"netpol", "explain", "a/b", "c/d"}} {
				h.checkClusterError(t, append(append(cmd, "--cluster", "--timeout", "10s", "-o", "json"), tc.args...), tc.want)
			}
		})
	}
}

// checkClusterError runs a command that cannot read the cluster: exit 2 within 15 s, nothing on
// stdout, one error line on stderr containing every want.
func (h *clusterHarness) checkClusterError(t *testing.T, args []string, want []string) {
	t.Helper()
	start := time.Now()
	r := kube4c(t, h.dir, nil, args...)
	elapsed := time.Since(start)
	wantCode(t, r, 2, args...)
	if elapsed > 15*time.Second {
		t.Errorf("kube4c %s took %s, want under 15 s", strings.Join(args, " "), elapsed.Round(time.Millisecond))
	}
	if r.stdout != "" {
		t.Errorf("kube4c %s: stdout not empty:\n%s", strings.Join(args, " "), r.stdout)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "kube4c: ") {
		t.Fatalf("kube4c %s: stderr is not one error line:\n%s", strings.Join(args, " "), r.stderr)
	}
	t.Logf("%s in %s", lines[0], elapsed.Round(time.Millisecond))
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("kube4c %s: error %q does not contain %q", strings.Join(args, " "), lines[0], w)
		}
	}
}

// --- Secret values never leave the cluster ---

func (h *clusterHarness) testSecretsNeverLeave(t *testing.T) {
	ctx := t.Context()
	const ns, value = "e2e-secrets", "kube4c-canary-7f3a9c2e1b"
	h.workload(t, ns)
	encoded := base64.StdEncoding.EncodeToString([]byte(value))
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: ns, Annotations: map[string]string{
			// What kubectl apply leaves behind: a copy of the whole object, values included.
			"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","kind":"Secret","data":{"password":"` + encoded + `"},"metadata":{"name":"canary","namespace":"` + ns + `"}}`,
		}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"password": []byte(value)},
	}
	if _, err := h.admin.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A legacy token Secret: its finding proves the scan read this namespace's Secrets.
	if _, err := h.admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy", Namespace: ns, Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "table", "sarif", "junit"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"scan", "--cluster", "--kubeconfig", h.adminKubeconfig, "-n", ns, "-o", format}
			r := kube4c(t, h.dir, nil, args...)
			wantCode(t, r, 1, args...)
			if !strings.Contains(r.stdout, "cluster/legacy-sa-token-secret") || !strings.Contains(r.stdout, "legacy") {
				t.Errorf("the report does not mention the legacy token Secret: the scan did not read Secrets\n%s", r)
			}
			for _, s := range []string{value, encoded} {
				if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
					t.Errorf("-o %s output contains the Secret value %q", format, s)
				}
			}
		})
	}
}

// --- -n and --exclude-namespaces ---

func (h *clusterHarness) testNamespaces(t *testing.T) {
	h.workload(t, "e2e-a")
	h.workload(t, "e2e-b")
	scanNS := func(t *testing.T, extra ...string) map[string]bool {
		t.Helper()
		args := append([]string{"scan", "--cluster", "--kubeconfig", h.adminKubeconfig, "-o", "json"}, extra...)
		r := kube4c(t, h.dir, nil, args...)
		wantCode(t, r, 1, args...)
		rep := parseReport(t, r)
		out := map[string]bool{}
		for _, f := range rep.Findings {
			switch {
			case f.Resource.Kind == "Namespace":
				out[f.Resource.Name] = true
			case f.Resource.Namespace != "":
				out[f.Resource.Namespace] = true
			}
		}
		return out
	}
	t.Run("-n selects", func(t *testing.T) {
		got := scanNS(t, "-n", "e2e-a")
		if !got["e2e-a"] || len(got) != 1 {
			t.Errorf("-n e2e-a: findings about namespaces %v, want e2e-a only", got)
		}
	})
	t.Run("-n takes a list", func(t *testing.T) {
		got := scanNS(t, "-n", "e2e-a,e2e-b")
		if !got["e2e-a"] || !got["e2e-b"] || len(got) != 2 {
			t.Errorf("-n e2e-a,e2e-b: findings about namespaces %v", got)
		}
	})
	t.Run("--exclude-namespaces drops", func(t *testing.T) {
		got := scanNS(t, "--exclude-namespaces", "e2e-b")
		if got["e2e-b"] || !got["e2e-a"] || !got["kube-system"] {
			t.Errorf("--exclude-namespaces e2e-b: findings about namespaces %v", got)
		}
	})
}

// testRBAC runs the rbac commands against the cluster: answers include the API server's own
// bootstrap bindings (marked as system components) and follow the chain from a deployer to a
// service account that reads every Secret.
func (h *clusterHarness) testRBAC(t *testing.T) {
	ctx := t.Context()
	ns := "e2e-rbac"
	if _, err := h.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, sa := range []string{"deployer", "syncer"} {
		if _, err := h.admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rbacClient := h.admin.RbacV1()
	if _, err := rbacClient.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deploy"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"create"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbacClient.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "deploy"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: ns}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbacClient.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "e2e-secret-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbacClient.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "e2e-syncer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "e2e-secret-reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "syncer", Namespace: ns}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	args := []string{"rbac", "who-can", "get", "secrets", "-n", "kube-system", "--cluster", "--kubeconfig", h.adminKubeconfig, "-o", "json"}
	r := kube4c(t, h.dir, nil, args...)
	wantCode(t, r, 0, args...)
	var who struct{ Grants []e2eGrant }
	if err := json.Unmarshal([]byte(r.stdout), &who); err != nil {
		t.Fatal(err)
	}
	got := subjects(who.Grants)
	if g, ok := got["ServiceAccount e2e-rbac/syncer"]; !ok || g.System || g.Binding.Name != "e2e-syncer" || g.Binding.Location != "" {
		t.Errorf("syncer via ClusterRoleBinding e2e-syncer: %+v (found %v)", g, ok)
	}
	if g, ok := got["Group system:masters"]; !ok || !g.System || g.Role.Name != "cluster-admin" {
		t.Errorf("system:masters via the bootstrap cluster-admin binding, marked as a system component: %+v (found %v)", g, ok)
	}
	if _, ok := got["ServiceAccount e2e-rbac/deployer"]; ok {
		t.Error("deployer may not read secrets")
	}

	// An identity that may not list ClusterRoleBindings: the answer comes from what it could read,
	// with a warning that says what is missing; exit 0 (a 403 is partial coverage, not an error).
	kc := h.readerWithout(t, "rbac-partial-reader", "clusterrolebindings")
	args = []string{"rbac", "who-can", "get", "secrets", "-n", "kube-system", "--cluster", "--kubeconfig", kc}
	r = kube4c(t, h.dir, nil, args...)
	wantCode(t, r, 0, args...)
	if !strings.Contains(r.stderr, "warning: ClusterRoleBindings could not be read: the answers below miss what they grant") {
		t.Errorf("no warning about the unreadable ClusterRoleBindings:\n%s", r)
	}
	if strings.Contains(r.stdout, "e2e-rbac/syncer") || !strings.Contains(r.stdout, "Who can get secrets in namespace kube-system") {
		t.Errorf("without ClusterRoleBindings the syncer's cluster-wide grant cannot be seen:\n%s", r)
	}

	args = []string{"rbac", "paths", "sa:e2e-rbac/deployer", "--cluster", "--kubeconfig", h.adminKubeconfig}
	r = kube4c(t, h.dir, nil, args...)
	wantCode(t, r, 0, args...)
	for _, want := range []string{"ServiceAccount e2e-rbac/deployer can become cluster-admin equivalent in 2 steps:",
		"so it can run a pod as ServiceAccount e2e-rbac/syncer", "ClusterRoleBinding e2e-syncer -> ClusterRole e2e-secret-reader"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("paths output lacks %q:\n%s", want, r)
		}
	}
}
