package netpol

import (
	"net/netip"
	"slices"
)

// matches reports whether a peer of a rule of policy p selects endpoint e.
//
//   - podSelector alone selects pods of the policy's namespace; namespaceSelector alone every pod
//     of the selected namespaces; both in one peer the selected pods of the selected namespaces.
//     They never match host-network pods (whose traffic is the node's) nor external addresses.
//   - ipBlock selects addresses: external endpoints, and pods by their IPs. A pod whose IPs are
//     unknown (a template) is taken to be inside a block that covers every address of a family
//     (0.0.0.0/0, ::/0), whatever its except list, and outside any narrower block.
func (pe *Peer) matches(e *Endpoint) bool {
	if pe.Block != nil {
		return pe.Block.covers(e)
	}
	if e.IsExternal() || e.HostNetwork {
		return false
	}
	pol := pe.Rule.Policy
	if pe.NamespaceSelector == nil {
		if e.Namespace != pol.Namespace {
			return false
		}
	} else if !pe.NamespaceSelector.Matches(labelSet(e.ns.Labels)) {
		return false
	}
	if pe.PodSelector != nil && !pe.PodSelector.Matches(labelSet(e.Labels)) {
		return false
	}
	return true
}

// covers says whether the block holds a pod endpoint.
func (b *IPBlock) covers(e *Endpoint) bool {
	if e.IsExternal() {
		return false // never asked: see externalSide
	}
	if len(e.IPs) == 0 {
		return b.CIDR.Bits() == 0
	}
	for _, ip := range e.IPs {
		if b.containsAddr(ip) {
			return true
		}
	}
	return false
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

// externalAtoms splits the addresses of an external endpoint at every boundary of the given
// blocks (their CIDRs and excepts), returning the first address of each piece. Within a piece
// every block holds all addresses or none, so the first address stands for the piece.
func externalAtoms(prefixes []netip.Prefix, blocks []*IPBlock) []netip.Addr {
	var out []netip.Addr
	for _, p := range prefixes {
		lo, hi := p.Masked().Addr(), lastAddr(p)
		cuts := []netip.Addr{lo}
		add := func(q netip.Prefix) {
			if q.Addr().Is4() != lo.Is4() || !q.Overlaps(p) {
				return
			}
			if s := q.Masked().Addr(); s.Compare(lo) > 0 {
				cuts = append(cuts, s)
			}
			if e := lastAddr(q).Next(); e.IsValid() && e.Compare(lo) > 0 && e.Compare(hi) <= 0 {
				cuts = append(cuts, e)
			}
		}
		for _, b := range blocks {
			add(b.CIDR)
			for _, ex := range b.Except {
				add(ex)
			}
		}
		slices.SortFunc(cuts, func(a, b netip.Addr) int { return a.Compare(b) })
		out = append(out, slices.Compact(cuts)...)
	}
	return out
}

// lastAddr is the last address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
