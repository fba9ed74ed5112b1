package testenv_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/testenv"
)

// TestEtcd proves both kinds of standalone etcd are what they claim: the plain one serves anyone,
// the client-cert one refuses a client without a certificate and serves one with its certificate.
func TestEtcd(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		e := testenv.StartEtcd(t, testenv.EtcdOptions{})
		if !strings.HasPrefix(e.URL, "http://127.0.0.1:") || e.CAData != nil {
			t.Errorf("URL %s, CAData %d bytes; want plain HTTP on loopback without a CA", e.URL, len(e.CAData))
		}
		body := etcdGet(t, &http.Client{Transport: &http.Transport{Proxy: nil}}, e.URL+"/version")
		if !strings.Contains(body, `"etcdserver"`) {
			t.Errorf("/version = %s", body)
		}
	})
	t.Run("client-cert-auth", func(t *testing.T) {
		t.Parallel()
		e := testenv.StartEtcd(t, testenv.EtcdOptions{ClientCertAuth: true})
		if !strings.HasPrefix(e.URL, "https://127.0.0.1:") {
			t.Errorf("URL %s, want https on loopback", e.URL)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(e.CAData) {
			t.Fatal("CAData holds no certificate")
		}
		anon := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}
		if resp, err := anon.Get(e.URL + "/version"); err == nil {
			resp.Body.Close()
			t.Fatalf("GET /version without a client certificate: %s, want the connection refused", resp.Status)
		}
		pair, err := tls.X509KeyPair(e.ClientCertPEM, e.ClientKeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		withCert := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}}
		if body := etcdGet(t, withCert, e.URL+"/version"); !strings.Contains(body, `"etcdserver"`) {
			t.Errorf("/version with the client certificate = %s", body)
		}
	})
}

func etcdGet(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return string(b)
}
