package netpol

import (
	"sort"
	"strconv"
	"strings"
)

// Matrix holds the connections allowed between every pair of a set of endpoints: workloads,
// Pods, cluster DNS, and the external endpoints "anywhere" (0.0.0.0/0) and the cloud metadata
// address.
//
// It is computed on equivalence classes: endpoints in the same namespace with the same labels,
// named ports, network mode and addresses are treated alike by every policy, so one
// representative per class is evaluated. Every pair of classes is evaluated with the policy
// rules' matches precomputed as bitsets over classes and connection sets interned.
type Matrix struct {
	// Endpoints are the rows and columns: the selected workloads and Pods, then the external ones.
	Endpoints []*Endpoint

	class    []int    // endpoint index → class
	nclass   int      // number of classes
	cells    []uint32 // class × class → set id (allowed to every address)
	someDiff map[int]uint32
	sets     *connTable
}

// Conns returns the connections allowed from endpoint i to endpoint j (indexes of Endpoints).
func (x *Matrix) Conns(i, j int) ConnSet {
	return x.sets.set(x.cells[x.class[i]*x.nclass+x.class[j]])
}

// Some returns the connections allowed from endpoint i to at least some addresses of endpoint j
// (or from some addresses of i to j); it differs from Conns only for external endpoints.
func (x *Matrix) Some(i, j int) ConnSet {
	k := x.class[i]*x.nclass + x.class[j]
	if id, ok := x.someDiff[k]; ok {
		return x.sets.set(id)
	}
	return x.sets.set(x.cells[k])
}

// Classes is the number of equivalence classes the matrix was computed on.
func (x *Matrix) Classes() int { return x.nclass }

// Matrix computes the connections between the model's endpoints that include accepts (nil: all),
// plus "anywhere" and the metadata endpoint.
func (m *Model) Matrix(include func(*Endpoint) bool) *Matrix {
	x := &Matrix{sets: newConnTable(), someDiff: map[int]uint32{}}
	for _, e := range m.Endpoints {
		if include == nil || include(e) {
			x.Endpoints = append(x.Endpoints, e)
		}
	}
	internal := len(x.Endpoints)
	x.Endpoints = append(x.Endpoints, m.Anywhere, m.Metadata)

	// Equivalence classes of internal endpoints; each external endpoint is its own class.
	var reps []*Endpoint
	keys := map[string]int{}
	x.class = make([]int, len(x.Endpoints))
	for i, e := range x.Endpoints {
		k := "\x01" + e.String()
		if i < internal {
			k = m.classKey(e)
		}
		c, ok := keys[k]
		if !ok {
			c = len(reps)
			keys[k] = c
			reps = append(reps, e)
		}
		x.class[i] = c
	}
	n := len(reps)
	x.nclass = n
	x.cells = make([]uint32, n*n)
	ev := newClassEval(m, reps, x.sets)
	for s := 0; s < n; s++ {
		for d := 0; d < n; d++ {
			if reps[s].IsExternal() || reps[d].IsExternal() {
				all, some := m.conns(reps[s], reps[d])
				x.cells[s*n+d] = x.sets.id(all)
				if !some.Equal(all) {
					x.someDiff[s*n+d] = x.sets.id(some)
				}
				continue
			}
			x.cells[s*n+d] = ev.pair(s, d)
		}
	}
	return x
}

// classKey identifies the endpoints policies cannot tell apart.
func (m *Model) classKey(e *Endpoint) string {
	var b strings.Builder
	b.WriteString(e.Namespace)
	b.WriteByte(0)
	keys := make([]string, 0, len(e.Labels))
	for k := range e.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(e.Labels[k])
		b.WriteByte(0)
	}
	b.WriteByte(1)
	for _, p := range e.Ports {
		if p.Name != "" {
			b.WriteString(p.Name + "/" + string(p.Protocol) + "/" + strconv.Itoa(int(p.Port)))
			b.WriteByte(0)
		}
	}
	if e.HostNetwork {
		b.WriteString("\x02host")
	}
	if e.Synthetic != "" {
		b.WriteString("\x02" + e.Synthetic)
	}
	if m.hasBlocks {
		b.WriteByte(3)
		b.WriteString(addrs(e.IPs))
	}
	return b.String()
}

// connTable interns connection sets and memoizes their unions and intersections.
type connTable struct {
	sets  []ConnSet
	ids   map[string]uint32
	union map[[2]uint32]uint32
	inter map[[2]uint32]uint32
}

const (
	noneID uint32 = 0
	allID  uint32 = 1
)

func newConnTable() *connTable {
	t := &connTable{ids: map[string]uint32{}, union: map[[2]uint32]uint32{}, inter: map[[2]uint32]uint32{}}
	t.id(ConnSet{})
	t.id(AllConns())
	return t
}

func (t *connTable) id(c ConnSet) uint32 {
	k := c.String()
	if id, ok := t.ids[k]; ok {
		return id
	}
	id := uint32(len(t.sets))
	t.sets = append(t.sets, c)
	t.ids[k] = id
	return id
}

func (t *connTable) set(id uint32) ConnSet { return t.sets[id] }

func (t *connTable) unionID(a, b uint32) uint32 {
	switch {
	case a == b || b == noneID || a == allID:
		return a
	case a == noneID || b == allID:
		return b
	}
	k := [2]uint32{min(a, b), max(a, b)}
	if id, ok := t.union[k]; ok {
		return id
	}
	id := t.id(t.sets[a].Union(t.sets[b]))
	t.union[k] = id
	return id
}

func (t *connTable) interID(a, b uint32) uint32 {
	switch {
	case a == b || b == allID || a == noneID:
		return a
	case a == allID || b == noneID:
		return b
	}
	k := [2]uint32{min(a, b), max(a, b)}
	if id, ok := t.inter[k]; ok {
		return id
	}
	id := t.id(t.sets[a].Intersect(t.sets[b]))
	t.inter[k] = id
	return id
}

// bitset is a set of class indexes.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) add(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) fill(n int) {
	for i := 0; i < n; i++ {
		b.add(i)
	}
}

// classEval evaluates pairs of internal classes with precomputed rule matches.
type classEval struct {
	reps  []*Endpoint
	sets  *connTable
	match map[*Rule]bitset   // classes each rule's peers select
	ports map[*Rule][]uint32 // per destination class, +1 (0: not computed yet)
	fixed map[*Rule]uint32   // port set of rules without named ports
}

func newClassEval(m *Model, reps []*Endpoint, sets *connTable) *classEval {
	ev := &classEval{reps: reps, sets: sets, match: map[*Rule]bitset{}, ports: map[*Rule][]uint32{}, fixed: map[*Rule]uint32{}}
	n := len(reps)
	byNS := map[string][]int{}
	var nsNames []string
	for i, e := range reps {
		if e.IsExternal() {
			continue
		}
		if _, ok := byNS[e.Namespace]; !ok {
			nsNames = append(nsNames, e.Namespace)
		}
		byNS[e.Namespace] = append(byNS[e.Namespace], i)
	}
	used := map[*Rule]bool{}
	for _, e := range reps {
		for _, p := range e.ingressPols {
			for _, r := range p.IngressRules {
				used[r] = true
			}
		}
		for _, p := range e.egressPols {
			for _, r := range p.EgressRules {
				used[r] = true
			}
		}
	}
	for r := range used {
		set := newBitset(n)
		if r.AllPeers {
			set.fill(n)
		}
		for _, pe := range r.Peers {
			if r.AllPeers {
				break
			}
			switch {
			case pe.Block != nil:
				for i, e := range reps {
					if !e.IsExternal() && pe.matches(e) {
						set.add(i)
					}
				}
			case pe.NamespaceSelector == nil:
				for _, i := range byNS[r.Policy.Namespace] {
					if pe.matches(reps[i]) {
						set.add(i)
					}
				}
			default:
				for _, ns := range nsNames {
					cls := byNS[ns]
					if !pe.NamespaceSelector.Matches(labelSet(reps[cls[0]].ns.Labels)) {
						continue
					}
					for _, i := range cls {
						if pe.matches(reps[i]) {
							set.add(i)
						}
					}
				}
			}
		}
		ev.match[r] = set
		if !r.namedPorts {
			ev.fixed[r] = sets.id(r.fixed)
		} else {
			ev.ports[r] = make([]uint32, n)
		}
	}
	return ev
}

func (ev *classEval) portsTo(r *Rule, d int) uint32 {
	if id, ok := ev.fixed[r]; ok {
		return id
	}
	cache := ev.ports[r]
	if cache[d] == 0 {
		cache[d] = ev.sets.id(r.PortsTo(ev.reps[d])) + 1
	}
	return cache[d] - 1
}

func (ev *classEval) pair(s, d int) uint32 {
	src, dst := ev.reps[s], ev.reps[d]
	egress := allID
	if len(src.egressPols) > 0 {
		egress = noneID
		for _, p := range src.egressPols {
			for _, r := range p.EgressRules {
				if ev.match[r].has(d) {
					egress = ev.sets.unionID(egress, ev.portsTo(r, d))
				}
			}
		}
		if egress == noneID {
			return noneID
		}
	}
	ingress := allID
	if len(dst.ingressPols) > 0 {
		ingress = noneID
		for _, p := range dst.ingressPols {
			for _, r := range p.IngressRules {
				if ev.match[r].has(s) {
					ingress = ev.sets.unionID(ingress, ev.portsTo(r, d))
				}
			}
		}
	}
	return ev.sets.interID(egress, ingress)
}
