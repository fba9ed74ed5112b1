package netpol_test

// Truth tables: every case under testdata/upstream (transcribed from the Kubernetes e2e
// NetworkPolicy suite) and testdata/cases (our own), run against the engine cell by cell.
// testdata/README.md describes the data format and the model the runner builds.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/netpol"
)

// What the data must keep holding: deleting cases or probes makes TestTruthCaseCount fail.
const (
	minUpstreamCases  = 48 // 42 TCP + 3 UDP + 3 SCTP It()s of network_policy.go
	minUpstreamProbes = 65
	minOwnCases       = 37
	minOwnProbes      = 89
)

// The model of the upstream suite: namespaces x, y, z with pods a, b, c each.
var (
	modelNamespaces = []string{"x", "y", "z"}
	modelPodNames   = []string{"a", "b", "c"}
)

const modelHostIP = "192.168.0.1"

// modelPodIP is the fixed pod IP of the model pod ns/pod: 10.0.<namespace index>.<pod index>,
// counting from 1 (x/a 10.0.1.1 ... z/c 10.0.3.3).
func modelPodIP(ns, pod string) string {
	return fmt.Sprintf("10.0.%d.%d", slices.Index(modelNamespaces, ns)+1, slices.Index(modelPodNames, pod)+1)
}

type truthFile struct {
	Source         truthSource `json:"source"`
	Context        string      `json:"context,omitempty"`
	IgnoreLoopback bool        `json:"ignoreLoopback"`
	Cases          []truthCase `json:"cases"`
}

type truthSource struct {
	Repository   string    `json:"repository,omitempty"`
	Commit       string    `json:"commit,omitempty"`
	File         string    `json:"file,omitempty"`
	Helpers      []fileRef `json:"helpers,omitempty"`
	ComparedWith []fileRef `json:"comparedWith,omitempty"`
	Spec         string    `json:"spec,omitempty"`
}

type fileRef struct {
	File   string `json:"file"`
	Commit string `json:"commit"`
}

type truthCase struct {
	Name      string            `json:"name"`
	Ports     []int32           `json:"ports,omitempty"`
	Protocols []corev1.Protocol `json:"protocols,omitempty"`
	Pods      []podSpec         `json:"pods,omitempty"`
	Externals []string          `json:"externals,omitempty"`
	Steps     []truthStep       `json:"steps"`
}

type podSpec struct {
	Name           string                 `json:"name"`
	Labels         map[string]string      `json:"labels,omitempty"`
	IP             string                 `json:"ip,omitempty"`
	ContainerPorts []corev1.ContainerPort `json:"containerPorts,omitempty"`
}

type truthStep struct {
	NamespaceLabels map[string]map[string]string `json:"namespaceLabels,omitempty"`
	PodLabels       map[string]map[string]string `json:"podLabels,omitempty"`
	Policies        []networkingv1.NetworkPolicy `json:"policies"`
	Probes          []truthProbe                 `json:"probes"`
}

type truthProbe struct {
	Port     int32           `json:"port"`
	Protocol corev1.Protocol `json:"protocol"`
	Expect   []string        `json:"expect"`
	Truth    string          `json:"truth"`
}

type dataFile struct {
	path     string // relative to testdata
	upstream bool
	truthFile
}

// loadTruthFiles reads every file of testdata/upstream and testdata/cases. Anything there that is
// not a .yaml file, or does not decode strictly, fails the test rather than going unread.
func loadTruthFiles(t *testing.T) []dataFile {
	t.Helper()
	var out []dataFile
	for _, dir := range []string{"upstream", "cases"} {
		ents, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			rel := filepath.Join(dir, e.Name())
			if e.IsDir() || filepath.Ext(e.Name()) != ".yaml" {
				t.Fatalf("testdata/%s: only .yaml data files belong here", rel)
			}
			raw, err := os.ReadFile(filepath.Join("testdata", rel))
			if err != nil {
				t.Fatal(err)
			}
			f, err := decodeTruthFile(raw)
			if err != nil {
				t.Fatalf("testdata/%s: %v", rel, err)
			}
			out = append(out, dataFile{path: rel, upstream: dir == "upstream", truthFile: f})
		}
	}
	if len(out) == 0 {
		t.Fatal("no truth table files under testdata")
	}
	return out
}

// decodeTruthFile parses YAML 1.2 (so x, y and n stay strings) and decodes the result as JSON
// with unknown fields refused, in the policies too.
func decodeTruthFile(raw []byte) (truthFile, error) {
	var f truthFile
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return f, err
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return f, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, err
	}
	return f, nil
}

// world is the model a case runs in: the namespaces, the pods and the outside addresses, in the
// order the truth tables list them.
type world struct {
	namespaces []string
	pods       []*worldPod
	externals  []string
	entries    []string // table entries: pod "ns/name" or "ext:<ip>"
}

type worldPod struct {
	ref        string
	ns, name   string
	labels     map[string]string
	ip         string
	containers []corev1.Container
}

func newWorld(c *truthCase) (*world, error) {
	w := &world{namespaces: slices.Clone(modelNamespaces)}
	ports, protos := c.Ports, c.Protocols
	if len(ports) == 0 {
		ports = []int32{80, 81}
	}
	if len(protos) == 0 {
		protos = []corev1.Protocol{corev1.ProtocolTCP}
	}
	for _, ns := range modelNamespaces {
		for _, name := range modelPodNames {
			// As upstream model.go: one container per port and protocol, its port named
			// serve-<port>-<protocol>.
			var cs []corev1.Container
			for _, port := range ports {
				for _, proto := range protos {
					p := strings.ToLower(string(proto))
					cs = append(cs, corev1.Container{
						Name:  fmt.Sprintf("cont-%d-%s", port, p),
						Image: "registry.k8s.io/e2e-test-images/agnhost",
						Ports: []corev1.ContainerPort{{Name: fmt.Sprintf("serve-%d-%s", port, p), ContainerPort: port, Protocol: proto}},
					})
				}
			}
			w.pods = append(w.pods, &worldPod{
				ref: ns + "/" + name, ns: ns, name: name,
				labels:     map[string]string{"pod": name},
				ip:         modelPodIP(ns, name),
				containers: cs,
			})
		}
	}
	for _, ps := range c.Pods {
		ns, name, ok := strings.Cut(ps.Name, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("pod %q: want namespace/name", ps.Name)
		}
		if !slices.Contains(w.namespaces, ns) {
			return nil, fmt.Errorf("pod %q: unknown namespace %q", ps.Name, ns)
		}
		p := w.pod(ps.Name)
		if p == nil {
			if ps.IP == "" {
				return nil, fmt.Errorf("pod %q: a pod outside the model needs an ip", ps.Name)
			}
			p = &worldPod{ref: ps.Name, ns: ns, name: name, labels: map[string]string{"pod": name}}
			w.pods = append(w.pods, p)
		}
		if ps.Labels != nil {
			p.labels = ps.Labels
		}
		if ps.IP != "" {
			p.ip = ps.IP
		}
		if ps.ContainerPorts != nil {
			p.containers = nil
			for i, cp := range ps.ContainerPorts {
				p.containers = append(p.containers, corev1.Container{
					Name:  fmt.Sprintf("cont-%d", i),
					Image: "registry.k8s.io/e2e-test-images/agnhost",
					Ports: []corev1.ContainerPort{cp},
				})
			}
		}
	}
	ips := map[netip.Addr]string{}
	for _, p := range w.pods {
		a, err := netip.ParseAddr(p.ip)
		if err != nil {
			return nil, fmt.Errorf("pod %s: ip: %v", p.ref, err)
		}
		if other, dup := ips[a]; dup {
			return nil, fmt.Errorf("pods %s and %s share ip %s", other, p.ref, a)
		}
		ips[a] = p.ref
		w.entries = append(w.entries, p.ref)
	}
	for _, e := range c.Externals {
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("external %q: %v", e, err)
		}
		if other, dup := ips[a]; dup {
			return nil, fmt.Errorf("external %s is %s's ip", e, other)
		}
		ips[a] = "ext:" + e
		w.externals = append(w.externals, e)
		w.entries = append(w.entries, "ext:"+e)
	}
	return w, nil
}

func (w *world) pod(ref string) *worldPod {
	for _, p := range w.pods {
		if p.ref == ref {
			return p
		}
	}
	return nil
}

// checkStep reports what in a step does not fit the world.
func (w *world) checkStep(s *truthStep) error {
	for ns := range s.NamespaceLabels {
		if !slices.Contains(w.namespaces, ns) {
			return fmt.Errorf("namespaceLabels: unknown namespace %q", ns)
		}
	}
	for ref := range s.PodLabels {
		if w.pod(ref) == nil {
			return fmt.Errorf("podLabels: unknown pod %q", ref)
		}
	}
	seen := map[string]bool{}
	for _, p := range s.Policies {
		if p.Name == "" || !slices.Contains(w.namespaces, p.Namespace) {
			return fmt.Errorf("policy %q: needs a name and one of the namespaces %v", p.Namespace+"/"+p.Name, w.namespaces)
		}
		if seen[p.Namespace+"/"+p.Name] {
			return fmt.Errorf("policy %s/%s listed twice", p.Namespace, p.Name)
		}
		seen[p.Namespace+"/"+p.Name] = true
	}
	if len(s.Probes) == 0 {
		return fmt.Errorf("a step without probes")
	}
	return nil
}

// inventory is the inventory of one step: the namespaces (without the automatic
// kubernetes.io/metadata.name label, which the engine adds), the pods and the step's policies.
func (w *world) inventory(s *truthStep) *inventory.Inventory {
	inv := inventory.New()
	for _, ns := range w.namespaces {
		inv.Add(&inventory.Object{
			APIVersion: "v1", Kind: "Namespace", Name: ns,
			Object: &corev1.Namespace{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: s.NamespaceLabels[ns]},
			},
			Source: inventory.Source{Origin: inventory.FromFile, File: "truth"},
		})
	}
	for _, p := range w.pods {
		labels := p.labels
		if l, ok := s.PodLabels[p.ref]; ok {
			labels = l
		}
		inv.Add(&inventory.Object{
			APIVersion: "v1", Kind: "Pod", Namespace: p.ns, Name: p.name,
			Object: &corev1.Pod{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Namespace: p.ns, Name: p.name, Labels: labels},
				Spec:       corev1.PodSpec{Containers: p.containers},
				Status: corev1.PodStatus{
					Phase:   corev1.PodRunning,
					HostIP:  modelHostIP,
					HostIPs: []corev1.HostIP{{IP: modelHostIP}},
					PodIP:   p.ip,
					PodIPs:  []corev1.PodIP{{IP: p.ip}},
				},
			},
			Source: inventory.Source{Origin: inventory.FromFile, File: "truth"},
		})
	}
	for i := range s.Policies {
		pol := s.Policies[i].DeepCopy()
		pol.TypeMeta = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}
		inv.Add(&inventory.Object{
			APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: pol.Namespace, Name: pol.Name,
			Object: pol,
			Source: inventory.Source{Origin: inventory.FromFile, File: "truth"},
		})
	}
	return inv
}

// table is a parsed truth table: cells[i][j] is the expectation from entries[i] to entries[j]:
// '.' connected, 'X' blocked, '-' not checked.
type table struct {
	entries []string
	cells   [][]byte
}

func parseTable(s string) (*table, error) {
	var lines [][]string
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines = append(lines, f)
		}
	}
	if len(lines) == 0 || lines[0][0] != "-" {
		return nil, fmt.Errorf("the header line must start with -")
	}
	t := &table{entries: lines[0][1:]}
	if len(lines)-1 != len(t.entries) {
		return nil, fmt.Errorf("%d columns but %d rows", len(t.entries), len(lines)-1)
	}
	for i, row := range lines[1:] {
		if row[0] != t.entries[i] {
			return nil, fmt.Errorf("row %d is %s, want %s (rows in column order)", i+1, row[0], t.entries[i])
		}
		if len(row)-1 != len(t.entries) {
			return nil, fmt.Errorf("row %s has %d cells, want %d", row[0], len(row)-1, len(t.entries))
		}
		cells := make([]byte, len(row)-1)
		for j, c := range row[1:] {
			if c != "." && c != "X" && c != "-" {
				return nil, fmt.Errorf("row %s column %s: cell %q is none of . X -", row[0], t.entries[j], c)
			}
			cells[j] = c[0]
		}
		t.cells = append(t.cells, cells)
	}
	return t, nil
}

var expectOp = regexp.MustCompile(`^(ExpectPeer|Expect|ExpectAllIngress|ExpectAllEgress)\(([^()]*)\)$`)

// expectedTable builds the table an expect list describes, from an all-connected table, the way
// upstream's Reachability does: ExpectPeer(from, to, b) sets every pair matching the peers
// (* any entry, ns/* any pod of ns, else one entry), Expect one pair, ExpectAllIngress(p, b)
// everything into p, ExpectAllEgress(p, b) everything out of p.
func expectedTable(entries []string, ops []string) ([][]bool, error) {
	out := make([][]bool, len(entries))
	for i := range out {
		out[i] = make([]bool, len(entries))
		for j := range out[i] {
			out[i][j] = true
		}
	}
	for _, op := range ops {
		m := expectOp.FindStringSubmatch(strings.TrimSpace(op))
		if m == nil {
			return nil, fmt.Errorf("expect %q: unknown operation", op)
		}
		args := strings.Split(m[2], ",")
		for i := range args {
			args[i] = strings.TrimSpace(args[i])
		}
		var from, to string
		switch {
		case (m[1] == "ExpectPeer" || m[1] == "Expect") && len(args) == 3:
			from, to = args[0], args[1]
		case m[1] == "ExpectAllIngress" && len(args) == 2:
			from, to = "*", args[0]
		case m[1] == "ExpectAllEgress" && len(args) == 2:
			from, to = args[0], "*"
		default:
			return nil, fmt.Errorf("expect %q: wrong number of arguments", op)
		}
		val, err := strconv.ParseBool(args[len(args)-1])
		if err != nil {
			return nil, fmt.Errorf("expect %q: %v", op, err)
		}
		for _, p := range []string{from, to} {
			if m[1] != "ExpectPeer" && p != "*" && !slices.Contains(entries, p) {
				return nil, fmt.Errorf("expect %q: %s is not in the table", op, p)
			}
			if ns, ok := strings.CutSuffix(p, "/*"); ok && !slices.Contains(modelNamespaces, ns) {
				return nil, fmt.Errorf("expect %q: unknown namespace %s", op, ns)
			}
		}
		for i, a := range entries {
			for j, b := range entries {
				if peerMatches(from, a) && peerMatches(to, b) {
					out[i][j] = val
				}
			}
		}
	}
	return out, nil
}

func peerMatches(pattern, entry string) bool {
	if pattern == "*" {
		return true
	}
	if ns, ok := strings.CutSuffix(pattern, "/*"); ok {
		return !strings.HasPrefix(entry, "ext:") && strings.HasPrefix(entry, ns+"/")
	}
	return pattern == entry
}

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// checkFile returns every problem of a data file, so that data which cannot be checked fails
// instead of going untested. It does not need the engine.
func checkFile(f *dataFile) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if f.upstream {
		if f.Source.Repository == "" || f.Source.File == "" || !commitRE.MatchString(f.Source.Commit) {
			bad("source: an upstream file needs repository, file and a 40-hex commit")
		}
		for _, h := range append(slices.Clone(f.Source.Helpers), f.Source.ComparedWith...) {
			if h.File == "" || !commitRE.MatchString(h.Commit) {
				bad("source: helper %q needs a file and a 40-hex commit", h.File)
			}
		}
	} else if f.Source.Spec == "" {
		bad("source: our own cases name the spec they follow (source.spec)")
	}
	if len(f.Cases) == 0 {
		bad("no cases")
	}
	names := map[string]bool{}
	for ci := range f.Cases {
		c := &f.Cases[ci]
		where := fmt.Sprintf("case %q", c.Name)
		if c.Name == "" {
			bad("case %d has no name", ci)
		}
		if names[c.Name] {
			bad("%s: name used twice", where)
		}
		names[c.Name] = true
		if f.upstream && (len(c.Ports) == 0 || len(c.Protocols) == 0) {
			bad("%s: upstream cases give the model's ports and protocols", where)
		}
		for _, p := range c.Protocols {
			if _, ok := netpol.ParseProtocol(string(p)); !ok {
				bad("%s: protocol %q", where, p)
			}
		}
		if f.upstream && (len(c.Pods) > 0 || len(c.Externals) > 0) {
			bad("%s: upstream cases use the x/y/z × a/b/c model only", where)
		}
		w, err := newWorld(c)
		if err != nil {
			bad("%s: %v", where, err)
			continue
		}
		if len(c.Steps) == 0 {
			bad("%s: no steps", where)
		}
		for si := range c.Steps {
			s := &c.Steps[si]
			where := fmt.Sprintf("case %q step %d", c.Name, si+1)
			if err := w.checkStep(s); err != nil {
				bad("%s: %v", where, err)
			}
			for pi, p := range s.Probes {
				where := fmt.Sprintf("%s probe %d (%s %d)", where, pi+1, p.Protocol, p.Port)
				if _, ok := netpol.ParseProtocol(string(p.Protocol)); !ok {
					bad("%s: protocol %q", where, p.Protocol)
				}
				if p.Port < 1 || p.Port > 65535 {
					bad("%s: port out of range", where)
				}
				tab, err := parseTable(p.Truth)
				if err == nil && !slices.Equal(tab.entries, w.entries) {
					err = fmt.Errorf("it lists %v, want the case's pods and externals in order: %v", tab.entries, w.entries)
				}
				if err != nil {
					bad("%s: truth: %v%s", where, err, tableFromExpect(w.entries, p.Expect))
					continue
				}
				for i, a := range tab.entries {
					for j, b := range tab.entries {
						if bothExt := isExt(a) && isExt(b); bothExt != (tab.cells[i][j] == '-') {
							bad("%s: cell %s -> %s: '-' is for, and only for, a pair of external addresses", where, a, b)
						}
					}
				}
				if f.upstream && p.Expect == nil {
					bad("%s: upstream probes keep the upstream expectations (expect)", where)
				}
				if p.Expect == nil {
					continue
				}
				want, err := expectedTable(tab.entries, p.Expect)
				if err != nil {
					bad("%s: %v", where, err)
					continue
				}
				for i, a := range tab.entries {
					for j, b := range tab.entries {
						if c := tab.cells[i][j]; c != '-' && (c == '.') != want[i][j] {
							bad("%s: cell %s -> %s is %c but expect says %s", where, a, b, c, cell(want[i][j]))
						}
					}
				}
			}
		}
	}
	return errs
}

// tableFromExpect renders, for an error message, the table an expect list gives, so that a new
// probe can be written with its expect list and any placeholder truth, then completed.
func tableFromExpect(entries, ops []string) string {
	if ops == nil {
		return ""
	}
	want, err := expectedTable(entries, ops)
	if err != nil {
		return ""
	}
	return "; the table its expect list gives:\n" + renderTable(entries, func(i, j int) bool { return isExt(entries[i]) && isExt(entries[j]) }, want)
}

func isExt(entry string) bool { return strings.HasPrefix(entry, "ext:") }

func cell(connected bool) string {
	if connected {
		return "."
	}
	return "X"
}

// TestTruthDataWellFormed fails on a data file the runner could not check completely: a table of
// the wrong size or order, an unknown pod, namespace or protocol, a policy outside the model's
// namespaces, or a table that disagrees with its own expect list.
func TestTruthDataWellFormed(t *testing.T) {
	for _, f := range loadTruthFiles(t) {
		for _, e := range checkFile(&f) {
			t.Errorf("testdata/%s: %s", f.path, e)
		}
	}
}

// TestTruthCaseCount keeps the data from shrinking unnoticed.
func TestTruthCaseCount(t *testing.T) {
	var upCases, upProbes, ownCases, ownProbes int
	for _, f := range loadTruthFiles(t) {
		probes := 0
		for _, c := range f.Cases {
			for _, s := range c.Steps {
				probes += len(s.Probes)
			}
		}
		if f.upstream {
			upCases += len(f.Cases)
			upProbes += probes
		} else {
			ownCases += len(f.Cases)
			ownProbes += probes
		}
	}
	t.Logf("upstream: %d cases, %d probes; own: %d cases, %d probes", upCases, upProbes, ownCases, ownProbes)
	if upCases < minUpstreamCases || upProbes < minUpstreamProbes {
		t.Errorf("upstream data: %d cases and %d probes, want at least %d and %d", upCases, upProbes, minUpstreamCases, minUpstreamProbes)
	}
	if ownCases < minOwnCases || ownProbes < minOwnProbes {
		t.Errorf("own data: %d cases and %d probes, want at least %d and %d", ownCases, ownProbes, minOwnCases, minOwnProbes)
	}
}

// TestTruthTables runs every probe of every step of every case against the engine and compares
// every cell.
func TestTruthTables(t *testing.T) {
	for _, f := range loadTruthFiles(t) {
		if errs := checkFile(&f); len(errs) > 0 {
			t.Errorf("testdata/%s is malformed (see TestTruthDataWellFormed); first problem: %s", f.path, errs[0])
			continue
		}
		for ci := range f.Cases {
			c := &f.Cases[ci]
			t.Run(strings.TrimSuffix(f.path, ".yaml")+"/"+c.Name, func(t *testing.T) {
				runCase(t, &f, c)
			})
		}
	}
}

func runCase(t *testing.T, f *dataFile, c *truthCase) {
	w, err := newWorld(c)
	if err != nil {
		t.Fatal(err)
	}
	for si := range c.Steps {
		s := &c.Steps[si]
		m := netpol.Build(w.inventory(s), netpol.Options{})
		eps := make([]*netpol.Endpoint, len(w.entries))
		for i, e := range w.entries {
			if ip, ok := strings.CutPrefix(e, "ext:"); ok {
				a := netip.MustParseAddr(ip)
				eps[i] = m.External(netip.PrefixFrom(a, a.BitLen()))
				continue
			}
			if eps[i], err = m.Find(e); err != nil {
				t.Fatalf("step %d: Find(%q): %v", si+1, e, err)
			}
		}
		for pi, p := range s.Probes {
			tab, _ := parseTable(p.Truth) // checked by checkFile
			proto, _ := netpol.ParseProtocol(string(p.Protocol))
			got := make([][]bool, len(eps))
			wrong, loopback := 0, 0
			for i, src := range eps {
				got[i] = make([]bool, len(eps))
				for j, dst := range eps {
					want := tab.cells[i][j]
					if want == '-' {
						continue
					}
					conns := m.Conns(src, dst)
					got[i][j] = conns.Allows(proto, p.Port)
					if got[i][j] == (want == '.') {
						continue
					}
					if i == j && f.IgnoreLoopback {
						loopback++
						continue
					}
					wrong++
					t.Errorf("%s case %q step %d probe %d (%s %d): %s -> %s: expected %s, got %s (Conns: %s)",
						f.path, c.Name, si+1, pi+1, p.Protocol, p.Port, w.entries[i], w.entries[j],
						cell(want == '.'), cell(got[i][j]), conns.String())
				}
			}
			if wrong > 0 {
				t.Logf("step %d probe %d (%s %d), expected:\n%s\ngot:\n%s", si+1, pi+1, p.Protocol, p.Port,
					strings.TrimRight(p.Truth, "\n"), renderTable(w.entries, func(i, j int) bool { return tab.cells[i][j] == '-' }, got))
			}
			if loopback > 0 {
				t.Logf("step %d probe %d (%s %d): %d loopback cells differ from the table; not checked (ignoreLoopback)",
					si+1, pi+1, p.Protocol, p.Port, loopback)
			}
		}
	}
}

// renderTable renders cells as a truth table, '-' where dash says.
func renderTable(entries []string, dash func(i, j int) bool, cells [][]bool) string {
	w := 1
	for _, e := range entries {
		w = max(w, len(e))
	}
	lines := []string{fmt.Sprintf("%-*s %s", w, "-", strings.Join(entries, " "))}
	for i, a := range entries {
		var b strings.Builder
		fmt.Fprintf(&b, "%-*s", w, a)
		for j, e := range entries {
			c := cell(cells[i][j])
			if dash(i, j) {
				c = "-"
			}
			fmt.Fprintf(&b, " %-*s", len(e), c)
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return strings.Join(lines, "\n")
}
