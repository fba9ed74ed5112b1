package testcorpus

import (
	"fmt"
	"math/rand/v2"

	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NetpolSize sizes a NetworkPolicy corpus.
type NetpolSize struct {
	Namespaces, Workloads, Policies int
}

// NetpolBenchmarkSize is the size issue #5 sets the performance target for: 2,000 pods in 300
// namespaces with 1,000 policies.
var NetpolBenchmarkSize = NetpolSize{Namespaces: 300, Workloads: 2000, Policies: 1000}

var (
	envs  = []string{"dev", "staging", "prod"}
	tiers = []string{"web", "api", "db", "cache", "worker"}
)

// NetpolInventory generates namespaces (labelled env and team), workloads (Deployments, and Pods
// with IPs as a cluster would report them; every workload has its own app label, so equivalence
// classes do not collapse them) and policies drawn from the shapes real clusters use: default
// deny, same-namespace tiers, other environments by namespace label, DNS egress, ipBlocks with
// except, named ports and port ranges. The same seed gives the same inventory.
func NetpolInventory(size NetpolSize, seed uint64) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, 5))
	inv := inventory.New()
	add := func(kind, apiVersion, ns, name string, obj runtime.Object) {
		inv.Add(&inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: obj,
			Source: inventory.Source{Origin: inventory.FromFile, File: "netpol-corpus/" + ns + ".yaml"}})
	}
	nsName := func(i int) string { return fmt.Sprintf("ns-%03d", i) }
	for i := 0; i < size.Namespaces; i++ {
		name := nsName(i)
		add("Namespace", "v1", "", name, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{"env": envs[i%len(envs)], "team": fmt.Sprintf("team-%d", i%20)}}})
	}
	for i := 0; i < size.Workloads; i++ {
		ns := nsName(r.IntN(max(size.Namespaces, 1)))
		name := fmt.Sprintf("app-%04d", i)
		tier := tiers[r.IntN(len(tiers))]
		labels := map[string]string{"app": name, "tier": tier}
		spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.example/app:1",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(8080 + r.IntN(3))},
				{Name: "metrics", ContainerPort: 9090}}}}}
		if tier == "db" {
			spec.Containers[0].Ports = append(spec.Containers[0].Ports, corev1.ContainerPort{Name: "db", ContainerPort: 5432})
		}
		if tier == "worker" && r.IntN(10) == 0 {
			spec.Containers[0].Ports = append(spec.Containers[0].Ports, corev1.ContainerPort{Name: "stats", ContainerPort: 8125, Protocol: corev1.ProtocolUDP})
		}
		if r.IntN(100) == 0 {
			spec.HostNetwork = true
		}
		if r.IntN(5) == 0 {
			ip := fmt.Sprintf("10.%d.%d.%d", 64+i/65536, (i/256)%256, i%256)
			add("Pod", "v1", ns, name, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
				Spec: spec, Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}, HostIP: "192.168.0.1"}})
			continue
		}
		replicas := int32(1 + r.IntN(3))
		add("Deployment", "apps/v1", ns, name, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}})
	}
	for i := 0; i < size.Policies; i++ {
		ns := nsName(r.IntN(max(size.Namespaces, 1)))
		name := fmt.Sprintf("np-%04d", i)
		add("NetworkPolicy", "networking.k8s.io/v1", ns, name, randomPolicy(r, ns, name, size))
	}
	return inv
}

func randomPolicy(r *rand.Rand, ns, name string, size NetpolSize) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	tierSel := func() *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"tier": tiers[r.IntN(len(tiers))]}}
	}
	proto := func(p corev1.Protocol) *corev1.Protocol { return &p }
	port := func(n int) *intstr.IntOrString { v := intstr.FromInt32(int32(n)); return &v }
	named := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	switch k := r.IntN(10); {
	case k < 2: // default deny, one or both directions
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if r.IntN(2) == 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	case k < 4: // a tier accepts another tier of the namespace on a named port
		np.Spec.PodSelector = *tierSel()
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: tierSel()}},
			Ports: []networkingv1.NetworkPolicyPort{{Port: named("http")}, {Port: named("db")}}}}
	case k < 6: // accept an environment's namespaces (optionally one tier there)
		peer := networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": envs[r.IntN(len(envs))]}}}
		if r.IntN(2) == 0 {
			peer.PodSelector = tierSel()
		}
		np.Spec.PodSelector = *tierSel()
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{peer},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: proto(corev1.ProtocolTCP), Port: port(8080), EndPort: ptr(int32(8082))}}}}
	case k < 8: // egress: DNS and a team's namespaces
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
			{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: proto(corev1.ProtocolUDP), Port: port(53)}, {Protocol: proto(corev1.ProtocolTCP), Port: port(53)}}},
			{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{fmt.Sprintf("team-%d", r.IntN(20)), fmt.Sprintf("team-%d", r.IntN(20))}}}}}}},
		}
	case k < 9: // egress to the outside except private ranges and the metadata address
		np.Spec.PodSelector = *tierSel()
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{
			CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "169.254.169.254/32"}}}},
			Ports: []networkingv1.NetworkPolicyPort{{Port: port(443)}}}}
	default: // accept pods of one address range
		n := r.IntN(max(size.Workloads/256, 1))
		np.Spec.PodSelector = *tierSel()
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{
			CIDR: fmt.Sprintf("10.64.%d.0/24", n), Except: []string{fmt.Sprintf("10.64.%d.%d/32", n, r.IntN(256))}}}}}}
	}
	return np
}

func ptr[T any](v T) *T { return &v }
