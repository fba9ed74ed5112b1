package cluster_test

// Integration tests of the live-cluster source against a real control plane (internal/testenv:
// etcd, kube-apiserver and kube-controller-manager v1.37.2):
//
//	go test ./internal/source/cluster/ -run Integration
//
// One control plane serves every subtest (it takes a few seconds to start); each subtest works in
// namespaces of its own. kube-apiserver writes an audit log of every request (Metadata level), so
// the least-privilege subtest can prove the scanner's identity never wrote anything.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kube4c/kube4c/internal/analyzer/clusterconfig"
	"github.com/kube4c/kube4c/internal/analyzer/netpol"
	"github.com/kube4c/kube4c/internal/exception"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
	"github.com/kube4c/kube4c/internal/scan"
	"github.com/kube4c/kube4c/internal/source/cluster"
	"github.com/kube4c/kube4c/internal/source/manifest"
	"github.com/kube4c/kube4c/internal/testenv"
)

// auditPolicy logs every request, without bodies. RequestReceived is omitted: one event per
// request (ResponseComplete, or Panic) is enough.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
`

// readerSA is the identity deploy/rbac-reader.yaml creates, as the API server names it.
const readerSA = "system:serviceaccount:kube4c:kube4c"

type harness struct {
	env      *testenv.Env
	admin    kubernetes.Interface
	dyn      dynamic.Interface
	mapper   *restmapper.DeferredDiscoveryRESTMapper
	auditLog string
}

func TestIntegration(t *testing.T) {
	dir := t.TempDir() // removed after the control plane stops (cleanups run last-in first-out)
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := testenv.DefaultOptions()
	h := &harness{auditLog: filepath.Join(dir, "audit.log")}
	opts.APIServerFlags = []string{
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + h.auditLog,
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
	}
	h.env = testenv.StartWithOptions(t, opts)
	h.admin = kubernetes.NewForConfigOrDie(h.env.Admin)
	h.dyn = dynamic.NewForConfigOrDie(h.env.Admin)
	h.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(h.admin.Discovery()))

	t.Run("SameFindingsAsManifests", h.testSameFindings)
	t.Run("LeastPrivilege", h.testLeastPrivilege)
	t.Run("PartialPermissions", h.testPartialPermissions)
	t.Run("ClusterOnlyControls", h.testClusterOnlyControls)
	t.Run("SelectedAndExcludedNamespaces", h.testNamespaces)
	// Last: it grants anonymous users discovery, which changes what every later scan sees.
	t.Run("AnonymousAccess", h.testAnonymousAccess)
}

// --- helpers ---

// create creates an inventory object (as decoded from a manifest) with the dynamic client.
func (h *harness) create(t *testing.T, o *inventory.Object) {
	t.Helper()
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Object)
	if err != nil {
		t.Fatalf("%s: %v", o.Ref(), err)
	}
	obj := &unstructured.Unstructured{Object: u}
	obj.SetAPIVersion(o.APIVersion)
	obj.SetKind(o.Kind)
	gvk := o.GroupVersionKind()
	m, err := h.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s: %v", o.Ref(), err)
	}
	var ri dynamic.ResourceInterface = h.dyn.Resource(m.Resource)
	if o.Namespace != "" {
		ri = h.dyn.Resource(m.Resource).Namespace(o.Namespace)
	}
	if _, err := ri.Create(t.Context(), obj, metav1.CreateOptions{FieldManager: "kube4c-test"}); err != nil {
		t.Fatalf("create %s: %v", o.Ref(), err)
	}
}

// delete removes an object created by create.
func (h *harness) delete(t *testing.T, o *inventory.Object) {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := h.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s: %v", o.Ref(), err)
	}
	var ri dynamic.ResourceInterface = h.dyn.Resource(m.Resource)
	if o.Namespace != "" {
		ri = h.dyn.Resource(m.Resource).Namespace(o.Namespace)
	}
	if err := ri.Delete(context.Background(), o.Name, metav1.DeleteOptions{}); err != nil {
		t.Errorf("delete %s: %v", o.Ref(), err)
	}
}

// applyFile parses a manifest file and creates its objects, Namespaces first.
func (h *harness) applyFile(t *testing.T, path string) []*inventory.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, probs := manifest.Parse(data, inventory.Source{Origin: inventory.FromFile, File: path}, manifest.Options{})
	if len(probs) > 0 {
		t.Fatalf("%s: %v", path, probs)
	}
	h.applyObjects(t, objs)
	return objs
}

func (h *harness) applyObjects(t *testing.T, objs []*inventory.Object) {
	t.Helper()
	sorted := slices.Clone(objs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Kind == "Namespace" && sorted[j].Kind != "Namespace" })
	for _, o := range sorted {
		h.create(t, o)
	}
}

// namespace creates a namespace and waits for the controllers to give it its default
// ServiceAccount (the cluster scan sees it, and default-sa-automount judges it).
func (h *harness) namespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	_, err := h.admin.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.waitDefaultSA(t, name)
}

func (h *harness) waitDefaultSA(t *testing.T, ns string) {
	t.Helper()
	eventually(t, 30*time.Second, func() error {
		_, err := h.admin.CoreV1().ServiceAccounts(ns).Get(t.Context(), "default", metav1.GetOptions{})
		return err
	})
}

// waitAllowed waits until the RBAC authorizer (fed by an informer) lets cs list the resource.
func waitAllowed(t *testing.T, cs kubernetes.Interface, list func(context.Context, kubernetes.Interface) error) {
	t.Helper()
	eventually(t, 15*time.Second, func() error { return list(t.Context(), cs) })
}

func eventually(t *testing.T, timeout time.Duration, f func() error) {
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

func scanCluster(t *testing.T, cfg *rest.Config, namespaces ...string) *finding.Result {
	t.Helper()
	res, err := scan.Run(t.Context(), scan.Options{
		Cluster:   &cluster.Options{Config: cfg, Namespaces: namespaces, Timeout: time.Minute},
		Exception: exception.Options{Now: time.Now(), InlineIgnores: true},
	})
	if err != nil {
		t.Fatalf("cluster scan: %v", err)
	}
	return res
}

// key identifies a finding independently of its source: control, resource, field path and
// whether it is suppressed (inline kube4c.io/ignore annotations travel with the object).
func key(f finding.Finding) string {
	return fmt.Sprintf("%s %s %s suppressed=%t", f.ControlID, f.Resource.Key(), f.Path.String(), f.Suppression != nil)
}

func keys(fs []finding.Finding, keep func(finding.Finding) bool) []string {
	var out []string
	for _, f := range fs {
		if keep == nil || keep(f) {
			out = append(out, key(f))
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func passKeys(cs []finding.Check, only map[string]bool) []string {
	var out []string
	for _, c := range cs {
		if only == nil || only[c.Resource.Key()] {
			out = append(out, c.ControlID+" "+c.Resource.Key())
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func has(fs []finding.Finding, control, resource string) bool {
	for _, f := range fs {
		if f.ControlID == control && f.Resource.Key() == resource {
			return true
		}
	}
	return false
}

func passed(res *finding.Result, control, resource string) bool {
	for _, c := range res.Passed {
		if c.ControlID == control && c.Resource.Key() == resource {
			return true
		}
	}
	return false
}

func diff(a, b []string) (onlyA, onlyB []string) {
	for _, x := range a {
		if !slices.Contains(b, x) {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			onlyB = append(onlyB, x)
		}
	}
	return onlyA, onlyB
}

// --- 1. a cluster and the manifests it was created from give the same findings ---

// nsLine matches the namespace names of the example manifests where they are declared or used
// (metadata.name of Namespaces, metadata.namespace, namespaceSelectors on
// kubernetes.io/metadata.name), so each example set gets namespaces of its own in the cluster.
var nsLine = regexp.MustCompile(`(?m)^(\s*(?:name|namespace|kubernetes\.io/metadata\.name): )(shop|shop-batch)\s*$`)

// copyExample copies an example's plain manifests to a temporary directory with its namespaces
// prefixed (the insecure and hardened shops both use "shop" and "shop-batch").
func copyExample(t *testing.T, example, prefix string) string {
	t.Helper()
	src := filepath.Join("..", "..", "..", "examples", example, "manifests")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		data = nsLine.ReplaceAll(data, []byte("${1}"+prefix+"${2}"))
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func (h *harness) testSameFindings(t *testing.T) {
	for _, example := range []struct{ name, prefix string }{
		{"insecure-shop", "i-"},
		{"hardened-shop", "h-"},
	} {
		t.Run(example.name, func(t *testing.T) {
			dir := copyExample(t, example.name, example.prefix)
			files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
			var objs []*inventory.Object
			for _, f := range files {
				objs = append(objs, parseFile(t, f)...)
			}
			h.applyObjects(t, objs)

			// The manifests' namespaces (including "default" for the insecure shop's debug pod)
			// and the objects they declare.
			declared := map[string]bool{}
			var namespaces []string
			for _, o := range objs {
				declared[o.Ref()] = true
				ns := o.Namespace
				if o.Kind == "Namespace" {
					ns = o.Name
				}
				if ns != "" && !slices.Contains(namespaces, ns) {
					namespaces = append(namespaces, ns)
				}
				switch {
				case o.Namespace != "" || o.Kind == "Namespace" || o.Kind == "RuntimeClass":
				case o.Kind == "ClusterRole" || o.Kind == "ClusterRoleBinding":
					// Cluster-wide grants would be judged again in the next example's cluster
					// scan: remove them when this example is done.
					t.Cleanup(func() { h.delete(t, o) })
				default:
					t.Fatalf("%s is cluster-scoped: the comparison below assumes the examples declare no cluster-scoped objects but Namespaces, RuntimeClasses and cluster RBAC", o.Ref())
				}
			}
			sort.Strings(namespaces)
			for _, ns := range namespaces {
				h.waitDefaultSA(t, ns)
			}
			// Let the controllers create what they own, so the cluster scan sees it: a
			// ReplicaSet for every Deployment and at least one Pod of some workload.
			eventually(t, 30*time.Second, func() error {
				rs, pods := 0, 0
				for _, ns := range namespaces {
					l, err := h.admin.AppsV1().ReplicaSets(ns).List(t.Context(), metav1.ListOptions{})
					if err != nil {
						return err
					}
					rs += len(l.Items)
					p, err := h.admin.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
					if err != nil {
						return err
					}
					for _, pod := range p.Items {
						if metav1.GetControllerOf(&pod) != nil {
							pods++
						}
					}
				}
				deployments := 0
				for _, o := range objs {
					if o.Kind == "Deployment" {
						deployments++
					}
				}
				if rs < deployments || pods == 0 {
					return fmt.Errorf("%d ReplicaSets for %d Deployments, %d owned Pods", rs, deployments, pods)
				}
				return nil
			})

			fileRes, err := scan.Run(t.Context(), scan.Options{
				Paths:     []string{dir},
				Exception: exception.Options{Now: time.Now(), InlineIgnores: true},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(fileRes.Problems) > 0 {
				t.Fatalf("file scan problems: %v", fileRes.Problems)
			}
			clusterRes := scanCluster(t, h.env.Admin, namespaces...)
			if len(clusterRes.Problems) > 0 || len(clusterRes.NotEvaluated) > 0 {
				t.Fatalf("cluster scan: problems %v, not evaluated %v", clusterRes.Problems, clusterRes.NotEvaluated)
			}

			// Normalisation: findings about objects the manifests declare must be equal. The
			// cluster also holds objects nobody declared, judged only in the cluster scan:
			//   - what the controllers create: a Deployment's ReplicaSets and Pods, a
			//     StatefulSet's Pods (the analyzers skip objects a workload controller owns, so
			//     they carry no finding: asserted below), the "default" ServiceAccount and the
			//     "kube-root-ca.crt" ConfigMap of every namespace;
			//   - what the API server creates: the "default" Namespace and the "kubernetes"
			//     Service in it, and its bootstrap RBAC (cluster-scoped, outside -n);
			//   - the synthetic Cluster resource of the version and anonymous-access controls.
			// Those extra findings are checked one by one below.
			fileKeys := keys(fileRes.Findings, nil)
			clusterKeys := keys(clusterRes.Findings, func(f finding.Finding) bool {
				return declared[f.Resource.Key()] && !judgedOnlyInCluster(f.ControlID, f.Resource)
			})
			if onlyFile, onlyCluster := diff(fileKeys, clusterKeys); len(onlyFile)+len(onlyCluster) > 0 {
				t.Errorf("findings differ between the manifests and the cluster created from them\nonly in the files (%d):\n  %s\nonly in the cluster (%d):\n  %s",
					len(onlyFile), strings.Join(onlyFile, "\n  "), len(onlyCluster), strings.Join(onlyCluster, "\n  "))
			}
			// Passes too: the same control × resource pairs were evaluated.
			filePasses := passKeys(fileRes.Passed, nil)
			var clusterChecks []finding.Check
			for _, c := range clusterRes.Passed {
				if !judgedOnlyInCluster(c.ControlID, c.Resource) {
					clusterChecks = append(clusterChecks, c)
				}
			}
			clusterPasses := passKeys(clusterChecks, declared)
			if onlyFile, onlyCluster := diff(filePasses, clusterPasses); len(onlyFile)+len(onlyCluster) > 0 {
				t.Errorf("passed checks differ between the manifests and the cluster\nonly in the files (%d):\n  %s\nonly in the cluster (%d):\n  %s",
					len(onlyFile), strings.Join(onlyFile, "\n  "), len(onlyCluster), strings.Join(onlyCluster, "\n  "))
			}
			if len(filePasses) == 0 {
				t.Fatal("the file scan evaluated nothing: the comparison is vacuous")
			}
			t.Logf("%d findings and %d passed checks about %d declared objects agree", len(fileKeys), len(filePasses), len(objs))

			var extra []string
			for _, f := range clusterRes.Findings {
				if declared[f.Resource.Key()] && !judgedOnlyInCluster(f.ControlID, f.Resource) {
					continue
				}
				extra = append(extra, key(f))
			}
			want := expectedExtras(t, objs, namespaces)
			sort.Strings(extra)
			if onlyGot, onlyWant := diff(slices.Compact(extra), want); len(onlyGot)+len(onlyWant) > 0 {
				t.Errorf("cluster findings about objects the manifests do not declare:\nunexpected:\n  %s\nmissing:\n  %s",
					strings.Join(onlyGot, "\n  "), strings.Join(onlyWant, "\n  "))
			}
		})
	}
}

// netpolWorkloadControls are the network controls judged per workload, in the namespaces the
// namespace controls judge.
var netpolWorkloadControls = map[string]bool{netpol.CtlReachableFromAll: true, netpol.CtlEgressMetadata: true,
	netpol.CtlUnrestrictedEgress: true, netpol.CtlInternetIngress: true, netpol.CtlCrossEnvironment: true}

// judgedOnlyInCluster: the network controls judge the workloads of a namespace only where the
// namespace is judged, and the files have no Namespace object for "default" (the insecure shop's
// debug pod runs there) while the cluster has one. See expectedExtras.
func judgedOnlyInCluster(control string, r finding.Resource) bool {
	return r.Namespace == "default" && netpolWorkloadControls[control]
}

func parseFile(t *testing.T, path string) []*inventory.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, probs := manifest.Parse(data, inventory.Source{Origin: inventory.FromFile, File: path}, manifest.Options{})
	if len(probs) > 0 {
		t.Fatalf("%s: %v", path, probs)
	}
	return objs
}

// expectedExtras are the cluster-only findings of the comparison, each for a documented reason:
//   - cluster/default-sa-automount on the "default" ServiceAccount of every namespace where a
//     declared workload runs pods: the serviceaccount controller creates it without
//     automountServiceAccountToken: false; the manifests do not declare it, and a scan of files
//     judges only the ServiceAccounts it has (docs/cluster.md);
//   - namespace controls on Namespace "default" when the manifests put objects there (the
//     insecure shop's debug pod): the manifests have no Namespace object for it, and namespace
//     controls judge only Namespaces in the scan unless --judge-all-namespaces;
//   - likewise cluster/namespace-no-networkpolicy on Namespace "default", and the per-workload
//     network controls on the declared workloads in "default" (judged where their namespace is);
//     with no NetworkPolicy there, every workload is reachable from all namespaces and may reach
//     the metadata service and the whole internet;
//   - cluster/apiserver-anonymous-version on the synthetic Cluster resource (/version answers
//     anonymous clients by default; live clusters only);
//   - the Kubernetes version controls on that resource, if today's date makes testenv's version
//     end of life or outdated (judged as the scan judges it, so the test does not expire).
func expectedExtras(t *testing.T, objs []*inventory.Object, namespaces []string) []string {
	t.Helper()
	var out []string
	runs := map[string]bool{}
	for _, o := range objs {
		switch o.Kind {
		case "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob":
			runs[o.Namespace] = true
		}
	}
	for _, ns := range namespaces {
		if runs[ns] {
			out = append(out, fmt.Sprintf("%s ServiceAccount/%s/default automountServiceAccountToken suppressed=false", clusterconfig.CtlDefaultSAAutomount, ns))
		}
	}
	if slices.Contains(namespaces, "default") {
		out = append(out, "cluster/namespace-pss-enforce-missing Namespace/default metadata.labels suppressed=false")
		for _, c := range []string{"cluster/namespace-no-resourcequota", "cluster/namespace-no-limitrange",
			"cluster/namespace-no-default-deny-ingress", "cluster/namespace-no-default-deny-egress", netpol.CtlNoPolicy} {
			out = append(out, c+" Namespace/default  suppressed=false")
		}
		for _, o := range objs {
			tmpl, ok := podspec.Of(o)
			if !ok || o.Namespace != "default" {
				continue
			}
			path := tmpl.MetaPath.Child("labels")
			if tmpl.Spec.HostNetwork {
				path = tmpl.SpecPath.Child("hostNetwork")
			}
			for _, c := range []string{netpol.CtlReachableFromAll, netpol.CtlEgressMetadata, netpol.CtlUnrestrictedEgress} {
				out = append(out, fmt.Sprintf("%s %s %s suppressed=false", c, o.Ref(), path))
			}
		}
	}
	out = append(out, clusterconfig.CtlAnonymousVersion+" Cluster/custom  suppressed=false")
	v, err := clusterconfig.ParseVersion(testenv.KubernetesVersion)
	if err != nil {
		t.Fatal(err)
	}
	switch verdict := clusterconfig.Judge(v, time.Now()); {
	case verdict.Unsupported:
		out = append(out, clusterconfig.CtlVersionUnsupported+" Cluster/custom  suppressed=false")
	case verdict.Outdated:
		out = append(out, clusterconfig.CtlVersionOutdated+" Cluster/custom  suppressed=false")
	}
	sort.Strings(out)
	return out
}

// --- 2. least privilege: the documented identity suffices, and it never writes ---

type auditEvent struct {
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource string `json:"resource"`
	} `json:"objectRef"`
}

// tokenConfig is a rest.Config with nothing but the server, its CA and a bearer token.
func (h *harness) tokenConfig(token string) *rest.Config {
	return &rest.Config{Host: h.env.Server, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: h.env.CAData}}
}

func (h *harness) testLeastPrivilege(t *testing.T) {
	ctx := t.Context()
	h.applyFile(t, filepath.Join("..", "..", "..", "deploy", "rbac-reader.yaml"))
	// A namespace with something in every kind the scan reads, so each list has objects.
	const ns = "lp"
	h.namespace(t, ns, nil)
	h.applyObjects(t, parse(t, fmt.Sprintf(workloadYAML, ns, "lp-app")))

	tr, err := h.admin.CoreV1().ServiceAccounts("kube4c").CreateToken(ctx, "kube4c", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.tokenConfig(tr.Status.Token)
	waitAllowed(t, kubernetes.NewForConfigOrDie(cfg), func(ctx context.Context, cs kubernetes.Interface) error {
		_, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{Limit: 1})
		return err
	})

	start := time.Now()
	res, err := scan.Run(ctx, scan.Options{Cluster: &cluster.Options{Config: cfg, PageSize: 5, Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scan as %s: %d objects in %s", readerSA, res.Objects, time.Since(start).Round(time.Millisecond))
	if len(res.Problems) > 0 || len(res.NotEvaluated) > 0 {
		t.Fatalf("scan with deploy/rbac-reader.yaml's identity: problems %v, not evaluated %v; want none", res.Problems, res.NotEvaluated)
	}
	// Any finding on the workload proves the identity read the namespace's objects.
	if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.Resource.Key() == "Deployment/lp/lp-app" }) {
		t.Errorf("no finding about Deployment/lp/lp-app: the identity did not read it")
	}

	// Every request of the scanner's identity must be a read; and there must be some, with
	// pagination. Events are written once the response completes: poll for the last lists.
	var events []auditEvent
	eventually(t, 10*time.Second, func() error {
		events = readAudit(t, h.auditLog, readerSA)
		for _, e := range events {
			if e.Verb == "list" && e.ObjectRef != nil && e.ObjectRef.Resource == "clusterrolebindings" && strings.Contains(e.RequestURI, "continue=") {
				return nil
			}
		}
		return fmt.Errorf("no paginated list of clusterrolebindings by %s in the audit log yet (%d events)", readerSA, len(events))
	})
	verbs := map[string]int{}
	resources := map[string]bool{}
	paged := 0
	for _, e := range events {
		verbs[e.Verb]++
		if e.Verb != "get" && e.Verb != "list" && e.Verb != "watch" {
			t.Errorf("%s sent a %s request: %s", readerSA, e.Verb, e.RequestURI)
		}
		if e.Verb == "list" {
			if e.ObjectRef != nil {
				resources[e.ObjectRef.Resource] = true
			}
			if strings.Contains(e.RequestURI, "limit=5") {
				paged++
			}
		}
	}
	t.Logf("audit: %s sent %v", readerSA, verbs)
	if verbs["list"] == 0 {
		t.Fatalf("no list request by %s in the audit log: the assertion above is vacuous", readerSA)
	}
	if paged == 0 {
		t.Errorf("no list request by %s carried limit=5 (the page size): lists are not paginated", readerSA)
	}
	for g, rs := range cluster.Resources() {
		for _, r := range rs {
			if !resources[r] {
				t.Errorf("the scan did not list %s (group %q)", r, g)
			}
		}
	}
}

func readAudit(t *testing.T, path, user string) []auditEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditEvent
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var e auditEvent
			if jerr := json.Unmarshal(line, &e); jerr != nil {
				t.Fatalf("audit log: %v: %s", jerr, line)
			}
			if e.User.Username == user {
				out = append(out, e)
			}
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// workloadYAML is a namespace's worth of objects: %[1]s is the namespace, %[2]s the workload.
const workloadYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
    spec:
      containers:
      - name: app
        image: nginx:latest
---
apiVersion: v1
kind: Service
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  selector: {app: %[2]s}
  ports:
  - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: %[2]s
  namespace: %[1]s
data:
  greeting: hello
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-nothing
  namespace: %[1]s
spec:
  podSelector: {}
`

func parse(t *testing.T, yaml string) []*inventory.Object {
	t.Helper()
	objs, probs := manifest.Parse([]byte(yaml), inventory.Source{Origin: inventory.FromFile, File: "inline.yaml"}, manifest.Options{})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return objs
}

// --- 3. partial permissions: warnings, not-evaluated controls, and the rest of the scan ---

func (h *harness) testPartialPermissions(t *testing.T) {
	ctx := t.Context()
	const user, ns = "partial-reader", "pp"
	h.namespace(t, ns, nil)
	h.applyObjects(t, parse(t, fmt.Sprintf(workloadYAML, ns, "pp-app")))

	// deploy/rbac-reader.yaml's ClusterRole without secrets and networkpolicies.
	var role *rbacv1.ClusterRole
	for _, o := range parseFile(t, filepath.Join("..", "..", "..", "deploy", "rbac-reader.yaml")) {
		if cr, ok := o.Object.(*rbacv1.ClusterRole); ok {
			role = cr.DeepCopy()
		}
	}
	if role == nil {
		t.Fatal("no ClusterRole in deploy/rbac-reader.yaml")
	}
	role.Name = "kube4c-reader-partial"
	removed := 0
	for i := range role.Rules {
		role.Rules[i].Resources = slices.DeleteFunc(role.Rules[i].Resources, func(r string) bool {
			if r == "secrets" || r == "networkpolicies" {
				removed++
				return true
			}
			return false
		})
	}
	if removed != 2 {
		t.Fatalf("removed %d resources from the reader role, want 2 (secrets, networkpolicies)", removed)
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
	waitAllowed(t, cs, func(ctx context.Context, cs kubernetes.Interface) error {
		_, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{Limit: 1})
		return err
	})
	if _, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("list secrets as %s: %v, want 403", user, err)
	}

	res := scanCluster(t, cfg)
	var warned []string
	for _, p := range res.Problems {
		if p.Severity != "warning" || !strings.Contains(p.Message, "403") {
			t.Errorf("problem %+v: want a warning naming 403", p)
		}
		warned = append(warned, p.Resource)
	}
	sort.Strings(warned)
	if !slices.Equal(warned, []string{"networkpolicies", "secrets"}) {
		t.Errorf("problems name %v, want one warning each for networkpolicies and secrets: %+v", warned, res.Problems)
	}
	for _, p := range res.Problems {
		if !strings.Contains(p.Message, "cannot list "+p.Resource) {
			t.Errorf("problem message %q does not name the resource %s", p.Message, p.Resource)
		}
	}
	var notEval []string
	for _, n := range res.NotEvaluated {
		notEval = append(notEval, n.ControlID)
		if !strings.Contains(n.Reason, "forbidden") {
			t.Errorf("not evaluated %s: reason %q does not say forbidden", n.ControlID, n.Reason)
		}
	}
	// The escalation controls read legacy token Secrets too.
	want := []string{"cluster/bootstrap-token-secret", "cluster/legacy-sa-token-secret",
		"cluster/namespace-no-default-deny-egress", "cluster/namespace-no-default-deny-ingress",
		netpol.CtlNoPolicy, netpol.CtlCrossEnvironment, netpol.CtlEgressMetadata, netpol.CtlInternetIngress,
		netpol.CtlReachableFromAll, netpol.CtlSelectsNoPod, netpol.CtlUnrestrictedEgress,
		"cluster/rbac-escalation-path", "cluster/rbac-workload-admin-sa"}
	if !slices.Equal(notEval, want) {
		t.Errorf("not evaluated = %v, want %v", notEval, want)
	}
	// The rest of the scan went on: the workload was judged.
	if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.Resource.Key() == "Deployment/pp/pp-app" }) {
		t.Error("no finding about Deployment/pp/pp-app: the partial scan did not go on")
	}
	// Controls that were not evaluated have neither findings nor passes.
	for _, id := range want {
		if slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.ControlID == id }) ||
			slices.ContainsFunc(res.Passed, func(c finding.Check) bool { return c.ControlID == id }) {
			t.Errorf("%s is reported not evaluated but has findings or passes", id)
		}
	}
}

// --- 5. cluster-only controls on real objects ---

func (h *harness) testClusterOnlyControls(t *testing.T) {
	ctx := t.Context()
	const ns = "co"
	h.namespace(t, ns, nil)
	h.applyObjects(t, parse(t, fmt.Sprintf(workloadYAML, ns, "co-app")))
	h.applyObjects(t, parse(t, `apiVersion: v1
kind: Secret
metadata:
  name: co-legacy-token
  namespace: co
  annotations:
    kubernetes.io/service-account.name: default
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: Secret
metadata:
  name: bootstrap-token-abcdef
  namespace: kube-system
type: bootstrap.kubernetes.io/token
stringData:
  token-id: abcdef
  token-secret: 0123456789abcdef
  usage-bootstrap-authentication: "true"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: co-anonymous-view
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: system:unauthenticated
`))
	t.Cleanup(func() {
		ctx := context.Background()
		_ = h.admin.RbacV1().ClusterRoleBindings().Delete(ctx, "co-anonymous-view", metav1.DeleteOptions{})
		_ = h.admin.CoreV1().Secrets("kube-system").Delete(ctx, "bootstrap-token-abcdef", metav1.DeleteOptions{})
	})
	// The token controller fills in the legacy token Secret: it is a real, working token.
	eventually(t, 30*time.Second, func() error {
		s, err := h.admin.CoreV1().Secrets(ns).Get(ctx, "co-legacy-token", metav1.GetOptions{})
		if err == nil && len(s.Data[corev1.ServiceAccountTokenKey]) == 0 {
			err = fmt.Errorf("Secret %s/co-legacy-token has no token yet", ns)
		}
		return err
	})

	res := scanCluster(t, h.env.Admin)
	if len(res.Problems) > 0 || len(res.NotEvaluated) > 0 {
		t.Fatalf("problems %v, not evaluated %v", res.Problems, res.NotEvaluated)
	}
	for _, w := range []struct{ control, resource, path string }{
		{clusterconfig.CtlLegacySAToken, "Secret/co/co-legacy-token", "type"},
		{clusterconfig.CtlBootstrapToken, "Secret/kube-system/bootstrap-token-abcdef", "type"},
		{clusterconfig.CtlBindingAnonymous, "ClusterRoleBinding/co-anonymous-view", "subjects[0]"},
		{clusterconfig.CtlDefaultSAAutomount, "ServiceAccount/co/default", "automountServiceAccountToken"},
		{clusterconfig.CtlAnonymousVersion, "Cluster/custom", ""},
	} {
		found := false
		for _, f := range res.Findings {
			if f.ControlID == w.control && f.Resource.Key() == w.resource {
				found = true
				if f.Path.String() != w.path {
					t.Errorf("%s on %s: path %q, want %q", w.control, w.resource, f.Path.String(), w.path)
				}
			}
		}
		if !found {
			t.Errorf("no %s finding on %s", w.control, w.resource)
		}
	}
	// Nothing else of these controls fires: not on the bootstrap RBAC policy's default bindings
	// (system:public-info-viewer binds system:unauthenticated, system:discovery and
	// system:basic-user bind system:authenticated), not on the controllers' token Secrets.
	for _, f := range res.Findings {
		switch f.ControlID {
		case clusterconfig.CtlBindingAnonymous, clusterconfig.CtlBindingAllAuthn:
			if f.Resource.Key() != "ClusterRoleBinding/co-anonymous-view" {
				t.Errorf("unexpected %s finding on %s: %s", f.ControlID, f.Resource.Key(), f.Message)
			}
		case clusterconfig.CtlBootstrapToken, clusterconfig.CtlLegacySAToken:
			if f.Resource.Namespace != ns && f.Resource.Namespace != "kube-system" {
				t.Errorf("unexpected %s finding on %s", f.ControlID, f.Resource.Key())
			}
		case clusterconfig.CtlVersionUnsupported, clusterconfig.CtlVersionOutdated, clusterconfig.CtlAnonymousAccess:
			t.Errorf("unexpected %s finding: %s", f.ControlID, f.Message)
		}
	}
	for _, b := range []string{"system:public-info-viewer", "system:discovery", "system:basic-user"} {
		for _, c := range []string{clusterconfig.CtlBindingAnonymous, clusterconfig.CtlBindingAllAuthn} {
			if !passed(res, c, "ClusterRoleBinding/"+b) {
				t.Errorf("%s was not evaluated (passed) for the default binding %s", c, b)
			}
		}
	}
	// With anonymous authentication on (kube-apiserver's default), /api and /apis answer 403:
	// anonymous access beyond the public endpoints is evaluated and passes.
	if !passed(res, clusterconfig.CtlAnonymousAccess, "Cluster/custom") {
		t.Errorf("%s did not pass for Cluster/custom", clusterconfig.CtlAnonymousAccess)
	}

	// The version: testenv runs v1.37.2, the latest 1.37 patch in the support table. Judged
	// against today, as the scan does.
	v, err := clusterconfig.ParseVersion(testenv.KubernetesVersion)
	if err != nil {
		t.Fatal(err)
	}
	verdict := clusterconfig.Judge(v, time.Now())
	if verdict.Newer {
		t.Fatalf("%s is newer than the support table: %s", testenv.KubernetesVersion, verdict.Message)
	}
	if got := has(res.Findings, clusterconfig.CtlVersionUnsupported, "Cluster/custom"); got != verdict.Unsupported {
		t.Errorf("%s finding: %t, want %t (%s)", clusterconfig.CtlVersionUnsupported, got, verdict.Unsupported, verdict.Message)
	}
	if !verdict.Unsupported {
		if !passed(res, clusterconfig.CtlVersionUnsupported, "Cluster/custom") {
			t.Errorf("%s not evaluated for %s", clusterconfig.CtlVersionUnsupported, testenv.KubernetesVersion)
		}
		if got := has(res.Findings, clusterconfig.CtlVersionOutdated, "Cluster/custom"); got != verdict.Outdated {
			t.Errorf("%s finding: %t, want %t", clusterconfig.CtlVersionOutdated, got, verdict.Outdated)
		}
		if !verdict.Outdated && !passed(res, clusterconfig.CtlVersionOutdated, "Cluster/custom") {
			t.Errorf("%s not evaluated for %s", clusterconfig.CtlVersionOutdated, testenv.KubernetesVersion)
		}
	}
}

// --- 7. -n and --exclude-namespaces at the library level ---

func (h *harness) testNamespaces(t *testing.T) {
	for _, ns := range []string{"sel-a", "sel-b"} {
		h.namespace(t, ns, nil)
		h.applyObjects(t, parse(t, fmt.Sprintf(workloadYAML, ns, ns+"-app")))
	}
	nsOf := func(res *finding.Result) map[string]bool {
		out := map[string]bool{}
		for _, f := range res.Findings {
			out[f.Resource.Namespace] = true
			if f.Resource.Kind == "Namespace" {
				out[f.Resource.Name] = true
			}
		}
		for _, c := range res.Passed {
			out[c.Resource.Namespace] = true
			if c.Resource.Kind == "Namespace" {
				out[c.Resource.Name] = true
			}
		}
		return out
	}
	res := scanCluster(t, h.env.Admin, "sel-a")
	got := nsOf(res)
	delete(got, "") // cluster-scoped objects are read whatever -n says
	if !got["sel-a"] || len(got) != 1 {
		t.Errorf("scan of namespace sel-a judged objects of namespaces %v", got)
	}
	res, err := scan.Run(t.Context(), scan.Options{Cluster: &cluster.Options{Config: h.env.Admin, ExcludeNamespaces: []string{"sel-b"}}})
	if err != nil {
		t.Fatal(err)
	}
	got = nsOf(res)
	if got["sel-b"] || !got["sel-a"] || !got["kube-system"] {
		t.Errorf("scan excluding sel-b judged objects of namespaces %v", got)
	}
}

// --- anonymous access beyond the public endpoints ---

func (h *harness) testAnonymousAccess(t *testing.T) {
	ctx := t.Context()
	anonGet := func(path string) int {
		hc, err := rest.HTTPClientFor(&rest.Config{Host: h.env.Server, TLSClientConfig: rest.TLSClientConfig{CAData: h.env.CAData}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Get(h.env.Server + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := anonGet("/api"); code != http.StatusForbidden {
		t.Fatalf("anonymous /api = %d before the binding, want 403", code)
	}
	if _, err := h.admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "anonymous-discovery"},
		Rules:      []rbacv1.PolicyRule{{NonResourceURLs: []string{"/api", "/apis"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "anonymous-discovery"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "anonymous-discovery"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:unauthenticated"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = h.admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), "anonymous-discovery", metav1.DeleteOptions{})
	})
	eventually(t, 15*time.Second, func() error {
		if code := anonGet("/apis"); code != http.StatusOK {
			return fmt.Errorf("anonymous /apis = %d", code)
		}
		return nil
	})
	res := scanCluster(t, h.env.Admin, "kube-public")
	var f *finding.Finding
	for i := range res.Findings {
		if res.Findings[i].ControlID == clusterconfig.CtlAnonymousAccess {
			f = &res.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no %s finding with /api and /apis open to anonymous users", clusterconfig.CtlAnonymousAccess)
	}
	if f.Resource.Key() != "Cluster/custom" || !strings.Contains(f.Message, "/api answered 200") || !strings.Contains(f.Message, "/apis answered 200") {
		t.Errorf("%s finding on %s: %s", f.ControlID, f.Resource.Key(), f.Message)
	}
	// The version disclosure is part of that finding: not judged separately.
	if has(res.Findings, clusterconfig.CtlAnonymousVersion, "Cluster/custom") || passed(res, clusterconfig.CtlAnonymousVersion, "Cluster/custom") {
		t.Errorf("%s evaluated although %s failed", clusterconfig.CtlAnonymousVersion, clusterconfig.CtlAnonymousAccess)
	}
	if !has(res.Findings, clusterconfig.CtlBindingAnonymous, "ClusterRoleBinding/anonymous-discovery") {
		t.Errorf("no %s finding on the binding that opened discovery", clusterconfig.CtlBindingAnonymous)
	}
}
