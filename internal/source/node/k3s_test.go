package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// TestK3sNode: on a k3s server the embedded etcd is read from k3s's etcd config file (which, as
// with etcd's --config-file, replaces flags), and the embedded components are a warning.
func TestK3sNode(t *testing.T) {
	root := t.TempDir()
	cfg := filepath.Join(root, filepath.FromSlash(K3sEtcdConfig))
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	data := "name: node-1\ndata-dir: /var/lib/rancher/k3s/server/db/etcd\nlisten-client-urls: https://127.0.0.1:2379\n" +
		"client-transport-security:\n  cert-file: /var/lib/rancher/k3s/server/tls/etcd/server-client.crt\n  key-file: /k.key\n  client-cert-auth: true\n" +
		"peer-transport-security:\n  client-cert-auth: true\n"
	if err := os.WriteFile(cfg, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := inventory.New()
	if err := Load(context.Background(), hostfs.Dir(root), Options{}, inv); err != nil {
		t.Fatal(err)
	}
	if p := inv.Node().Platform; p != "k3s" {
		t.Fatalf("platform %q, want k3s (detected)", p)
	}
	comps := inv.OfKind("node.kube4c.io", nodeinfo.KindComponent)
	if len(comps) != 1 {
		t.Fatalf("components = %d, want the embedded etcd", len(comps))
	}
	c := comps[0].Object.(*nodeinfo.Component)
	if v, a, ok := c.Flag("client-cert-auth"); !ok || v != "true" || a.Location.File != K3sEtcdConfig || a.Location.Line != 7 {
		t.Errorf("client-cert-auth = %q %+v %v", v, a, ok)
	}
	if v, _, ok := c.Flag("peer-client-cert-auth"); !ok || v != "true" {
		t.Errorf("peer-client-cert-auth = %q", v)
	}
	var warned bool
	for _, p := range inv.Problems() {
		warned = warned || strings.Contains(p.Message, "inside the k3s process")
	}
	if !warned {
		t.Errorf("no warning about the embedded components: %v", inv.Problems())
	}
}
