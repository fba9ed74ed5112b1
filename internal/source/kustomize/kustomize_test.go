package kustomize

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kube4c/kube4c/internal/inventory"
)

func load(t *testing.T, dir string, opts Options) *inventory.Inventory {
	t.Helper()
	inv := inventory.New()
	if err := Load(context.Background(), dir, opts, inv); err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return inv
}

func find(t *testing.T, inv *inventory.Inventory, kind, name string) *inventory.Object {
	t.Helper()
	for _, o := range inv.Objects() {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s; have %v", kind, name, refs(inv))
	return nil
}

func refs(inv *inventory.Inventory) string {
	var out []string
	for _, o := range inv.Objects() {
		out = append(out, o.Ref())
	}
	return strings.Join(out, " ")
}

func line(o *inventory.Object, segs ...any) inventory.Location {
	return o.Locate([]inventory.FieldPath{inventory.Path(segs...)})[0]
}

func TestIsKustomization(t *testing.T) {
	for dir, want := range map[string]bool{
		"testdata/base": true, "testdata/overlay": true, "testdata": false, "testdata/nope": false,
		"testdata/base/kustomization.yaml": false,
	} {
		if got := IsKustomization(dir); got != want {
			t.Errorf("IsKustomization(%s) = %v", dir, got)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Kustomization"), []byte("resources: []\n"), 0o644)
	if !IsKustomization(dir) {
		t.Error("Kustomization file not recognised")
	}
}

func TestBase(t *testing.T) {
	inv := load(t, "testdata/base", Options{})
	if p := inv.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	if got, want := refs(inv), "Deployment/default/web Service/default/web Service/default/admin"; got != want {
		t.Errorf("objects = %s, want %s", got, want)
	}
	admin := find(t, inv, "Service", "admin")
	want := inventory.Source{Origin: inventory.FromKustomize, File: filepath.Join("testdata", "base", "services.yaml"), Line: 10, Context: "testdata/base"} // the manifest parser starts documents after "---"
	if admin.Source != want {
		t.Errorf("admin source = %+v, want %+v", admin.Source, want)
	}
	if l := line(admin, "spec", "ports", 0, "port"); l.Line != 16 || l.File != want.File {
		t.Errorf("admin port at %+v", l)
	}
	for _, o := range inv.Objects() {
		if len(o.Annotations()) != 0 {
			t.Errorf("%s: annotations %v leaked", o.Ref(), o.Annotations())
		}
	}
}

func TestOverlayWithPatches(t *testing.T) {
	inv := load(t, "testdata/overlay", Options{})
	if p := inv.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	if got, want := refs(inv), "Deployment/prod/prod-web Service/prod/prod-web Service/prod/prod-admin ServiceAccount/prod/prod-web"; got != want {
		t.Errorf("objects = %s, want %s", got, want)
	}
	dep := find(t, inv, "Deployment", "prod-web")
	if dep.Source.File != filepath.Join("testdata", "base", "deployment.yaml") || dep.Source.Line != 1 || dep.Source.Context != "testdata/overlay" || dep.Source.Origin != inventory.FromKustomize {
		t.Errorf("deployment source = %+v", dep.Source)
	}
	d := dep.Object.(*appsv1.Deployment)
	sc := d.Spec.Template.Spec.Containers[0].SecurityContext
	if sc == nil || sc.Privileged == nil || !*sc.Privileged || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("patch not applied: %+v", sc)
	}
	if len(dep.Annotations()) != 0 {
		t.Errorf("annotations leaked: %v", dep.Annotations())
	}
	// A field from the base file: its line; a field only the patch set: the document start.
	if l := line(dep, "spec", "template", "spec", "containers", 0, "securityContext", "runAsNonRoot"); l.Line != 19 || l.File != dep.Source.File {
		t.Errorf("runAsNonRoot at %+v", l)
	}
	if l := line(dep, "spec", "template", "spec", "containers", 0, "securityContext", "privileged"); l.Line != 1 || l.File != dep.Source.File {
		t.Errorf("privileged (from patch) at %+v", l)
	}
	admin := find(t, inv, "Service", "prod-admin")
	if admin.Source.File != filepath.Join("testdata", "base", "services.yaml") || admin.Source.Line != 10 {
		t.Errorf("admin source = %+v", admin.Source)
	}
	if admin.Object.(*corev1.Service).Spec.Type != corev1.ServiceTypeNodePort {
		t.Error("json6902 patch not applied")
	}
	sa := find(t, inv, "ServiceAccount", "prod-web")
	if sa.Source.File != filepath.Join("testdata", "overlay", "extra.yaml") || sa.Source.Line != 1 {
		t.Errorf("serviceaccount source = %+v", sa.Source)
	}
}

func TestGeneratorAndUserBuildMetadata(t *testing.T) {
	inv := load(t, "testdata/generator", Options{})
	if p := inv.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	pod := find(t, inv, "Pod", "app")
	if got := pod.Annotations(); len(got) != 1 || got["team"] != "payments" {
		t.Errorf("pod annotations = %v", got)
	}
	if pod.Source.File != filepath.Join("testdata", "generator", "pod.yaml") || pod.Source.Line != 1 {
		t.Errorf("pod source %+v", pod.Source)
	}
	var cm *inventory.Object
	for _, o := range inv.Objects() {
		if o.Kind == "ConfigMap" {
			cm = o
		}
	}
	if cm == nil || !strings.HasPrefix(cm.Name, "settings-") {
		t.Fatalf("generated config map missing: %s", refs(inv))
	}
	if cm.Source.File != filepath.Join("testdata", "generator", "kustomization.yaml") || cm.Source.Line != 5 {
		t.Errorf("configmap source %+v", cm.Source)
	}
}

func TestRemoteRefused(t *testing.T) {
	inv := load(t, "testdata/remote", Options{})
	if inv.Len() != 0 {
		t.Errorf("objects built: %s", refs(inv))
	}
	probs := inv.Problems()
	if len(probs) != 2 {
		t.Fatalf("problems = %v", probs)
	}
	kfile := filepath.Join("testdata", "remote", "kustomization.yaml")
	for i, want := range []struct {
		ref  string
		line int
	}{{"github.com/example/repo//deploy?ref=v1.0.0", 3}, {"https://raw.githubusercontent.com/example/repo/main/pod.yaml", 4}} {
		p := probs[i]
		if p.File != kfile || p.Line != want.line || p.Severity != "error" || !strings.Contains(p.Message, want.ref) || !strings.Contains(p.Message, "offline") {
			t.Errorf("problem %d = %+v", i, p)
		}
	}
	// Recursively, through a local base.
	inv = load(t, "testdata/remote-nested/overlay", Options{})
	probs = inv.Problems()
	if len(probs) != 1 || probs[0].File != filepath.Join("testdata", "remote-nested", "base", "kustomization.yaml") || !strings.Contains(probs[0].Message, "git::https://example.com/org/repo.git//base?ref=main") {
		t.Errorf("nested remote: %v", probs)
	}
}

func TestHelmChartsRefused(t *testing.T) {
	inv := load(t, "testdata/helm", Options{})
	probs := inv.Problems()
	if inv.Len() != 0 || len(probs) != 1 || probs[0].Line != 1 || !strings.Contains(probs[0].Message, "helmCharts") || !strings.Contains(probs[0].Message, "chart directory") {
		t.Errorf("objects %s, problems %v", refs(inv), probs)
	}
}

func TestBrokenKustomization(t *testing.T) {
	inv := load(t, "testdata/broken", Options{})
	probs := inv.Problems()
	if len(probs) != 1 || probs[0].File != filepath.Join("testdata", "broken", "kustomization.yaml") ||
		!strings.HasPrefix(probs[0].Message, "kustomization testdata/broken: ") || !strings.Contains(probs[0].Message, "missing.yaml") {
		t.Errorf("problems = %v", probs)
	}
	if err := Load(context.Background(), "testdata", Options{}, inventory.New()); err == nil {
		t.Error("not a kustomization: no error")
	}
	// Malformed YAML in the kustomization itself.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources: [unclosed\n"), 0o644)
	inv = load(t, dir, Options{})
	if len(inv.Problems()) != 1 {
		t.Errorf("malformed: %v", inv.Problems())
	}
}

func TestRootOnly(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "app"), 0o755)
	os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: up\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app", "kustomization.yaml"), []byte("resources:\n  - ../cm.yaml\n"), 0o644)
	inv := load(t, filepath.Join(dir, "app"), Options{})
	if inv.Len() != 1 {
		t.Errorf("default (LoadRestrictionsNone): %s %v", refs(inv), inv.Problems())
	}
	inv = load(t, filepath.Join(dir, "app"), Options{RootOnly: true})
	if inv.Len() != 0 || len(inv.Problems()) != 1 {
		t.Errorf("RootOnly: %s %v", refs(inv), inv.Problems())
	}
}

func TestIsRemote(t *testing.T) {
	for ref, want := range map[string]bool{
		"../base": false, "deployment.yaml": false, "github.com/org/repo": true, "gitlab.com/org/repo//x?ref=v1": true,
		"git@github.com:org/repo.git": true, "https://example.com/x.yaml": true, "ssh://git@host/repo": true,
		"missing-dir": false, "app.v2/deploy.yaml": true, "./x.y/z": false,
	} {
		if got := isRemote("testdata/base", ref); got != want {
			t.Errorf("isRemote(%q) = %v, want %v", ref, got, want)
		}
	}
}
