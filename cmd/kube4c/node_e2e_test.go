package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/source/node/nodetest"
	"github.com/kube4c/kube4c/internal/testenv"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// nodeReport is the part of the JSON report node scans add.
type nodeReport struct {
	e2eReport
	Scanned struct {
		Node struct {
			Root           string `json:"root"`
			Platform       string `json:"platform"`
			PlatformSource string `json:"platformSource"`
		} `json:"node"`
	} `json:"scanned"`
	ProviderManaged []struct {
		ControlID string `json:"controlId"`
		Owner     string `json:"owner"`
		Platform  string `json:"platform"`
	} `json:"providerManaged"`
	Owners []struct {
		Owner string `json:"owner"`
	} `json:"-"`
}

func parseNodeReport(t *testing.T, r runResult) *nodeReport {
	t.Helper()
	parseReport(t, r)
	var rep nodeReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var owners struct {
		Findings []struct {
			Owner string `json:"owner"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &owners); err != nil {
		t.Fatal(err)
	}
	for _, f := range owners.Findings {
		rep.Owners = append(rep.Owners, struct {
			Owner string `json:"owner"`
		}{f.Owner})
	}
	return &rep
}

// TestE2ENodeTrees runs kube4c node on the kubeadm trees (tar archives carrying their modes and
// owners): the hardened node exits 0 with no cluster finding, the weak one exits 1 and points at
// the manifest line of a flag.
func TestE2ENodeTrees(t *testing.T) {
	hardened := nodetest.Tar(t, "hardened")
	r := kube4c(t, ".", nil, "node", "--root", hardened, "-o", "json", "--platform", "self-managed")
	rep := parseNodeReport(t, r)
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.ControlID, "cluster/") {
			t.Errorf("hardened: %s on %s: %s", f.ControlID, f.ref(), f.Message)
		}
	}
	if rep.Scanned.Node.Platform != "self-managed" || rep.Scanned.Node.PlatformSource != "--platform" || rep.Scanned.Node.Root != hardened {
		t.Errorf("scanned.node = %+v", rep.Scanned.Node)
	}

	weak := nodetest.Tar(t, "weak")
	args := []string{"node", "--root", weak, "-o", "json"}
	r = kube4c(t, ".", nil, args...)
	wantCode(t, r, exitFindings, args...)
	rep = parseNodeReport(t, r)
	fs := rep.findings("cluster/apiserver-authorization-mode", "Component/kube-apiserver")
	if len(fs) != 1 {
		t.Fatalf("weak: want one authorization-mode finding, got %v", fs)
	}
	manifest := filepath.Join(nodetest.Dir(t), "weak", "etc/kubernetes/manifests/kube-apiserver.yaml")
	if want := lineOf(t, manifest, "--authorization-mode=AlwaysAllow"); fs[0].Location.File != "/etc/kubernetes/manifests/kube-apiserver.yaml" || fs[0].Location.Line != want {
		t.Errorf("authorization-mode finding at %+v, want the manifest line %d", fs[0].Location, want)
	}
	for _, o := range rep.Owners {
		if o.Owner != "customer" {
			t.Errorf("finding owner %q, want customer", o.Owner)
		}
	}
	if fs := rep.findings("cluster/controlplane-file-ownership", "File//etc/kubernetes/admin.conf"); len(fs) != 1 || !strings.Contains(fs[0].Message, "ubuntu:ubuntu") {
		t.Errorf("admin.conf ownership: %v", fs)
	}
	if len(rep.ProviderManaged) != 0 {
		t.Errorf("self-managed node lists provider-managed controls: %v", rep.ProviderManaged)
	}
}

// TestE2ENodeManagedPlatform: on EKS the control plane is the provider's: even when a node shows
// control-plane components, their controls are listed as provider-managed and never fail.
func TestE2ENodeManagedPlatform(t *testing.T) {
	weak := nodetest.Tar(t, "weak")
	r := kube4c(t, ".", nil, "node", "--root", weak, "-o", "json", "--platform", "eks")
	rep := parseNodeReport(t, r)
	managed := map[string]bool{}
	for _, m := range rep.ProviderManaged {
		if m.Owner != "provider" || m.Platform != "eks" {
			t.Errorf("provider-managed entry %+v", m)
		}
		managed[m.ControlID] = true
	}
	for _, id := range []string{"cluster/apiserver-anonymous-auth", "cluster/etcd-client-cert-auth", "cluster/controlplane-file-permissions"} {
		if !managed[id] {
			t.Errorf("%s not listed as provider-managed on eks", id)
		}
	}
	if managed["cluster/kubelet-anonymous-auth"] {
		t.Error("the kubelet is the customer's on eks")
	}
	for _, f := range rep.Findings {
		if managed[f.ControlID] {
			t.Errorf("provider-managed control %s reported as a finding", f.ControlID)
		}
	}
	if len(rep.findings("cluster/kubelet-anonymous-auth", "")) != 1 {
		t.Error("the weak kubelet's anonymous auth is not reported on eks")
	}
	// The CIS EKS benchmark accepts 644 for the kubelet's kubeconfig.
	if fs := rep.findings("cluster/node-file-permissions", "File//etc/kubernetes/kubelet.conf"); len(fs) != 0 {
		t.Errorf("kubelet.conf 0644 fails on eks: %v", fs)
	}
	table := kube4c(t, ".", nil, "node", "--root", weak, "--platform", "eks")
	if !strings.Contains(table.stdout, "PROVIDER-MANAGED") {
		t.Errorf("table output does not mention provider-managed controls:\n%s", table)
	}
}

// TestE2ENodeBadInput: a missing root is a usage error; an unknown platform too; unreadable and
// malformed files are reported by name and the scan goes on.
func TestE2ENodeBadInput(t *testing.T) {
	r := kube4c(t, ".", nil, "node", "--root", filepath.Join(t.TempDir(), "absent"))
	wantCode(t, r, exitError)
	if !strings.Contains(r.stderr, "--root") {
		t.Errorf("missing root: %s", r)
	}
	r = kube4c(t, ".", nil, "node", "--root", t.TempDir(), "--proc", filepath.Join(t.TempDir(), "absent"))
	wantCode(t, r, exitError)
	if !strings.Contains(r.stderr, "--proc") {
		t.Errorf("missing proc: %s", r)
	}
	// An empty tree is not a node: say so instead of reporting nothing.
	r = kube4c(t, ".", nil, "node", "--root", t.TempDir(), "-o", "json")
	wantCode(t, r, exitOK)
	if rep := parseNodeReport(t, r); len(rep.Problems) == 0 || !strings.Contains(rep.Problems[0].Message, "no Kubernetes component found") {
		t.Errorf("empty root: %s", r)
	}
	r = kube4c(t, ".", nil, "node", "--platform", "openshift")
	wantCode(t, r, exitError)
	if !strings.Contains(r.stderr, "unknown platform") {
		t.Errorf("bad platform: %s", r)
	}

	root := t.TempDir()
	write := func(p, data string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/kubernetes/manifests/kube-apiserver.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: kube-apiserver\n    command:\n    - kube-apiserver\n    - --encryption-provider-config=/etc/kubernetes/enc.yaml\n")
	write("etc/kubernetes/manifests/broken.yaml", "kind: Pod\nspec: [unclosed\n")
	write("etc/kubernetes/enc.yaml", "\x00\x01 not yaml: [")
	if err := os.Symlink("loop", filepath.Join(root, "etc/kubernetes/loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop", filepath.Join(root, "etc/kubernetes/admin.conf")); err != nil {
		t.Fatal(err)
	}
	args := []string{"node", "--root", root, "-o", "json", "--fail-on", "none"}
	r = kube4c(t, ".", nil, args...)
	wantCode(t, r, exitOK, args...)
	rep := parseNodeReport(t, r)
	var problems []string
	for _, p := range rep.Problems {
		problems = append(problems, p.File+": "+p.Message)
	}
	all := strings.Join(problems, "\n")
	for _, want := range []string{"/etc/kubernetes/manifests/broken.yaml: not a valid static pod manifest", "/etc/kubernetes/enc.yaml: kube-apiserver --encryption-provider-config", "too many levels of symbolic links"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if len(rep.findings("cluster/apiserver-encryption-at-rest", "Component/kube-apiserver")) != 1 {
		t.Error("an unreadable encryption configuration does not fail encryption at rest")
	}
}

// TestE2ENodeProc runs kube4c node on this machine and finds the test environment's own running
// kube-apiserver and etcd through /proc: their flags as started, judged.
func TestE2ENodeProc(t *testing.T) {
	env := testenv.Start(t)
	pids := env.PIDs()
	t.Run("host", func(t *testing.T) {
		nodeProc(t, pids, "node", "-o", "json", "--fail-on", "none", "--platform", "self-managed")
	})
	// As in deploy/node-scan-job.yaml: the node's files under --root, its processes from --proc.
	t.Run("root and proc", func(t *testing.T) {
		nodeProc(t, pids, "node", "--root", t.TempDir(), "--proc", "/proc", "-o", "json", "--fail-on", "none", "--platform", "self-managed")
	})
}

func nodeProc(t *testing.T, pids map[string]int, args ...string) {
	r := kube4c(t, ".", nil, args...)
	wantCode(t, r, exitOK, args...)
	rep := parseNodeReport(t, r)
	// Other test packages may run control planes at the same time: find ours by process ID.
	name := func(component string) string {
		pid := strconv.Itoa(pids[component])
		for _, f := range rep.Findings {
			if f.Resource.Kind == "Component" && (f.Resource.Name == component || f.Resource.Name == component+" (pid "+pid+")") {
				if f.Location.File == "/proc/"+pid+"/cmdline" || f.Resource.Name == component+" (pid "+pid+")" {
					return "Component/" + f.Resource.Name
				}
			}
		}
		t.Fatalf("no finding on %s (pid %s):\n%s", component, pid, r)
		return ""
	}
	api, etcd := name("kube-apiserver"), name("etcd")
	// testenv's etcd serves plain HTTP without client certificates; the API server runs with the
	// default --anonymous-auth and without encryption, audit or --profiling=false.
	for _, want := range [][2]string{
		{"cluster/etcd-client-cert-auth", etcd}, {"cluster/etcd-client-tls", etcd},
		{"cluster/apiserver-anonymous-auth", api}, {"cluster/apiserver-etcd-tls", api},
		{"cluster/apiserver-encryption-at-rest", api}, {"cluster/component-profiling", api},
	} {
		if len(rep.findings(want[0], want[1])) != 1 {
			t.Errorf("%s not reported on %s", want[0], want[1])
		}
	}
	// ...and with Node,RBAC, NodeRestriction, client CA and serving TLS, which must pass.
	for _, ctl := range []string{"cluster/apiserver-authorization-mode", "cluster/apiserver-admission-node-restriction", "cluster/apiserver-client-ca", "cluster/apiserver-serving-tls"} {
		if fs := rep.findings(ctl, api); len(fs) != 0 {
			t.Errorf("%s fails on the test environment's API server: %v", ctl, fs)
		}
	}
}

// TestNodeScanJobManifest: deploy/node-scan-job.yaml is accepted by a real API server (server-side
// dry run) and stays clean under kube4c's own scan at medium severity and above (its host access
// is suppressed inline, with the reason).
func TestNodeScanJobManifest(t *testing.T) {
	file := filepath.Join(repoRoot(t), "deploy", "node-scan-job.yaml")
	args := []string{"scan", file, "--severity", "medium"}
	r := kube4c(t, ".", nil, args...)
	wantCode(t, r, exitOK, args...)

	env := testenv.Start(t)
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	kinds := 0
	for _, doc := range strings.Split(string(data), "\n---\n") {
		obj, _, err := clientgoscheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			// The namespace must exist for the namespaced dry runs.
			_, err = cs.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		case *networkingv1.NetworkPolicy:
			_, err = cs.NetworkingV1().NetworkPolicies(o.Namespace).Create(ctx, o, dry)
		case *appsv1.DaemonSet:
			_, err = cs.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, dry)
		default:
			t.Fatalf("unexpected %T", obj)
		}
		if err != nil {
			t.Fatalf("%T: %v", obj, err)
		}
		kinds++
	}
	if kinds != 3 {
		t.Fatalf("%d objects, want 3", kinds)
	}
}
