package platform

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/hostfs"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  Platform
	}{
		{nil, SelfManaged},
		{[]string{"etc/kubernetes/manifests/kube-apiserver.yaml"}, SelfManaged},
		{[]string{"etc/eks/release"}, EKS},
		{[]string{"home/kubernetes/kube-env"}, GKE},
		{[]string{"etc/kubernetes/azure.json"}, AKS},
		{[]string{"var/lib/rancher/k3s/server/token"}, K3s},
		// rke2 keeps its files under /var/lib/rancher too, but is not k3s
		{[]string{"var/lib/rancher/rke2/server/token"}, SelfManaged},
	} {
		root := t.TempDir()
		for _, f := range tc.files {
			p := filepath.Join(root, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		got, why := Detect(hostfs.Dir(root))
		if got != tc.want || (got != SelfManaged && why == "") {
			t.Errorf("%v: Detect = %s (%q), want %s", tc.files, got, why, tc.want)
		}
	}
}

func TestOwner(t *testing.T) {
	cp := catalog.Control{ID: "x", Scope: catalog.ScopeControlPlane}
	node := catalog.Control{ID: "y"}
	for _, p := range All {
		want := Customer
		if p == EKS || p == GKE || p == AKS {
			want = Provider
		}
		if got := Owner(p, cp); got != want {
			t.Errorf("Owner(%s, control plane) = %s, want %s", p, got, want)
		}
		if got := Owner(p, node); got != Customer {
			t.Errorf("Owner(%s, node control) = %s", p, got)
		}
	}
	if _, err := Parse("EKS"); err != nil {
		t.Error(err)
	}
	if _, err := Parse("openshift"); err == nil {
		t.Error("Parse(openshift) succeeded")
	}
}
