package probe_test

// Probes of real components (internal/testenv): etcd 3.4 without TLS and with client-certificate
// TLS, and kube-apiserver with anonymous authentication on, off, and with discovery granted to
// unauthenticated users.

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/analyzer/exposure"
	"github.com/kube4c/kube4c/internal/testenv"
)

func TestRealEtcd(t *testing.T) {
	t.Run("plain HTTP is flagged", func(t *testing.T) {
		t.Parallel()
		etcd := testenv.StartEtcd(t, testenv.EtcdOptions{})
		inv, eps := run(t, opts, etcd.Addr)
		e := eps[etcd.Addr]
		if e.Scheme != "http" || e.TLS.Handshake || services(e) != "etcd 3.4.23" {
			t.Errorf("scheme %s, TLS %+v, services %q; responses %s", e.Scheme, e.TLS, services(e), statuses(e))
		}
		rec := judge(t, inv)
		msgs := rec.Messages(exposure.CtlEtcdNoClientCert)
		if len(msgs) != 1 || !strings.Contains(msgs[0], "etcd 3.4.23 at "+etcd.Addr+" answers its client API over plain HTTP") ||
			!strings.Contains(msgs[0], "`curl http://"+etcd.Addr+"/version`") {
			t.Errorf("etcd findings: %q", msgs)
		}
		if len(rec.Findings) != 1 {
			t.Errorf("findings: %v", rec.Failed(exposure.New().Controls()...))
		}
	})
	t.Run("client-certificate TLS passes", func(t *testing.T) {
		t.Parallel()
		etcd := testenv.StartEtcd(t, testenv.EtcdOptions{ClientCertAuth: true})
		inv, eps := run(t, opts, etcd.Addr)
		e := eps[etcd.Addr]
		if e.Scheme != "https" || !e.TLS.ClientCertRequested || !e.TLS.ClientCertRequired || len(e.Services) != 0 {
			t.Errorf("scheme %s, TLS %+v, services %q; responses %s", e.Scheme, e.TLS, services(e), statuses(e))
		}
		rec := judge(t, inv)
		if len(rec.Findings) != 0 || !rec.WasEvaluated(exposure.CtlEtcdNoClientCert, "Endpoint/"+etcd.Addr) {
			t.Errorf("findings %v; etcd control judged: %v", rec.Failed(exposure.New().Controls()...), rec.WasEvaluated(exposure.CtlEtcdNoClientCert, "Endpoint/"+etcd.Addr))
		}
	})
}

func TestRealAPIServer(t *testing.T) {
	t.Run("anonymous on", func(t *testing.T) {
		t.Parallel()
		env := testenv.StartWithOptions(t, testenv.StartOptions{AnonymousAuth: true})
		addr := strings.TrimPrefix(env.Server, "https://")
		target := "Endpoint/" + addr

		// Kubernetes' default: /version to anyone, 403 beyond.
		inv, eps := run(t, opts, addr)
		e := eps[addr]
		if e.Scheme != "https" || !e.TLS.ClientCertRequested || e.TLS.ClientCertRequired || services(e) != "kube-apiserver "+testenv.KubernetesVersion {
			t.Errorf("TLS %+v, services %q", e.TLS, services(e))
		}
		if got := statuses(e); got != "/version 200, /api 403, /apis 403, /pods 403, / 403" {
			t.Errorf("responses %s", got)
		}
		rec := judge(t, inv)
		analyzertest.Eq(t, "failed", rec.Failed(exposure.New().Controls()...), []string{exposure.CtlAPIVersion + " " + target})
		if m := rec.Messages(exposure.CtlAPIVersion); !strings.Contains(m[0], "GET /version answered 200: "+testenv.KubernetesVersion) {
			t.Errorf("message: %s", m[0])
		}
		if !rec.WasEvaluated(exposure.CtlAPIDiscovery, target) {
			t.Error("discovery not judged")
		}

		// system:discovery granted to everyone without credentials, as clusters created before
		// Kubernetes 1.14 still do.
		admin := kubernetes.NewForConfigOrDie(env.Admin)
		if _, err := admin.RbacV1().ClusterRoleBindings().Create(t.Context(), &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "legacy-unauthenticated-discovery"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:discovery"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:unauthenticated"}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitForAnonymous(t, env.Server+"/apis", http.StatusOK)
		inv, eps = run(t, opts, addr)
		if got := statuses(eps[addr]); got != "/version 200, /api 200, /apis 200, /pods 403, / 403" {
			t.Errorf("responses with discovery open: %s", got)
		}
		rec = judge(t, inv)
		analyzertest.Eq(t, "failed", rec.Failed(exposure.New().Controls()...), []string{exposure.CtlAPIDiscovery + " " + target})
		if m := rec.Messages(exposure.CtlAPIDiscovery); !strings.Contains(m[0], "serves /api and /apis to requests without credentials") {
			t.Errorf("message: %s", m[0])
		}
		if rec.WasEvaluated(exposure.CtlAPIVersion, target) {
			t.Error("the version was judged apart from the discovery finding")
		}
	})
	t.Run("anonymous off", func(t *testing.T) {
		t.Parallel()
		env := testenv.StartWithOptions(t, testenv.StartOptions{AnonymousAuth: false})
		addr := strings.TrimPrefix(env.Server, "https://")
		inv, eps := run(t, opts, addr)
		e := eps[addr]
		if got := statuses(e); got != "/version 401, /api 401, /apis 401, /pods 401, / 401" || services(e) != "kube-apiserver" {
			t.Errorf("responses %s, services %q", got, services(e))
		}
		rec := judge(t, inv)
		if len(rec.Findings) != 0 {
			t.Errorf("findings: %v", rec.Failed(exposure.New().Controls()...))
		}
		for _, c := range []string{exposure.CtlAPIDiscovery, exposure.CtlAPIVersion} {
			if !rec.WasEvaluated(c, "Endpoint/"+addr) {
				t.Errorf("%s not judged", c)
			}
		}
	})
}

// waitForAnonymous waits until a request without credentials gets the status: RBAC changes reach
// the authorizer through an informer, a moment after they are stored.
func waitForAnonymous(t *testing.T, url string, status int) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	last := ""
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("anonymous GET %s: %s, want %d", url, last, status)
}
