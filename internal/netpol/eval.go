package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Conns returns the connections allowed from src to dst. For an external endpoint it is what is
// allowed to (or from) every one of its addresses; see Explain for what some addresses get.
func (m *Model) Conns(src, dst *Endpoint) ConnSet {
	all, _ := m.conns(src, dst)
	return all
}

// ConnsSome returns the connections allowed from src to dst for every address (all) and for at
// least some addresses (some ⊇ all) of an external endpoint. Both are equal between pods.
func (m *Model) ConnsSome(src, dst *Endpoint) (all, some ConnSet) { return m.conns(src, dst) }

func (m *Model) conns(src, dst *Endpoint) (all, some ConnSet) {
	eAll, eSome := sideConns(src, dst, Egress, nil)
	if eSome.IsEmpty() {
		return eAll, eSome
	}
	iAll, iSome := sideConns(src, dst, Ingress, nil)
	return eAll.Intersect(iAll), eSome.Intersect(iSome)
}

// Side explains one direction of a connection: the source's egress or the destination's ingress.
type Side struct {
	Direction Direction
	// Endpoint is the source (egress) or destination (ingress) whose policies apply.
	Endpoint *Endpoint
	// Isolated: at least one policy selects the endpoint for this direction. When false, Reason
	// says why everything is allowed.
	Isolated bool
	Reason   string
	Policies []PolicyTrace
	// Allowed is what this side allows (to every address of an external peer); Some is what it
	// allows to at least some of them.
	Allowed, Some ConnSet
}

// PolicyTrace is one policy that selects the endpoint, with each of its rules for the direction.
type PolicyTrace struct {
	Policy *Policy
	Rules  []RuleTrace
}

// RuleTrace says whether a rule matches the other endpoint and which ports it allows there.
type RuleTrace struct {
	Rule *Rule
	// Matched: the rule's peers select the other endpoint (Partial: only some of its addresses).
	Matched, Partial bool
	// Peer is the first peer that matched (nil when the rule has no peers, which matches all).
	Peer *Peer
	// Ports the rule allows to the destination (named ports resolved).
	Ports ConnSet
	// Why explains a rule that does not match: one reason per peer.
	Why []string
}

// sideConns computes what one side allows; with a trace it records why.
func sideConns(src, dst *Endpoint, dir Direction, tr *Side) (all, some ConnSet) {
	self, other := src, dst
	pols := src.egressPols
	if dir == Ingress {
		self, other = dst, src
		pols = dst.ingressPols
	}
	if tr != nil {
		tr.Direction, tr.Endpoint = dir, self
	}
	if len(pols) == 0 {
		if tr != nil {
			tr.Reason = notIsolatedReason(self, dir)
			tr.Allowed, tr.Some = AllConns(), AllConns()
		}
		return AllConns(), AllConns()
	}
	if other.IsExternal() {
		return externalSide(pols, other, dst, dir, tr)
	}
	for _, p := range pols {
		var pt *PolicyTrace
		if tr != nil {
			tr.Isolated = true
			tr.Policies = append(tr.Policies, PolicyTrace{Policy: p})
			pt = &tr.Policies[len(tr.Policies)-1]
		}
		for _, r := range p.rules(dir) {
			matched, peer := r.matches(other)
			if pt != nil {
				rt := RuleTrace{Rule: r, Matched: matched, Peer: peer}
				if matched {
					rt.Ports = r.PortsTo(dst)
				} else {
					for _, pe := range r.Peers {
						rt.Why = append(rt.Why, pe.why(other))
					}
				}
				pt.Rules = append(pt.Rules, rt)
			}
			if matched {
				all = all.Union(r.PortsTo(dst))
			}
		}
	}
	some = all
	if tr != nil {
		tr.Allowed, tr.Some = all, some
	}
	return all, some
}

func notIsolatedReason(e *Endpoint, dir Direction) string {
	switch {
	case e.IsExternal():
		return "outside the cluster: NetworkPolicies do not govern it"
	case e.HostNetwork:
		return "uses the host network: NetworkPolicies do not isolate it"
	}
	return fmt.Sprintf("no NetworkPolicy in namespace %s selects it for %s", e.Namespace, dir)
}

// matches reports whether the rule's peers select pod endpoint e, and the first peer that does.
func (r *Rule) matches(e *Endpoint) (bool, *Peer) {
	if r.AllPeers {
		return true, nil
	}
	for _, pe := range r.Peers {
		if pe.matches(e) {
			return true, pe
		}
	}
	return false, nil
}

func (p *Policy) rules(dir Direction) []*Rule {
	if dir == Ingress {
		return p.IngressRules
	}
	return p.EgressRules
}

// externalSide evaluates one side against an endpoint outside the cluster: its addresses are
// split into pieces no ipBlock boundary crosses, each piece is evaluated on its own, and the side
// allows to every address (all) what every piece gets, to some addresses (some) what any does.
func externalSide(pols []*Policy, ext, dst *Endpoint, dir Direction, tr *Side) (all, some ConnSet) {
	var blocks []*IPBlock
	for _, p := range pols {
		for _, r := range p.rules(dir) {
			for _, pe := range r.Peers {
				if pe.Block != nil {
					blocks = append(blocks, pe.Block)
				}
			}
		}
	}
	atoms := externalAtoms(ext.External, blocks)
	hits := map[*Rule]int{}
	firstPeer := map[*Rule]*Peer{}
	for k, a := range atoms {
		var c ConnSet
		for _, p := range pols {
			for _, r := range p.rules(dir) {
				held := r.AllPeers
				for _, pe := range r.Peers {
					if pe.Block != nil && pe.Block.containsAddr(a) {
						held = true
						if firstPeer[r] == nil {
							firstPeer[r] = pe
						}
						break
					}
				}
				if held {
					hits[r]++
					c = c.Union(r.PortsTo(dst))
				}
			}
		}
		some = some.Union(c)
		if k == 0 {
			all = c
		} else {
			all = all.Intersect(c)
		}
	}
	if tr != nil {
		for _, p := range pols {
			tr.Isolated = true
			pt := PolicyTrace{Policy: p}
			for _, r := range p.rules(dir) {
				rt := RuleTrace{Rule: r, Matched: hits[r] > 0, Partial: hits[r] > 0 && hits[r] < len(atoms), Peer: firstPeer[r]}
				if rt.Matched {
					rt.Ports = r.PortsTo(dst)
				} else {
					for _, pe := range r.Peers {
						rt.Why = append(rt.Why, pe.why(ext))
					}
				}
				pt.Rules = append(pt.Rules, rt)
			}
			tr.Policies = append(tr.Policies, pt)
		}
		tr.Allowed, tr.Some = all, some
	}
	return all, some
}

// why explains why a peer does not match endpoint e.
func (pe *Peer) why(e *Endpoint) string {
	f := pe.Field().String()
	if pe.Block != nil {
		if e.IsExternal() {
			return fmt.Sprintf("%s: ipBlock %s does not hold %s", f, pe.Block, e)
		}
		if len(e.IPs) == 0 {
			return fmt.Sprintf("%s: ipBlock %s: the pod's IPs are unknown (not read from a cluster), so only a block of every address (0.0.0.0/0, ::/0) is taken to hold it", f, pe.Block)
		}
		return fmt.Sprintf("%s: ipBlock %s does not hold %s", f, pe.Block, addrs(e.IPs))
	}
	switch {
	case e.IsExternal():
		return fmt.Sprintf("%s: selects pods, not addresses outside the cluster", f)
	case e.HostNetwork:
		return fmt.Sprintf("%s: selects pods, and %s uses the host network (its traffic is the node's)", f, e)
	}
	pol := pe.Rule.Policy
	if pe.NamespaceSelector == nil && e.Namespace != pol.Namespace {
		return fmt.Sprintf("%s: podSelector without namespaceSelector selects only pods of namespace %s, not %s", f, pol.Namespace, e.Namespace)
	}
	if pe.NamespaceSelector != nil && !pe.NamespaceSelector.Matches(labelSet(e.ns.Labels)) {
		return fmt.Sprintf("%s: namespaceSelector %s does not match namespace %s (%s)", f, selString(pe.NamespaceSelector), e.Namespace, relevantLabels(pe.NamespaceSelector, e.ns.Labels))
	}
	return fmt.Sprintf("%s: podSelector %s does not match %s (%s)", f, selString(pe.PodSelector), e, relevantLabels(pe.PodSelector, e.Labels))
}

func selString(s labels.Selector) string {
	if s == nil || s.Empty() {
		return "{}"
	}
	return "{" + s.String() + "}"
}

// relevantLabels shows the labels a selector looks at: the rest would only bury the reason.
func relevantLabels(s labels.Selector, m map[string]string) string {
	reqs, _ := s.Requirements()
	keep := map[string]string{}
	for _, r := range reqs {
		if v, ok := m[r.Key()]; ok {
			keep[r.Key()] = v
		}
	}
	if len(keep) == 0 {
		return "it has none of the labels the selector reads"
	}
	return "its labels: " + mapString(keep)
}

func mapString(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(keys, ",") + "}"
}

func addrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

// Explanation says why a connection is allowed or not.
type Explanation struct {
	Src, Dst *Endpoint
	// Egress is the source's side, Ingress the destination's.
	Egress, Ingress Side
	// Allowed is what both sides allow (to every address of an external endpoint), Some what they
	// allow to at least some addresses.
	Allowed, Some ConnSet
}

// Explain traces the evaluation of every policy that applies to a connection from src to dst.
func (m *Model) Explain(src, dst *Endpoint) *Explanation {
	x := &Explanation{Src: src, Dst: dst}
	eAll, eSome := sideConns(src, dst, Egress, &x.Egress)
	iAll, iSome := sideConns(src, dst, Ingress, &x.Ingress)
	x.Allowed, x.Some = eAll.Intersect(iAll), eSome.Intersect(iSome)
	return x
}
