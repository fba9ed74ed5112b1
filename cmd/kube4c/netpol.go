package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/netpol"
	"github.com/spf13/cobra"
	networkingv1 "k8s.io/api/networking/v1"
)

// netpolFlags are the flags every netpol command shares.
type netpolFlags struct {
	src              sourceFlags
	defaultNamespace string
	output           string
	skipInvalid      bool
}

func (f *netpolFlags) register(c *cobra.Command, formats string) {
	fl := c.Flags()
	f.src.register(fl, false)
	fl.StringVar(&f.defaultNamespace, "default-namespace", "default", "namespace for namespaced objects in files that have none (also the Helm release namespace)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: "+formats)
	fl.BoolVar(&f.skipInvalid, "skip-invalid", false, "do not exit 2 because of malformed or unreadable input (the problems are still reported)")
}

// load reads the inputs and builds the network model.
func (f *netpolFlags) load(c *cobra.Command, paths []string, formats ...string) (*netpol.Model, func() error, error) {
	ok := false
	for _, fm := range formats {
		ok = ok || f.output == fm
	}
	if !ok {
		return nil, nil, usageErr("unknown output format %q (want %s)", f.output, strings.Join(formats, ", "))
	}
	inv, finish, err := loadInventory(c, &f.src, paths, f.defaultNamespace, f.skipInvalid, func(u inventory.Unavailable) string {
		switch {
		case u.Group == networkingv1.GroupName && u.Kind == "NetworkPolicy":
			return "NetworkPolicies could not be read: the answers below treat every pod as not isolated"
		case u.Group == "" && u.Kind == "Namespace":
			return "Namespaces could not be read: namespaceSelectors see only the kubernetes.io/metadata.name label"
		case u.Group == "" && u.Kind == "Pod":
			return "Pods could not be read: pod IPs are unknown, and bare Pods are missing"
		}
		return ""
	})
	if err != nil {
		return nil, nil, err
	}
	m := netpol.Build(inv, netpol.Options{})
	for _, p := range m.Problems {
		fmt.Fprintf(c.ErrOrStderr(), "%s: %s\n", p.Severity, p.String())
	}
	return m, finish, nil
}

func newNetpolCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "netpol",
		Short: "Compute what NetworkPolicies allow: the reachability matrix, and why a connection is allowed",
		Long: `Compute which workloads can connect to which, on which ports, from manifests, Helm charts and
Kustomize directories, or from a live cluster with --cluster. The evaluation follows the
NetworkPolicy API exactly: a pod is isolated for ingress (egress) when a policy of that type
selects it; it then accepts (sends) only what the union of those policies' rules allows; and a
connection needs both the source's egress and the destination's ingress. See docs/netpol.md.`,
	}
	c.AddCommand(newNetpolMatrixCmd(), newNetpolExplainCmd())
	return c
}

// --- matrix ---

func newNetpolMatrixCmd() *cobra.Command {
	f := &netpolFlags{}
	var namespaces []string
	c := &cobra.Command{
		Use:   "matrix [PATH...]",
		Short: "List the allowed connections between workloads, cluster DNS, the outside and the metadata API",
		Long: `List every allowed connection between the workloads (or Pods) of the input, the cluster DNS, the
outside of the cluster (0.0.0.0/0) and the cloud metadata endpoint (169.254.169.254), with the
ports and protocols allowed. A Deployment is one endpoint however many replicas it has; a
workload's connections to itself are not listed. Pairs with no allowed connection are left out.

For the outside, ALLOWED is what is allowed to (or from) every address; when only some addresses
are allowed (an ipBlock narrower than 0.0.0.0/0), SOME ADDRESSES shows what they get. Use
'kube4c netpol explain' to see which policy allows or blocks a connection.`,
		Example: `  kube4c netpol matrix examples/insecure-shop
  kube4c netpol matrix -n shop,payments --cluster -o csv
  kube4c netpol matrix ./deploy -o dot | dot -Tsvg > network.svg`,
		RunE: func(c *cobra.Command, args []string) error {
			m, finish, err := f.load(c, args, "table", "json", "csv", "dot")
			if err != nil {
				return err
			}
			var include func(*netpol.Endpoint) bool
			if len(namespaces) > 0 {
				want := map[string]bool{}
				for _, ns := range namespaces {
					if m.Namespaces[ns] == nil {
						return usageErr("namespace %q is not in the input", ns)
					}
					want[ns] = true
				}
				include = func(e *netpol.Endpoint) bool { return want[e.Namespace] || e.Synthetic != "" }
			}
			x := m.Matrix(include)
			w := bufio.NewWriterSize(c.OutOrStdout(), 64<<10)
			if err := writeMatrix(w, f.output, x); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return finish()
		},
	}
	f.register(c, "table, json, csv or dot")
	c.Flags().StringSliceVarP(&namespaces, "namespace", "n", nil, "only workloads of these namespaces (comma-separated or repeated; cluster DNS and the outside are always shown)")
	return c
}

// endpointName names an endpoint in reports.
func endpointName(e *netpol.Endpoint) string {
	s := e.String()
	if e.IsExternal() && len(e.External) == 1 && e.External[0] == netpol.MetadataIPv4 {
		return s + " (cloud metadata)"
	}
	return s
}

// cell is one allowed connection of the matrix.
type cell struct {
	from, to     int
	allowed      netpol.ConnSet
	some         netpol.ConnSet
	someDiffers  bool
	allowedEmpty bool
}

// eachCell calls fn for every pair of distinct endpoints with something allowed.
func eachCell(x *netpol.Matrix, fn func(cell) error) error {
	metadata := x.Endpoints[len(x.Endpoints)-1]
	for i := range x.Endpoints {
		for j := range x.Endpoints {
			// The metadata endpoint is a destination only: nothing connects from it.
			if i == j || (x.Endpoints[i].IsExternal() && x.Endpoints[j].IsExternal()) || x.Endpoints[i] == metadata {
				continue
			}
			some := x.Some(i, j)
			if some.IsEmpty() {
				continue
			}
			all := x.Conns(i, j)
			if err := fn(cell{from: i, to: j, allowed: all, some: some, someDiffers: !some.Equal(all), allowedEmpty: all.IsEmpty()}); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeMatrix(w io.Writer, format string, x *netpol.Matrix) error {
	names := make([]string, len(x.Endpoints))
	for i, e := range x.Endpoints {
		names[i] = endpointName(e)
	}
	switch format {
	case "json":
		return writeMatrixJSON(w, x, names)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"from", "to", "allowed", "some_addresses"}); err != nil {
			return err
		}
		err := eachCell(x, func(c cell) error {
			some := ""
			if c.someDiffers {
				some = c.some.String()
			}
			return cw.Write([]string{names[c.from], names[c.to], c.allowed.String(), some})
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "dot":
		return writeMatrixDot(w, x, names)
	}
	// Columns are aligned by hand rather than with tabwriter, which would hold the whole matrix
	// in memory: the names' widths are known, and one pass over the cells finds ALLOWED's.
	nameWidth := len("FROM")
	for _, n := range names {
		nameWidth = max(nameWidth, len(n))
	}
	allowedWidth := len("ALLOWED")
	n := 0
	_ = eachCell(x, func(c cell) error {
		n++
		allowedWidth = max(allowedWidth, len(c.allowed.String()))
		return nil
	})
	if n == 0 {
		_, err := fmt.Fprintln(w, "(no connection is allowed)")
		return err
	}
	fmt.Fprintf(w, "%-*s  %-*s  %-*s  %s\n", nameWidth, "FROM", nameWidth, "TO", allowedWidth, "ALLOWED", "SOME ADDRESSES")
	return eachCell(x, func(c cell) error {
		var err error
		if c.someDiffers {
			_, err = fmt.Fprintf(w, "%-*s  %-*s  %-*s  %s\n", nameWidth, names[c.from], nameWidth, names[c.to], allowedWidth, c.allowed, c.some)
		} else {
			_, err = fmt.Fprintf(w, "%-*s  %-*s  %s\n", nameWidth, names[c.from], nameWidth, names[c.to], c.allowed)
		}
		return err
	})
}

// matrixSchemaVersion versions the JSON of `netpol matrix` (docs/netpol.md).
const matrixSchemaVersion = "1"

func writeMatrixJSON(w io.Writer, x *netpol.Matrix, names []string) error {
	// Written by hand, row by row: a cluster's matrix can hold millions of connections, and
	// building it as one value first would need all of them in memory.
	fmt.Fprintf(w, "{\n  \"schemaVersion\": %q,\n  \"endpoints\": [", matrixSchemaVersion)
	for i, e := range x.Endpoints {
		sep := ","
		if i == 0 {
			sep = ""
		}
		ep := endpointJSON{Name: names[i], Kind: e.Kind, Namespace: e.Namespace, Workload: e.Name, Synthetic: e.Synthetic,
			HostNetwork: e.HostNetwork, IngressIsolated: e.IngressIsolated(), EgressIsolated: e.EgressIsolated()}
		if e.IsExternal() {
			ep.Kind, ep.Workload = "", ""
			for _, p := range e.External {
				ep.External = append(ep.External, p.String())
			}
		}
		if e.Object != nil && e.Object.Source.Origin != inventory.FromCluster {
			ep.Location = e.Object.Where()
		}
		b, err := json.Marshal(ep)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n    %s", sep, b)
	}
	fmt.Fprint(w, "\n  ],\n  \"connections\": [")
	// Names and connection sets are quoted once; each connection is then a few copies.
	quoted := make([][]byte, len(names))
	for i, n := range names {
		quoted[i], _ = json.Marshal(n)
	}
	sets := map[string][]byte{}
	quote := func(c netpol.ConnSet) []byte {
		k := c.String()
		q, ok := sets[k]
		if !ok {
			q, _ = json.Marshal(k)
			sets[k] = q
		}
		return q
	}
	first := true
	var buf []byte
	err := eachCell(x, func(c cell) error {
		buf = buf[:0]
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, "\n    {\"from\":"...)
		buf = append(buf, quoted[c.from]...)
		buf = append(buf, ",\"to\":"...)
		buf = append(buf, quoted[c.to]...)
		buf = append(buf, ",\"allowed\":"...)
		buf = append(buf, quote(c.allowed)...)
		if c.someDiffers {
			buf = append(buf, ",\"someAddresses\":"...)
			buf = append(buf, quote(c.some)...)
		}
		buf = append(buf, '}')
		_, err := w.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(w, "\n  ]\n}\n")
	return err
}

type endpointJSON struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind,omitempty"`
	Namespace       string   `json:"namespace,omitempty"`
	Workload        string   `json:"workload,omitempty"`
	External        []string `json:"external,omitempty"`
	Synthetic       string   `json:"synthetic,omitempty"`
	Location        string   `json:"location,omitempty"`
	HostNetwork     bool     `json:"hostNetwork,omitempty"`
	IngressIsolated bool     `json:"ingressIsolated"`
	EgressIsolated  bool     `json:"egressIsolated"`
}

func writeMatrixDot(w io.Writer, x *netpol.Matrix, names []string) error {
	fmt.Fprintln(w, "digraph netpol {")
	fmt.Fprintln(w, "  rankdir=LR;")
	fmt.Fprintln(w, "  node [shape=box, fontname=\"Helvetica\"];")
	byNS := map[string][]int{}
	var nss []string
	for i, e := range x.Endpoints {
		if e.IsExternal() {
			fmt.Fprintf(w, "  n%d [label=%s, shape=ellipse];\n", i, strconv.Quote(names[i]))
			continue
		}
		if _, ok := byNS[e.Namespace]; !ok {
			nss = append(nss, e.Namespace)
		}
		byNS[e.Namespace] = append(byNS[e.Namespace], i)
	}
	sort.Strings(nss)
	for k, ns := range nss {
		fmt.Fprintf(w, "  subgraph cluster_%d {\n    label=%s;\n", k, strconv.Quote("namespace "+ns))
		for _, i := range byNS[ns] {
			e := x.Endpoints[i]
			label := e.Kind + "/" + e.Name
			if e.Synthetic != "" {
				label = e.Name + " (" + e.Synthetic + ")"
			}
			fmt.Fprintf(w, "    n%d [label=%s];\n", i, strconv.Quote(label))
		}
		fmt.Fprintln(w, "  }")
	}
	err := eachCell(x, func(c cell) error {
		label := c.allowed.String()
		style := ""
		if c.someDiffers {
			label = "some addresses: " + c.some.String()
			if !c.allowedEmpty {
				label = c.allowed.String() + " (some addresses: " + c.some.String() + ")"
			}
			style = ", style=dashed"
		}
		_, err := fmt.Fprintf(w, "  n%d -> n%d [label=%s%s];\n", c.from, c.to, strconv.Quote(label), style)
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, "}")
	return err
}

// --- explain ---

// portArg matches the optional PORT[/PROTO] argument of explain: a number or a port name, with an
// optional protocol (a bare name needs the protocol, to tell it from a path).
var portArg = regexp.MustCompile(`^(?i)(?:([0-9]+)(?:/(tcp|udp|sctp))?|([a-z0-9]([-a-z0-9]*[a-z0-9])?)/(tcp|udp|sctp))$`)

func newNetpolExplainCmd() *cobra.Command {
	f := &netpolFlags{}
	c := &cobra.Command{
		Use:   "explain SRC DST [PORT[/PROTO]] [PATH...]",
		Short: "Explain which policies allow or block a connection, and why",
		Long: `Show, for a connection from SRC to DST, the source's egress side and the destination's ingress
side: whether a policy isolates it, and for every rule of those policies whether it matches the
other end (and if not, why not) and which ports it allows.

SRC and DST are workloads or Pods (NAMESPACE/NAME, or KIND/NAMESPACE/NAME when a name is used by
several kinds), an IP address or CIDR outside the cluster, or one of: anywhere (0.0.0.0/0),
metadata (169.254.169.254), dns (the cluster DNS). PORT is a number or, with a protocol, a port
name resolved against DST's container ports (http/TCP); PROTO defaults to TCP. Without PORT, the
answer lists every allowed port.

Exit code 0 when the connection (or some port, without PORT) is allowed, 1 when it is blocked.`,
		Example: `  kube4c netpol explain shop/frontend shop/cart-api 8080 examples/insecure-shop
  kube4c netpol explain shop/orders-worker metadata --cluster
  kube4c netpol explain anywhere payments/api 443/TCP ./deploy -o json`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			paths := args[2:]
			var portSpec string
			if len(paths) > 0 && portArg.MatchString(paths[0]) {
				portSpec, paths = paths[0], paths[1:]
			}
			m, finish, err := f.load(c, paths, "table", "json")
			if err != nil {
				return err
			}
			src, err := m.Find(args[0])
			if err != nil {
				return usageErr("SRC %v", err)
			}
			dst, err := m.Find(args[1])
			if err != nil {
				return usageErr("DST %v", err)
			}
			if src.IsExternal() && dst.IsExternal() {
				return usageErr("SRC and DST are both outside the cluster: NetworkPolicies do not govern that traffic")
			}
			probe, err := resolvePort(portSpec, dst)
			if err != nil {
				return usageErr("%v", err)
			}
			x := m.Explain(src, dst)
			allowed := !x.Some.IsEmpty()
			if probe != nil {
				allowed = x.Some.Allows(probe.proto, probe.port)
			}
			if f.output == "json" {
				err = writeJSON(c.OutOrStdout(), explainJSON(x, probe, allowed))
			} else {
				err = writeExplain(c.OutOrStdout(), x, probe, allowed)
			}
			if err != nil {
				return err
			}
			if err := finish(); err != nil {
				return err
			}
			if !allowed {
				return &codeError{code: exitFindings}
			}
			return nil
		},
	}
	f.register(c, "table or json")
	return c
}

// probePort is the port explain asks about.
type probePort struct {
	proto netpol.Protocol
	port  int32
	name  string // the port name the user gave, if any
}

func (p *probePort) String() string {
	if p.name != "" {
		return fmt.Sprintf("%s %d (%s)", p.proto, p.port, p.name)
	}
	return fmt.Sprintf("%s %d", p.proto, p.port)
}

func resolvePort(spec string, dst *netpol.Endpoint) (*probePort, error) {
	if spec == "" {
		return nil, nil
	}
	g := portArg.FindStringSubmatch(spec)
	if g[1] != "" {
		n, err := strconv.Atoi(g[1])
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %s is outside 1-65535", g[1])
		}
		proto := netpol.TCP
		if g[2] != "" {
			proto, _ = netpol.ParseProtocol(g[2])
		}
		return &probePort{proto: proto, port: int32(n)}, nil
	}
	name := g[3]
	proto, _ := netpol.ParseProtocol(g[5])
	for _, p := range dst.Ports {
		if p.Name == name && p.Protocol == proto {
			return &probePort{proto: proto, port: p.Port, name: name}, nil
		}
	}
	return nil, fmt.Errorf("%s has no %s container port named %q", dst, proto, name)
}

func writeExplain(w io.Writer, x *netpol.Explanation, probe *probePort, allowed bool) error {
	what := "any port"
	if probe != nil {
		what = probe.String()
	}
	verdict := "BLOCKED"
	switch {
	case allowed && probe != nil && !x.Allowed.Allows(probe.proto, probe.port),
		allowed && probe == nil && x.Allowed.IsEmpty():
		verdict = "ALLOWED to or from some of the addresses only"
	case allowed:
		verdict = "ALLOWED"
	}
	fmt.Fprintf(w, "%s → %s, %s: %s\n", x.Src, x.Dst, what, verdict)
	fmt.Fprintf(w, "  allowed connections: %s\n", x.Allowed)
	if !x.Some.Equal(x.Allowed) {
		fmt.Fprintf(w, "  to or from some of the addresses only: %s\n", x.Some)
	}
	for _, side := range []*netpol.Side{&x.Egress, &x.Ingress} {
		writeSide(w, side, probe)
	}
	return nil
}

func sideTitle(s *netpol.Side) string {
	if s.Direction == netpol.Egress {
		return "Egress of " + s.Endpoint.String()
	}
	return "Ingress of " + s.Endpoint.String()
}

func writeSide(w io.Writer, s *netpol.Side, probe *probePort) {
	fmt.Fprintf(w, "\n%s:\n", sideTitle(s))
	if !s.Isolated {
		fmt.Fprintf(w, "  not isolated (%s): everything is allowed\n", s.Reason)
		return
	}
	fmt.Fprintf(w, "  isolated by %d polic%s; together they allow %s here\n", len(s.Policies), plural(len(s.Policies), "y", "ies"), s.Allowed)
	for _, pt := range s.Policies {
		fmt.Fprintf(w, "  %s%s\n", pt.Policy.Ref(), sourceOf(pt.Policy.Object))
		if len(pt.Rules) == 0 {
			fmt.Fprintf(w, "    no %s rules: allows nothing\n", s.Direction)
		}
		for _, rt := range pt.Rules {
			field := rt.Rule.Field().String()
			if !rt.Matched {
				fmt.Fprintf(w, "    %s: does not match\n", field)
				for _, why := range rt.Why {
					fmt.Fprintf(w, "      %s\n", why)
				}
				continue
			}
			by := "every peer (no from/to)"
			if rt.Peer != nil {
				by = rt.Peer.Field().String()
			}
			mark := ""
			if probe != nil {
				if rt.Ports.Allows(probe.proto, probe.port) {
					mark = " ✓"
				} else {
					mark = fmt.Sprintf(" (not %s)", probe)
				}
			}
			partial := ""
			if rt.Partial {
				partial = " (some addresses only)"
			}
			fmt.Fprintf(w, "    %s: matches by %s%s; allows %s%s\n", field, by, partial, rt.Ports, mark)
		}
	}
}

// sourceOf is " (file:line)" for objects read from files, "" otherwise.
func sourceOf(o *inventory.Object) string {
	if o == nil || o.Source.Origin == inventory.FromCluster {
		return ""
	}
	return " (" + o.Where() + ")"
}

type explainOut struct {
	From    string      `json:"from"`
	To      string      `json:"to"`
	Port    *portJSON   `json:"port,omitempty"`
	Allowed bool        `json:"allowed"`
	Conns   string      `json:"allowedConnections"`
	Some    string      `json:"someAddresses,omitempty"`
	Egress  sideJSONOut `json:"egress"`
	Ingress sideJSONOut `json:"ingress"`
	Schema  string      `json:"schemaVersion"`
}

type portJSON struct {
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
	Name     string `json:"name,omitempty"`
}

type sideJSONOut struct {
	Endpoint string      `json:"endpoint"`
	Isolated bool        `json:"isolated"`
	Reason   string      `json:"reason,omitempty"`
	Allowed  string      `json:"allowed"`
	Policies []policyOut `json:"policies,omitempty"`
}

type policyOut struct {
	Policy   string    `json:"policy"`
	Location string    `json:"location,omitempty"`
	Rules    []ruleOut `json:"rules"`
}

type ruleOut struct {
	Rule    string   `json:"rule"`
	Matched bool     `json:"matched"`
	Partial bool     `json:"someAddressesOnly,omitempty"`
	Peer    string   `json:"peer,omitempty"`
	Allows  string   `json:"allows,omitempty"`
	Why     []string `json:"why,omitempty"`
}

func explainJSON(x *netpol.Explanation, probe *probePort, allowed bool) explainOut {
	out := explainOut{Schema: "1", From: x.Src.String(), To: x.Dst.String(), Allowed: allowed, Conns: x.Allowed.String(),
		Egress: sideOut(&x.Egress), Ingress: sideOut(&x.Ingress)}
	if !x.Some.Equal(x.Allowed) {
		out.Some = x.Some.String()
	}
	if probe != nil {
		out.Port = &portJSON{Protocol: string(probe.proto), Port: probe.port, Name: probe.name}
	}
	return out
}

func sideOut(s *netpol.Side) sideJSONOut {
	out := sideJSONOut{Endpoint: s.Endpoint.String(), Isolated: s.Isolated, Reason: s.Reason, Allowed: s.Allowed.String()}
	for _, pt := range s.Policies {
		po := policyOut{Policy: pt.Policy.Ref(), Rules: []ruleOut{}}
		if o := pt.Policy.Object; o != nil && o.Source.Origin != inventory.FromCluster {
			po.Location = o.Where()
		}
		for _, rt := range pt.Rules {
			ro := ruleOut{Rule: rt.Rule.Field().String(), Matched: rt.Matched, Partial: rt.Partial, Why: rt.Why}
			if rt.Matched {
				ro.Allows = rt.Ports.String()
				if rt.Peer != nil {
					ro.Peer = rt.Peer.Field().String()
				}
			}
			po.Rules = append(po.Rules, ro)
		}
		out.Policies = append(out.Policies, po)
	}
	return out
}
