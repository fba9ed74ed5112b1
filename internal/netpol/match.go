package netpol

import "net/netip"

// coverage says how much of an endpoint a peer matches. Pods match wholly or not at all; an
// external endpoint (a set of addresses) can be matched in part by an ipBlock.
type coverage int

const (
	noMatch coverage = iota
	partMatch
	fullMatch
)

// matches reports whether a peer of a rule of policy p selects endpoint e.
//
//   - podSelector alone selects pods of the policy's namespace; namespaceSelector alone every pod
//     of the selected namespaces; both in one peer the selected pods of the selected namespaces.
//     They never match host-network pods (whose traffic is the node's) nor external addresses.
//   - ipBlock selects addresses: external endpoints, and pods by their IPs. A pod whose IPs are
//     unknown (a template) is taken to be inside a block that covers every address of a family
//     (0.0.0.0/0, ::/0), whatever its except list, and outside any narrower block.
func (pe *Peer) matches(e *Endpoint) coverage {
	if pe.Block != nil {
		return pe.Block.covers(e)
	}
	if e.IsExternal() || e.HostNetwork {
		return noMatch
	}
	pol := pe.Rule.Policy
	if pe.NamespaceSelector == nil {
		if e.Namespace != pol.Namespace {
			return noMatch
		}
	} else if !pe.NamespaceSelector.Matches(labelSet(e.ns.Labels)) {
		return noMatch
	}
	if pe.PodSelector != nil && !pe.PodSelector.Matches(labelSet(e.Labels)) {
		return noMatch
	}
	return fullMatch
}

func (b *IPBlock) covers(e *Endpoint) coverage {
	if e.IsExternal() {
		full, any := true, false
		for _, p := range e.External {
			switch b.coversPrefix(p) {
			case fullMatch:
				any = true
			case partMatch:
				any, full = true, false
			default:
				full = false
			}
		}
		switch {
		case any && full:
			return fullMatch
		case any:
			return partMatch
		}
		return noMatch
	}
	if len(e.IPs) == 0 {
		if b.CIDR.Bits() == 0 {
			return fullMatch
		}
		return noMatch
	}
	for _, ip := range e.IPs {
		if b.containsAddr(ip) {
			return fullMatch
		}
	}
	return noMatch
}

func (b *IPBlock) containsAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !b.CIDR.Contains(a) {
		return false
	}
	for _, ex := range b.Except {
		if ex.Contains(a) {
			return false
		}
	}
	return true
}

// coversPrefix says whether every, some or no address of p is in the block.
func (b *IPBlock) coversPrefix(p netip.Prefix) coverage {
	if !b.CIDR.Overlaps(p) {
		return noMatch
	}
	if p.Bits() < b.CIDR.Bits() {
		return partMatch // p is larger than the block
	}
	for _, ex := range b.Except {
		if ex.Overlaps(p) {
			if ex.Bits() <= p.Bits() {
				return noMatch // p lies inside an excepted range
			}
			return partMatch
		}
	}
	return fullMatch
}
