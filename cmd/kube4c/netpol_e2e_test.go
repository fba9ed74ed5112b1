package main

// End-to-end tests of the netpol commands on testdata/netpol/shop.yaml: namespace prod isolates
// its pods (web accepts the outside on its named port http and may reach db and DNS; db accepts
// only web), namespace dev isolates nothing.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// netpolShop is the test network, relative to the repository root (where the binary runs);
// shopFile is the same file relative to this package (where the test runs).
const (
	netpolShop = "cmd/kube4c/testdata/netpol/shop.yaml"
	shopFile   = "testdata/netpol/shop.yaml"
)

type e2eMatrix struct {
	SchemaVersion string `json:"schemaVersion"`
	Endpoints     []struct {
		Name            string   `json:"name"`
		Kind            string   `json:"kind"`
		Namespace       string   `json:"namespace"`
		External        []string `json:"external"`
		Synthetic       string   `json:"synthetic"`
		Location        string   `json:"location"`
		IngressIsolated bool     `json:"ingressIsolated"`
		EgressIsolated  bool     `json:"egressIsolated"`
	} `json:"endpoints"`
	Connections []struct {
		From, To, Allowed, SomeAddresses string
	} `json:"connections"`
}

// conns maps "from → to" to the allowed connections.
func (x e2eMatrix) conns() map[string]string {
	out := map[string]string{}
	for _, c := range x.Connections {
		out[c.From+" → "+c.To] = c.Allowed
	}
	return out
}

func matrixJSON(t *testing.T, dir string, args ...string) e2eMatrix {
	t.Helper()
	args = append(append([]string{"netpol", "matrix"}, args...), "-o", "json")
	r := kube4c(t, dir, nil, args...)
	wantCode(t, r, 0, args...)
	var x e2eMatrix
	if err := json.Unmarshal([]byte(r.stdout), &x); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	return x
}

const (
	dns      = "kube-system/kube-dns (cluster DNS)"
	anywhere = "0.0.0.0/0"
	metadata = "169.254.169.254/32 (cloud metadata)"
	tester   = "Deployment/dev/tester"
	web      = "Deployment/prod/web"
	db       = "StatefulSet/prod/db"
)

// shopMatrix is every allowed connection of testdata/netpol/shop.yaml, worked out by hand.
var shopMatrix = map[string]string{
	tester + " → " + web:      "TCP 8080", // web's ipBlock 0.0.0.0/0 holds pods too; named port http
	tester + " → " + dns:      "All",
	tester + " → " + anywhere: "All",
	tester + " → " + metadata: "All",
	web + " → " + db:          "TCP 5432", // egress by the name pg, ingress by the number
	web + " → " + dns:         "UDP 53",
	dns + " → " + tester:      "All",
	dns + " → " + web:         "TCP 8080",
	dns + " → " + anywhere:    "All",
	dns + " → " + metadata:    "All",
	anywhere + " → " + tester: "All",
	anywhere + " → " + web:    "TCP 8080",
	anywhere + " → " + dns:    "All",
}

func TestE2ENetpolMatrix(t *testing.T) {
	root := repoRoot(t)
	x := matrixJSON(t, root, netpolShop)
	if x.SchemaVersion != "1" {
		t.Errorf("schemaVersion %q", x.SchemaVersion)
	}
	got := x.conns()
	for k, want := range shopMatrix {
		if got[k] != want {
			t.Errorf("%s: allowed %q, want %q", k, got[k], want)
		}
	}
	for k, v := range got {
		if _, ok := shopMatrix[k]; !ok {
			t.Errorf("%s: allowed %q, want nothing", k, v)
		}
	}
	var names []string
	for _, e := range x.Endpoints {
		names = append(names, e.Name)
		if e.Name == web && (!e.IngressIsolated || !e.EgressIsolated || e.Location != netpolShop+":"+strconv.Itoa(lineOf(t, shopFile, "metadata: {name: web, namespace: prod}")-2)) {
			t.Errorf("web endpoint: %+v", e)
		}
	}
	if want := []string{tester, db, web, dns, anywhere, metadata}; strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("endpoints %q, want %q", names, want)
	}

	t.Run("namespace filter", func(t *testing.T) {
		x := matrixJSON(t, root, netpolShop, "-n", "prod")
		for _, c := range x.Connections {
			if c.From == tester || c.To == tester {
				t.Errorf("dev/tester is outside -n prod: %+v", c)
			}
		}
		if x.conns()[web+" → "+db] != "TCP 5432" {
			t.Errorf("web → db missing from %+v", x.Connections)
		}
		r := kube4c(t, root, nil, "netpol", "matrix", netpolShop, "-n", "nope")
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, `namespace "nope" is not in the input`) {
			t.Errorf("stderr: %s", r.stderr)
		}
	})

	t.Run("csv, table and dot agree with json", func(t *testing.T) {
		r := kube4c(t, root, nil, "netpol", "matrix", netpolShop, "-o", "csv")
		wantCode(t, r, 0)
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != "from,to,allowed,some_addresses" {
			t.Errorf("csv header %q", rows[0])
		}
		fromCSV := map[string]string{}
		for _, row := range rows[1:] {
			fromCSV[row[0]+" → "+row[1]] = row[2]
		}
		if !equalMaps(fromCSV, got) {
			t.Errorf("csv %v\njson %v", fromCSV, got)
		}

		r = kube4c(t, root, nil, "netpol", "matrix", netpolShop)
		wantCode(t, r, 0)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if !strings.HasPrefix(lines[0], "FROM") || len(lines)-1 != len(got) {
			t.Errorf("table has %d rows, want %d:\n%s", len(lines)-1, len(got), r.stdout)
		}
		if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), "Deployment/prod/web StatefulSet/prod/db TCP 5432 ") {
			t.Errorf("table:\n%s", r.stdout)
		}

		r = kube4c(t, root, nil, "netpol", "matrix", netpolShop, "-o", "dot")
		wantCode(t, r, 0)
		if !strings.HasPrefix(r.stdout, "digraph netpol {") || strings.Count(r.stdout, " -> ") != len(got) ||
			!strings.Contains(r.stdout, `label="namespace prod"`) || !strings.Contains(r.stdout, `[label="TCP 5432"]`) {
			t.Errorf("dot:\n%s", r.stdout)
		}
	})

	t.Run("partial external reach", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "np.yaml"), `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: default}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
    ports: [{port: 443}]
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: default}
spec:
  containers: [{name: app, image: app}]
`)
		x := matrixJSON(t, dir, "np.yaml")
		for _, c := range x.Connections {
			if c.From == "Pod/default/app" && c.To == anywhere {
				// 443 to every address (the two blocks together cover them); everything to 10/8.
				if c.Allowed != "TCP 443" || c.SomeAddresses != "All" {
					t.Errorf("app → anywhere: %+v", c)
				}
				return
			}
		}
		t.Errorf("no app → anywhere connection: %+v", x.Connections)
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type e2eExplain struct {
	From, To           string
	Allowed            bool
	AllowedConnections string
	Port               *struct {
		Protocol string
		Port     int32
		Name     string
	}
	Egress, Ingress struct {
		Endpoint string
		Isolated bool
		Reason   string
		Allowed  string
		Policies []struct {
			Policy, Location string
			Rules            []struct {
				Rule    string
				Matched bool
				Peer    string
				Allows  string
				Why     []string
			}
		}
	}
}

func TestE2ENetpolExplain(t *testing.T) {
	root := repoRoot(t)
	explain := func(t *testing.T, code int, args ...string) e2eExplain {
		t.Helper()
		args = append(append([]string{"netpol", "explain"}, args...), netpolShop, "-o", "json")
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, code, args...)
		var x e2eExplain
		if err := json.Unmarshal([]byte(r.stdout), &x); err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		return x
	}

	t.Run("allowed by named ports on both sides", func(t *testing.T) {
		x := explain(t, 0, "prod/web", "prod/db", "pg/TCP")
		if !x.Allowed || x.AllowedConnections != "TCP 5432" || x.Port == nil || x.Port.Port != 5432 || x.Port.Name != "pg" {
			t.Fatalf("%+v", x)
		}
		if !x.Egress.Isolated || len(x.Egress.Policies) != 2 {
			t.Fatalf("egress: %+v", x.Egress)
		}
		var matched []string
		for _, p := range x.Egress.Policies {
			for _, r := range p.Rules {
				if r.Matched {
					matched = append(matched, p.Policy+" "+r.Rule+" "+r.Peer+" "+r.Allows)
				}
			}
		}
		if want := "NetworkPolicy/prod/allow-web spec.egress[0] spec.egress[0].to[0] TCP 5432"; strings.Join(matched, "|") != want {
			t.Errorf("matched egress rules %q, want %q", matched, want)
		}
	})

	t.Run("blocked with reasons", func(t *testing.T) {
		x := explain(t, 1, "dev/tester", "prod/db", "5432")
		if x.Allowed || x.Egress.Isolated || !strings.Contains(x.Egress.Reason, "no NetworkPolicy in namespace dev") {
			t.Fatalf("%+v", x)
		}
		var why []string
		for _, p := range x.Ingress.Policies {
			for _, r := range p.Rules {
				why = append(why, r.Why...)
			}
		}
		want := "spec.ingress[0].from[0]: podSelector without namespaceSelector selects only pods of namespace prod, not dev"
		if strings.Join(why, "|") != want {
			t.Errorf("why %q, want %q", why, want)
		}
	})

	t.Run("external and special names", func(t *testing.T) {
		if x := explain(t, 0, "anywhere", "prod/web", "8080"); x.From != anywhere || !x.Allowed {
			t.Errorf("%+v", x)
		}
		if x := explain(t, 1, "prod/web", "metadata"); x.Allowed || x.To != "169.254.169.254/32" {
			t.Errorf("%+v", x)
		}
		if x := explain(t, 0, "prod/web", "dns", "53/udp"); !x.Allowed || x.Ingress.Isolated {
			t.Errorf("%+v", x)
		}
		if x := explain(t, 1, "prod/web", "dns", "53"); x.Allowed {
			t.Errorf("TCP 53 is not allowed: %+v", x)
		}
		if x := explain(t, 0, "203.0.113.7", "Deployment/prod/web"); !x.Allowed || x.AllowedConnections != "TCP 8080" {
			t.Errorf("%+v", x)
		}
	})

	t.Run("text", func(t *testing.T) {
		r := kube4c(t, root, nil, "netpol", "explain", "dev/tester", "prod/web", "http/tcp", netpolShop)
		wantCode(t, r, 0)
		for _, want := range []string{
			"Deployment/dev/tester → Deployment/prod/web, TCP 8080 (http): ALLOWED",
			"not isolated (no NetworkPolicy in namespace dev selects it for egress): everything is allowed",
			"NetworkPolicy/prod/allow-web (" + netpolShop + ":" + strconv.Itoa(lineOf(t, shopFile, "metadata: {name: allow-web, namespace: prod}")-2) + ")",
			"spec.ingress[0]: matches by spec.ingress[0].from[0]; allows TCP 8080 ✓",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("missing %q in:\n%s", want, r.stdout)
			}
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"prod/nope", "prod/web"}, `SRC "prod/nope": no workload or pod with that name in the input`},
			{[]string{"prod/web", "a/b/c/d"}, `DST "a/b/c/d": want namespace/name`},
			{[]string{"prod/web", "prod/db", "nope/TCP"}, `has no TCP container port named "nope"`},
			{[]string{"prod/web", "prod/db", "70000"}, "port 70000 is outside 1-65535"},
			{[]string{"anywhere", "metadata"}, "both outside the cluster"},
		} {
			args := append(append([]string{"netpol", "explain"}, tc.args...), netpolShop)
			r := kube4c(t, root, nil, args...)
			wantCode(t, r, 2, args...)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%v: stderr %q, want %q", tc.args, r.stderr, tc.want)
			}
		}
	})
}

// Bad input: a policy the API server would reject is named with its file and line and left out;
// a malformed file is an input error (exit 2 unless --skip-invalid), and the answer still comes.
func TestE2ENetpolBadInput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: default}
spec:
  podSelector: {matchExpressions: [{key: app, operator: Exists, values: [x]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: default}
spec:
  containers: [{name: app, image: app}]
`)
	writeFile(t, filepath.Join(dir, "b.yaml"), "kind: [unclosed\n")
	r := kube4c(t, dir, nil, "netpol", "matrix", ".", "-o", "csv")
	wantCode(t, r, 2)
	for _, want := range []string{"a.yaml:5: NetworkPolicy/default/bad: spec.podSelector", "left out of the network model", "b.yaml"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "Pod/default/app,0.0.0.0/0,All,") {
		t.Errorf("the answer must still come:\n%s", r.stdout)
	}
	r = kube4c(t, dir, nil, "netpol", "matrix", ".", "--skip-invalid")
	wantCode(t, r, 0)
}

// testNetpol creates the test network in a real cluster: the matrix read with --cluster must be
// the matrix of the files (the controllers' ReplicaSets and Pods fold into their workloads).
func (h *clusterHarness) testNetpol(t *testing.T) {
	ctx := t.Context()
	data, err := os.ReadFile(shopFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatal(err)
		}
		decode := func(into any) {
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Fatalf("%s: %v", head.Kind, err)
			}
		}
		switch head.Kind {
		case "Namespace":
			var o corev1.Namespace
			decode(&o)
			_, err = h.admin.CoreV1().Namespaces().Create(ctx, &o, metav1.CreateOptions{})
		case "Deployment":
			var o appsv1.Deployment
			decode(&o)
			_, err = h.admin.AppsV1().Deployments(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		case "StatefulSet":
			var o appsv1.StatefulSet
			decode(&o)
			_, err = h.admin.AppsV1().StatefulSets(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		case "NetworkPolicy":
			var o networkingv1.NetworkPolicy
			decode(&o)
			_, err = h.admin.NetworkingV1().NetworkPolicies(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		default:
			t.Fatalf("unexpected kind %q in %s", head.Kind, shopFile)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the controllers to create the Deployments' ReplicaSets, so the cluster read holds
	// owned objects that must fold into their workloads.
	waitFor(t, time.Minute, func() error {
		rs, err := h.admin.AppsV1().ReplicaSets("prod").List(ctx, metav1.ListOptions{})
		if err != nil || len(rs.Items) == 0 {
			return fmt.Errorf("no ReplicaSet in prod yet (%v)", err)
		}
		return nil
	})
	fromCluster := matrixJSON(t, repoRoot(t), "--cluster", "--kubeconfig", h.adminKubeconfig, "-n", "dev,prod")
	fromFiles := matrixJSON(t, repoRoot(t), netpolShop)
	if got, want := fromCluster.conns(), fromFiles.conns(); !equalMaps(got, want) {
		t.Errorf("cluster matrix differs from the files':\ncluster %v\nfiles   %v", got, want)
	}
	if len(fromCluster.Endpoints) != len(fromFiles.Endpoints) {
		t.Errorf("cluster endpoints %+v\nfile endpoints %+v", fromCluster.Endpoints, fromFiles.Endpoints)
	}
	args := []string{"netpol", "explain", "prod/web", "prod/db", "5432", "--cluster", "--kubeconfig", h.adminKubeconfig}
	r := kube4c(t, repoRoot(t), nil, args...)
	wantCode(t, r, 0, args...)
	if !strings.Contains(r.stdout, "NetworkPolicy/prod/allow-db\n") {
		t.Errorf("policies read from a cluster are named without a file:\n%s", r.stdout)
	}

	// A reader that may not list NetworkPolicies (403): the answer still comes, with every pod
	// unisolated, and a warning says why. It must not pass for the real matrix silently.
	kc := h.readerWithout(t, "netpol-no-policies", "networkpolicies")
	args = []string{"netpol", "matrix", "--cluster", "--kubeconfig", kc, "-n", "dev,prod", "-o", "json"}
	r = kube4c(t, repoRoot(t), nil, args...)
	wantCode(t, r, 0, args...)
	if !strings.Contains(r.stderr, "warning: NetworkPolicies could not be read: the answers below treat every pod as not isolated") {
		t.Errorf("no warning about the unreadable NetworkPolicies:\n%s", r.stderr)
	}
	var blind e2eMatrix
	if err := json.Unmarshal([]byte(r.stdout), &blind); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if got := blind.conns()[tester+" → "+db]; got != "All" {
		t.Errorf("without policies dev/tester → prod/db is %q, want All", got)
	}
}
