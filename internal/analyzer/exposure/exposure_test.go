package exposure

import (
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/probe"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var eq = analyzertest.Eq

// --- builders: endpoints as the probe records them ---

type ep struct{ *probe.Endpoint }

func endpoint(host string, port int) ep {
	e := &probe.Endpoint{Host: host, Port: port, Connection: probe.Open}
	e.APIVersion, e.Kind = probe.APIVersion, probe.Kind
	return ep{e}
}

func (b ep) explicit() ep { b.Explicit = true; return b }

func (b ep) closed() ep {
	b.Connection, b.ConnectionError = probe.Refused, "connection refused"
	return b
}

func (b ep) https(requested, required bool) ep {
	b.Scheme = "https"
	b.TLS = &probe.TLSResult{Handshake: true, Version: "TLS 1.3", ClientCertRequested: requested, ClientCertRequired: required}
	return b
}

func (b ep) http() ep {
	b.Scheme = "http"
	b.TLS = &probe.TLSResult{Error: "not TLS"}
	return b
}

func (b ep) answer(path string, status int, shape probe.Shape, mut ...func(*probe.Response)) ep {
	r := probe.Response{Path: path, Status: status, Shape: shape}
	for _, m := range mut {
		m(&r)
	}
	b.Responses = append(b.Responses, r)
	return b
}

func (b ep) service(n probe.ServiceName, version string) ep {
	b.Services = append(b.Services, probe.Service{Name: n, Version: version})
	return b
}

func (b ep) obj() *inventory.Object {
	return &inventory.Object{APIVersion: probe.APIVersion, Kind: probe.Kind, Name: b.Name(), Object: b.Endpoint,
		Source: inventory.Source{Origin: inventory.FromProbe, Context: b.Name()}}
}

func version(v string) func(*probe.Response) { return func(r *probe.Response) { r.Version = v } }
func count(n int) func(*probe.Response)      { return func(r *probe.Response) { r.Count = n } }

func run(t *testing.T, eps ...ep) *analyzertest.Recorder {
	t.Helper()
	inv := inventory.New()
	for _, e := range eps {
		inv.Add(e.obj())
	}
	return analyzertest.Run(t, New(), inv, nil)
}

// evaluated lists "control Endpoint/name" pairs evaluated, passed or failed, sorted.
func evaluated(r *analyzertest.Recorder) []string {
	all := New().Controls()
	return append(r.Passed(all...), r.Failed(all...)...)
}

// --- contracts ---

func TestControlsAndNeeds(t *testing.T) {
	a := New()
	needs := a.(analyzer.KindNeeds).Needs()
	if len(a.Controls()) != 8 || len(needs) != 8 {
		t.Fatalf("Controls %v, Needs %v; want the eight cloud controls", a.Controls(), needs)
	}
	for _, id := range a.Controls() {
		c, ok := catalog.Lookup(id)
		if !ok || c.Layer != catalog.Cloud {
			t.Errorf("control %s: in catalog %v, layer %s", id, ok, c.Layer)
		}
		if k := needs[id]; len(k) != 1 || k[0].Group != probe.Group || k[0].Kind != probe.Kind {
			t.Errorf("Needs[%s] = %v", id, k)
		}
		if len(judged[id]) == 0 {
			t.Errorf("control %s judges no service", id)
		}
	}
}

// --- which controls are judged where ---

func TestClosedDefaultPortsPassTheirOwnControls(t *testing.T) {
	var eps []ep
	for _, d := range probe.DefaultPorts {
		eps = append(eps, endpoint("10.0.0.1", d.Port).closed())
	}
	r := run(t, eps...)
	if len(r.Findings) != 0 {
		t.Fatalf("findings on closed ports: %v", r.Failed(New().Controls()...))
	}
	eq(t, "evaluated", evaluated(r), []string{
		CtlAPIDiscovery + " Endpoint/10.0.0.1:443",
		CtlAPIDiscovery + " Endpoint/10.0.0.1:6443",
		CtlAPIDiscovery + " Endpoint/10.0.0.1:8443",
		CtlAPIVersion + " Endpoint/10.0.0.1:443",
		CtlAPIVersion + " Endpoint/10.0.0.1:6443",
		CtlAPIVersion + " Endpoint/10.0.0.1:8443",
		CtlDashboardExposed + " Endpoint/10.0.0.1:30000",
		CtlDashboardExposed + " Endpoint/10.0.0.1:8443",
		CtlDashboardExposed + " Endpoint/10.0.0.1:9090",
		CtlDockerAPI + " Endpoint/10.0.0.1:2375",
		CtlDockerAPI + " Endpoint/10.0.0.1:2376",
		CtlEtcdNoClientCert + " Endpoint/10.0.0.1:2379",
		CtlKubeletAnonymous + " Endpoint/10.0.0.1:10250",
		CtlKubeletReadOnly + " Endpoint/10.0.0.1:10255",
		CtlAPIPlainHTTP + " Endpoint/10.0.0.1:8001",
		CtlAPIPlainHTTP + " Endpoint/10.0.0.1:8080",
	})
}

func TestNamedPortIsJudgedByEveryControl(t *testing.T) {
	r := run(t, endpoint("db.example", 12379).explicit().closed())
	got := r.Passed(New().Controls()...)
	if len(got) != 8 || len(r.Findings) != 0 {
		t.Errorf("a closed port the user named: passed %v, findings %v; want all eight controls passed", got, r.Findings)
	}
}

func TestIdentifiedServiceIsJudgedOnAnyPort(t *testing.T) {
	// An API server on 8443 (minikube's port, also a Dashboard default): the API server controls
	// are judged because it answered as one, the Dashboard control because of the port.
	apiserver := endpoint("10.0.0.1", 8443).https(true, false).
		answer("/version", 200, probe.ShapeKubernetesVersion, version("v1.37.2")).
		answer("/api", 403, probe.ShapeStatus).answer("/apis", 403, probe.ShapeStatus).
		answer("/pods", 403, probe.ShapeStatus).answer("/", 403, probe.ShapeStatus).
		service(probe.APIServer, "v1.37.2")
	// Weave Scope on a port no default lists, found by its page.
	scope := endpoint("10.0.0.2", 4040).http().answer("/", 200, probe.ShapeWeaveScope).service(probe.WeaveScope, "")
	// An unknown service on an unlisted, unnamed port is not judged at all.
	other := endpoint("10.0.0.3", 5000).http().answer("/", 200, "")
	r := run(t, apiserver, scope, other)
	eq(t, "evaluated", evaluated(r), []string{
		CtlAPIDiscovery + " Endpoint/10.0.0.1:8443",
		CtlDashboardExposed + " Endpoint/10.0.0.1:8443",
		CtlAPIVersion + " Endpoint/10.0.0.1:8443",
		CtlDashboardExposed + " Endpoint/10.0.0.2:4040",
	})
	if m := r.Messages(CtlDashboardExposed); len(m) != 1 || !strings.Contains(m[0], "Weave Scope answers at 10.0.0.2:4040") || !strings.Contains(m[0], "`curl http://10.0.0.2:4040/`") {
		t.Errorf("dashboard messages: %q", m)
	}
}

func TestUnstructuredEndpointsAreIgnored(t *testing.T) {
	// A manifest that happens to use the probe's kind is not an observation.
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(probe.APIVersion)
	u.SetKind(probe.Kind)
	u.SetName("10.0.0.1:2379")
	inv := analyzertest.Inventory("endpoint.yaml", &inventory.Object{APIVersion: probe.APIVersion, Kind: probe.Kind, Name: "10.0.0.1:2379", Object: u})
	r := analyzertest.Run(t, New(), inv, nil)
	if len(r.Evaluations) != 0 || len(r.Findings) != 0 {
		t.Errorf("judged an unstructured object: %v %v", r.Evaluations, r.Findings)
	}
}

// --- each control ---

func TestDocker(t *testing.T) {
	plain := endpoint("node1", 2375).http().answer("/version", 200, probe.ShapeDockerVersion, version("24.0.7 (API 1.43)")).
		answer("/api", 404, "").service(probe.Docker, "24.0.7 (API 1.43)")
	tlsNoVerify := endpoint("node1", 2376).https(false, false).answer("/version", 200, probe.ShapeDockerVersion, version("24.0.7 (API 1.43)")).
		service(probe.Docker, "24.0.7 (API 1.43)")
	tlsVerify := endpoint("node2", 2376).https(true, true).answer("/version", 0, "")
	r := run(t, plain, tlsNoVerify, tlsVerify)
	eq(t, "failed", r.FailedOf(CtlDockerAPI), []string{"Endpoint/node1:2375", "Endpoint/node1:2376"})
	eq(t, "passed", r.PassedOf(CtlDockerAPI), []string{"Endpoint/node2:2376"})
	m := r.Messages(CtlDockerAPI)
	if !strings.Contains(m[0], "Docker Engine API 24.0.7 (API 1.43) answers GET /version over plain HTTP") || !strings.Contains(m[0], "`curl http://node1:2375/version`") {
		t.Errorf("plain HTTP message: %s", m[0])
	}
	if !strings.Contains(m[1], "over TLS without requiring a client certificate") || !strings.Contains(m[1], "`curl -k https://node1:2376/version`") {
		t.Errorf("TLS message: %s", m[1])
	}
}

func TestKubelet(t *testing.T) {
	open := endpoint("node1", 10250).https(true, false).answer("/pods", 200, probe.ShapePodList, count(3)).service(probe.Kubelet, "")
	big := endpoint("node2", 10250).https(true, false).answer("/pods", 200, probe.ShapePodList, count(42), func(r *probe.Response) { r.CountIsLowerBound = true }).service(probe.Kubelet, "")
	anonOff := endpoint("node3", 10250).https(true, false).answer("/pods", 401, probe.ShapeUnauthorizedText).service(probe.Kubelet, "")
	webhook := endpoint("node4", 10250).https(true, false).answer("/pods", 403, probe.ShapeKubeletForbidden).service(probe.Kubelet, "")
	// A PodList over plain HTTP on 10250 is the read-only API on an odd port: that control's.
	readonlyOn10250 := endpoint("node5", 10250).http().answer("/pods", 200, probe.ShapePodList, count(1)).service(probe.KubeletReadOnly, "")
	readonly := endpoint("node1", 10255).http().answer("/pods", 200, probe.ShapePodList, count(1)).service(probe.KubeletReadOnly, "")
	r := run(t, open, big, anonOff, webhook, readonlyOn10250, readonly)
	eq(t, "anonymous failed", r.FailedOf(CtlKubeletAnonymous), []string{"Endpoint/node1:10250", "Endpoint/node2:10250"})
	eq(t, "anonymous passed", r.PassedOf(CtlKubeletAnonymous), []string{"Endpoint/node3:10250", "Endpoint/node4:10250", "Endpoint/node5:10250"})
	eq(t, "read-only failed", r.FailedOf(CtlKubeletReadOnly), []string{"Endpoint/node1:10255", "Endpoint/node5:10250"})
	m := r.Messages(CtlKubeletAnonymous)
	if !strings.Contains(m[0], "GET /pods answered 200 with 3 pods") || !strings.Contains(m[0], "`curl -k https://node1:10250/pods`") {
		t.Errorf("message: %s", m[0])
	}
	if !strings.Contains(m[1], "with at least 42 pods (the list was longer than kube4c reads)") {
		t.Errorf("message of a truncated list: %s", m[1])
	}
	// Messages come in inventory order: Endpoint/node1:10255 before Endpoint/node5:10250.
	if m := r.Messages(CtlKubeletReadOnly); !strings.Contains(m[0], "200 with 1 pod)") || !strings.Contains(m[1], "`curl http://node5:10250/pods`") {
		t.Errorf("read-only messages: %q", m)
	}
}

func TestEtcd(t *testing.T) {
	plain := endpoint("10.0.0.1", 2379).http().answer("/version", 200, probe.ShapeEtcdVersion, version("3.4.23")).service(probe.Etcd, "3.4.23")
	tlsOpen := endpoint("10.0.0.2", 2379).https(false, false).answer("/version", 200, probe.ShapeEtcdVersion, version("3.5.9")).service(probe.Etcd, "3.5.9")
	protected := endpoint("10.0.0.3", 2379).https(true, true).answer("/version", 0, "", func(r *probe.Response) { r.Error = "remote error: tls: bad certificate" })
	ipv6 := endpoint("::1", 2379).http().answer("/version", 200, probe.ShapeEtcdVersion, version("3.4.23")).service(probe.Etcd, "3.4.23")
	r := run(t, plain, tlsOpen, protected, ipv6)
	eq(t, "failed", r.FailedOf(CtlEtcdNoClientCert), []string{"Endpoint/10.0.0.1:2379", "Endpoint/10.0.0.2:2379", "Endpoint/[::1]:2379"})
	eq(t, "passed", r.PassedOf(CtlEtcdNoClientCert), []string{"Endpoint/10.0.0.3:2379"})
	m := r.Messages(CtlEtcdNoClientCert)
	if !strings.Contains(m[0], "etcd 3.4.23 at 10.0.0.1:2379 answers its client API over plain HTTP") {
		t.Errorf("message: %s", m[0])
	}
	if !strings.Contains(m[1], "over TLS without requiring a client certificate") {
		t.Errorf("message: %s", m[1])
	}
	if !strings.Contains(m[2], "`curl -g http://[::1]:2379/version`") {
		t.Errorf("IPv6 message: %s", m[2])
	}
}

func TestAPIServer(t *testing.T) {
	status := func(b ep, code int) ep {
		for _, p := range []string{"/api", "/apis", "/pods", "/"} {
			b = b.answer(p, code, probe.ShapeStatus)
		}
		return b
	}
	// Kubernetes' default: /version to anyone, 403 beyond.
	def := status(endpoint("cp1", 6443).https(true, false).answer("/version", 200, probe.ShapeKubernetesVersion, version("v1.37.2")), 403).service(probe.APIServer, "v1.37.2")
	// --anonymous-auth=false: 401 everywhere.
	off := endpoint("cp2", 6443).https(true, false)
	off = status(off.answer("/version", 401, probe.ShapeStatus), 401).service(probe.APIServer, "")
	// system:discovery bound to system:unauthenticated.
	open := endpoint("cp3", 443).https(true, false).answer("/version", 200, probe.ShapeKubernetesVersion, version("v1.37.2")).
		answer("/api", 200, probe.ShapeAPIVersions, count(1)).answer("/apis", 200, probe.ShapeAPIGroupList, count(20)).
		service(probe.APIServer, "v1.37.2")
	r := run(t, def, off, open)
	eq(t, "discovery failed", r.FailedOf(CtlAPIDiscovery), []string{"Endpoint/cp3:443"})
	eq(t, "discovery passed", r.PassedOf(CtlAPIDiscovery), []string{"Endpoint/cp1:6443", "Endpoint/cp2:6443"})
	eq(t, "version failed", r.FailedOf(CtlAPIVersion), []string{"Endpoint/cp1:6443"})
	eq(t, "version passed", r.PassedOf(CtlAPIVersion), []string{"Endpoint/cp2:6443"})
	if r.WasEvaluated(CtlAPIVersion, "Endpoint/cp3:443") {
		t.Error("the version control was judged where discovery failed")
	}
	if m := r.Messages(CtlAPIDiscovery); !strings.Contains(m[0], "serves /api and /apis to requests without credentials") || !strings.Contains(m[0], "`curl -k https://cp3:443/api`") {
		t.Errorf("message: %s", m[0])
	}
	if m := r.Messages(CtlAPIVersion); !strings.Contains(m[0], "GET /version answered 200: v1.37.2") {
		t.Errorf("message: %s", m[0])
	}
	// An API server does not fail the plain-HTTP control, even where that control is judged.
	if len(r.Messages(CtlAPIPlainHTTP)) != 0 {
		t.Errorf("plain-HTTP findings on HTTPS API servers: %v", r.Messages(CtlAPIPlainHTTP))
	}
}

func TestAPIPlainHTTP(t *testing.T) {
	proxy := endpoint("bastion", 8001).http().answer("/version", 200, probe.ShapeKubernetesVersion, version("v1.35.0")).
		answer("/api", 200, probe.ShapeAPIVersions, count(1)).answer("/apis", 200, probe.ShapeAPIGroupList, count(30)).
		service(probe.APIPlainHTTP, "v1.35.0")
	web := endpoint("bastion", 8080).http().answer("/version", 404, "").answer("/", 200, "")
	r := run(t, proxy, web)
	eq(t, "failed", r.FailedOf(CtlAPIPlainHTTP), []string{"Endpoint/bastion:8001"})
	eq(t, "passed", r.PassedOf(CtlAPIPlainHTTP), []string{"Endpoint/bastion:8080"})
	if m := r.Messages(CtlAPIPlainHTTP); !strings.Contains(m[0], "serves the Kubernetes API (Kubernetes v1.35.0) over plain HTTP without credentials (GET /api, /apis, /version answered 200)") {
		t.Errorf("message: %s", m[0])
	}
	if r.WasEvaluated(CtlAPIDiscovery, "Endpoint/bastion:8001") {
		t.Error("the HTTPS API server controls were judged on a plain-HTTP API")
	}
}

func TestDashboards(t *testing.T) {
	skippable := func(b bool) func(*probe.Response) { return func(r *probe.Response) { r.Skippable = b } }
	dash := endpoint("node1", 30000).https(false, false).answer("/", 200, probe.ShapeKubernetesDashboard).
		answer(probe.DashboardLoginPath, 200, probe.ShapeDashboardLogin, skippable(false)).service(probe.KubernetesDashboard, "")
	skip := endpoint("node2", 30000).https(false, false).answer("/", 200, probe.ShapeKubernetesDashboard).
		answer(probe.DashboardLoginPath, 200, probe.ShapeDashboardLogin, skippable(true)).service(probe.KubernetesDashboard, "")
	headlamp := endpoint("node3", 4466).explicit().http().answer("/", 200, probe.ShapeHeadlamp).service(probe.Headlamp, "")
	behindProxy := endpoint("node4", 9090).http().answer("/", 302, "")
	r := run(t, dash, skip, headlamp, behindProxy)
	eq(t, "failed", r.FailedOf(CtlDashboardExposed), []string{"Endpoint/node1:30000", "Endpoint/node2:30000", "Endpoint/node3:4466"})
	eq(t, "passed", r.PassedOf(CtlDashboardExposed), []string{"Endpoint/node4:9090"})
	m := r.Messages(CtlDashboardExposed)
	if !strings.Contains(m[0], "the Kubernetes Dashboard answers at node1:30000") || strings.Contains(m[0], "skipped") {
		t.Errorf("message: %s", m[0])
	}
	if !strings.Contains(m[1], "its login can be skipped") {
		t.Errorf("message with skippable login: %s", m[1])
	}
	if !strings.Contains(m[2], "Headlamp, a Kubernetes web UI, answers at node3:4466") {
		t.Errorf("message: %s", m[2])
	}
}
