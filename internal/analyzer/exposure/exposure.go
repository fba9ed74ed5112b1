// Package exposure judges what `kube4c probe` observed on the network (probe.Endpoint objects):
// container runtime APIs, kubelets, etcd, API servers, API proxies and cluster dashboards that
// answer without credentials. It reads observations only and never connects anywhere. See
// docs/probe.md.
package exposure

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/probe"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Control IDs owned by this analyzer.
const (
	CtlDockerAPI        = "cloud/docker-api-exposed"
	CtlKubeletAnonymous = "cloud/kubelet-api-anonymous"
	CtlKubeletReadOnly  = "cloud/kubelet-readonly-port"
	CtlEtcdNoClientCert = "cloud/etcd-no-client-cert-auth"
	CtlAPIDiscovery     = "cloud/apiserver-anonymous-discovery"
	CtlAPIVersion       = "cloud/apiserver-anonymous-version"
	CtlAPIPlainHTTP     = "cloud/kubernetes-api-plain-http"
	CtlDashboardExposed = "cloud/dashboard-exposed"
)

// judged maps each control to the services it judges. A control is evaluated at an endpoint when
// one of its services was identified there, the port is one of the default ports of one of them
// (probe.DefaultPorts, also when closed), or the user named the port (HOST:PORT: every probe is
// tried there).
var judged = map[string][]probe.ServiceName{
	CtlDockerAPI:        {probe.Docker},
	CtlKubeletAnonymous: {probe.Kubelet},
	CtlKubeletReadOnly:  {probe.KubeletReadOnly},
	CtlEtcdNoClientCert: {probe.Etcd},
	CtlAPIDiscovery:     {probe.APIServer},
	CtlAPIVersion:       {probe.APIServer},
	CtlAPIPlainHTTP:     {probe.APIPlainHTTP},
	CtlDashboardExposed: probe.Dashboards,
}

type exposureAnalyzer struct{}

// New returns the exposure analyzer.
func New() analyzer.Analyzer { return exposureAnalyzer{} }

func (exposureAnalyzer) Name() string { return "exposure" }

func (exposureAnalyzer) Controls() []string {
	ids := make([]string, 0, len(judged))
	for id := range judged {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Needs: every control reads the probe's Endpoint objects.
func (a exposureAnalyzer) Needs() map[string][]schema.GroupKind {
	out := map[string][]schema.GroupKind{}
	for _, id := range a.Controls() {
		out[id] = []schema.GroupKind{{Group: probe.Group, Kind: probe.Kind}}
	}
	return out
}

func (exposureAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, _ *analyzer.Config, rec analyzer.Recorder) error {
	for _, o := range inv.OfKind(probe.Group, probe.Kind) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e, ok := o.Object.(*probe.Endpoint); ok {
			judge(o, e, rec)
		}
	}
	return nil
}

// applies reports whether a control is judged at the endpoint.
func applies(control string, e *probe.Endpoint) bool {
	if e.Explicit {
		return true
	}
	for _, s := range judged[control] {
		if e.Service(s) != nil || slices.Contains(probe.DefaultServices(e.Port), s) {
			return true
		}
	}
	return false
}

func judge(o *inventory.Object, e *probe.Endpoint, rec analyzer.Recorder) {
	check := func(control string, fail func() string) {
		if !applies(control, e) {
			return
		}
		rec.Evaluated(control, o)
		if msg := fail(); msg != "" {
			rec.Fail(finding.New(control, o, nil, msg))
		}
	}
	check(CtlDockerAPI, func() string { return dockerAPI(e) })
	check(CtlKubeletAnonymous, func() string { return kubeletAnonymous(e) })
	check(CtlKubeletReadOnly, func() string { return kubeletReadOnly(e) })
	check(CtlEtcdNoClientCert, func() string { return etcdNoClientCert(e) })
	discovery := apiDiscovery(e)
	check(CtlAPIDiscovery, func() string { return discovery })
	if discovery == "" {
		// The version is part of a discovery finding: judged separately only without one, like
		// cluster/apiserver-anonymous-version.
		check(CtlAPIVersion, func() string { return apiVersion(e) })
	}
	check(CtlAPIPlainHTTP, func() string { return apiPlainHTTP(e) })
	check(CtlDashboardExposed, func() string { return dashboard(e) })
}

// answered returns the response to path when it was 200 with the shape, else nil.
func answered(e *probe.Endpoint, path string, shape probe.Shape) *probe.Response {
	if r := e.Response(path); r != nil && r.Status == 200 && r.Shape == shape {
		return r
	}
	return nil
}

// verify is the command that shows what kube4c saw.
func verify(e *probe.Endpoint, path string) string {
	cmd := "curl "
	if e.Scheme == "https" {
		cmd += "-k "
	}
	if a, err := netip.ParseAddr(e.Host); err == nil && a.Is6() {
		cmd += "-g "
	}
	return "`" + cmd + e.URL(path) + "`"
}

// over says how the requests were sent.
func over(e *probe.Endpoint) string {
	if e.Scheme == "https" {
		return "over TLS without requiring a client certificate"
	}
	return "over plain HTTP"
}

func versioned(what, version string) string {
	if version == "" {
		return what
	}
	return what + " " + version
}

func dockerAPI(e *probe.Endpoint) string {
	r := answered(e, "/version", probe.ShapeDockerVersion)
	if r == nil {
		return ""
	}
	return fmt.Sprintf("%s answers GET /version %s, without any authentication: whoever reaches %s controls the Docker daemon, can start a privileged container that mounts the host's filesystem and owns the host; verify with %s",
		versioned("the Docker Engine API", r.Version), over(e), e.Name(), verify(e, "/version"))
}

// pods describes a pod count.
func pods(r *probe.Response) string {
	n := fmt.Sprintf("%d pod", r.Count)
	if r.Count != 1 {
		n += "s"
	}
	if r.CountIsLowerBound {
		n = "at least " + n + " (the list was longer than kube4c reads)"
	}
	return n
}

func kubeletAnonymous(e *probe.Endpoint) string {
	if e.Scheme != "https" {
		return ""
	}
	r := answered(e, "/pods", probe.ShapePodList)
	if r == nil {
		return ""
	}
	return fmt.Sprintf("the kubelet API at %s lists its pods to a request without credentials (GET /pods answered 200 with %s): anonymous authentication is on and authorization allows it, so anyone who reaches the port reads every pod spec on the node, environment values included, and can run commands in its containers; set authentication.anonymous.enabled: false and authorization.mode: Webhook; verify with %s",
		e.Name(), pods(r), verify(e, "/pods"))
}

func kubeletReadOnly(e *probe.Endpoint) string {
	if e.Scheme != "http" {
		return ""
	}
	r := answered(e, "/pods", probe.ShapePodList)
	if r == nil {
		return ""
	}
	return fmt.Sprintf("the kubelet's read-only port %s serves GET /pods over plain HTTP without authentication (200 with %s): anyone who reaches it reads every pod spec on the node, environment values included; set readOnlyPort: 0; verify with %s",
		e.Name(), pods(r), verify(e, "/pods"))
}

func etcdNoClientCert(e *probe.Endpoint) string {
	r := answered(e, "/version", probe.ShapeEtcdVersion)
	if r == nil {
		return ""
	}
	return fmt.Sprintf("%s at %s answers its client API %s (GET /version answered 200): anyone who reaches the port can read and change the whole cluster state, Secrets included, bypassing the API server; require client certificates with --client-cert-auth and --trusted-ca-file; verify with %s",
		versioned("etcd", r.Version), e.Name(), over(e), verify(e, "/version"))
}

func apiDiscovery(e *probe.Endpoint) string {
	if e.Scheme != "https" {
		return ""
	}
	var open []string
	if answered(e, "/api", probe.ShapeAPIVersions) != nil {
		open = append(open, "/api")
	}
	if answered(e, "/apis", probe.ShapeAPIGroupList) != nil {
		open = append(open, "/apis")
	}
	if len(open) == 0 {
		return ""
	}
	return fmt.Sprintf("the API server at %s serves %s to requests without credentials (200): anonymous authentication is on and RBAC grants system:anonymous or system:unauthenticated more than system:public-info-viewer; remove those bindings and set --anonymous-auth=false or restrict anonymous requests to health endpoints; verify with %s",
		e.Name(), strings.Join(open, " and "), verify(e, open[0]))
}

func apiVersion(e *probe.Endpoint) string {
	if e.Scheme != "https" {
		return ""
	}
	r := answered(e, "/version", probe.ShapeKubernetesVersion)
	if r == nil {
		return ""
	}
	return fmt.Sprintf("the API server at %s tells requests without credentials its exact version (GET /version answered 200: %s); this is the default with anonymous authentication on. Set --anonymous-auth=false, or restrict anonymous requests to /healthz, /livez and /readyz; verify with %s",
		e.Name(), r.Version, verify(e, "/version"))
}

func apiPlainHTTP(e *probe.Endpoint) string {
	if e.Scheme != "http" {
		return ""
	}
	var open []string
	for _, p := range []struct {
		path  string
		shape probe.Shape
	}{{"/api", probe.ShapeAPIVersions}, {"/apis", probe.ShapeAPIGroupList}, {"/version", probe.ShapeKubernetesVersion}} {
		if answered(e, p.path, p.shape) != nil {
			open = append(open, p.path)
		}
	}
	if len(open) == 0 {
		return ""
	}
	version := ""
	if s := e.Service(probe.APIPlainHTTP); s != nil && s.Version != "" {
		version = " (Kubernetes " + s.Version + ")"
	}
	return fmt.Sprintf("%s serves the Kubernetes API%s over plain HTTP without credentials (GET %s answered 200): a kubectl proxy, which acts with the credentials of whoever started it, or an API server's insecure port; anyone who reaches it acts with those privileges; stop it or bind it to 127.0.0.1; verify with %s",
		e.Name(), version, strings.Join(open, ", "), verify(e, open[0]))
}

func dashboard(e *probe.Endpoint) string {
	via := "over plain HTTP"
	if e.Scheme == "https" {
		via = "over HTTPS"
	}
	r := e.Response("/")
	if r == nil || r.Status != 200 {
		return ""
	}
	switch r.Shape {
	case probe.ShapeKubernetesDashboard:
		login := "it manages the cluster with the token a user pastes in, or its own service account's permissions"
		if l := answered(e, probe.DashboardLoginPath, probe.ShapeDashboardLogin); l != nil && l.Skippable {
			login = "its login can be skipped (--enable-skip-login, " + probe.DashboardLoginPath + " says so): anyone gets its service account's permissions"
		}
		return fmt.Sprintf("the Kubernetes Dashboard answers at %s (GET / served its page %s); %s; reach it with kubectl port-forward or behind an authenticating proxy instead; verify with %s",
			e.Name(), via, login, verify(e, "/"))
	case probe.ShapeHeadlamp:
		return fmt.Sprintf("Headlamp, a Kubernetes web UI, answers at %s (GET / served its page %s): it manages the cluster with the token a user gives it, or its own service account's permissions; reach it with kubectl port-forward or behind an authenticating proxy instead; verify with %s",
			e.Name(), via, verify(e, "/"))
	case probe.ShapeWeaveScope:
		return fmt.Sprintf("Weave Scope answers at %s (GET / served its page %s): it has no authentication and lets anyone who reaches it open shells in any container of the cluster; remove it or put an authenticating proxy in front; verify with %s",
			e.Name(), via, verify(e, "/"))
	}
	return ""
}
