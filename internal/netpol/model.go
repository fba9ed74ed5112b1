// Package netpol computes what Kubernetes NetworkPolicies (networking.k8s.io/v1) allow: which
// workloads can connect to which, on which ports, and why. It implements the API's semantics
// exactly (see docs/netpol.md): pods are selected by podSelector in the policy's namespace; a pod
// is isolated for a direction when any policy of that type selects it; its allowed traffic is the
// union of the matching rules of those policies; and a connection is allowed only when the
// source's egress and the destination's ingress both allow it.
//
// Pods come from Pod objects or from workload templates (a Deployment is one endpoint however
// many replicas it has); namespaces, services and policies from any source of the inventory.
package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
)

// MetadataNameLabel is the label the API server puts on every namespace, holding its name.
const MetadataNameLabel = "kubernetes.io/metadata.name"

// Well-known external destinations.
var (
	// Anywhere is every IPv4 address: the outside of the cluster.
	Anywhere = netip.MustParsePrefix("0.0.0.0/0")
	// MetadataIPv4 and MetadataIPv6 are the cloud instance metadata endpoints (AWS, GCP, Azure,
	// and others use 169.254.169.254; AWS also serves fd00:ec2::254 on Nitro instances).
	MetadataIPv4 = netip.MustParsePrefix("169.254.169.254/32")
	MetadataIPv6 = netip.MustParsePrefix("fd00:ec2::254/128")
)

// Options tune how the model is built.
type Options struct {
	// NoClusterDNS leaves out the stand-in cluster DNS endpoint that is added when the input has
	// no kube-dns pods of its own.
	NoClusterDNS bool
}

// NamedPort is a container port a named policy port can resolve to.
type NamedPort struct {
	Name     string
	Port     int32
	Protocol Protocol
}

// Endpoint is something traffic goes to or from: a workload (all its replicas), a Pod, the
// stand-in for cluster DNS, or a set of addresses outside the cluster.
type Endpoint struct {
	// Kind, Namespace and Name identify a workload or Pod; Kind is empty for external endpoints.
	Kind, Namespace, Name string
	// Labels are the pod labels (of the template, for workloads).
	Labels map[string]string
	// Ports are the containers' ports, which named policy ports resolve to.
	Ports []NamedPort
	// IPs are the pods' addresses when known (Pods read from a cluster); empty for templates.
	IPs []netip.Addr
	// HostNetwork pods share their node's network: NetworkPolicy does not isolate them, and their
	// traffic reaches others as traffic from the node.
	HostNetwork bool
	// External is the set of addresses of an endpoint outside the cluster.
	External []netip.Prefix
	// Synthetic names a stand-in endpoint that is not in the input (e.g. "cluster DNS").
	Synthetic string
	// Object is the workload or Pod the endpoint was made from (nil for external and synthetic).
	Object *inventory.Object

	ns          *Namespace
	ingressPols []*Policy
	egressPols  []*Policy
}

// IsExternal reports whether the endpoint is outside the cluster.
func (e *Endpoint) IsExternal() bool { return e.External != nil }

// String names the endpoint: Kind/namespace/name, the CIDRs of an external endpoint, or the
// stand-in's name.
func (e *Endpoint) String() string {
	switch {
	case e.IsExternal():
		parts := make([]string, len(e.External))
		for i, p := range e.External {
			parts[i] = p.String()
		}
		return strings.Join(parts, ",")
	case e.Synthetic != "":
		return e.Namespace + "/" + e.Name + " (" + e.Synthetic + ")"
	}
	return e.Kind + "/" + e.Namespace + "/" + e.Name
}

// IngressPolicies are the policies that select the endpoint for ingress (it is isolated for
// ingress when there is at least one). Empty for host-network and external endpoints.
func (e *Endpoint) IngressPolicies() []*Policy { return e.ingressPols }

// EgressPolicies are the policies that select the endpoint for egress.
func (e *Endpoint) EgressPolicies() []*Policy { return e.egressPols }

// IngressIsolated reports whether a policy restricts the endpoint's ingress.
func (e *Endpoint) IngressIsolated() bool { return len(e.ingressPols) > 0 }

// EgressIsolated reports whether a policy restricts the endpoint's egress.
func (e *Endpoint) EgressIsolated() bool { return len(e.egressPols) > 0 }

// Namespace is a namespace of the model with its labels (the automatic name label included).
type Namespace struct {
	Name   string
	Labels map[string]string
	// Object is the Namespace object, nil when the input only refers to the namespace.
	Object    *inventory.Object
	Policies  []*Policy
	Endpoints []*Endpoint
}

// Model is the network of one inventory.
type Model struct {
	// Namespaces by name.
	Namespaces map[string]*Namespace
	// Endpoints are the workloads and Pods, sorted by namespace, name and kind, then the stand-ins.
	Endpoints []*Endpoint
	// Policies in inventory order (invalid ones left out; see Problems).
	Policies []*Policy
	// DNS are the cluster DNS endpoints: kube-dns pods of the input, or a stand-in.
	DNS []*Endpoint
	// Anywhere, Metadata and MetadataV6 are the external endpoints the reports name.
	Anywhere, Metadata, MetadataV6 *Endpoint
	// Problems are policies the API server would reject (invalid selectors, CIDRs, ports).
	Problems []inventory.Problem

	byRef     map[string][]*Endpoint
	hasBlocks bool
}

// Build makes the network model of an inventory.
func Build(inv *inventory.Inventory, opts Options) *Model {
	m := &Model{Namespaces: map[string]*Namespace{}, byRef: map[string][]*Endpoint{}}
	for _, o := range inv.OfKind("", "Namespace") {
		ns := m.namespace(o.Name)
		ns.Object = o
		for k, v := range o.Labels() {
			ns.Labels[k] = v
		}
		ns.Labels[MetadataNameLabel] = o.Name
	}
	m.addEndpoints(inv)
	for _, o := range inv.OfKind(networkingv1.GroupName, "NetworkPolicy") {
		np, ok := o.Object.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		p, probs := compilePolicy(o, np)
		m.Problems = append(m.Problems, probs...)
		if p == nil {
			continue
		}
		m.Policies = append(m.Policies, p)
		m.namespace(p.Namespace).Policies = append(m.namespace(p.Namespace).Policies, p)
		if p.hasBlocks {
			m.hasBlocks = true
		}
	}
	if !opts.NoClusterDNS {
		m.addDNS()
	}
	sort.SliceStable(m.Endpoints, func(i, j int) bool { return endpointLess(m.Endpoints[i], m.Endpoints[j]) })
	for _, e := range m.Endpoints {
		m.selectPolicies(e)
		e.ns.Endpoints = append(e.ns.Endpoints, e)
		ref := e.Namespace + "/" + e.Name
		m.byRef[ref] = append(m.byRef[ref], e)
		m.byRef[strings.ToLower(e.Kind)+"/"+ref] = append(m.byRef[strings.ToLower(e.Kind)+"/"+ref], e)
	}
	m.Anywhere = m.External(Anywhere)
	m.Metadata = m.External(MetadataIPv4)
	m.MetadataV6 = m.External(MetadataIPv6)
	return m
}

func endpointLess(a, b *Endpoint) bool {
	if (a.Synthetic != "") != (b.Synthetic != "") {
		return b.Synthetic != ""
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Kind < b.Kind
}

func (m *Model) namespace(name string) *Namespace {
	ns := m.Namespaces[name]
	if ns == nil {
		ns = &Namespace{Name: name, Labels: map[string]string{MetadataNameLabel: name}}
		m.Namespaces[name] = ns
	}
	return ns
}

// NamespaceNames returns the names of the model's namespaces, sorted.
func (m *Model) NamespaceNames() []string {
	names := make([]string, 0, len(m.Namespaces))
	for n := range m.Namespaces {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// addEndpoints makes an endpoint of every running workload: top-level workloads and Pods that no
// workload controller owns. The IPs of owned Pods (read from a cluster) go to their top owner.
func (m *Model) addEndpoints(inv *inventory.Inventory) {
	byUID := map[types.UID]*inventory.Object{}
	var owned []*inventory.Object
	eps := map[*inventory.Object]*Endpoint{}
	for _, o := range inv.Objects() {
		t, ok := podspec.Of(o)
		if !ok || o.Kind == "PodTemplate" || o.Namespace == "" {
			continue
		}
		if mt := o.Meta(); mt != nil && mt.GetUID() != "" {
			byUID[mt.GetUID()] = o
		}
		if podspec.OwnedByWorkload(o) {
			owned = append(owned, o)
			continue
		}
		if p, ok := o.Object.(*corev1.Pod); ok && (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) {
			continue
		}
		e := &Endpoint{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Labels: t.Meta.Labels,
			HostNetwork: t.Spec.HostNetwork, Object: o, ns: m.namespace(o.Namespace)}
		if e.Labels == nil {
			e.Labels = map[string]string{}
		}
		e.Ports = containerPorts(t.Spec)
		if p, ok := o.Object.(*corev1.Pod); ok {
			e.IPs = podIPs(p)
		}
		eps[o] = e
		m.Endpoints = append(m.Endpoints, e)
	}
	// Pods of workloads: follow controller owner references (Pod → ReplicaSet → Deployment).
	for _, o := range owned {
		p, ok := o.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		top := o
		for range 4 {
			next := controllerOwner(top, byUID)
			if next == nil {
				break
			}
			top = next
		}
		if e := eps[top]; e != nil && top != o {
			e.IPs = append(e.IPs, podIPs(p)...)
		}
	}
}

func controllerOwner(o *inventory.Object, byUID map[types.UID]*inventory.Object) *inventory.Object {
	mt := o.Meta()
	if mt == nil {
		return nil
	}
	for _, r := range mt.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller {
			return byUID[r.UID]
		}
	}
	return nil
}

func containerPorts(spec *corev1.PodSpec) []NamedPort {
	var out []NamedPort
	add := func(cs []corev1.Container) {
		for _, c := range cs {
			for _, p := range c.Ports {
				out = append(out, NamedPort{Name: p.Name, Port: p.ContainerPort, Protocol: protocolOf(p.Protocol)})
			}
		}
	}
	add(spec.InitContainers) // sidecars (restartPolicy: Always) serve ports too
	add(spec.Containers)
	return out
}

func podIPs(p *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if p.Spec.HostNetwork {
		add(p.Status.HostIP)
		for _, h := range p.Status.HostIPs {
			add(h.IP)
		}
	}
	add(p.Status.PodIP)
	for _, ip := range p.Status.PodIPs {
		add(ip.IP)
	}
	return out
}

// kube-dns labels: CoreDNS and kube-dns deployments both carry k8s-app=kube-dns.
const dnsLabel, dnsValue, dnsNamespace = "k8s-app", "kube-dns", "kube-system"

func (m *Model) addDNS() {
	for _, e := range m.Endpoints {
		if e.Namespace == dnsNamespace && e.Labels[dnsLabel] == dnsValue {
			m.DNS = append(m.DNS, e)
		}
	}
	if len(m.DNS) > 0 {
		return
	}
	e := &Endpoint{Kind: "Pod", Namespace: dnsNamespace, Name: "kube-dns", Synthetic: "cluster DNS",
		Labels: map[string]string{dnsLabel: dnsValue},
		Ports: []NamedPort{{Name: "dns", Port: 53, Protocol: UDP}, {Name: "dns-tcp", Port: 53, Protocol: TCP},
			{Name: "metrics", Port: 9153, Protocol: TCP}},
		ns: m.namespace(dnsNamespace)}
	m.Endpoints = append(m.Endpoints, e)
	m.DNS = []*Endpoint{e}
}

// selectPolicies finds the policies that isolate the endpoint.
func (m *Model) selectPolicies(e *Endpoint) {
	if e.HostNetwork {
		return
	}
	for _, p := range e.ns.Policies {
		if !p.selector.Matches(labelSet(e.Labels)) {
			continue
		}
		if p.Ingress {
			e.ingressPols = append(e.ingressPols, p)
		}
		if p.Egress {
			e.egressPols = append(e.egressPols, p)
		}
	}
}

// External returns an endpoint for addresses outside the cluster.
func (m *Model) External(prefixes ...netip.Prefix) *Endpoint {
	ps := make([]netip.Prefix, len(prefixes))
	for i, p := range prefixes {
		ps[i] = p.Masked()
	}
	return &Endpoint{External: ps}
}

// Find resolves a reference to an endpoint of the model: "namespace/name" or "Kind/namespace/name"
// of a workload or Pod (kind in any case), an IP address or CIDR (outside the cluster), or one of
// the names "anywhere" (0.0.0.0/0), "metadata" (169.254.169.254) and "dns" (cluster DNS).
func (m *Model) Find(ref string) (*Endpoint, error) {
	switch strings.ToLower(ref) {
	case "anywhere", "internet", "outside":
		return m.Anywhere, nil
	case "metadata":
		return m.Metadata, nil
	case "dns":
		if len(m.DNS) == 0 {
			return nil, fmt.Errorf("the input has no cluster DNS pods (k8s-app=kube-dns in kube-system)")
		}
		return m.DNS[0], nil
	}
	if p, err := netip.ParsePrefix(ref); err == nil {
		return m.External(p), nil
	}
	if a, err := netip.ParseAddr(ref); err == nil {
		return m.External(netip.PrefixFrom(a, a.BitLen())), nil
	}
	parts := strings.Split(ref, "/")
	key := ref
	switch len(parts) {
	case 2:
	case 3:
		key = strings.ToLower(parts[0]) + "/" + parts[1] + "/" + parts[2]
	default:
		return nil, fmt.Errorf("%q: want namespace/name, Kind/namespace/name, an IP address or CIDR, anywhere, metadata or dns", ref)
	}
	found := m.byRef[key]
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%q: no workload or pod with that name in the input", ref)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, e := range found {
		names = append(names, e.String())
	}
	return nil, fmt.Errorf("%q is ambiguous: %s; name the kind", ref, strings.Join(names, ", "))
}

// Hypothetical returns a pod that is not in the input, with the given labels, in namespace ns: a
// namespace of the model, or else a new one that has only its name label (like a namespace
// created later). The policies of its namespace select it as they would a real pod. Use it to ask
// what any pod could do, e.g. "a pod with no labels in a new namespace".
func (m *Model) Hypothetical(ns string, labels map[string]string) *Endpoint {
	n := m.Namespaces[ns]
	if n == nil {
		n = &Namespace{Name: ns, Labels: map[string]string{MetadataNameLabel: ns}}
	}
	if labels == nil {
		labels = map[string]string{}
	}
	e := &Endpoint{Kind: "Pod", Namespace: ns, Name: "any-pod", Synthetic: "hypothetical pod", Labels: labels, ns: n}
	m.selectPolicies(e)
	return e
}
