package netpol

import (
	"sort"
	"strconv"
	"strings"
)

// Protocol is a NetworkPolicy port protocol.
type Protocol string

// The protocols a NetworkPolicy can name.
const (
	TCP  Protocol = "TCP"
	UDP  Protocol = "UDP"
	SCTP Protocol = "SCTP"
)

// Protocols lists the protocols in the order connection sets print them.
var Protocols = [...]Protocol{TCP, UDP, SCTP}

const (
	minPort = 1
	maxPort = 65535
)

func protoIndex(p Protocol) int {
	switch p {
	case TCP:
		return 0
	case UDP:
		return 1
	case SCTP:
		return 2
	}
	return -1
}

// ParseProtocol accepts a protocol name in any case.
func ParseProtocol(s string) (Protocol, bool) {
	p := Protocol(strings.ToUpper(s))
	return p, protoIndex(p) >= 0
}

// portRange is an inclusive range of port numbers.
type portRange struct{ lo, hi int32 }

// ConnSet is a set of connections: for each protocol, a set of destination ports. The zero value
// is the empty set. ConnSets are values: operations return new sets and never modify their
// operands.
type ConnSet struct {
	p [len(Protocols)][]portRange // sorted, disjoint, non-adjacent
}

// AllConns is the set of every port of every protocol.
func AllConns() ConnSet {
	var c ConnSet
	for i := range c.p {
		c.p[i] = []portRange{{minPort, maxPort}}
	}
	return c
}

// PortRange is the set of ports lo..hi (inclusive) of one protocol; hi < lo means just lo. Ports
// are clamped to 1..65535.
func PortRange(proto Protocol, lo, hi int32) ConnSet {
	var c ConnSet
	i := protoIndex(proto)
	if hi < lo {
		hi = lo
	}
	lo, hi = max(lo, minPort), min(hi, maxPort)
	if i < 0 || lo > hi {
		return c
	}
	c.p[i] = []portRange{{lo, hi}}
	return c
}

// AllPorts is every port of one protocol.
func AllPorts(proto Protocol) ConnSet { return PortRange(proto, minPort, maxPort) }

// IsEmpty reports whether the set allows nothing.
func (c ConnSet) IsEmpty() bool {
	for _, r := range c.p {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

// IsAll reports whether the set allows every port of every protocol.
func (c ConnSet) IsAll() bool {
	for _, r := range c.p {
		if !allRange(r) {
			return false
		}
	}
	return true
}

func allRange(r []portRange) bool { return len(r) == 1 && r[0].lo == minPort && r[0].hi == maxPort }

// Allows reports whether the set holds the port of the protocol.
func (c ConnSet) Allows(proto Protocol, port int32) bool {
	i := protoIndex(proto)
	if i < 0 {
		return false
	}
	r := c.p[i]
	k := sort.Search(len(r), func(k int) bool { return r[k].hi >= port })
	return k < len(r) && r[k].lo <= port
}

// AllowsAny reports whether the set holds any port of the protocol.
func (c ConnSet) AllowsAny(proto Protocol) bool {
	i := protoIndex(proto)
	return i >= 0 && len(c.p[i]) > 0
}

// Union returns the connections in either set.
func (c ConnSet) Union(o ConnSet) ConnSet {
	var out ConnSet
	for i := range c.p {
		out.p[i] = unionRanges(c.p[i], o.p[i])
	}
	return out
}

// Intersect returns the connections in both sets.
func (c ConnSet) Intersect(o ConnSet) ConnSet {
	var out ConnSet
	for i := range c.p {
		out.p[i] = intersectRanges(c.p[i], o.p[i])
	}
	return out
}

// Equal reports whether both sets hold the same connections.
func (c ConnSet) Equal(o ConnSet) bool {
	for i := range c.p {
		if len(c.p[i]) != len(o.p[i]) {
			return false
		}
		for k := range c.p[i] {
			if c.p[i][k] != o.p[i][k] {
				return false
			}
		}
	}
	return true
}

func unionRanges(a, b []portRange) []portRange {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0 || allRange(a):
		return a
	case allRange(b):
		return b
	}
	all := make([]portRange, 0, len(a)+len(b))
	all = append(append(all, a...), b...)
	sort.Slice(all, func(i, j int) bool { return all[i].lo < all[j].lo })
	out := all[:1]
	for _, r := range all[1:] {
		last := &out[len(out)-1]
		if r.lo <= last.hi+1 {
			last.hi = max(last.hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

func intersectRanges(a, b []portRange) []portRange {
	switch {
	case len(a) == 0 || len(b) == 0:
		return nil
	case allRange(a):
		return b
	case allRange(b):
		return a
	}
	var out []portRange
	for i, j := 0, 0; i < len(a) && j < len(b); {
		lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
		if lo <= hi {
			out = append(out, portRange{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// String renders the set: "All", "None", or per protocol its ports, e.g. "TCP 80,8000-8080;UDP *"
// (* is every port of that protocol).
func (c ConnSet) String() string {
	if c.IsAll() {
		return "All"
	}
	if c.IsEmpty() {
		return "None"
	}
	var parts []string
	for i, r := range c.p {
		if len(r) == 0 {
			continue
		}
		parts = append(parts, string(Protocols[i])+" "+rangesString(r))
	}
	return strings.Join(parts, ";")
}

func rangesString(r []portRange) string {
	if allRange(r) {
		return "*"
	}
	var b strings.Builder
	for k, x := range r {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(x.lo)))
		if x.hi != x.lo {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(x.hi)))
		}
	}
	return b.String()
}
