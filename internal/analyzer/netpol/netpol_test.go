package netpol

import (
	"context"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const labelsPath = "spec.template.metadata.labels"

// message returns the message of the only finding of control about resource.
func message(t *testing.T, r *rec, control, resource string) string {
	t.Helper()
	var out []string
	for _, f := range r.Findings {
		if f.ControlID == control && f.Resource.Key() == resource {
			out = append(out, f.Message)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%s %s: %d findings, want 1", control, resource, len(out))
	}
	return out[0]
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s: %q does not contain %q", what, s, sub)
		}
	}
}

func TestNamespaceNoNetworkPolicy(t *testing.T) {
	objs := []*inventory.Object{
		namespace("open", nil), deployment("open", "web", app("web")),
		namespace("guarded", nil), denyAll("guarded"),
		// A namespace whose only policy the API server would reject has none.
		namespace("broken", nil), netpol("broken", "bad", networkingv1.NetworkPolicySpec{
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{}}}}}),
		// Empty namespaces are judged: their future pods are unprotected too.
		namespace("empty", nil),
		// System namespaces are not judged (docs/namespaces.md).
		namespace("kube-system", nil), namespace("kube-public", nil), namespace("kube-node-lease", nil),
		deployment("kube-system", "coredns", map[string]string{"k8s-app": "kube-dns"}),
		// Namespaces only referred to: judged with JudgeAllNamespaces.
		deployment("elsewhere", "api", app("api")),
		deployment("covered", "api", app("api")), denyAll("covered"),
	}
	r := run(t, nil, objs...)
	eq(t, "failed", r.FailedOf(CtlNoPolicy), []string{"Namespace/broken", "Namespace/empty", "Namespace/open"})
	eq(t, "passed", r.PassedOf(CtlNoPolicy), []string{"Namespace/guarded"})
	contains(t, "open", message(t, r, CtlNoPolicy, "Namespace/open"), `namespace "open" has no NetworkPolicy`, "podSelector: {}")
	contains(t, "broken", message(t, r, CtlNoPolicy, "Namespace/broken"), "no valid NetworkPolicy",
		"NetworkPolicy broken/bad does not count: spec.ingress.0.from.0: a peer must set podSelector, namespaceSelector or ipBlock")

	r = run(t, judgeAll(), objs...)
	eq(t, "failed (judge all)", r.FailedOf(CtlNoPolicy), []string{"Namespace/broken", "Namespace/elsewhere", "Namespace/empty", "Namespace/open"})
	eq(t, "passed (judge all)", r.PassedOf(CtlNoPolicy), []string{"Namespace/covered", "Namespace/guarded"})
	for _, f := range r.Findings {
		if f.ControlID == CtlNoPolicy && f.Resource.Name == "elsewhere" {
			if f.Object != nil || f.Location.File != "manifests.yaml" || f.Location.Line == 0 {
				t.Errorf("referred-to namespace finding: object %v, location %+v; want no object, the workload's location", f.Object, f.Location)
			}
			contains(t, "elsewhere", f.Message, "--judge-all-namespaces", "Deployment/elsewhere/api")
		}
	}
}

func TestReachableFromAllNamespaces(t *testing.T) {
	everyNS := &metav1.LabelSelector{}
	objs := []*inventory.Object{
		namespace("shop", nil),
		deployment("shop", "open", app("open")),
		deployment("shop", "nsall", app("nsall")),
		allowIn("shop", "nsall", sel("app", "nsall"), []networkingv1.NetworkPolicyPeer{nsPeer(everyNS, nil)}, tcp(8080)),
		// namespaceSelector {} with a podSelector: only labelled pods, not any pod.
		deployment("shop", "nsallpod", app("nsallpod")),
		allowIn("shop", "nsallpod", sel("app", "nsallpod"), []networkingv1.NetworkPolicyPeer{nsPeer(everyNS, sel("role", "frontend"))}),
		deployment("shop", "emptyfrom", app("emptyfrom")),
		allowIn("shop", "emptyfrom", sel("app", "emptyfrom"), nil, tcp(443)),
		deployment("shop", "anyip", app("anyip")),
		allowIn("shop", "anyip", sel("app", "anyip"), []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0", "10.0.0.0/8")}),
		// A narrower block does not hold pods whose addresses are unknown.
		deployment("shop", "narrowip", app("narrowip")),
		allowIn("shop", "narrowip", sel("app", "narrowip"), []networkingv1.NetworkPolicyPeer{block("10.0.0.0/8")}),
		// A namespaceSelector that excludes some namespaces still matches a new one.
		deployment("shop", "notin", app("notin")),
		allowIn("shop", "notin", sel("app", "notin"), []networkingv1.NetworkPolicyPeer{nsPeer(&metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"dev"}}}}, nil)}),
		deployment("shop", "samens", app("samens")),
		allowIn("shop", "samens", sel("app", "samens"), []networkingv1.NetworkPolicyPeer{{PodSelector: sel("role", "frontend")}}),
		// Every namespace, but on a named port the workload does not serve: nothing is allowed.
		deployment("shop", "named", app("named")),
		allowIn("shop", "named", sel("app", "named"), []networkingv1.NetworkPolicyPeer{nsPeer(everyNS, nil)},
			networkingv1.NetworkPolicyPort{Port: ptrIntOrString("metrics")}),
		deployment("shop", "host", app("host"), hostNetwork),
		denyAll("shop-unused"),
		// Not judged: the scan has no Namespace object for it.
		deployment("app-only", "web", app("web")),
	}
	// Every policy above selects one app; isolate "open" from nothing: no policy selects it.
	r := run(t, nil, objs...)
	eq(t, "failed", r.FailedOf(CtlReachableFromAll), []string{
		"Deployment/shop/anyip " + labelsPath,
		"Deployment/shop/emptyfrom " + labelsPath,
		"Deployment/shop/host spec.template.spec.hostNetwork",
		"Deployment/shop/notin " + labelsPath,
		"Deployment/shop/nsall " + labelsPath,
		"Deployment/shop/open " + labelsPath,
	})
	eq(t, "passed", r.PassedOf(CtlReachableFromAll), []string{
		"Deployment/shop/named", "Deployment/shop/narrowip", "Deployment/shop/nsallpod", "Deployment/shop/samens"})
	contains(t, "open", message(t, r, CtlReachableFromAll, "Deployment/shop/open"), "on every port", "no NetworkPolicy in namespace shop selects it for ingress")
	contains(t, "nsall", message(t, r, CtlReachableFromAll, "Deployment/shop/nsall"),
		"on TCP 8080", "NetworkPolicy shop/nsall spec.ingress[0] (manifests.yaml:", "allows namespaceSelector {} on TCP 8080 (every pod of every namespace)")
	contains(t, "emptyfrom", message(t, r, CtlReachableFromAll, "Deployment/shop/emptyfrom"), "every source (the rule has no from)")
	contains(t, "anyip", message(t, r, CtlReachableFromAll, "Deployment/shop/anyip"), "allows ipBlock 0.0.0.0/0 except 10.0.0.0/8 on every port (a block of every address holds every pod)")
	contains(t, "notin", message(t, r, CtlReachableFromAll, "Deployment/shop/notin"), "namespaceSelector {kubernetes.io/metadata.name notin (dev)}", "created later")
	contains(t, "host", message(t, r, CtlReachableFromAll, "Deployment/shop/host"), "host network", "drop hostNetwork")
	if r.WasEvaluated(CtlReachableFromAll, "Deployment/app-only/web") {
		t.Error("a workload whose namespace is not judged was evaluated")
	}
	r = run(t, judgeAll(), objs...)
	if !slices.Contains(r.FailedOf(CtlReachableFromAll), "Deployment/app-only/web "+labelsPath) {
		t.Errorf("with JudgeAllNamespaces, the workload of a referred-to namespace must be judged: %v", r.FailedOf(CtlReachableFromAll))
	}
}

func ptrIntOrString(name string) *intstr.IntOrString {
	v := intstr.FromString(name)
	return &v
}

func TestEgressToMetadata(t *testing.T) {
	out := func(name string, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) []*inventory.Object {
		return []*inventory.Object{deployment("shop", name, app(name)), allowOut("shop", name, sel("app", name), to, ports...)}
	}
	var objs []*inventory.Object
	objs = append(objs, namespace("shop", nil), deployment("shop", "open", app("open")), deployment("shop", "host", app("host"), hostNetwork))
	objs = append(objs, out("except", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0", "169.254.169.254/32")})...)
	objs = append(objs, out("exceptlinklocal", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0", "10.0.0.0/8", "169.254.0.0/16")}, tcp(443))...)
	objs = append(objs, out("anyv4", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0")})...)
	objs = append(objs, out("https", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0", "10.0.0.0/8")}, tcp(443))...)
	objs = append(objs, out("linklocal", []networkingv1.NetworkPolicyPeer{block("169.254.0.0/16")})...)
	objs = append(objs, out("anyv6", []networkingv1.NetworkPolicyPeer{block("::/0")})...)
	objs = append(objs, out("emptyto", nil)...)
	objs = append(objs, out("dnsonly", []networkingv1.NetworkPolicyPeer{nsPeer(sel("kubernetes.io/metadata.name", "kube-system"), sel("k8s-app", "kube-dns"))}, udp(53), tcp(53))...)
	objs = append(objs, out("podsonly", []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "db")}})...)
	r := run(t, nil, objs...)
	eq(t, "failed", r.FailedOf(CtlEgressMetadata), []string{
		"Deployment/shop/anyv4 " + labelsPath,
		"Deployment/shop/anyv6 " + labelsPath,
		"Deployment/shop/emptyto " + labelsPath,
		"Deployment/shop/host spec.template.spec.hostNetwork",
		"Deployment/shop/https " + labelsPath,
		"Deployment/shop/linklocal " + labelsPath,
		"Deployment/shop/open " + labelsPath,
	})
	eq(t, "passed", r.PassedOf(CtlEgressMetadata), []string{
		"Deployment/shop/dnsonly", "Deployment/shop/except", "Deployment/shop/exceptlinklocal", "Deployment/shop/podsonly"})
	contains(t, "open", message(t, r, CtlEgressMetadata, "Deployment/shop/open"),
		"at 169.254.169.254 and fd00:ec2::254 on every port", "no NetworkPolicy in namespace shop selects it for egress")
	contains(t, "anyv4", message(t, r, CtlEgressMetadata, "Deployment/shop/anyv4"),
		"at 169.254.169.254 on every port, where", "NetworkPolicy shop/anyv4 spec.egress[0] (manifests.yaml:", "allows ipBlock 0.0.0.0/0 on every port", "except list")
	contains(t, "https", message(t, r, CtlEgressMetadata, "Deployment/shop/https"), "169.254.169.254 on TCP 443")
	contains(t, "anyv6", message(t, r, CtlEgressMetadata, "Deployment/shop/anyv6"), "at fd00:ec2::254 on every port, where", "ipBlock ::/0")
	contains(t, "emptyto", message(t, r, CtlEgressMetadata, "Deployment/shop/emptyto"), "every destination (the rule has no to)")
	contains(t, "host", message(t, r, CtlEgressMetadata, "Deployment/shop/host"), "host network", "IMDSv2")
}

func TestUnrestrictedEgress(t *testing.T) {
	out := func(name string, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) []*inventory.Object {
		return []*inventory.Object{deployment("shop", name, app(name)), allowOut("shop", name, sel("app", name), to, ports...)}
	}
	var objs []*inventory.Object
	objs = append(objs, namespace("shop", nil), deployment("shop", "open", app("open")), deployment("shop", "host", app("host"), hostNetwork))
	objs = append(objs, out("anyv4", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0")})...)
	objs = append(objs, out("emptyto", nil)...)
	// Excepting the private ranges and the metadata address leaves the whole internet open.
	objs = append(objs, out("exceptprivate", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32")})...)
	// Two blocks that together cover the internet.
	objs = append(objs, out("halves", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/1"), block("128.0.0.0/1")})...)
	// Two rules that together cover the internet.
	objs = append(objs, deployment("shop", "tworules", app("tworules")), netpol("shop", "tworules", networkingv1.NetworkPolicySpec{
		PodSelector: *sel("app", "tworules"), PolicyTypes: egressType, Egress: []networkingv1.NetworkPolicyEgressRule{
			{To: []networkingv1.NetworkPolicyPeer{block("0.0.0.0/1")}}, {To: []networkingv1.NetworkPolicyPeer{block("128.0.0.0/1")}}}}))
	objs = append(objs, out("https", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0")}, tcp(443))...)
	objs = append(objs, out("dnsonly", []networkingv1.NetworkPolicyPeer{nsPeer(sel("kubernetes.io/metadata.name", "kube-system"), sel("k8s-app", "kube-dns"))}, udp(53), tcp(53))...)
	objs = append(objs, out("onehost", []networkingv1.NetworkPolicyPeer{block("203.0.113.10/32")})...)
	// Excepting a public range: not every address.
	objs = append(objs, out("exceptpublic", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0", "8.0.0.0/8")})...)
	r := run(t, nil, objs...)
	eq(t, "failed", r.FailedOf(CtlUnrestrictedEgress), []string{
		"Deployment/shop/anyv4 " + labelsPath,
		"Deployment/shop/emptyto " + labelsPath,
		"Deployment/shop/exceptprivate " + labelsPath,
		"Deployment/shop/halves " + labelsPath,
		"Deployment/shop/host spec.template.spec.hostNetwork",
		"Deployment/shop/open " + labelsPath,
		"Deployment/shop/tworules " + labelsPath,
	})
	eq(t, "passed", r.PassedOf(CtlUnrestrictedEgress), []string{
		"Deployment/shop/dnsonly", "Deployment/shop/exceptpublic", "Deployment/shop/https", "Deployment/shop/onehost"})
	contains(t, "open", message(t, r, CtlUnrestrictedEgress, "Deployment/shop/open"), "no NetworkPolicy in namespace shop selects it for egress")
	contains(t, "exceptprivate", message(t, r, CtlUnrestrictedEgress, "Deployment/shop/exceptprivate"),
		"NetworkPolicy shop/exceptprivate spec.egress[0]", "ipBlock 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.169.254/32 on every port")
	contains(t, "host", message(t, r, CtlUnrestrictedEgress, "Deployment/shop/host"), "host network")
	contains(t, "tworules", message(t, r, CtlUnrestrictedEgress, "Deployment/shop/tworules"),
		"NetworkPolicy shop/tworules spec.egress[0] (manifests.yaml:", "allows ipBlock 0.0.0.0/1 on every port", "spec.egress[1]", "ipBlock 128.0.0.0/1")
}

func TestInternetIngressUnexposed(t *testing.T) {
	internet := []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0")}
	in := func(name string, from []networkingv1.NetworkPolicyPeer) []*inventory.Object {
		return []*inventory.Object{deployment("shop", name, app(name)), allowIn("shop", name, sel("app", name), from, tcp(8080))}
	}
	var objs []*inventory.Object
	objs = append(objs, namespace("shop", nil))
	objs = append(objs, in("hidden", internet)...)
	objs = append(objs, in("clusterip", internet)...)
	objs = append(objs, service("shop", "clusterip", corev1.ServiceTypeClusterIP, app("clusterip")))
	objs = append(objs, in("lb", internet)...)
	objs = append(objs, service("shop", "lb", corev1.ServiceTypeLoadBalancer, app("lb")))
	objs = append(objs, in("nodeport", internet)...)
	objs = append(objs, service("shop", "nodeport", corev1.ServiceTypeNodePort, app("nodeport")))
	objs = append(objs, in("routed", internet)...)
	objs = append(objs, service("shop", "routed", "", app("routed")), ingress("shop", "routed", "routed"))
	objs = append(objs, in("exceptprivate", []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0", "10.0.0.0/8")})...)
	objs = append(objs, in("emptyfrom", nil)...)
	objs = append(objs, in("pods", []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "frontend")}})...)
	objs = append(objs, in("office", []networkingv1.NetworkPolicyPeer{block("203.0.113.0/24")})...)
	// An Ingress in another namespace does not route to a Service of this one; a LoadBalancer
	// selecting other pods does not expose these.
	objs = append(objs, in("elsewhere", internet)...)
	objs = append(objs, service("other", "elsewhere", "", app("elsewhere")), ingress("other", "elsewhere", "elsewhere"),
		service("shop", "wrong", corev1.ServiceTypeLoadBalancer, app("nothing")))
	// Not isolated for ingress: left to the other controls.
	objs = append(objs, deployment("shop", "open", app("open")))
	r := run(t, nil, objs...)
	eq(t, "failed", r.FailedOf(CtlInternetIngress), []string{
		"Deployment/shop/clusterip " + labelsPath,
		"Deployment/shop/elsewhere " + labelsPath,
		"Deployment/shop/emptyfrom " + labelsPath,
		"Deployment/shop/exceptprivate " + labelsPath,
		"Deployment/shop/hidden " + labelsPath,
	})
	eq(t, "passed", r.PassedOf(CtlInternetIngress), []string{
		"Deployment/shop/lb", "Deployment/shop/nodeport", "Deployment/shop/office", "Deployment/shop/pods", "Deployment/shop/routed"})
	if r.WasEvaluated(CtlInternetIngress, "Deployment/shop/open") {
		t.Error("a workload whose ingress is not isolated was evaluated")
	}
	contains(t, "hidden", message(t, r, CtlInternetIngress, "Deployment/shop/hidden"),
		"on TCP 8080", "NetworkPolicy shop/hidden spec.ingress[0] (manifests.yaml:", "allows ipBlock 0.0.0.0/0 on TCP 8080", "no LoadBalancer or NodePort Service")
}

func TestCrossEnvironment(t *testing.T) {
	env := func(v string) map[string]string { return map[string]string{"env": v} }
	prodOnly := &metav1.LabelSelector{MatchLabels: env("prod")}
	objs := []*inventory.Object{
		namespace("prod", env("prod")), namespace("prod-batch", env("PROD")), namespace("dev", env("dev")),
		namespace("staging", map[string]string{"environment": "staging"}), namespace("tools", nil),
		// prod/open is reachable from everything.
		deployment("prod", "open", app("open")),
		// prod/db allows only prod namespaces.
		deployment("prod", "db", app("db")),
		allowIn("prod", "db", sel("app", "db"), []networkingv1.NetworkPolicyPeer{nsPeer(prodOnly, nil)}, tcp(5432)),
		// prod/api allows every namespace on 8080 through a rule, so dev reaches it.
		deployment("prod", "api", app("api")),
		allowIn("prod", "api", sel("app", "api"), []networkingv1.NetworkPolicyPeer{nsPeer(&metav1.LabelSelector{}, nil)}, tcp(8080)),
		deployment("prod-batch", "report", app("report")),
		deployment("dev", "a", app("a")), deployment("dev", "b", app("b")), deployment("dev", "c", app("c")), deployment("dev", "d", app("d")),
		// dev/egress-less sources whose egress is denied reach nothing.
		deployment("staging", "s", app("s")),
		deployment("tools", "t", app("t")),
	}
	r := run(t, nil, objs...)
	eq(t, "failed", r.FailedOf(CtlCrossEnvironment), []string{
		"Deployment/dev/a " + labelsPath, "Deployment/dev/b " + labelsPath, "Deployment/dev/c " + labelsPath, "Deployment/dev/d " + labelsPath,
		"Deployment/prod-batch/report " + labelsPath,
		"Deployment/prod/api " + labelsPath,
		"Deployment/prod/open " + labelsPath,
	})
	// staging carries only "environment": its workload is judged on that key alone, which no
	// other namespace carries. tools has no environment: not judged.
	eq(t, "passed", r.PassedOf(CtlCrossEnvironment), []string{"Deployment/prod/db", "Deployment/staging/s"})
	if r.WasEvaluated(CtlCrossEnvironment, "Deployment/tools/t") {
		t.Error("a workload of a namespace without an environment label was evaluated")
	}
	msg := message(t, r, CtlCrossEnvironment, "Deployment/prod/open")
	contains(t, "open", msg, "its pods (env=prod)", "env=dev: Deployment/dev/a (every port), Deployment/dev/b (every port), Deployment/dev/c (every port), and 1 more",
		"its ingress is not isolated: no NetworkPolicy in namespace prod selects it for ingress", "namespaceSelector on env=prod")
	// Values compare case-insensitively: prod and PROD are one environment.
	if strings.Contains(msg, "prod-batch") {
		t.Errorf("prod-batch (env=PROD) reported as another environment: %s", msg)
	}
	contains(t, "api", message(t, r, CtlCrossEnvironment, "Deployment/prod/api"),
		"Deployment/dev/a (TCP 8080)", "allowed by NetworkPolicy prod/api spec.ingress[0] (manifests.yaml:", "(namespaceSelector {})")
	contains(t, "dev/a", message(t, r, CtlCrossEnvironment, "Deployment/dev/a"), "env=prod: Deployment/prod/api (every port), Deployment/prod/db (every port)")

	// Custom keys: only "stage" counts.
	cfg := analyzer.DefaultConfig()
	cfg.EnvironmentLabelKeys = []string{" stage ", "", "stage"}
	objs = []*inventory.Object{
		namespace("blue", map[string]string{"stage": "live", "env": "prod"}), namespace("green", map[string]string{"stage": "canary", "env": "prod"}),
		namespace("red", map[string]string{"env": "dev"}),
		deployment("blue", "web", app("web")), deployment("green", "web", app("web")), deployment("red", "web", app("web")),
		// blue denies all ingress; green accepts anything, blue's pods included.
		netpol("blue", "deny-ingress", networkingv1.NetworkPolicySpec{PolicyTypes: ingressType}),
	}
	r = run(t, cfg, objs...)
	eq(t, "failed (custom key)", r.FailedOf(CtlCrossEnvironment), []string{"Deployment/green/web " + labelsPath})
	eq(t, "passed (custom key)", r.PassedOf(CtlCrossEnvironment), []string{"Deployment/blue/web"})
	contains(t, "custom", message(t, r, CtlCrossEnvironment, "Deployment/green/web"), "its pods (stage=canary)", "stage=live: Deployment/blue/web (every port)")

	// No keys: nothing is judged.
	cfg.EnvironmentLabelKeys = nil
	r = run(t, cfg, objs...)
	eq(t, "evaluated without keys", r.Passed(CtlCrossEnvironment), nil)
	eq(t, "failed without keys", r.Failed(CtlCrossEnvironment), nil)

	// One environment only: evaluated, and passes.
	r = run(t, nil, namespace("a", map[string]string{"env": "prod"}), namespace("b", map[string]string{"env": "prod"}),
		deployment("a", "x", app("x")), deployment("b", "y", app("y")))
	eq(t, "one environment", r.PassedOf(CtlCrossEnvironment), []string{"Deployment/a/x", "Deployment/b/y"})
}

func TestSelectsNoPod(t *testing.T) {
	objs := []*inventory.Object{
		deployment("shop", "web", map[string]string{"app.kubernetes.io/name": "web"}),
		deployment("shop", "agent", app("agent"), hostNetwork),
		pod("shop", "debug", app("debug")),
		// A typo in the key: selects nothing.
		netpol("shop", "typo", networkingv1.NetworkPolicySpec{PodSelector: *sel("app", "web")}),
		netpol("shop", "web", networkingv1.NetworkPolicySpec{PodSelector: *sel("app.kubernetes.io/name", "web")}),
		netpol("shop", "typokey", networkingv1.NetworkPolicySpec{PodSelector: *sel("name", "web")}),
		netpol("shop", "debug", networkingv1.NetworkPolicySpec{PodSelector: *sel("app", "debug")}),
		netpol("shop", "expr", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"debug", "other"}}}}}),
		netpol("shop", "hostonly", networkingv1.NetworkPolicySpec{PodSelector: *sel("app", "agent")}),
		denyAll("shop"),
		// No workload of the scan runs in "platform": its policies are not judged.
		netpol("platform", "typo", networkingv1.NetworkPolicySpec{PodSelector: *sel("app", "nothing")}),
	}
	r := run(t, nil, objs...)
	eq(t, "failed", r.FailedOf(CtlSelectsNoPod), []string{
		"NetworkPolicy/shop/hostonly spec.podSelector",
		"NetworkPolicy/shop/typo spec.podSelector",
		"NetworkPolicy/shop/typokey spec.podSelector",
	})
	eq(t, "passed", r.PassedOf(CtlSelectsNoPod), []string{
		"NetworkPolicy/shop/debug", "NetworkPolicy/shop/default-deny", "NetworkPolicy/shop/expr", "NetworkPolicy/shop/web"})
	contains(t, "typo", message(t, r, CtlSelectsNoPod, "NetworkPolicy/shop/typo"),
		"spec.podSelector {app=web} matches no workload or Pod of namespace shop",
		"(3 workloads and Pods: their values for app: agent, debug)")
	contains(t, "typokey", message(t, r, CtlSelectsNoPod, "NetworkPolicy/shop/typokey"), "(3 workloads and Pods: none has the label name)")
	contains(t, "hostonly", message(t, r, CtlSelectsNoPod, "NetworkPolicy/shop/hostonly"), "only host-network pods (Deployment/agent)")
	if r.WasEvaluated(CtlSelectsNoPod, "NetworkPolicy/platform/typo") {
		t.Error("a policy of a namespace without workloads in the scan was judged")
	}

	// A live cluster holds every workload: the policy of an empty namespace is judged.
	inv := inventory.New()
	inv.Add(objs...)
	inv.SetCluster(&inventory.ClusterInfo{Context: "test"})
	r = analyzertestRun(t, inv, nil)
	if !slices.Contains(r.FailedOf(CtlSelectsNoPod), "NetworkPolicy/platform/typo spec.podSelector") {
		t.Errorf("cluster scan: %v, want the policy of the empty namespace reported", r.FailedOf(CtlSelectsNoPod))
	}
	contains(t, "platform", message(t, r, CtlSelectsNoPod, "NetworkPolicy/platform/typo"), "(it has none)")
}

// TestUnreadableKinds: a kind the source could not read (403) makes the controls that read it not
// evaluated; the analyzer must not judge them on a partial picture, and the others still run.
func TestUnreadableKinds(t *testing.T) {
	objs := func() *inventory.Inventory {
		inv := inventory.New()
		inv.Add(namespace("shop", map[string]string{"env": "prod"}), namespace("dev", map[string]string{"env": "dev"}),
			deployment("shop", "web", app("web")), deployment("dev", "web", app("web")),
			allowIn("shop", "web", sel("app", "web"), []networkingv1.NetworkPolicyPeer{block("0.0.0.0/0")}),
			netpol("shop", "typo", networkingv1.NetworkPolicySpec{PodSelector: *sel("app", "nothing")}))
		for _, o := range inv.Objects() {
			o.Source = inventory.Source{Origin: inventory.FromCluster}
		}
		return inv
	}
	all := New().Controls()

	inv := objs()
	inv.MarkUnavailable(inventory.Unavailable{Group: "networking.k8s.io", Kind: "NetworkPolicy", Reason: "forbidden"})
	r := analyzertestRun(t, inv, nil)
	eq(t, "findings without NetworkPolicies", r.Failed(all...), nil)
	eq(t, "passes without NetworkPolicies", r.Passed(all...), nil)

	inv = objs()
	inv.MarkUnavailable(inventory.Unavailable{Kind: "Service", Reason: "forbidden"})
	r = analyzertestRun(t, inv, nil)
	if r.WasEvaluated(CtlInternetIngress, "Deployment/shop/web") || len(r.Messages(CtlInternetIngress)) > 0 {
		t.Error("internet-ingress judged although Services could not be read")
	}
	for _, id := range []string{CtlReachableFromAll, CtlEgressMetadata, CtlUnrestrictedEgress, CtlCrossEnvironment} {
		if !r.WasEvaluated(id, "Deployment/shop/web") {
			t.Errorf("%s not evaluated although it does not read Services", id)
		}
	}
}

func TestControlsAndNeeds(t *testing.T) {
	a := New()
	if a.Name() != "netpol" {
		t.Errorf("Name() = %q", a.Name())
	}
	ids := a.Controls()
	if len(ids) != 7 || !sort.StringsAreSorted(ids) {
		t.Errorf("Controls() = %v, want 7 sorted IDs", ids)
	}
	needs := a.(analyzer.KindNeeds).Needs()
	if len(needs) != len(ids) {
		t.Errorf("Needs has %d entries, Controls %d", len(needs), len(ids))
	}
	np := schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}
	for _, id := range ids {
		c, ok := catalog.Lookup(id)
		if !ok {
			t.Errorf("control %s not in the catalog", id)
			continue
		}
		if c.Layer != catalog.Cluster || len(c.References.NSA) == 0 {
			t.Errorf("control %s: layer %s, NSA %v", id, c.Layer, c.References.NSA)
		}
		for _, gk := range []schema.GroupKind{np, {Kind: "Pod"}, {Group: "apps", Kind: "Deployment"}} {
			if !slices.Contains(needs[id], gk) {
				t.Errorf("%s does not need %s", id, gk)
			}
		}
	}
	for _, gk := range []schema.GroupKind{{Kind: "Service"}, {Group: "networking.k8s.io", Kind: "Ingress"}} {
		if !slices.Contains(needs[CtlInternetIngress], gk) {
			t.Errorf("%s does not need %s", CtlInternetIngress, gk)
		}
	}
	if c, _ := catalog.Lookup(CtlNoPolicy); !slices.Contains(c.References.CIS, "5.3.2") {
		t.Errorf("%s: CIS %v, want 5.3.2", CtlNoPolicy, c.References.CIS)
	}
	if c, _ := catalog.Lookup(CtlEgressMetadata); !slices.Contains(c.References.MITRE, "T1552.005") || c.Severity != catalog.High {
		t.Errorf("%s: MITRE %v severity %s, want T1552.005 and high", CtlEgressMetadata, c.References.MITRE, c.Severity)
	}
}

// TestOddInput feeds objects the analyzer does not expect: it must not panic.
func TestOddInput(t *testing.T) {
	u := func(kind string) *inventory.Object {
		o := &unstructured.Unstructured{}
		o.SetKind(kind)
		o.SetName("u")
		return &inventory.Object{APIVersion: "v1", Kind: kind, Namespace: "app", Name: "u", Object: o}
	}
	inv := inventory.New()
	inv.Add(u("Service"), u("Namespace"), u("NetworkPolicy"),
		&inventory.Object{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: "app", Name: "nil"},
		&inventory.Object{APIVersion: "v1", Kind: "Namespace", Name: ""},
		namespace("", nil), namespace("app", map[string]string{"env": "a"}), namespace("b", map[string]string{"env": "b"}),
		netpol("", "no-namespace", networkingv1.NetworkPolicySpec{}),
		netpol("app", "ports", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
			Ports: []networkingv1.NetworkPolicyPort{{Port: ptrIntOrString("http")}}}}}),
		obj("networking.k8s.io/v1", "Ingress", "app", "empty", &networkingv1.Ingress{Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{}}, DefaultBackend: &networkingv1.IngressBackend{}}}),
		deployment("", "no-namespace", nil), deployment("app", "no-labels", nil), deployment("b", "no-labels", nil),
		pod("app", "p", nil), obj("v1", "PodTemplate", "app", "tmpl", &corev1.PodTemplate{}))
	for _, cfg := range []*analyzer.Config{nil, judgeAll()} {
		analyzertestRun(t, inv, cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Analyze(ctx, inv, nil, &rec{}); err == nil {
		t.Error("Analyze with a cancelled context returned nil")
	}
}

func TestPublicInternet(t *testing.T) {
	ps := publicInternet()
	in := func(s string) bool {
		a := netip.MustParseAddr(s)
		for _, p := range ps {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	for _, a := range []string{"1.1.1.1", "8.8.8.8", "11.0.0.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "203.0.113.7", "223.255.255.255"} {
		if !in(a) {
			t.Errorf("%s is public but not in %v", a, ps)
		}
	}
	for _, a := range []string{"0.1.2.3", "10.1.2.3", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.168.1.1", "224.0.0.1", "255.255.255.255"} {
		if in(a) {
			t.Errorf("%s is not public but in the list", a)
		}
	}
	for i, p := range ps {
		for _, q := range ps[i+1:] {
			if p.Overlaps(q) {
				t.Errorf("%s and %s overlap", p, q)
			}
		}
	}
}
