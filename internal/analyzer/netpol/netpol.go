// Package netpol analyzes what the NetworkPolicies of a scan allow, with the reachability engine
// of internal/netpol: namespaces without any policy, workloads every pod of every namespace can
// reach, egress to the cloud metadata service and to the whole internet, traffic between
// environments, internet ingress to workloads nothing exposes, and policies that select no pod.
//
// Which namespaces are judged follows the namespace analyzer (docs/namespaces.md): a namespace
// whose Namespace object is in the scan, or, with Config.JudgeAllNamespaces, one that a workload
// of the scan runs in; kube-system, kube-public and kube-node-lease are never judged. The
// per-workload controls judge the workloads of those namespaces: a scan of one application's
// manifests, whose namespace and policies live elsewhere, is not judged on policies it does not
// hold. See docs/netpol.md.
package netpol

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/nstarget"
	"github.com/kube4c/kube4c/internal/inventory"
	netmodel "github.com/kube4c/kube4c/internal/netpol"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Control IDs owned by this analyzer.
const (
	CtlNoPolicy           = "cluster/namespace-no-networkpolicy"
	CtlReachableFromAll   = "cluster/netpol-reachable-from-all-namespaces"
	CtlEgressMetadata     = "cluster/netpol-egress-to-metadata"
	CtlCrossEnvironment   = "cluster/netpol-cross-environment"
	CtlSelectsNoPod       = "cluster/netpol-selects-no-pod"
	CtlInternetIngress    = "cluster/netpol-internet-ingress-unexposed"
	CtlUnrestrictedEgress = "cluster/netpol-unrestricted-egress"
)

// AnyNamespace is the namespace of the hypothetical pod that stands for "any pod in any
// namespace": namespace names are DNS labels, so no namespace can have this name (it has a dot)
// and only selectors that match every namespace, present and future, select it.
const AnyNamespace = "kube4c.any-namespace"

// System namespaces are never judged (docs/namespaces.md).
const (
	kubeSystem    = "kube-system"
	kubePublic    = "kube-public"
	kubeNodeLease = "kube-node-lease"
)

func systemNamespace(ns string) bool {
	return ns == kubeSystem || ns == kubePublic || ns == kubeNodeLease
}

type netpolAnalyzer struct{}

// New returns the netpol analyzer.
func New() analyzer.Analyzer { return netpolAnalyzer{} }

func (netpolAnalyzer) Name() string { return "netpol" }

func (netpolAnalyzer) Controls() []string {
	ids := []string{CtlNoPolicy, CtlReachableFromAll, CtlEgressMetadata, CtlCrossEnvironment, CtlSelectsNoPod,
		CtlInternetIngress, CtlUnrestrictedEgress}
	sort.Strings(ids)
	return ids
}

var (
	gkNamespace     = schema.GroupKind{Kind: "Namespace"}
	gkNetworkPolicy = schema.GroupKind{Group: networkingv1.GroupName, Kind: "NetworkPolicy"}
	gkService       = schema.GroupKind{Kind: "Service"}
	gkIngress       = schema.GroupKind{Group: networkingv1.GroupName, Kind: "Ingress"}
)

// Needs says which kinds each control reads. Every control reads the policies and the workloads
// (which pods exist, with which labels); those that follow namespaceSelectors or judge namespaces
// read Namespaces (their labels); the internet-ingress control reads the Services and Ingresses
// that expose workloads.
func (netpolAnalyzer) Needs() map[string][]schema.GroupKind {
	with := func(extra ...schema.GroupKind) []schema.GroupKind {
		return append(append([]schema.GroupKind{gkNetworkPolicy}, analyzer.WorkloadKinds...), extra...)
	}
	return map[string][]schema.GroupKind{
		CtlNoPolicy:           with(gkNamespace),
		CtlReachableFromAll:   with(gkNamespace),
		CtlEgressMetadata:     with(gkNamespace),
		CtlCrossEnvironment:   with(gkNamespace),
		CtlSelectsNoPod:       with(),
		CtlInternetIngress:    with(gkNamespace, gkService, gkIngress),
		CtlUnrestrictedEgress: with(gkNamespace),
	}
}

// analysis holds one run of the analyzer.
type analysis struct {
	inv *inventory.Inventory
	cfg *analyzer.Config
	rec analyzer.Recorder
	m   *netmodel.Model
	// public is the public IPv4 internet (publicInternet) as an external endpoint.
	public *netmodel.Endpoint
	// on: the controls whose kinds the source could read (the others are not evaluated).
	on map[string]bool
	// targets are the judged namespaces; judged holds their names.
	targets []*nstarget.Target
	judged  map[string]bool
	// notes explain, per namespace, the policies left out of the model because the API server
	// would reject them.
	notes map[string][]string
	where map[string]string
	// explained memoizes explanations (see explain).
	explained map[string]*netmodel.Explanation
}

func (a netpolAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, cfg *analyzer.Config, rec analyzer.Recorder) error {
	if cfg == nil {
		cfg = analyzer.DefaultConfig()
	}
	r := &analysis{inv: inv, cfg: cfg, rec: rec, on: map[string]bool{}, judged: map[string]bool{}, notes: map[string][]string{},
		where: map[string]string{}, explained: map[string]*netmodel.Explanation{}}
	// A kind the source could not read (a cluster identity without list on it) is not "none": the
	// controls that read it are reported not evaluated, and must not be judged on a partial
	// picture.
	unread := map[schema.GroupKind]bool{}
	for _, u := range inv.Unavailable() {
		unread[schema.GroupKind{Group: u.Group, Kind: u.Kind}] = true
	}
	anyOn := false
	for id, kinds := range a.Needs() {
		r.on[id] = true
		for _, k := range kinds {
			if unread[k] {
				r.on[id] = false
			}
		}
		anyOn = anyOn || r.on[id]
	}
	if !anyOn {
		return nil
	}
	r.m = netmodel.Build(inv, netmodel.Options{})
	r.public = r.m.External(publicInternet()...)
	r.collectNotes()
	r.targets = targets(inv, cfg)
	for _, t := range r.targets {
		r.judged[t.Name] = true
	}
	for _, step := range []func(context.Context) error{r.namespaces, r.workloads, r.crossEnvironment, r.policies} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// collectNotes records the policies the engine left out (the API server would reject them), per
// namespace, so that findings there can say why a policy the user wrote does not count. The scan
// has no channel for analyzer warnings; these notes are the only place the problem shows.
func (r *analysis) collectNotes() {
	for _, p := range r.m.Problems {
		parts := strings.SplitN(p.Resource, "/", 3)
		if len(parts) != 3 {
			continue
		}
		r.notes[parts[1]] = append(r.notes[parts[1]], fmt.Sprintf("NetworkPolicy %s/%s does not count: %s", parts[1], parts[2], p.Message))
	}
}

// note returns the text to append to a finding in namespace ns ("" when nothing is to be said).
func (r *analysis) note(ns string) string {
	if len(r.notes[ns]) == 0 {
		return ""
	}
	return " (note: " + strings.Join(r.notes[ns], "; ") + ")"
}

// --- namespaces ---

// targets lists the judged namespaces (nstarget), without the system namespaces.
func targets(inv *inventory.Inventory, cfg *analyzer.Config) []*nstarget.Target {
	var out []*nstarget.Target
	for _, t := range nstarget.List(inv, cfg.JudgeAllNamespaces) {
		if !systemNamespace(t.Name) {
			out = append(out, t)
		}
	}
	return out
}

func (r *analysis) namespaces(context.Context) error {
	if !r.on[CtlNoPolicy] {
		return nil
	}
	for _, t := range r.targets {
		ns := r.m.Namespaces[t.Name]
		ok := ns != nil && len(ns.Policies) > 0
		what := "no NetworkPolicy"
		if len(r.notes[t.Name]) > 0 {
			what = "no valid NetworkPolicy"
		}
		t.Check(r.rec, CtlNoPolicy, ok, nil, fmt.Sprintf(
			"namespace %q has %s, so every pod in it, present and future, accepts connections from any pod of the cluster and may connect anywhere; add a default-deny policy (podSelector: {}, policyTypes: [Ingress, Egress]) and allow the traffic each workload needs%s",
			t.Name, what, r.note(t.Name)))
	}
	return nil
}

// --- descriptions shared by the messages ---

// ruleRef names a rule of a policy, with the file and line of the rule when the policy came from
// a file: NetworkPolicy shop/web spec.ingress[0] (shop.yaml:12).
func (r *analysis) ruleRef(rule *netmodel.Rule) string {
	p := rule.Policy
	s := fmt.Sprintf("NetworkPolicy %s/%s %s", p.Namespace, p.Name, rule.Field())
	if w := r.whereOf(p.Object, rule.Field()); w != "" {
		s += " (" + w + ")"
	}
	return s
}

// whereOf locates a field of an object for a message, "" for objects without a file.
func (r *analysis) whereOf(o *inventory.Object, path inventory.FieldPath) string {
	if o == nil || o.Source.File == "" {
		return ""
	}
	key := fmt.Sprintf("%p %s", o, path)
	if w, ok := r.where[key]; ok {
		return w
	}
	w := o.Where()
	if locs := o.Locate([]inventory.FieldPath{path}); len(locs) == 1 && locs[0].File != "" {
		w = locs[0].File
		if locs[0].Line > 0 {
			w = fmt.Sprintf("%s:%d", locs[0].File, locs[0].Line)
		}
	}
	r.where[key] = w
	return w
}

// peerText describes the peer of a rule that matched: "every source" when the rule has no
// from/to, else the ipBlock or selectors.
func peerText(rt netmodel.RuleTrace) string {
	pe := rt.Peer
	if pe == nil {
		if rt.Rule.Direction == netmodel.Egress {
			return "every destination (the rule has no to)"
		}
		return "every source (the rule has no from)"
	}
	if pe.Block != nil {
		return "ipBlock " + pe.Block.String()
	}
	var parts []string
	if pe.NamespaceSelector != nil {
		parts = append(parts, "namespaceSelector "+selText(pe.NamespaceSelector.String()))
	}
	if pe.PodSelector != nil {
		parts = append(parts, "podSelector "+selText(pe.PodSelector.String()))
	}
	return strings.Join(parts, " with ")
}

func selText(s string) string { return "{" + s + "}" }

// portsText renders allowed connections: "every port", or e.g. "TCP 80,443".
func portsText(c netmodel.ConnSet) string {
	if c.IsAll() {
		return "every port"
	}
	return c.String()
}

// matchedRules returns the rules of one side that matched the other endpoint (fully, when full),
// in policy order, each once.
func matchedRules(side netmodel.Side, full bool) []netmodel.RuleTrace {
	var out []netmodel.RuleTrace
	for _, pt := range side.Policies {
		for _, rt := range pt.Rules {
			if rt.Matched && (!full || !rt.Partial) && !rt.Ports.IsEmpty() {
				out = append(out, rt)
			}
		}
	}
	return out
}

// maxCited is how many rules or sources a message quotes before "and N more".
const maxCited = 3

func joinCited(parts []string, what string) string {
	if len(parts) > maxCited {
		parts = append(parts[:maxCited:maxCited], fmt.Sprintf("and %d more %s", len(parts)-maxCited, what))
	}
	return strings.Join(parts, "; ")
}

// notIsolated explains why a side allows everything.
func notIsolated(e *netmodel.Endpoint, dir netmodel.Direction) string {
	if e.HostNetwork {
		return "it uses the host network (spec.hostNetwork), which NetworkPolicies do not isolate"
	}
	return fmt.Sprintf("no NetworkPolicy in namespace %s selects it for %s", e.Namespace, dir)
}

// nonPublic are the IPv4 ranges that are not the public internet: "this network", the private
// ranges, carrier-grade NAT, loopback, link-local (the metadata address among them), and
// multicast and reserved space.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("224.0.0.0/3"),
}

// publicInternet returns the IPv4 public internet as prefixes: 0.0.0.0/0 without nonPublic. A
// rule that allows 0.0.0.0/0 except the private ranges still opens the whole internet, which is
// what the internet controls are about; 0.0.0.0/0 itself would let such a rule pass.
func publicInternet() []netip.Prefix {
	return subtract(netip.MustParsePrefix("0.0.0.0/0"), nonPublic)
}

// subtract returns the addresses of p outside every hole, as prefixes.
func subtract(p netip.Prefix, holes []netip.Prefix) []netip.Prefix {
	for _, h := range holes {
		if h.Bits() <= p.Bits() && h.Contains(p.Addr()) {
			return nil // p lies inside a hole
		}
	}
	overlaps := false
	for _, h := range holes {
		overlaps = overlaps || h.Overlaps(p)
	}
	if !overlaps {
		return []netip.Prefix{p}
	}
	lo := netip.PrefixFrom(p.Addr(), p.Bits()+1)
	a := p.Addr().As4()
	bit := p.Bits()
	a[bit/8] |= 1 << (7 - bit%8)
	hi := netip.PrefixFrom(netip.AddrFrom4(a), p.Bits()+1)
	return append(subtract(lo, holes), subtract(hi, holes)...)
}
