// Package probetest serves fakes of the network services `kube4c probe` judges, for tests: each
// answers the requests kube4c sends the way the real service does (the response shapes are cited
// next to each), on a loopback port. etcd and the API server are not faked: tests run the real
// ones (internal/testenv).
package probetest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Secret is the credential the fake kubelets put in a pod's environment, as a real kubelet's
// /pods shows it. It must never appear in anything kube4c prints.
const Secret = "kube4c-canary-s3cr3t-from-pod-env"

// podList is a kubelet's GET /pods answer: a v1 PodList of the node's pods with their full specs,
// environment values included (pkg/kubelet/server/server.go, getPods; the same JSON on the
// authenticated port 10250 and the read-only port 10255).
var podList = `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[` +
	`{"metadata":{"name":"postgres-0","namespace":"shop","uid":"0b1f7c1e-5a2d-4c59-9d53-7f0d2f1f3a11"},` +
	`"spec":{"containers":[{"name":"postgres","image":"postgres:16.4","env":[{"name":"POSTGRES_PASSWORD","value":"` + Secret + `"}]}],"nodeName":"node-1"},` +
	`"status":{"phase":"Running","podIP":"10.244.1.7"}},` +
	`{"metadata":{"name":"web-5d9c7b7f6-x2kqp","namespace":"shop"},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]},"status":{"phase":"Running"}},` +
	`{"metadata":{"name":"kube-proxy-8xk2n","namespace":"kube-system"},"spec":{"containers":[{"name":"kube-proxy","image":"registry.k8s.io/kube-proxy:v1.37.2"}]},"status":{"phase":"Running"}}` +
	`]}`

// PodCount is the number of pods in the fake kubelets' /pods.
const PodCount = 3

// KubeletAuth is how a fake kubelet treats anonymous requests.
type KubeletAuth int

// Kubelet authentication and authorization setups.
const (
	// KubeletAnonymous: --anonymous-auth=true with --authorization-mode=AlwaysAllow (the kubelet's
	// defaults without a configuration file): everything is served.
	KubeletAnonymous KubeletAuth = iota
	// KubeletAnonymousOff: --anonymous-auth=false: every request without credentials gets 401 with
	// the body "Unauthorized" (InstallAuthFilter: resp.WriteErrorString(401, "Unauthorized")).
	KubeletAnonymousOff
	// KubeletWebhook: anonymous on, Webhook authorization denies system:anonymous: 403 with
	// "Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)".
	KubeletWebhook
)

// Kubelet serves a kubelet's HTTPS API: TLS that asks for a client certificate without requiring
// one (the kubelet accepts bearer tokens and anonymous requests too), /pods, and 404 "404 page not
// found" for paths it does not serve.
func Kubelet(t testing.TB, auth KubeletAuth) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch auth {
		case KubeletAnonymousOff:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "Unauthorized")
			return
		case KubeletWebhook:
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)")
			return
		}
		kubeletPaths(w, r)
	})
	return start(t, h, tls.VerifyClientCertIfGiven)
}

// KubeletReadOnly serves a kubelet's read-only port: plain HTTP, no authentication.
func KubeletReadOnly(t testing.TB) *httptest.Server {
	return start(t, http.HandlerFunc(kubeletPaths), -1)
}

func kubeletPaths(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/pods":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, podList)
	case "/healthz":
		io.WriteString(w, "ok")
	default:
		http.NotFound(w, r)
	}
}

// DockerTLS is how a fake Docker daemon listens.
type DockerTLS int

// Docker listening modes.
const (
	// DockerPlain: dockerd -H tcp://0.0.0.0:2375, plain HTTP.
	DockerPlain DockerTLS = iota
	// DockerTLSNoVerify: --tls without --tlsverify: TLS, but any client is served.
	DockerTLSNoVerify
	// DockerTLSVerify: --tlsverify: a client certificate from the daemon's CA is required.
	DockerTLSVerify
)

// dockerVersion is the Docker Engine API's GET /version answer (SystemVersion in the Engine API
// reference, https://docs.docker.com/reference/api/engine/, v1.43).
const dockerVersion = `{"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"24.0.7",` +
	`"Details":{"ApiVersion":"1.43","Arch":"amd64","BuildTime":"2023-10-26T09:08:02.000000000+00:00","Experimental":"false","GitCommit":"311b9ff","GoVersion":"go1.20.10","KernelVersion":"6.5.0-14-generic","MinAPIVersion":"1.12","Os":"linux"}}],` +
	`"Version":"24.0.7","ApiVersion":"1.43","MinAPIVersion":"1.12","GitCommit":"311b9ff","GoVersion":"go1.20.10","Os":"linux","Arch":"amd64","KernelVersion":"6.5.0-14-generic","BuildTime":"2023-10-26T09:08:02.000000000+00:00"}`

// Docker serves the Docker Engine API: /version, and {"message":"page not found"} with 404
// elsewhere; every response carries Api-Version and "Server: Docker/24.0.7 (linux)".
func Docker(t testing.TB, mode DockerTLS) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.43")
		w.Header().Set("Docker-Experimental", "false")
		w.Header().Set("Ostype", "linux")
		w.Header().Set("Server", "Docker/24.0.7 (linux)")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/version" {
			io.WriteString(w, dockerVersion)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"page not found"}`+"\n")
	})
	switch mode {
	case DockerTLSNoVerify:
		return start(t, h, tls.NoClientCert)
	case DockerTLSVerify:
		return start(t, h, tls.RequireAndVerifyClientCert)
	}
	return start(t, h, -1)
}

// dashboardPage is the Kubernetes Dashboard's index.html (kubernetes/dashboard,
// modules/web/src/index.html), abridged.
const dashboardPage = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>Kubernetes Dashboard</title>
    <link rel="icon" type="image/png" href="assets/images/kubernetes-logo.png" />
  </head>
  <body>
    <kd-root></kd-root>
  </body>
</html>
`

// Dashboard serves the Kubernetes Dashboard over HTTPS (its default, with a self-signed
// certificate): the page at /, GET /api/v1/login/skippable ({"skippable": …}, true with
// --enable-skip-login), 404 elsewhere.
func Dashboard(t testing.TB, skippable bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, dashboardPage)
		case "/api/v1/login/skippable":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"skippable":%t}`, skippable)
		default:
			http.NotFound(w, r)
		}
	})
	return start(t, h, tls.NoClientCert)
}

// KubectlProxy serves what `kubectl proxy --address=0.0.0.0` forwards from a v1.37 API server: the
// discovery documents and /version, over plain HTTP, to anyone.
func KubectlProxy(t testing.TB) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			io.WriteString(w, `{"major":"1","minor":"37","emulationMajor":"1","emulationMinor":"37","minCompatibilityMajor":"1","minCompatibilityMinor":"36","gitVersion":"v1.37.2","gitCommit":"","gitTreeState":"clean","buildDate":"2026-10-27T12:01:04Z","goVersion":"go1.26.8","compiler":"gc","platform":"linux/amd64"}`)
		case "/api":
			io.WriteString(w, `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.10:6443"}]}`)
		case "/apis":
			io.WriteString(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},{"name":"rbac.authorization.k8s.io","versions":[{"groupVersion":"rbac.authorization.k8s.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"rbac.authorization.k8s.io/v1","version":"v1"}}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`)
		}
	})
	return start(t, h, -1)
}

// Request is what a Recorder saw of one request.
type Request struct {
	Method, Path string
	// Credentials names the credential headers the request carried; ClientCert whether a client
	// certificate was presented.
	Credentials []string
	ClientCert  bool
}

// Recorder wraps a handler and records every request it serves.
type Recorder struct {
	mu       sync.Mutex
	requests []Request
}

// Requests returns the requests seen so far.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Request(nil), rec.requests...)
}

// Wrap records the requests h serves.
func (rec *Recorder) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Method: r.Method, Path: r.URL.Path, ClientCert: r.TLS != nil && len(r.TLS.PeerCertificates) > 0}
		for _, hdr := range []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Csrf-Token", "Impersonate-User"} {
			if r.Header.Get(hdr) != "" {
				req.Credentials = append(req.Credentials, hdr)
			}
		}
		rec.mu.Lock()
		rec.requests = append(rec.requests, req)
		rec.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// Serve starts h on a loopback port: plain HTTP when clientAuth is negative, else TLS with that
// client authentication. It is closed in t.Cleanup.
func Serve(t testing.TB, h http.Handler, clientAuth tls.ClientAuthType) *httptest.Server {
	return start(t, h, clientAuth)
}

func start(t testing.TB, h http.Handler, clientAuth tls.ClientAuthType) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	// Handshakes kube4c abandons on purpose would otherwise be logged as errors.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if clientAuth < 0 {
		s.Start()
	} else {
		s.TLS = &tls.Config{ClientAuth: clientAuth, ClientCAs: x509.NewCertPool()}
		s.StartTLS()
	}
	t.Cleanup(s.Close)
	return s
}

// HostPort returns the server's loopback address and port.
func HostPort(t testing.TB, s *httptest.Server) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(s.URL, "https://"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return host, n
}

// Target is the server as a HOST:PORT argument.
func Target(t testing.TB, s *httptest.Server) string {
	host, port := HostPort(t, s)
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// ClosedPort returns a loopback port nothing listens on (it was free a moment ago).
func ClosedPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// Silent accepts connections and never answers (a service that hangs), until t ends. accepted
// receives a value for every connection accepted (it may be nil).
func Silent(t testing.TB, accepted chan<- struct{}) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if accepted != nil {
				select {
				case accepted <- struct{}{}:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}
