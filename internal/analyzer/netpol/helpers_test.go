package netpol

import (
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type rec = analyzertest.Recorder

var eq = analyzertest.Eq

func run(t *testing.T, cfg *analyzer.Config, objs ...*inventory.Object) *rec {
	t.Helper()
	return analyzertest.Run(t, New(), analyzertest.Inventory("manifests.yaml", objs...), cfg)
}

func analyzertestRun(t *testing.T, inv *inventory.Inventory, cfg *analyzer.Config) *rec {
	t.Helper()
	return analyzertest.Run(t, New(), inv, cfg)
}

func judgeAll() *analyzer.Config {
	cfg := analyzer.DefaultConfig()
	cfg.JudgeAllNamespaces = true
	return cfg
}

// --- object builders ---

func obj(apiVersion, kind, ns, name string, o runtime.Object) *inventory.Object {
	return &inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: o}
}

func namespace(name string, labels map[string]string) *inventory.Object {
	return obj("v1", "Namespace", "", name, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}})
}

func deployment(ns, name string, podLabels map[string]string, mut ...func(*corev1.PodSpec)) *inventory.Object {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}}},
		}},
	}
	for _, m := range mut {
		m(&d.Spec.Template.Spec)
	}
	return obj("apps/v1", "Deployment", ns, name, d)
}

func pod(ns, name string, podLabels map[string]string) *inventory.Object {
	return obj("v1", "Pod", ns, name, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: podLabels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27"}}}})
}

func hostNetwork(s *corev1.PodSpec) { s.HostNetwork = true }

func app(name string) map[string]string { return map[string]string{"app": name} }

func netpol(ns, name string, spec networkingv1.NetworkPolicySpec) *inventory.Object {
	return obj("networking.k8s.io/v1", "NetworkPolicy", ns, name,
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec})
}

var (
	ingressType = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	egressType  = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	bothTypes   = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
)

func sel(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

// denyAll is a default-deny policy for both directions.
func denyAll(ns string) *inventory.Object {
	return netpol(ns, "default-deny", networkingv1.NetworkPolicySpec{PolicyTypes: bothTypes})
}

// allowIn is an ingress policy for the pods selected by podSel, with one rule from the peers on
// the ports (none: every port).
func allowIn(ns, name string, podSel *metav1.LabelSelector, from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *inventory.Object {
	var ps metav1.LabelSelector
	if podSel != nil {
		ps = *podSel
	}
	return netpol(ns, name, networkingv1.NetworkPolicySpec{PodSelector: ps, PolicyTypes: ingressType,
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: ports}}})
}

// allowOut is an egress policy for the pods selected by podSel, with one rule to the peers.
func allowOut(ns, name string, podSel *metav1.LabelSelector, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) *inventory.Object {
	var ps metav1.LabelSelector
	if podSel != nil {
		ps = *podSel
	}
	return netpol(ns, name, networkingv1.NetworkPolicySpec{PodSelector: ps, PolicyTypes: egressType,
		Egress: []networkingv1.NetworkPolicyEgressRule{{To: to, Ports: ports}}})
}

func block(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func nsPeer(nsSel, podSel *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: nsSel, PodSelector: podSel}
}

func tcp(port int) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt(port)
	proto := corev1.ProtocolTCP
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func udp(port int) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt(port)
	proto := corev1.ProtocolUDP
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func service(ns, name string, typ corev1.ServiceType, selector map[string]string) *inventory.Object {
	return obj("v1", "Service", ns, name, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{Type: typ, Selector: selector, Ports: []corev1.ServicePort{{Port: 80}}}})
}

func ingress(ns, name, svc string) *inventory.Object {
	pt := networkingv1.PathTypePrefix
	return obj("networking.k8s.io/v1", "Ingress", ns, name, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc,
					Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}})
}
