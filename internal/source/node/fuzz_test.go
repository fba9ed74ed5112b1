package node

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/nodeconfig"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
)

// FuzzNodeFiles feeds arbitrary content to the files kube4c node parses — a static pod manifest,
// the kubelet's systemd drop-in and environment file, its config file, and the API server's
// encryption configuration and audit policy — and judges the result: nothing may panic.
func FuzzNodeFiles(f *testing.F) {
	seed := func(tree string) {
		read := func(p string) string {
			b, _ := os.ReadFile(filepath.Join("testdata", tree, filepath.FromSlash(p)))
			return string(b)
		}
		f.Add(read("etc/kubernetes/manifests/kube-apiserver.yaml"), read("usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"),
			read("var/lib/kubelet/kubeadm-flags.env"), read("var/lib/kubelet/config.yaml"),
			read("etc/kubernetes/encryption/config.yaml"), read("etc/kubernetes/audit/policy.yaml"))
	}
	seed("hardened")
	seed("weak")
	f.Add("kind: Pod\nspec:\n  containers:\n  - command: [etcd, --config-file=/etc/kubernetes/enc.yaml]\n", "ExecStart=\nExecStart=/usr/bin/kubelet ${A}$B \\\n --x=\"a b\"\n", "A='--config=/var/lib/kubelet/config.yaml\n", "featureGates: [", "resources: {}", "rules: [{level: Request}]")
	f.Fuzz(func(t *testing.T, manifest, unit, env, kubeletConfig, encryption, audit string) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for p, data := range map[string]string{
			"etc/kubernetes/manifests/kube-apiserver.yaml":             manifest,
			"usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf": unit,
			"var/lib/kubelet/kubeadm-flags.env":                        env,
			"var/lib/kubelet/config.yaml":                              kubeletConfig,
			"etc/kubernetes/encryption/config.yaml":                    encryption,
			"etc/kubernetes/audit/policy.yaml":                         audit,
			"etc/kubernetes/enc.yaml":                                  encryption,
			"usr/lib/systemd/system/kubelet.service":                   "[Service]\nExecStart=/usr/bin/kubelet\n",
		} {
			tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(data))})
			tw.Write([]byte(data))
		}
		tw.Close()
		fsys, err := hostfs.ReadTar("fuzz.tar", &buf)
		if err != nil {
			t.Fatal(err)
		}
		inv := inventory.New()
		if err := Load(context.Background(), fsys, Options{}, inv); err != nil {
			t.Fatal(err)
		}
		if err := nodeconfig.New().Analyze(context.Background(), inv, analyzer.DefaultConfig(), discard{}); err != nil {
			t.Fatal(err)
		}
	})
}

type discard struct{}

func (discard) Evaluated(string, *inventory.Object) {}
func (discard) Fail(finding.Finding)                {}
