package nodeconfig_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/analyzer/nodeconfig"
	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
	nodesource "github.com/kube4c/kube4c/internal/source/node"
	"github.com/kube4c/kube4c/internal/source/node/nodetest"
	"github.com/kube4c/kube4c/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite alphagates.txt from the kube-apiserver binary of the test environment")

// load reads a test tree (as a tar archive carrying its modes and owners).
func load(t *testing.T, tree, platform string) *inventory.Inventory {
	t.Helper()
	fsys, err := hostfs.Open(nodetest.Tar(t, tree))
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.New()
	opts := nodesource.Options{}
	if platform != "" {
		opts.Platform = platformOf(platform)
	}
	if err := nodesource.Load(context.Background(), fsys, opts, inv); err != nil {
		t.Fatal(err)
	}
	for _, p := range inv.Problems() {
		t.Errorf("%s: unexpected problem: %s", tree, p)
	}
	return inv
}

// TestHardenedNodePasses: a kubeadm control-plane node hardened per the benchmark passes every
// control, and every control is evaluated (so a pass is not an absence of data).
func TestHardenedNodePasses(t *testing.T) {
	inv := load(t, "hardened", "")
	rec := analyzertest.Run(t, nodeconfig.New(), inv, analyzer.DefaultConfig())
	for _, f := range rec.Findings {
		t.Errorf("hardened node fails %s on %s at %s:%d: %s", f.ControlID, f.Resource.Key(), f.Location.File, f.Location.Line, f.Message)
	}
	for _, ctl := range nodeconfig.New().Controls() {
		if ctl == nodeconfig.CtlProxyMetricsBind {
			continue // kubeadm runs kube-proxy as a DaemonSet, not on the node's filesystem
		}
		if len(rec.PassedOf(ctl)) == 0 {
			t.Errorf("%s was not evaluated on the hardened node", ctl)
		}
	}
}

// TestWeakNodeFailsEachControl: the weak tree fails every control, at the file and line of the
// setting where there is one.
func TestWeakNodeFailsEachControl(t *testing.T) {
	inv := load(t, "weak", "")
	rec := analyzertest.Run(t, nodeconfig.New(), inv, analyzer.DefaultConfig())
	for _, ctl := range nodeconfig.New().Controls() {
		// kube-proxy is not on the node's filesystem; the weak tree audits (with a bad policy and
		// too short a retention), so the missing-audit-log case is in TestAPIServerFlags.
		if ctl == nodeconfig.CtlProxyMetricsBind || ctl == nodeconfig.CtlAPIAuditLog {
			continue
		}
		if len(rec.FailedOf(ctl)) == 0 {
			t.Errorf("%s does not fail on the weak node", ctl)
		}
	}
	for _, f := range rec.Findings {
		if f.Location.File == "" && f.Object.Source.File == "" {
			t.Errorf("%s on %s has no location", f.ControlID, f.Resource.Key())
		}
	}
}

// TestAlphaGates checks alphagates.txt against the --help of the test environment's
// kube-apiserver (-update rewrites it).
func TestAlphaGates(t *testing.T) {
	apiserver, _, _, err := testenv.Binaries()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	out, _ := exec.Command(apiserver, "--help").CombinedOutput()
	version, _ := exec.Command(apiserver, "--version").CombinedOutput()
	var gates []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if name, _, ok := strings.Cut(l, "=true|false (ALPHA"); ok {
			name = strings.TrimPrefix(name, "kube:")
			if !strings.Contains(name, ":") && !slices.Contains(gates, name) {
				gates = append(gates, name)
			}
		}
	}
	slices.Sort(gates)
	if len(gates) < 10 {
		t.Fatalf("found only %d alpha gates in kube-apiserver --help", len(gates))
	}
	want := "# Alpha feature gates of kube-apiserver " + strings.TrimPrefix(strings.TrimSpace(string(version)), "Kubernetes ") + ", from its --help.\n" +
		"# Regenerate: go test ./internal/analyzer/nodeconfig -run TestAlphaGates -update\n" + strings.Join(gates, "\n") + "\n"
	_, self, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(self), "alphagates.txt")
	if *update {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil || string(got) != want {
		t.Errorf("alphagates.txt is stale (go test ./internal/analyzer/nodeconfig -run TestAlphaGates -update)")
	}
}
