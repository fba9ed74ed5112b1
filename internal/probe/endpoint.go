package probe

import (
	"net"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The API version and kind of the inventory objects Run records: one per endpoint probed.
const (
	Group      = "probe.kube4c.io"
	APIVersion = Group + "/v1"
	Kind       = "Endpoint"
)

// Connection is how the TCP connection to an endpoint went.
type Connection string

// Connection outcomes.
const (
	// Open: the port accepted the connection.
	Open Connection = "open"
	// Refused: the host answered that nothing listens there (a closed port).
	Refused Connection = "refused"
	// Timeout: nothing answered within the timeout (a firewall dropping packets, or no host).
	Timeout Connection = "timeout"
	// Unreachable: the connection failed otherwise (no route to the host, network unreachable).
	Unreachable Connection = "unreachable"
)

// ServiceName names a service identified by its answers.
type ServiceName string

// Services kube4c identifies.
const (
	// Docker is the Docker Engine API (or a compatible one, such as Podman's).
	Docker ServiceName = "docker"
	// Kubelet is the kubelet's authenticated HTTPS API (10250), or a component answering like it.
	Kubelet ServiceName = "kubelet"
	// KubeletReadOnly is the kubelet's unauthenticated read-only HTTP port (10255).
	KubeletReadOnly ServiceName = "kubelet-read-only"
	// Etcd is etcd's client API.
	Etcd ServiceName = "etcd"
	// APIServer is kube-apiserver (or an aggregated API server) over HTTPS.
	APIServer ServiceName = "kube-apiserver"
	// APIPlainHTTP is the Kubernetes API over plain HTTP: kubectl proxy, or the API server's
	// insecure port of Kubernetes before 1.20.
	APIPlainHTTP ServiceName = "kubernetes-api-plain-http"
	// KubernetesDashboard, Headlamp and WeaveScope are web UIs that manage a cluster.
	KubernetesDashboard ServiceName = "kubernetes-dashboard"
	Headlamp            ServiceName = "headlamp"
	WeaveScope          ServiceName = "weave-scope"
)

// Dashboards are the web UIs.
var Dashboards = []ServiceName{KubernetesDashboard, Headlamp, WeaveScope}

// Shape is what a response body was recognised as. Only the shape and a few counts and version
// strings are kept: never the content (a kubelet's /pods holds environment values).
type Shape string

// Shapes of responses.
const (
	// ShapeKubernetesVersion: a Kubernetes /version document (major, minor, gitVersion).
	ShapeKubernetesVersion Shape = "kubernetes-version"
	// ShapeAPIVersions and ShapeAPIGroupList: Kubernetes API discovery (/api, /apis).
	ShapeAPIVersions  Shape = "APIVersions"
	ShapeAPIGroupList Shape = "APIGroupList"
	// ShapeStatus: a Kubernetes Status object, how the API server answers errors.
	ShapeStatus Shape = "Status"
	// ShapePodList: a Kubernetes PodList (the kubelet's /pods); Count is the number of pods.
	ShapePodList Shape = "PodList"
	// ShapeKubeletForbidden: the kubelet's plain-text 403, "Forbidden (user=…, resource=nodes, …)".
	ShapeKubeletForbidden Shape = "kubelet-forbidden"
	// ShapeUnauthorizedText: a plain-text 401 "Unauthorized", as the kubelet answers when anonymous
	// authentication is off.
	ShapeUnauthorizedText Shape = "unauthorized-text"
	// ShapeEtcdVersion: etcd's /version document (etcdserver, etcdcluster).
	ShapeEtcdVersion Shape = "etcd-version"
	// ShapeDockerVersion: the Docker Engine API's /version document (ApiVersion, Version, …).
	ShapeDockerVersion Shape = "docker-version"
	// ShapeKubernetesDashboard, ShapeHeadlamp and ShapeWeaveScope: the UI's HTML page.
	ShapeKubernetesDashboard Shape = "kubernetes-dashboard-page"
	ShapeHeadlamp            Shape = "headlamp-page"
	ShapeWeaveScope          Shape = "weave-scope-page"
	// ShapeDashboardLogin: the Kubernetes Dashboard's /api/v1/login/skippable; Skippable says
	// whether the login page can be skipped (--enable-skip-login).
	ShapeDashboardLogin Shape = "kubernetes-dashboard-login"
)

// Endpoint is what kube4c observed at one host and port. It is the object of an inventory.Object
// (APIVersion, Kind); analyzers judge it, and never connect anywhere themselves.
type Endpoint struct {
	metav1.TypeMeta `json:",inline"`
	// Host is the host as the user named it; Port the TCP port.
	Host string `json:"host"`
	Port int    `json:"port"`
	// Explicit is true when the user named this port (HOST:PORT), false when it came from the
	// default port set (HOST alone).
	Explicit bool `json:"explicit"`
	// Address is the IP address and port connected to (or last tried).
	Address string `json:"address,omitempty"`
	// Connection is how the TCP connection went; ConnectionError says why it failed.
	Connection      Connection `json:"connection"`
	ConnectionError string     `json:"connectionError,omitempty"`
	// TLS is the outcome of a TLS handshake without a client certificate (nil when the port was
	// not open).
	TLS *TLSResult `json:"tls,omitempty"`
	// Scheme is how the HTTP requests were sent: "https" when the port speaks TLS, else "http".
	// Empty when no request was sent.
	Scheme string `json:"scheme,omitempty"`
	// Responses are the GET requests sent, in order, and what answered.
	Responses []Response `json:"responses,omitempty"`
	// Services are the services identified from the answers.
	Services []Service `json:"services,omitempty"`
}

// TLSResult is the outcome of a TLS handshake sent without a client certificate. The server's
// certificate is not verified: kube4c sends nothing secret, and only asks whether TLS is spoken.
type TLSResult struct {
	// Handshake is true when the handshake completed from the client's side.
	Handshake bool   `json:"handshake"`
	Version   string `json:"version,omitempty"`
	Error     string `json:"error,omitempty"`
	// ClientCertRequested: the server asked for a client certificate (kubelets and API servers
	// ask, and accept requests without one).
	ClientCertRequested bool `json:"clientCertRequested,omitempty"`
	// ClientCertRequired: the server refused the connection because none was given.
	ClientCertRequired bool `json:"clientCertRequired,omitempty"`
}

// Response is one GET request and what answered, without the body.
type Response struct {
	Path string `json:"path"`
	// Status is the HTTP status code; 0 when no HTTP response came (Error says why).
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
	// Server is the Server header, sanitized and shortened.
	Server string `json:"server,omitempty"`
	// Shape is what the body was recognised as ("" when not recognised).
	Shape Shape `json:"shape,omitempty"`
	// Version is the version a version document reported.
	Version string `json:"version,omitempty"`
	// Count is the number of items of a list (pods, API versions, API groups); CountIsLowerBound
	// is true when the body was longer than the read limit, so only the items before it counted.
	Count             int  `json:"count,omitempty"`
	CountIsLowerBound bool `json:"countIsLowerBound,omitempty"`
	// Skippable is the Kubernetes Dashboard's answer to /api/v1/login/skippable.
	Skippable bool `json:"skippable,omitempty"`
}

// Service is a service identified at an endpoint.
type Service struct {
	Name    ServiceName `json:"name"`
	Version string      `json:"version,omitempty"`
}

// Name is host:port ([host]:port for IPv6 addresses), the endpoint's inventory name.
func (e *Endpoint) Name() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Response returns the response to path, or nil when path was not requested.
func (e *Endpoint) Response(path string) *Response {
	for i := range e.Responses {
		if e.Responses[i].Path == path {
			return &e.Responses[i]
		}
	}
	return nil
}

// Service returns the identified service of that name, or nil.
func (e *Endpoint) Service(name ServiceName) *Service {
	for i := range e.Services {
		if e.Services[i].Name == name {
			return &e.Services[i]
		}
	}
	return nil
}

// URL is the URL of path at the endpoint, as requested.
func (e *Endpoint) URL(path string) string {
	scheme := e.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + e.Name() + path
}

// DeepCopy returns a copy that shares nothing with e.
func (e *Endpoint) DeepCopy() *Endpoint {
	if e == nil {
		return nil
	}
	out := *e
	if e.TLS != nil {
		t := *e.TLS
		out.TLS = &t
	}
	if e.Responses != nil {
		out.Responses = append([]Response(nil), e.Responses...)
	}
	if e.Services != nil {
		out.Services = append([]Service(nil), e.Services...)
	}
	return &out
}

// DeepCopyObject implements runtime.Object.
func (e *Endpoint) DeepCopyObject() runtime.Object {
	if c := e.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DefaultPort is one port of the set probed for a HOST named without a port.
type DefaultPort struct {
	Port int
	// Services are the services usually found there: their controls are judged at this port on
	// every host probed with the default set, also when the port is closed (a pass).
	Services []ServiceName
}

// DefaultPorts is the port set probed for a HOST named without a port (docs/probe.md says why each
// is there).
var DefaultPorts = []DefaultPort{
	{443, []ServiceName{APIServer}},
	{2375, []ServiceName{Docker}},
	{2376, []ServiceName{Docker}},
	{2379, []ServiceName{Etcd}},
	{6443, []ServiceName{APIServer}},
	{8001, []ServiceName{APIPlainHTTP}},
	{8080, []ServiceName{APIPlainHTTP}},
	{8443, []ServiceName{APIServer, KubernetesDashboard}},
	{9090, []ServiceName{KubernetesDashboard}},
	{10250, []ServiceName{Kubelet}},
	{10255, []ServiceName{KubeletReadOnly}},
	{30000, []ServiceName{KubernetesDashboard}},
}

// DefaultServices returns the services DefaultPorts expects at port (nil for other ports).
func DefaultServices(port int) []ServiceName {
	for _, d := range DefaultPorts {
		if d.Port == port {
			return d.Services
		}
	}
	return nil
}
