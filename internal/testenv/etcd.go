package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EtcdOptions adjusts a standalone etcd (StartEtcd).
type EtcdOptions struct {
	// ClientCertAuth serves clients over TLS with --client-cert-auth: etcd
	// then refuses every client that does not present a certificate signed
	// by Etcd.CAData. Without it etcd serves plain HTTP to anyone, the way
	// an unprotected etcd is exposed.
	ClientCertAuth bool
	// Timeout bounds startup; zero means 60 s.
	Timeout time.Duration
}

// Etcd is a standalone etcd server on a loopback port, for tests that look
// at etcd itself (as a network service) rather than at a control plane.
type Etcd struct {
	// URL is the client URL: http://127.0.0.1:<port>, or https:// with
	// ClientCertAuth.
	URL string
	// Addr is the client address, 127.0.0.1:<port>.
	Addr string
	// With ClientCertAuth: CAData is the PEM CA that signed the serving
	// certificate and the client certificate (ClientCertPEM, ClientKeyPEM)
	// that etcd accepts. Empty otherwise.
	CAData        []byte
	ClientCertPEM []byte
	ClientKeyPEM  []byte
	// Dir holds the certificates and etcd.log; the data directory is on
	// tmpfs where there is one.
	Dir string

	dataDir string
	proc    *process
}

// StartEtcd runs the etcd binary Binaries finds on a free loopback port,
// waits until it reports itself healthy, and stops it (and removes its
// directories) in t.Cleanup. Like StartWithOptions it skips the test when
// the binaries are missing, or fails it when CI is "true".
func StartEtcd(t testing.TB, opts EtcdOptions) *Etcd {
	t.Helper()
	_, _, bin, err := Binaries()
	if err != nil {
		if errors.Is(err, ErrMissingBinaries) && !inCI() {
			t.Skipf("testenv: %v", err)
		}
		t.Fatalf("testenv: %v\nBuild them with 'make testenv' (part of 'make test'), or point $%s at a directory that has them.", err, BinDirEnv)
	}
	began := time.Now()
	var e *Etcd
	for attempt := 1; ; attempt++ {
		e, err = launchEtcd(bin, opts)
		if err == nil || !errors.Is(err, errPortInUse) || attempt == 3 {
			break
		}
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testenv: etcd log (tail):\n%s", e.proc.tail(25))
		}
		if err := e.stop(); err != nil {
			t.Errorf("testenv: %v", err)
		}
	})
	mode := "plain HTTP"
	if opts.ClientCertAuth {
		mode = "TLS with --client-cert-auth"
	}
	t.Logf("testenv: etcd (%s) up at %s in %s", mode, e.URL, time.Since(began).Round(10*time.Millisecond))
	return e
}

func launchEtcd(bin string, opts EtcdOptions) (_ *Etcd, err error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	removeStaleDirs()
	dir, err := newOwnedDir("")
	if err != nil {
		return nil, err
	}
	e := &Etcd{Dir: dir}
	defer func() {
		if err == nil {
			return
		}
		logs := ""
		if e.proc != nil {
			logs = e.proc.tail(40)
			if e.proc.logContains("address already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
		}
		if stopErr := e.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		err = fmt.Errorf("etcd did not start: %w\n%s", err, logs)
	}()
	if e.dataDir, err = newOwnedDir(shmDir()); err != nil {
		return e, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return e, err
	}
	e.Addr = "127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	scheme := "http"
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	var tlsArgs []string
	if opts.ClientCertAuth {
		scheme = "https"
		tlsArgs, client, err = e.writeEtcdPKI()
		if err != nil {
			return e, err
		}
	}
	e.URL = scheme + "://" + e.Addr
	args := append([]string{
		"--name=kube4c-etcd",
		"--data-dir=" + filepath.Join(e.dataDir, "data"),
		"--listen-client-urls=" + e.URL,
		"--advertise-client-urls=" + e.URL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=kube4c-etcd=" + peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	}, tlsArgs...)
	if e.proc, err = startProcess("etcd", dir, bin, args, etcdEnviron()); err != nil {
		return e, err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := e.proc.exitErr(); err != nil {
			return e, err
		}
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		last := etcdHealthyWith(cctx, client, e.URL)
		ccancel()
		if last == nil {
			return e, nil
		}
		select {
		case <-ctx.Done():
			return e, fmt.Errorf("timed out waiting for etcd /health: %v", last)
		case <-tick.C:
		}
	}
}

// writeEtcdPKI creates a fresh authority, etcd's serving certificate and a
// client certificate, and returns etcd's TLS flags and a client that
// presents the client certificate.
func (e *Etcd) writeEtcdPKI() ([]string, *http.Client, error) {
	ca, err := newAuthority()
	if err != nil {
		return nil, nil, err
	}
	serverCert, serverKey, err := ca.issue("etcd", nil, []string{"127.0.0.1", "::1", "localhost"})
	if err != nil {
		return nil, nil, err
	}
	clientCert, clientKey, err := ca.issue("kube4c-etcd-client", nil, nil)
	if err != nil {
		return nil, nil, err
	}
	e.CAData, e.ClientCertPEM, e.ClientKeyPEM = ca.certPEM, clientCert, clientKey
	path := func(name string) string { return filepath.Join(e.Dir, name) }
	for name, data := range map[string][]byte{"ca.crt": ca.certPEM, "etcd.crt": serverCert, "etcd.key": serverKey} {
		if err := os.WriteFile(path(name), data, 0o600); err != nil {
			return nil, nil, err
		}
	}
	pair, err := tls.X509KeyPair(clientCert, clientKey)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	client := &http.Client{Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
	}}
	return []string{
		"--cert-file=" + path("etcd.crt"),
		"--key-file=" + path("etcd.key"),
		"--trusted-ca-file=" + path("ca.crt"),
		"--client-cert-auth=true",
	}, client, nil
}

// stop stops etcd and removes its directories; it is safe to call more
// than once.
func (e *Etcd) stop() error {
	var errs []error
	if e.proc != nil {
		if err := e.proc.stop(stopGrace); err != nil {
			errs = append(errs, err)
		}
	}
	keep := os.Getenv(KeepEnv) != ""
	for _, d := range []string{e.dataDir, e.Dir} {
		switch {
		case d == "":
		case keep:
			_ = os.Remove(filepath.Join(d, ownerFile))
		default:
			if err := os.RemoveAll(d); err != nil {
				errs = append(errs, err)
			}
		}
	}
	e.dataDir, e.Dir = "", ""
	return errors.Join(errs...)
}

func etcdHealthyWith(ctx context.Context, client *http.Client, etcdURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, etcdURL+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"true"`) {
		return fmt.Errorf("etcd /health: %s %s", resp.Status, body)
	}
	return nil
}
