package netpol

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Direction is the direction of traffic a rule or policy governs.
type Direction string

// Directions.
const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// Policy is a compiled NetworkPolicy.
type Policy struct {
	Object          *inventory.Object
	Namespace, Name string
	// Ingress and Egress say which directions the policy isolates (policyTypes, defaulted as the
	// API server does: Ingress always, Egress when the policy has egress rules).
	Ingress, Egress bool
	IngressRules    []*Rule
	EgressRules     []*Rule

	selector  labels.Selector
	hasBlocks bool
}

// Ref names the policy as NetworkPolicy/namespace/name.
func (p *Policy) Ref() string { return "NetworkPolicy/" + p.Namespace + "/" + p.Name }

// SelectsAll reports whether the policy's podSelector is empty (it selects every pod of its
// namespace, present and future).
func (p *Policy) SelectsAll() bool { return p.selector.Empty() }

// Rule is one ingress or egress rule of a policy.
type Rule struct {
	Policy    *Policy
	Direction Direction
	Index     int
	// AllPeers: the rule's from/to is absent or empty, so it matches every source/destination.
	AllPeers bool
	Peers    []*Peer
	// AllPorts: the rule's ports are absent or empty, so it allows every port and protocol.
	AllPorts bool
	Ports    []PortSpec

	fixed      ConnSet // the ports when no port is named
	namedPorts bool
}

// Field is the rule's field path inside the policy, e.g. spec.ingress[0].
func (r *Rule) Field() inventory.FieldPath {
	return inventory.Path("spec", string(r.Direction), r.Index)
}

// Peer is one element of a rule's from/to list.
type Peer struct {
	Rule  *Rule
	Index int
	// PodSelector and NamespaceSelector are nil when absent.
	PodSelector, NamespaceSelector labels.Selector
	// Block is the ipBlock, nil when absent.
	Block *IPBlock
}

// Field is the peer's field path, e.g. spec.ingress[0].from[1].
func (p *Peer) Field() inventory.FieldPath {
	f := "from"
	if p.Rule.Direction == Egress {
		f = "to"
	}
	return p.Rule.Field().Child(f, p.Index)
}

// IPBlock is a peer's ipBlock: the CIDR minus the excepted CIDRs.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

func (b *IPBlock) String() string {
	s := b.CIDR.String()
	if len(b.Except) > 0 {
		ex := make([]string, len(b.Except))
		for i, e := range b.Except {
			ex[i] = e.String()
		}
		s += " except " + strings.Join(ex, ",")
	}
	return s
}

// PortSpec is one element of a rule's ports list.
type PortSpec struct {
	Protocol Protocol
	// Name is set for a named port, resolved against the destination pod's container ports.
	Name string
	// Port..EndPort is the range of a numbered port; Port 0 means every port of the protocol.
	Port, EndPort int32
}

func (s PortSpec) String() string {
	switch {
	case s.Name != "":
		return fmt.Sprintf("%s %s", s.Protocol, s.Name)
	case s.Port == 0:
		return fmt.Sprintf("%s *", s.Protocol)
	case s.EndPort > s.Port:
		return fmt.Sprintf("%s %d-%d", s.Protocol, s.Port, s.EndPort)
	}
	return fmt.Sprintf("%s %d", s.Protocol, s.Port)
}

// compilePolicy turns a NetworkPolicy into a Policy. A policy the API server would reject
// (invalid selector, CIDR, protocol or port) is returned as nil with the problem: it cannot exist
// in a cluster, so it allows and isolates nothing.
func compilePolicy(o *inventory.Object, np *networkingv1.NetworkPolicy) (*Policy, []inventory.Problem) {
	p := &Policy{Object: o, Namespace: o.Namespace, Name: o.Name}
	bad := func(field string, err error) (*Policy, []inventory.Problem) {
		loc := o.Locate([]inventory.FieldPath{fieldPath(field)})[0]
		return nil, []inventory.Problem{{Severity: "warning", File: loc.File, Line: loc.Line, Resource: o.Ref(),
			Message: fmt.Sprintf("%s: %v; the API server would reject this NetworkPolicy, so it is left out of the network model", field, err)}}
	}
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil {
		return bad("spec.podSelector", err)
	}
	p.selector = sel
	p.Ingress, p.Egress = PolicyTypes(np)
	for i := range np.Spec.Ingress {
		r, field, err := compileRule(p, Ingress, i, np.Spec.Ingress[i].From, np.Spec.Ingress[i].Ports)
		if err != nil {
			return bad(field, err)
		}
		p.IngressRules = append(p.IngressRules, r)
	}
	for i := range np.Spec.Egress {
		r, field, err := compileRule(p, Egress, i, np.Spec.Egress[i].To, np.Spec.Egress[i].Ports)
		if err != nil {
			return bad(field, err)
		}
		p.EgressRules = append(p.EgressRules, r)
	}
	return p, nil
}

// PolicyTypes returns the directions a NetworkPolicy isolates, defaulted as the API server does
// when policyTypes is empty: Ingress always, Egress when the policy has egress rules.
func PolicyTypes(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

func compileRule(p *Policy, dir Direction, idx int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (*Rule, string, error) {
	r := &Rule{Policy: p, Direction: dir, Index: idx, AllPeers: len(peers) == 0, AllPorts: len(ports) == 0}
	base := fmt.Sprintf("spec.%s.%d", dir, idx)
	peerField := "from"
	if dir == Egress {
		peerField = "to"
	}
	for i, np := range peers {
		field := fmt.Sprintf("%s.%s.%d", base, peerField, i)
		peer := &Peer{Rule: r, Index: i}
		if np.PodSelector != nil {
			s, err := metav1.LabelSelectorAsSelector(np.PodSelector)
			if err != nil {
				return nil, field + ".podSelector", err
			}
			peer.PodSelector = s
		}
		if np.NamespaceSelector != nil {
			s, err := metav1.LabelSelectorAsSelector(np.NamespaceSelector)
			if err != nil {
				return nil, field + ".namespaceSelector", err
			}
			peer.NamespaceSelector = s
		}
		if np.IPBlock != nil {
			if peer.PodSelector != nil || peer.NamespaceSelector != nil {
				return nil, field, fmt.Errorf("ipBlock cannot be combined with podSelector or namespaceSelector")
			}
			b, err := parseBlock(np.IPBlock)
			if err != nil {
				return nil, field + ".ipBlock", err
			}
			peer.Block = b
			p.hasBlocks = true
		}
		if peer.PodSelector == nil && peer.NamespaceSelector == nil && peer.Block == nil {
			return nil, field, fmt.Errorf("a peer must set podSelector, namespaceSelector or ipBlock")
		}
		r.Peers = append(r.Peers, peer)
	}
	for i, pp := range ports {
		field := fmt.Sprintf("%s.ports.%d", base, i)
		s := PortSpec{Protocol: TCP}
		if pp.Protocol != nil {
			proto, ok := ParseProtocol(string(*pp.Protocol))
			if !ok || string(proto) != string(*pp.Protocol) {
				return nil, field + ".protocol", fmt.Errorf("unsupported protocol %q (want TCP, UDP or SCTP)", *pp.Protocol)
			}
			s.Protocol = proto
		}
		if pp.Port != nil {
			if pp.Port.Type == intstr.String {
				if pp.Port.StrVal == "" {
					return nil, field + ".port", fmt.Errorf("empty port name")
				}
				s.Name = pp.Port.StrVal
			} else {
				s.Port = pp.Port.IntVal
				if s.Port < minPort || s.Port > maxPort {
					return nil, field + ".port", fmt.Errorf("port %d is outside 1-65535", s.Port)
				}
			}
		}
		if pp.EndPort != nil {
			if s.Name != "" || s.Port == 0 {
				return nil, field + ".endPort", fmt.Errorf("endPort needs a numbered port")
			}
			if *pp.EndPort < s.Port || *pp.EndPort > maxPort {
				return nil, field + ".endPort", fmt.Errorf("endPort %d must be between port %d and 65535", *pp.EndPort, s.Port)
			}
			s.EndPort = *pp.EndPort
		}
		if s.Name != "" {
			r.namedPorts = true
		} else if s.Port == 0 {
			r.fixed = r.fixed.Union(AllPorts(s.Protocol))
		} else {
			r.fixed = r.fixed.Union(PortRange(s.Protocol, s.Port, max(s.EndPort, s.Port)))
		}
		r.Ports = append(r.Ports, s)
	}
	if r.AllPorts {
		r.fixed = AllConns()
	}
	return r, "", nil
}

func parseBlock(b *networkingv1.IPBlock) (*IPBlock, error) {
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return nil, fmt.Errorf("cidr %q: %v", b.CIDR, err)
	}
	out := &IPBlock{CIDR: cidr.Masked()}
	for _, e := range b.Except {
		ex, err := netip.ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("except %q: %v", e, err)
		}
		if ex.Addr().Is4() != cidr.Addr().Is4() || ex.Bits() <= cidr.Bits() || !cidr.Contains(ex.Addr()) {
			return nil, fmt.Errorf("except %q is not a strict subset of cidr %q", e, b.CIDR)
		}
		out.Except = append(out.Except, ex.Masked())
	}
	return out, nil
}

// PortsTo returns the connections the rule allows to a destination: its numbered ports, and its
// named ports resolved against the destination's container ports (an external destination has
// none, so named ports allow nothing there).
func (r *Rule) PortsTo(dst *Endpoint) ConnSet {
	if !r.namedPorts {
		return r.fixed
	}
	c := r.fixed
	for _, s := range r.Ports {
		if s.Name == "" {
			continue
		}
		for _, cp := range dst.Ports {
			if cp.Name == s.Name && cp.Protocol == s.Protocol {
				c = c.Union(PortRange(s.Protocol, cp.Port, cp.Port))
			}
		}
	}
	return c
}

// labelSet adapts a label map for selectors.
func labelSet(m map[string]string) labels.Set { return labels.Set(m) }

// protocolOf maps a core protocol to ours ("" is TCP).
func protocolOf(p corev1.Protocol) Protocol {
	if p == "" {
		return TCP
	}
	return Protocol(p)
}

// fieldPath turns "spec.ingress.0.from" into a field path.
func fieldPath(s string) inventory.FieldPath {
	var elems []any
	for _, part := range strings.Split(s, ".") {
		if n, err := strconv.Atoi(part); err == nil {
			elems = append(elems, n)
		} else {
			elems = append(elems, part)
		}
	}
	return inventory.Path(elems...)
}
