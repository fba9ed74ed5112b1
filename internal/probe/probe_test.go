package probe_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/analyzer/exposure"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/probe"
	"github.com/kube4c/kube4c/internal/probe/probetest"
)

// opts are the options of every test: a timeout long enough for a loaded CI machine (it bounds
// waiting, it is never measured).
var opts = probe.Options{Timeout: 10 * time.Second, Concurrency: 4, UserAgent: "kube4c-test"}

// run probes targets and returns the endpoints by name.
func run(t *testing.T, o probe.Options, targets ...string) (*inventory.Inventory, map[string]*probe.Endpoint) {
	t.Helper()
	var ts []probe.Target
	for _, s := range targets {
		tg, err := probe.ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tg)
	}
	inv, err := probe.Run(context.Background(), ts, o)
	if err != nil {
		t.Fatal(err)
	}
	eps := map[string]*probe.Endpoint{}
	for _, obj := range inv.Objects() {
		e, ok := obj.Object.(*probe.Endpoint)
		if !ok || obj.APIVersion != probe.APIVersion || obj.Kind != probe.Kind || obj.Name != e.Name() ||
			obj.Source.Origin != inventory.FromProbe || obj.Source.Context != e.Name() || e.Kind != probe.Kind {
			t.Fatalf("inventory object %+v", obj)
		}
		eps[e.Name()] = e
	}
	return inv, eps
}

// judge runs the exposure analyzer on an inventory.
func judge(t *testing.T, inv *inventory.Inventory) *analyzertest.Recorder {
	t.Helper()
	return analyzertest.Run(t, exposure.New(), inv, nil)
}

func statuses(e *probe.Endpoint) string {
	var s []string
	for _, r := range e.Responses {
		if r.Status == 0 {
			s = append(s, r.Path+" "+r.Error)
		} else {
			s = append(s, fmt.Sprintf("%s %d", r.Path, r.Status))
		}
	}
	return strings.Join(s, ", ")
}

func services(e *probe.Endpoint) string {
	var s []string
	for _, sv := range e.Services {
		s = append(s, strings.TrimSpace(string(sv.Name)+" "+sv.Version))
	}
	return strings.Join(s, ", ")
}

// TestFakeServices probes a fake of each service kube4c judges, at once, and checks both what was
// observed and how it is judged.
func TestFakeServices(t *testing.T) {
	srv := map[string]string{}
	add := func(name string, s string) { srv[name] = s }
	add("kubelet", probetest.Target(t, probetest.Kubelet(t, probetest.KubeletAnonymous)))
	add("kubelet-401", probetest.Target(t, probetest.Kubelet(t, probetest.KubeletAnonymousOff)))
	add("kubelet-403", probetest.Target(t, probetest.Kubelet(t, probetest.KubeletWebhook)))
	add("read-only", probetest.Target(t, probetest.KubeletReadOnly(t)))
	add("docker", probetest.Target(t, probetest.Docker(t, probetest.DockerPlain)))
	add("docker-tls", probetest.Target(t, probetest.Docker(t, probetest.DockerTLSNoVerify)))
	add("docker-tlsverify", probetest.Target(t, probetest.Docker(t, probetest.DockerTLSVerify)))
	add("dashboard", probetest.Target(t, probetest.Dashboard(t, false)))
	add("dashboard-skip", probetest.Target(t, probetest.Dashboard(t, true)))
	add("proxy", probetest.Target(t, probetest.KubectlProxy(t)))
	var targets []string
	for _, s := range srv {
		targets = append(targets, s)
	}
	inv, eps := run(t, opts, targets...)
	if len(eps) != len(srv) || len(inv.Problems()) != 0 {
		t.Fatalf("%d endpoints for %d targets, problems %v", len(eps), len(srv), inv.Problems())
	}

	for _, tc := range []struct {
		name, scheme       string
		requested, require bool
		services, statuses string
	}{
		{"kubelet", "https", true, false, "kubelet", "/version 404, /api 404, /apis 404, /pods 200, / 404"},
		{"kubelet-401", "https", true, false, "kubelet", "/version 401, /api 401, /apis 401, /pods 401, / 401"},
		{"kubelet-403", "https", true, false, "kubelet", "/version 403, /api 403, /apis 403, /pods 403, / 403"},
		{"read-only", "http", false, false, "kubelet-read-only", "/version 404, /api 404, /apis 404, /pods 200, / 404"},
		{"docker", "http", false, false, "docker 24.0.7 (API 1.43)", "/version 200, /api 404, /apis 404, /pods 404, / 404"},
		{"docker-tls", "https", false, false, "docker 24.0.7 (API 1.43)", "/version 200, /api 404, /apis 404, /pods 404, / 404"},
		{"docker-tlsverify", "https", true, true, "", "/version remote error: tls: certificate required"},
		{"dashboard", "https", false, false, "kubernetes-dashboard", "/version 404, /api 404, /apis 404, /pods 404, / 200, /api/v1/login/skippable 200"},
		{"proxy", "http", false, false, "kubernetes-api-plain-http v1.37.2", "/version 200, /api 200, /apis 200, /pods 404, / 404"},
	} {
		e := eps[srv[tc.name]]
		if e.Connection != probe.Open || e.Scheme != tc.scheme || e.TLS == nil || e.TLS.ClientCertRequested != tc.requested || e.TLS.ClientCertRequired != tc.require {
			t.Errorf("%s: connection %s, scheme %s, TLS %+v", tc.name, e.Connection, e.Scheme, e.TLS)
		}
		if got := services(e); got != tc.services {
			t.Errorf("%s: services %q, want %q", tc.name, got, tc.services)
		}
		if got := statuses(e); got != tc.statuses {
			t.Errorf("%s: responses %q, want %q", tc.name, got, tc.statuses)
		}
		if !e.Explicit {
			t.Errorf("%s: a named port is not explicit", tc.name)
		}
	}
	if r := eps[srv["kubelet"]].Response("/pods"); r.Shape != probe.ShapePodList || r.Count != probetest.PodCount || r.CountIsLowerBound {
		t.Errorf("kubelet /pods: %+v", r)
	}
	if r := eps[srv["dashboard-skip"]].Response(probe.DashboardLoginPath); r == nil || !r.Skippable {
		t.Errorf("skippable dashboard: %+v", r)
	}

	rec := judge(t, inv)
	failed := map[string][]string{}
	for _, f := range rec.Findings {
		failed[f.Resource.Name] = append(failed[f.Resource.Name], f.ControlID)
	}
	for name, want := range map[string][]string{
		"kubelet":          {exposure.CtlKubeletAnonymous},
		"kubelet-401":      nil,
		"kubelet-403":      nil,
		"read-only":        {exposure.CtlKubeletReadOnly},
		"docker":           {exposure.CtlDockerAPI},
		"docker-tls":       {exposure.CtlDockerAPI},
		"docker-tlsverify": nil,
		"dashboard":        {exposure.CtlDashboardExposed},
		"dashboard-skip":   {exposure.CtlDashboardExposed},
		"proxy":            {exposure.CtlAPIPlainHTTP},
	} {
		got := failed[srv[name]]
		if !slices.Equal(got, want) {
			t.Errorf("%s: failed %v, want %v", name, got, want)
		}
		// Every control was judged at a port the user named (the version control only where
		// discovery passed).
		for _, c := range exposure.New().Controls() {
			if c == exposure.CtlAPIVersion && slices.Contains(got, exposure.CtlAPIDiscovery) {
				continue
			}
			if !rec.WasEvaluated(c, "Endpoint/"+srv[name]) {
				t.Errorf("%s: %s not judged at a named port", name, c)
			}
		}
	}

	// What kube4c keeps never holds what the kubelet's pod list holds.
	b, err := json.Marshal(eps)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rec.Findings {
		b = append(b, f.Message...)
	}
	if strings.Contains(string(b), probetest.Secret) || strings.Contains(string(b), "POSTGRES_PASSWORD") {
		t.Errorf("a pod's environment leaked into the observations or messages")
	}
}

// TestSafety: only GET requests, no credentials, no client certificate, no redirect followed.
func TestSafety(t *testing.T) {
	elsewhere := &probetest.Recorder{}
	other := probetest.Serve(t, elsewhere.Wrap(http.NotFoundHandler()), -1)
	rec := &probetest.Recorder{}
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
	})
	plain := probetest.Serve(t, rec.Wrap(redirect), -1)
	withTLS := probetest.Serve(t, rec.Wrap(redirect), tls.RequestClientCert)
	_, eps := run(t, opts, probetest.Target(t, plain), probetest.Target(t, withTLS))
	for _, e := range eps {
		if r := e.Response("/"); r == nil || r.Status != http.StatusFound {
			t.Errorf("%s: / = %+v, want the 302 recorded", e.Name(), r)
		}
	}
	got := rec.Requests()
	if len(got) != 2*len(probe.Paths) {
		t.Errorf("%d requests, want %d", len(got), 2*len(probe.Paths))
	}
	for _, r := range got {
		if r.Method != http.MethodGet || len(r.Credentials) > 0 || r.ClientCert {
			t.Errorf("request %+v", r)
		}
	}
	if n := len(elsewhere.Requests()); n != 0 {
		t.Errorf("a redirect to another server was followed %d times", n)
	}
}

func TestResponseBodiesAreBounded(t *testing.T) {
	// A kubelet with many pods: the list is cut at the read limit and counted up to it.
	var b strings.Builder
	b.WriteString(`{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[`)
	for i := range 2000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"metadata":{"name":"pod-%d"},"spec":{"containers":[{"name":"c","env":[{"name":"K","value":"%s"}]}]}}`, i, strings.Repeat("x", 1000))
	}
	b.WriteString("]}")
	body := b.String()
	s := probetest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pods" {
			fmt.Fprint(w, body)
			return
		}
		http.NotFound(w, r)
	}), tls.NoClientCert)
	o := opts
	o.MaxBody = 64 << 10
	_, eps := run(t, o, probetest.Target(t, s))
	r := eps[probetest.Target(t, s)].Response("/pods")
	if r == nil || r.Shape != probe.ShapePodList || !r.CountIsLowerBound || r.Count == 0 || r.Count >= 2000 {
		t.Fatalf("/pods of %d bytes read with a %d-byte limit: %+v", len(body), o.MaxBody, r)
	}
}

func TestClosedPortAndUnresolvableHost(t *testing.T) {
	closed := probetest.ClosedPort(t)
	o := opts
	o.Resolver = fakeResolver{"kubelet.test": {netip.MustParseAddr("127.0.0.1")}}
	kubelet := probetest.Kubelet(t, probetest.KubeletAnonymous)
	_, kport := probetest.HostPort(t, kubelet)
	inv, eps := run(t, o, fmt.Sprintf("127.0.0.1:%d", closed), "nowhere.test:2379", fmt.Sprintf("kubelet.test:%d", kport))
	e := eps[fmt.Sprintf("127.0.0.1:%d", closed)]
	if e == nil || e.Connection != probe.Refused || e.ConnectionError != "connection refused" || e.TLS != nil || len(e.Responses) != 0 {
		t.Fatalf("closed port: %+v", e)
	}
	if k := eps[fmt.Sprintf("kubelet.test:%d", kport)]; k == nil || k.Address != fmt.Sprintf("127.0.0.1:%d", kport) || services(k) != "kubelet" {
		t.Errorf("a host name that resolves: %+v", k)
	}
	if len(eps) != 2 {
		t.Errorf("endpoints %v: the host that does not resolve has none", eps)
	}
	probs := inv.Problems()
	if len(probs) != 2 {
		t.Fatalf("problems %+v", probs)
	}
	if p := probs[0]; p.Severity != "error" || p.Resource != "nowhere.test" || p.String() != "nowhere.test: host does not resolve (no such host); it was not probed" {
		t.Errorf("problem %+v", p)
	}
	if p := probs[1]; p.Severity != "warning" || p.Resource != "127.0.0.1" || !strings.Contains(p.Message, "no probed port accepted a connection (1 tried)") {
		t.Errorf("problem %+v", p)
	}
	rec := judge(t, inv)
	if got := rec.Passed(exposure.New().Controls()...); len(got) != 8+7 { // every control at the closed port; all but the failed one at the kubelet
		t.Errorf("passed %v", got)
	}
	analyzertest.Eq(t, "failed", rec.Failed(exposure.New().Controls()...), []string{fmt.Sprintf("%s Endpoint/kubelet.test:%d", exposure.CtlKubeletAnonymous, kport)})
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestDefaultPorts(t *testing.T) {
	// Which ports are probed; not what answers there (this machine may run anything).
	closed := probetest.ClosedPort(t)
	_, eps := run(t, opts, "127.0.0.1", "127.0.0.1:10250", fmt.Sprintf("127.0.0.1:%d", closed), "[::1]:1")
	want := map[string]bool{fmt.Sprintf("127.0.0.1:%d", closed): true, "[::1]:1": true}
	for _, d := range probe.DefaultPorts {
		want[fmt.Sprintf("127.0.0.1:%d", d.Port)] = d.Port == 10250
	}
	if len(eps) != len(want) {
		t.Errorf("%d endpoints, want %d", len(eps), len(want))
	}
	for name, explicit := range want {
		if e := eps[name]; e == nil || e.Explicit != explicit {
			t.Errorf("%s: %+v, want explicit=%v", name, e, explicit)
		}
	}
	if e := eps["[::1]:1"]; e.Host != "::1" || e.Port != 1 || e.Connection == probe.Open {
		t.Errorf("IPv6 endpoint %+v", e)
	}
}

func TestServiceThatNeverAnswers(t *testing.T) {
	port := probetest.Silent(t, nil)
	o := opts
	o.Timeout = 300 * time.Millisecond // bounds the wait; the test does not measure it
	name := fmt.Sprintf("127.0.0.1:%d", port)
	inv, eps := run(t, o, name)
	e := eps[name]
	if e.Connection != probe.Open || e.TLS == nil || e.TLS.Handshake || e.TLS.Error != "no answer within 300ms" {
		t.Fatalf("silent service: %+v TLS %+v", e, e.TLS)
	}
	// After the TLS handshake timed out, one plain HTTP request is tried, and given up when it
	// times out too.
	if e.Scheme != "http" || statuses(e) != "/version no answer within 300ms" || len(e.Services) != 0 {
		t.Errorf("silent service: scheme %s, responses %q", e.Scheme, statuses(e))
	}
	if rec := judge(t, inv); len(rec.Findings) != 0 {
		t.Errorf("findings for a silent service: %v", rec.Findings)
	}
}

func TestInterrupted(t *testing.T) {
	accepted := make(chan struct{}, 1)
	port := probetest.Silent(t, accepted)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := opts
	o.Timeout = time.Hour // only the context can end this probe
	done := make(chan error, 1)
	go func() {
		_, err := probe.Run(ctx, []probe.Target{{Host: "127.0.0.1", Port: port}, {Host: "127.0.0.1"}}, o)
		done <- err
	}()
	<-accepted
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want context.Canceled", err)
	}
}
