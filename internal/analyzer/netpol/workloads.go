package netpol

import (
	"context"
	"fmt"
	"strings"

	nsanalyzer "github.com/kube4c/kube4c/internal/analyzer/namespace"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	netmodel "github.com/kube4c/kube4c/internal/netpol"
	"github.com/kube4c/kube4c/internal/podspec"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// workload is a judged endpoint with the field paths findings point at.
type workload struct {
	e *netmodel.Endpoint
	o *inventory.Object
	// labels is the pod template's metadata.labels (what policies select); host is
	// spec.hostNetwork.
	labels, host inventory.FieldPath
}

// path is where a finding about the workload points: spec.hostNetwork when the host network is
// the cause, else the pod labels the policies select on.
func (w workload) path() inventory.FieldPath {
	if w.e.HostNetwork {
		return w.host
	}
	return w.labels
}

// judgedWorkloads lists the workloads and Pods of the judged namespaces (the engine already left
// out objects owned by a workload controller, PodTemplates and finished Pods; the stand-in for
// cluster DNS has no object).
func (r *analysis) judgedWorkloads() []workload {
	var out []workload
	for _, e := range r.m.Endpoints {
		if e.Object == nil || !r.judged[e.Namespace] {
			continue
		}
		t, ok := podspec.Of(e.Object)
		if !ok {
			continue
		}
		out = append(out, workload{e: e, o: e.Object, labels: t.MetaPath.Child("labels"), host: t.SpecPath.Child("hostNetwork")})
	}
	return out
}

func (r *analysis) workloads(ctx context.Context) error {
	var h *netmodel.Endpoint
	if r.on[CtlReachableFromAll] {
		h = r.m.Hypothetical(AnyNamespace, nil)
	}
	var exp *exposure
	if r.on[CtlInternetIngress] {
		exp = newExposure(r.inv)
	}
	for i, w := range r.judgedWorkloads() {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if h != nil {
			r.reachableFromAll(h, w)
		}
		if r.on[CtlEgressMetadata] {
			r.egressMetadata(w)
		}
		if exp != nil {
			r.internetIngress(exp, w)
		}
		if r.on[CtlUnrestrictedEgress] {
			r.unrestrictedEgress(w)
		}
	}
	return nil
}

// explain returns the explanation of a connection between a workload and a fixed endpoint (the
// hypothetical pod, the metadata address, the internet), memoized: it depends only on the
// workload's policies for the direction, and for its ingress on the named ports its containers
// serve, so workloads that share them share it. what names the fixed endpoint and direction.
func (r *analysis) explain(what string, src, dst *netmodel.Endpoint, w *netmodel.Endpoint, ingress bool) *netmodel.Explanation {
	var b strings.Builder
	b.WriteString(what)
	pols := w.EgressPolicies()
	if ingress {
		pols = w.IngressPolicies()
		for _, p := range w.Ports {
			fmt.Fprintf(&b, "|%s/%s/%d", p.Name, p.Protocol, p.Port)
		}
	}
	for _, p := range pols {
		fmt.Fprintf(&b, "|%p", p)
	}
	key := b.String()
	if x, ok := r.explained[key]; ok {
		return x
	}
	x := r.m.Explain(src, dst)
	r.explained[key] = x
	return x
}

func (r *analysis) fail(id string, w workload, msg string) {
	r.rec.Fail(finding.New(id, w.o, w.path(), msg+r.note(w.e.Namespace)))
}

// --- reachable from all namespaces ---

// anyPodCause says why a rule that matched the hypothetical pod of a new namespace matches every
// pod of every namespace ("" when the peer text says it already).
func anyPodCause(rt netmodel.RuleTrace) string {
	pe := rt.Peer
	switch {
	case pe == nil:
		return ""
	case pe.Block != nil:
		return " (a block of every address holds every pod)"
	case pe.PodSelector == nil && (pe.NamespaceSelector == nil || pe.NamespaceSelector.Empty()):
		return " (every pod of every namespace)"
	case pe.PodSelector == nil:
		return " (every pod of a namespace that has only its name label, such as one created later)"
	}
	return " (matches an unlabeled pod in a namespace that has only its name label, such as one created later)"
}

func (r *analysis) reachableFromAll(h *netmodel.Endpoint, w workload) {
	r.rec.Evaluated(CtlReachableFromAll, w.o)
	x := r.explain("any-pod", h, w.e, w.e, true)
	if x.Ingress.Allowed.IsEmpty() {
		return
	}
	const head = "any pod in any namespace, including namespaces created later, can connect to its pods on %s: %s; "
	switch {
	case w.e.HostNetwork:
		r.fail(CtlReachableFromAll, w, fmt.Sprintf(head+"drop hostNetwork unless the workload is a node agent, and restrict the ports it serves with the node's firewall",
			portsText(x.Ingress.Allowed), notIsolated(w.e, netmodel.Ingress)))
		return
	case !x.Ingress.Isolated:
		r.fail(CtlReachableFromAll, w, fmt.Sprintf(head+"select it with an ingress NetworkPolicy that allows only the sources it needs",
			portsText(x.Ingress.Allowed), notIsolated(w.e, netmodel.Ingress)))
		return
	}
	var causes []string
	for _, rt := range matchedRules(x.Ingress, false) {
		causes = append(causes, fmt.Sprintf("%s allows %s on %s%s", r.ruleRef(rt.Rule), peerText(rt), portsText(rt.Ports), anyPodCause(rt)))
	}
	r.fail(CtlReachableFromAll, w, fmt.Sprintf(head+"allow only the namespaces (namespaceSelector on kubernetes.io/metadata.name) and pods (podSelector) that need it",
		portsText(x.Ingress.Allowed), joinCited(causes, "rules")))
}

// --- egress to the cloud metadata service ---

func (r *analysis) egressMetadata(w workload) {
	r.rec.Evaluated(CtlEgressMetadata, w.o)
	var addrs, ports []string
	var conns []netmodel.ConnSet
	var rules []netmodel.RuleTrace
	seen := map[*netmodel.Rule]bool{}
	for _, md := range []*netmodel.Endpoint{r.m.Metadata, r.m.MetadataV6} {
		x := r.explain("metadata "+md.String(), w.e, md, w.e, false)
		if some := x.Some; !some.IsEmpty() {
			addrs = append(addrs, md.External[0].Addr().String())
			ports = append(ports, portsText(some))
			conns = append(conns, some)
			for _, rt := range matchedRules(x.Egress, false) {
				if !seen[rt.Rule] {
					seen[rt.Rule] = true
					rules = append(rules, rt)
				}
			}
		}
	}
	var reached string
	switch {
	case len(addrs) == 0:
		return
	case len(addrs) == 1 || conns[0].Equal(conns[1]):
		reached = strings.Join(addrs, " and ") + " on " + ports[0]
	default:
		reached = fmt.Sprintf("%s on %s and %s on %s", addrs[0], ports[0], addrs[1], ports[1])
	}
	head := fmt.Sprintf("its pods may connect to the cloud instance metadata service at %s, where the node's cloud credentials are served: ", reached)
	switch {
	case w.e.HostNetwork:
		r.fail(CtlEgressMetadata, w, head+notIsolated(w.e, netmodel.Egress)+
			"; drop hostNetwork, or block the metadata service for the node's pods on the cloud side (IMDSv2 with a hop limit of 1, metadata concealment)")
	case !w.e.EgressIsolated():
		r.fail(CtlEgressMetadata, w, head+notIsolated(w.e, netmodel.Egress)+
			"; select it with an egress NetworkPolicy that allows only the destinations it needs, leaving out 169.254.169.254/32")
	default:
		var causes []string
		for _, rt := range rules {
			causes = append(causes, fmt.Sprintf("%s allows %s on %s", r.ruleRef(rt.Rule), peerText(rt), portsText(rt.Ports)))
		}
		r.fail(CtlEgressMetadata, w, head+joinCited(causes, "rules")+
			"; add 169.254.169.254/32 (and fd00:ec2::254/128 for an IPv6 block) to the ipBlock's except list, or allow only the destinations it needs")
	}
}

// --- unrestricted egress ---

func (r *analysis) unrestrictedEgress(w workload) {
	r.rec.Evaluated(CtlUnrestrictedEgress, w.o)
	x := r.explain("to the internet", w.e, r.public, w.e, false)
	if !x.Allowed.IsAll() {
		return
	}
	const head = "its pods may connect to every address of the internet on every port: "
	switch {
	case w.e.HostNetwork:
		r.fail(CtlUnrestrictedEgress, w, head+notIsolated(w.e, netmodel.Egress)+
			"; drop hostNetwork unless the workload is a node agent, and restrict the node's egress with its firewall")
		return
	case !w.e.EgressIsolated():
		r.fail(CtlUnrestrictedEgress, w, head+notIsolated(w.e, netmodel.Egress)+
			"; select it with an egress NetworkPolicy that allows DNS and the destinations it needs on their ports")
		return
	}
	var causes []string
	for _, rt := range citedRules(x.Egress) {
		causes = append(causes, fmt.Sprintf("%s allows %s on %s", r.ruleRef(rt.Rule), peerText(rt), portsText(rt.Ports)))
	}
	r.fail(CtlUnrestrictedEgress, w, head+joinCited(causes, "rules")+
		"; allow only the ports it uses (usually 443) and except the private ranges and the metadata address")
}

// citedRules are the rules that allow a side's connections to every address of an external
// endpoint: those that match every address, or, when only several rules together cover them,
// every rule that matches some.
func citedRules(side netmodel.Side) []netmodel.RuleTrace {
	if full := matchedRules(side, true); len(full) > 0 {
		return full
	}
	return matchedRules(side, false)
}

// --- internet ingress to workloads nothing exposes ---

// exposure knows which Services and Ingresses expose pods outside the cluster, per namespace.
type exposure struct {
	services  map[string][]*inventory.Object
	ingresses map[string][]*inventory.Object
}

func newExposure(inv *inventory.Inventory) *exposure {
	x := &exposure{services: map[string][]*inventory.Object{}, ingresses: map[string][]*inventory.Object{}}
	for _, o := range inv.OfKind("", "Service") {
		if _, ok := o.Object.(*corev1.Service); ok {
			x.services[o.Namespace] = append(x.services[o.Namespace], o)
		}
	}
	for _, o := range inv.OfKind(networkingv1.GroupName, "Ingress") {
		if _, ok := o.Object.(*networkingv1.Ingress); ok {
			x.ingresses[o.Namespace] = append(x.ingresses[o.Namespace], o)
		}
	}
	return x
}

// selects reports whether a Service selector (non-empty) matches pod labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// exposedBy names what exposes pods with these labels in namespace ns outside the cluster: a
// LoadBalancer or NodePort Service, a Service with externalIPs, or an Ingress routing to any
// Service that selects them. "" when nothing does.
func (x *exposure) exposedBy(ns string, labels map[string]string) string {
	selecting := map[string]bool{}
	for _, so := range x.services[ns] {
		svc := so.Object.(*corev1.Service)
		if !selects(svc.Spec.Selector, labels) {
			continue
		}
		selecting[so.Name] = true
		switch {
		case svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeNodePort:
			return fmt.Sprintf("Service %s of type %s", so.Name, svc.Spec.Type)
		case len(svc.Spec.ExternalIPs) > 0:
			return fmt.Sprintf("Service %s with externalIPs", so.Name)
		}
	}
	for _, io := range x.ingresses[ns] {
		for _, name := range nsanalyzer.IngressServices(io.Object.(*networkingv1.Ingress)) {
			if selecting[name] {
				return fmt.Sprintf("Ingress %s (to Service %s)", io.Name, name)
			}
		}
	}
	return ""
}

// internetIngress judges workloads whose ingress is isolated; the others are left to
// namespace-no-networkpolicy and netpol-reachable-from-all-namespaces.
func (r *analysis) internetIngress(x *exposure, w workload) {
	if !w.e.IngressIsolated() {
		return
	}
	r.rec.Evaluated(CtlInternetIngress, w.o)
	ex := r.explain("from the internet", r.public, w.e, w.e, true)
	allowed := ex.Allowed
	if allowed.IsEmpty() || x.exposedBy(w.e.Namespace, w.e.Labels) != "" {
		return
	}
	var causes []string
	for _, rt := range citedRules(ex.Ingress) {
		causes = append(causes, fmt.Sprintf("%s allows %s on %s", r.ruleRef(rt.Rule), peerText(rt), portsText(rt.Ports)))
	}
	r.fail(CtlInternetIngress, w, fmt.Sprintf(
		"its ingress is isolated, yet every address of the internet may connect to its pods on %s: %s; no LoadBalancer or NodePort Service selects its pods and no Ingress routes to them, so nothing outside the cluster is meant to reach it: allow only the pods or networks that need it",
		portsText(allowed), joinCited(causes, "rules")))
}
