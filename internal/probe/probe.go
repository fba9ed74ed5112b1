// Package probe is the source of `kube4c probe`: it connects to the hosts and ports the user
// names, the way an attacker on the same network would, and records what answered as Endpoint
// objects in an inventory. It only observes — TCP connections, one TLS handshake, a few GET
// requests without credentials — and never judges: the exposure analyzer does.
//
// Safety: only GET requests; no credentials, cookies or client certificates are ever sent;
// redirects are not followed; every response body is read up to a limit and only its shape,
// counts and version strings are kept, never its content. The server's certificate is not
// verified (nothing secret is sent). Proxy settings of the environment are ignored, so that what
// is recorded is what this machine reaches directly.
package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kube4c/kube4c/internal/inventory"
)

// Defaults of Options.
const (
	DefaultTimeout     = 3 * time.Second
	DefaultConcurrency = 16
	// DefaultMaxBody is how much of a response body is read.
	DefaultMaxBody = 1 << 20
)

// Resolver looks host names up; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options of a probe run.
type Options struct {
	// Timeout bounds each connection, TLS handshake, host lookup and request (DefaultTimeout when
	// zero).
	Timeout time.Duration
	// Concurrency is how many endpoints are probed at once (DefaultConcurrency when zero).
	Concurrency int
	// UserAgent is sent with every request.
	UserAgent string
	// MaxBody bounds how much of each response body is read (DefaultMaxBody when zero).
	MaxBody int64
	// Resolver looks up host names (net.DefaultResolver when nil).
	Resolver Resolver
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.UserAgent == "" {
		o.UserAgent = "kube4c-probe"
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	return o
}

// host is one host to probe, with its ports.
type host struct {
	name     string
	explicit []int // ports the user named
	defaults bool  // HOST alone was given: probe DefaultPorts too
	addrs    []netip.Addr
}

type job struct {
	h        *host
	port     int
	explicit bool
}

// Run probes the targets and returns an inventory of one Endpoint object per host and port. A host
// name that does not resolve is an error problem naming it; a host where no port accepted a
// connection gets a warning problem. The other targets are probed either way. Run returns an
// error only when ctx ends first.
func Run(ctx context.Context, targets []Target, opts Options) (*inventory.Inventory, error) {
	opts = opts.withDefaults()
	inv := inventory.New()

	var hosts []*host
	byName := map[string]*host{}
	for _, t := range targets {
		h := byName[t.Host]
		if h == nil {
			h = &host{name: t.Host}
			byName[t.Host] = h
			hosts = append(hosts, h)
		}
		if t.Port == 0 {
			h.defaults = true
		} else if !slices.Contains(h.explicit, t.Port) {
			h.explicit = append(h.explicit, t.Port)
		}
	}

	// Resolve every host first: a name that does not resolve is reported once, not per port.
	var problems = make([]*inventory.Problem, len(hosts))
	parallel(ctx, opts.Concurrency, len(hosts), func(i int) {
		problems[i] = resolve(ctx, hosts[i], opts)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var jobs []job
	for i, h := range hosts {
		if problems[i] != nil {
			inv.AddProblem(*problems[i])
			continue
		}
		ports := map[int]bool{}
		for _, p := range h.explicit {
			ports[p] = true
		}
		if h.defaults {
			for _, d := range DefaultPorts {
				if _, named := ports[d.Port]; !named {
					ports[d.Port] = false
				}
			}
		}
		keys := make([]int, 0, len(ports))
		for p := range ports {
			keys = append(keys, p)
		}
		slices.Sort(keys)
		for _, p := range keys {
			jobs = append(jobs, job{h: h, port: p, explicit: ports[p]})
		}
	}

	endpoints := make([]*Endpoint, len(jobs))
	parallel(ctx, opts.Concurrency, len(jobs), func(i int) {
		endpoints[i] = probeEndpoint(ctx, jobs[i], opts)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	open := map[*host]bool{}
	count := map[*host]int{}
	for i, e := range endpoints {
		h := jobs[i].h
		count[h]++
		if e.Connection == Open {
			open[h] = true
		}
		inv.Add(&inventory.Object{APIVersion: APIVersion, Kind: Kind, Name: e.Name(), Object: e,
			Source: inventory.Source{Origin: inventory.FromProbe, Context: e.Name()}})
	}
	for i, h := range hosts {
		if problems[i] == nil && count[h] > 0 && !open[h] {
			inv.AddProblem(inventory.Problem{Severity: "warning", Resource: h.name, Message: fmt.Sprintf(
				"no probed port accepted a connection (%d tried): nothing is reachable from here, which says nothing about other networks", count[h])})
		}
	}
	return inv, nil
}

// parallel runs fn(0..n-1) on at most limit goroutines, and stops starting new ones once ctx
// ends.
func parallel(ctx context.Context, limit, n int, fn func(int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(limit, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
}

func resolve(ctx context.Context, h *host, opts Options) *inventory.Problem {
	if a, err := netip.ParseAddr(h.name); err == nil {
		h.addrs = []netip.Addr{a}
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	addrs, err := opts.Resolver.LookupNetIP(lctx, "ip", h.name)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // Run reports the interruption
		}
		why := err.Error()
		var de *net.DNSError
		switch {
		case errors.As(err, &de) && de.IsNotFound:
			why = "no such host"
		case errors.As(err, &de) && de.IsTimeout, lctx.Err() != nil:
			why = "lookup timed out after " + opts.Timeout.String()
		case errors.As(err, &de):
			why = de.Err
		}
		return &inventory.Problem{Severity: "error", Resource: h.name, Message: fmt.Sprintf("host does not resolve (%s); it was not probed", why)}
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	h.addrs = addrs
	return nil
}

// probeEndpoint connects, tries TLS, and sends the GET requests of Paths.
func probeEndpoint(ctx context.Context, j job, opts Options) *Endpoint {
	e := &Endpoint{Host: j.h.name, Port: j.port, Explicit: j.explicit}
	e.APIVersion, e.Kind = APIVersion, Kind

	conn, addr, state, err := dial(ctx, j.h.addrs, j.port, opts.Timeout)
	e.Address, e.Connection = addr, state
	if state != Open {
		e.ConnectionError = errSummary(err, opts.Timeout)
		return e
	}

	e.TLS = handshake(ctx, conn, j.h.name, opts.Timeout)
	conn.Close()
	e.Scheme = "https"
	switch {
	case e.TLS.Handshake:
	case e.TLS.ClientCertRequested || strings.Contains(e.TLS.Error, "remote error"):
		// The port speaks TLS but refused the handshake (without a client certificate, in TLS
		// 1.2; or for lack of a common version or cipher): HTTP requests would fail the same way.
		e.TLS.ClientCertRequired = e.TLS.ClientCertRequested
		return e
	default:
		e.Scheme = "http"
	}

	client := newClient(addr, j.h.name, opts)
	defer client.CloseIdleConnections()
	paths := Paths
	for i := 0; i < len(paths) && ctx.Err() == nil; i++ {
		r, transportErr := get(ctx, client, e, paths[i], opts)
		if transportErr != nil && e.Scheme == "https" && e.TLS.ClientCertRequested && i == 0 && refusedWithoutCert(transportErr) {
			// TLS 1.3: the server checks the client certificate after the client's side of the
			// handshake, and refuses the first request.
			e.TLS.ClientCertRequired = true
			e.Responses = append(e.Responses, r)
			break
		}
		e.Responses = append(e.Responses, r)
		if transportErr != nil && isTimeout(transportErr) {
			break // a service that does not answer in time will not answer the next path either
		}
		if paths[i] == "/" && r.Shape == ShapeKubernetesDashboard {
			paths = append(slices.Clip(paths), DashboardLoginPath)
		}
	}
	e.Services = identify(e)
	return e
}

// dial connects to the first address that accepts. The state is Open, or how the last attempt
// failed (a timeout wins over a refusal: some address may be filtered rather than closed).
func dial(ctx context.Context, addrs []netip.Addr, port int, timeout time.Duration) (net.Conn, string, Connection, error) {
	var lastErr error
	state := Unreachable
	addr := ""
	for _, a := range addrs {
		addr = netip.AddrPortFrom(a, uint16(port)).String()
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, addr, Open, nil
		}
		lastErr = err
		switch {
		case isTimeout(err):
			state = Timeout
		case errors.Is(err, syscall.ECONNREFUSED) && state != Timeout:
			state = Refused
		}
	}
	if len(addrs) == 0 {
		lastErr = errors.New("no addresses")
	}
	return nil, addr, state, lastErr
}

// handshake runs a TLS handshake on conn without a client certificate, recording whether the
// server asked for one.
func handshake(ctx context.Context, conn net.Conn, host string, timeout time.Duration) *TLSResult {
	res := &TLSResult{}
	cfg := tlsConfig(host)
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		res.ClientCertRequested = true
		return &tls.Certificate{}, nil // an empty certificate message: none is sent
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		res.Error = errSummary(err, timeout)
		return res
	}
	res.Handshake = true
	res.Version = tls.VersionName(tc.ConnectionState().Version)
	return res
}

func tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{
		// Only whether and how the port speaks TLS matters: nothing secret is sent, and the
		// certificates of the services probed are usually self-signed or from a private CA.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{}, nil // never send a client certificate
		},
	}
	if _, err := netip.ParseAddr(host); err != nil {
		cfg.ServerName = host
	}
	return cfg
}

// newClient returns an HTTP client that connects only to addr, sends no credentials and follows
// no redirects.
func newClient(addr, host string, opts Options) *http.Client {
	dialer := &net.Dialer{Timeout: opts.Timeout}
	return &http.Client{
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, "tcp", addr)
			},
			TLSClientConfig:        tlsConfig(host),
			TLSHandshakeTimeout:    opts.Timeout,
			ResponseHeaderTimeout:  opts.Timeout,
			DisableCompression:     true,
			MaxResponseHeaderBytes: 64 << 10,
			MaxConnsPerHost:        1,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get sends one GET request and classifies the answer. The second result is the transport error,
// when no HTTP response came.
func get(ctx context.Context, client *http.Client, e *Endpoint, path string, opts Options) (Response, error) {
	rctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, e.URL(path), nil)
	if err != nil {
		return Response{Path: path, Error: err.Error()}, err
	}
	req.Header.Set("User-Agent", opts.UserAgent)
	req.Header.Set("Accept", "application/json, */*")
	resp, err := client.Do(req)
	if err != nil {
		return Response{Path: path, Error: errSummary(err, opts.Timeout)}, err
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, opts.MaxBody+1))
	truncated := int64(len(body)) > opts.MaxBody
	if truncated {
		body = body[:opts.MaxBody]
	}
	r := classify(path, resp.StatusCode, body, truncated || readErr != nil)
	r.Server = cleanHeader(resp.Header.Get("Server"))
	return r, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// refusedWithoutCert reports whether a request failed the way a TLS server refuses a client that
// sent no certificate: a TLS alert (bad_certificate, certificate_required, handshake_failure), or
// the connection closed right away.
func refusedWithoutCert(err error) bool {
	s := err.Error()
	for _, alert := range []string{"bad certificate", "certificate required", "handshake failure", "unknown certificate"} {
		if strings.Contains(s, "remote error: tls: "+alert) {
			return true
		}
	}
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// errSummary describes a connection or request error without quoting anything the server sent.
func errSummary(err error, timeout time.Duration) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var rhe tls.RecordHeaderError
	switch {
	case isTimeout(err):
		return "no answer within " + timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &rhe):
		return "not TLS"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	s := err.Error()
	if i := strings.Index(s, "remote error: tls: "); i >= 0 {
		return s[i:]
	}
	if strings.Contains(s, "malformed HTTP") || strings.Contains(s, "HTTP/1.x transport connection broken") {
		return "not an HTTP server (malformed response)"
	}
	// Anything else may quote what the server sent: keep only the start, up to a quote.
	if i := strings.IndexAny(s, "\"`"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
