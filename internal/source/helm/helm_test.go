package helm

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	v2loader "helm.sh/helm/v4/pkg/chart/v2/loader"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/kube4c/kube4c/internal/inventory"
)

func load(t *testing.T, path string, opts Options) *inventory.Inventory {
	t.Helper()
	inv := inventory.New()
	if err := Load(context.Background(), path, opts, inv); err != nil {
		t.Fatalf("Load(%s): %v", path, err)
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
	var have []string
	for _, o := range inv.Objects() {
		have = append(have, o.Ref())
	}
	t.Fatalf("no %s %s in inventory; have %v", kind, name, have)
	return nil
}

func refs(inv *inventory.Inventory) []string {
	var out []string
	for _, o := range inv.Objects() {
		out = append(out, o.Ref())
	}
	return out
}

func lineOf(t *testing.T, o *inventory.Object, segs ...any) int {
	t.Helper()
	locs := o.Locate([]inventory.FieldPath{inventory.Path(segs...)})
	if locs[0].File != o.Source.File {
		t.Errorf("%s: located file %q, want %q", o.Ref(), locs[0].File, o.Source.File)
	}
	return locs[0].Line
}

func TestIsChart(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "c.tgz")
	tarChart(t, "testdata/web", tgz)
	cases := map[string]bool{
		"testdata/web":             true,
		"testdata/web/charts/db":   true,
		"testdata/web/templates":   false,
		"testdata/web/Chart.yaml":  false,
		"testdata/does-not-exist":  false,
		tgz:                        true,
		filepath.Join(dir, "none"): false,
	}
	for p, want := range cases {
		if got := IsChart(p); got != want {
			t.Errorf("IsChart(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestChartWithSubchartAndValues(t *testing.T) {
	valuesFile := filepath.Join(t.TempDir(), "override.yaml")
	if err := os.WriteFile(valuesFile, []byte("image:\n  tag: \"9.9\"\nprivileged: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := load(t, "testdata/web", Options{
		ReleaseName: "shop",
		Namespace:   "prod",
		ValuesFiles: []string{valuesFile},
		Set:         []string{"image.repository=registry.example/web"},
	})
	if p := inv.Problems(); len(p) != 0 {
		t.Fatalf("unexpected problems: %v", p)
	}
	got := strings.Join(refs(inv), " ")
	want := "StatefulSet/prod/shop-db CustomResourceDefinition/widgets.example.com Deployment/prod/shop-web Service/prod/shop-web ConfigMap/other/shop-config"
	if got != want {
		t.Errorf("objects:\n got %s\nwant %s", got, want)
	}

	dep := find(t, inv, "Deployment", "shop-web")
	wantSrc := inventory.Source{Origin: inventory.FromHelm, File: filepath.Join("testdata", "web", "templates", "deployment.yaml"), Line: 1, Context: "web"}
	if dep.Source != wantSrc {
		t.Errorf("deployment source = %+v, want %+v", dep.Source, wantSrc)
	}
	d, ok := dep.Object.(*appsv1.Deployment)
	if !ok {
		t.Fatalf("deployment decoded as %T", dep.Object)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example/web:9.9" || c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Errorf("values not applied: image %q securityContext %+v", c.Image, c.SecurityContext)
	}
	// Lines are template lines.
	for _, tc := range []struct {
		path []any
		line int
	}{
		{[]any{"spec", "template", "spec", "containers", 0, "securityContext", "privileged"}, 23},
		{[]any{"spec", "template", "spec", "containers", 0, "image"}, 19},
		{[]any{"spec", "template", "spec", "containers", 0}, 17},
		{[]any{"spec", "replicas"}, 8},
		{[]any{"metadata", "name"}, 4},
		{[]any{"metadata", "labels", "app"}, 2},                              // from an include: kind line
		{[]any{"spec", "template", "spec", "hostNetwork"}, 2},                // absent: kind line
		{[]any{"spec", "template", "spec", "containers", 1, "image"}, 19},    // same key, first occurrence
		{[]any{"spec", "template", "spec", "containers", 0, "ports", 0}, 20}, // index → parent key
		{[]any{"spec", "template", "metadata", "labels"}, 14},                // nested labels, not metadata.labels
		{[]any{"spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"}, 21},
	} {
		if got := lineOf(t, dep, tc.path...); got != tc.line {
			t.Errorf("line of %v = %d, want %d", inventory.Path(tc.path...), got, tc.line)
		}
	}

	// Second document of a template.
	cm := find(t, inv, "ConfigMap", "shop-config")
	if cm.Source.Line != 10 || cm.Source.File != filepath.Join("testdata", "web", "templates", "service.yaml") {
		t.Errorf("configmap source = %+v", cm.Source)
	}
	if got := lineOf(t, cm, "data", "key"); got != 16 {
		t.Errorf("configmap data.key line = %d, want 16", got)
	}
	svc := find(t, inv, "Service", "shop-web")
	if svc.Source.Line != 2 {
		t.Errorf("service line = %d, want 2 (after the comment)", svc.Source.Line)
	}
	if got := lineOf(t, svc, "spec", "ports", 0, "port"); got != 8 {
		t.Errorf("service port line = %d, want 8", got)
	}

	// Subchart: its own file, namespace from the release.
	sts := find(t, inv, "StatefulSet", "shop-db")
	if sts.Source.File != filepath.Join("testdata", "web", "charts", "db", "templates", "statefulset.yaml") || sts.Source.Context != "web" {
		t.Errorf("subchart source = %+v", sts.Source)
	}
	if got := lineOf(t, sts, "spec", "template", "spec", "hostNetwork"); got != 15 {
		t.Errorf("hostNetwork line = %d, want 15", got)
	}
	// CRD from crds/.
	crd := find(t, inv, "CustomResourceDefinition", "widgets.example.com")
	if crd.Source.File != filepath.Join("testdata", "web", "crds", "widgets.yaml") || crd.Source.Line != 1 || crd.Source.Origin != inventory.FromHelm {
		t.Errorf("crd source = %+v", crd.Source)
	}
	if got := lineOf(t, crd, "spec", "scope"); got != 10 {
		t.Errorf("crd spec.scope line = %d, want 10", got)
	}
}

func TestConditionEnablesSubchart(t *testing.T) {
	inv := load(t, "testdata/web", Options{Set: []string{"cache.enabled=true", "db.enabled=false"}})
	got := strings.Join(refs(inv), " ")
	want := "Deployment/default/cache CustomResourceDefinition/widgets.example.com Deployment/default/release-name-web Service/default/release-name-web ConfigMap/other/release-name-config"
	if got != want {
		t.Errorf("objects:\n got %s\nwant %s", got, want)
	}
}

func TestRequiredAndFailBecomeProblems(t *testing.T) {
	inv := load(t, "testdata/broken", Options{})
	got := strings.Join(refs(inv), " ")
	if got != "Service/default/app" {
		t.Errorf("objects = %s, want only the service", got)
	}
	probs := inv.Problems()
	if len(probs) != 2 {
		t.Fatalf("problems = %v, want 2", probs)
	}
	byFile := map[string]inventory.Problem{}
	for _, p := range probs {
		byFile[p.File] = p
		if p.Severity != "error" {
			t.Errorf("severity %q: %v", p.Severity, p)
		}
	}
	dp := byFile[filepath.Join("testdata", "broken", "templates", "deployment.yaml")]
	if !strings.HasPrefix(dp.Message, "chart broken: templates/deployment.yaml: ") || !strings.Contains(dp.Message, "image.repository is required") || dp.Line != 10 {
		t.Errorf("deployment problem = %+v", dp)
	}
	ip := byFile[filepath.Join("testdata", "broken", "templates", "ingress.yaml")]
	if !strings.HasPrefix(ip.Message, "chart broken: templates/ingress.yaml: ") || !strings.Contains(ip.Message, "ingress.host must be set") {
		t.Errorf("ingress problem = %+v", ip)
	}
	// With the values the templates need, everything renders.
	inv = load(t, "testdata/broken", Options{Set: []string{"image.repository=nginx"}})
	if n := inv.Len(); n != 2 {
		t.Errorf("objects = %v, want deployment and service", refs(inv))
	}
}

func TestArchive(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "web-1.2.3.tgz")
	tarChart(t, "testdata/web", tgz)
	inv := load(t, tgz, Options{})
	if p := inv.Problems(); len(p) != 0 {
		t.Fatalf("unexpected problems: %v", p)
	}
	dep := find(t, inv, "Deployment", "release-name-web")
	if dep.Source.File != tgz+"#templates/deployment.yaml" || dep.Source.Line != 1 {
		t.Errorf("deployment source = %+v", dep.Source)
	}
	if got := lineOf(t, dep, "spec", "template", "spec", "containers", 0, "securityContext", "privileged"); got != 23 {
		t.Errorf("privileged line = %d, want 23", got)
	}
	sts := find(t, inv, "StatefulSet", "release-name-db")
	if sts.Source.File != tgz+"#charts/db/templates/statefulset.yaml" {
		t.Errorf("subchart in archive: file %q", sts.Source.File)
	}
	crd := find(t, inv, "CustomResourceDefinition", "widgets.example.com")
	if crd.Source.File != tgz+"#crds/widgets.yaml" {
		t.Errorf("crd in archive: file %q", crd.Source.File)
	}
}

func TestSubchartArchive(t *testing.T) {
	// A chart whose subchart is vendored as charts/db-0.1.0.tgz.
	dir := filepath.Join(t.TempDir(), "web")
	copyDir(t, "testdata/web", dir)
	if err := os.RemoveAll(filepath.Join(dir, "charts", "db")); err != nil {
		t.Fatal(err)
	}
	tarChart(t, "testdata/web/charts/db", filepath.Join(dir, "charts", "db-0.1.0.tgz"))
	inv := load(t, dir, Options{})
	sts := find(t, inv, "StatefulSet", "release-name-db")
	if want := filepath.Join(dir, "charts", "db-0.1.0.tgz") + "#templates/statefulset.yaml"; sts.Source.File != want {
		t.Errorf("file = %q, want %q", sts.Source.File, want)
	}
	if got := lineOf(t, sts, "spec", "template", "spec", "hostNetwork"); got != 15 {
		t.Errorf("hostNetwork line = %d, want 15", got)
	}
}

func TestRemoteSchemaRefMakesNoConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var dials atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			c.Close()
		}
	}()
	for _, ref := range []string{
		"http://" + ln.Addr().String() + "/schema.json",
		"https://" + ln.Addr().String() + "/schema.json",
		"https://schemas.invalid/replicas.json",
		"file:///dev/zero",
	} {
		dir := filepath.Join(t.TempDir(), "schema")
		copyDir(t, "testdata/schema", dir)
		sp := filepath.Join(dir, "values.schema.json")
		b, _ := os.ReadFile(sp)
		if err := os.WriteFile(sp, []byte(strings.ReplaceAll(string(b), "REMOTE_REF", ref)), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		inv := inventory.New()
		err := Load(ctx, dir, Options{}, inv)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("%s: took %v", ref, el)
		}
		find(t, inv, "ConfigMap", "schema-cm")
		probs := inv.Problems()
		if len(probs) != 1 || probs[0].Severity != "warning" || !strings.Contains(probs[0].Message, "values.schema.json not checked") || !strings.Contains(probs[0].Message, ref) {
			t.Errorf("%s: problems = %v", ref, probs)
		}
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d connections to the $ref server", n)
	}
}

func TestLocalSchemaViolation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "schema")
	copyDir(t, "testdata/schema", dir)
	schema := `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
  "properties": {"replicas": {"$ref": "#/definitions/count"}},
  "definitions": {"count": {"type": "integer", "minimum": 1}}}`
	if err := os.WriteFile(filepath.Join(dir, "values.schema.json"), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := load(t, dir, Options{})
	if p := inv.Problems(); len(p) != 0 {
		t.Errorf("valid values: problems %v", p)
	}
	inv = load(t, dir, Options{Set: []string{"replicas=0"}})
	probs := inv.Problems()
	if len(probs) != 1 || probs[0].Severity != "error" || !strings.Contains(probs[0].Message, "values.schema.json") {
		t.Errorf("problems = %v", probs)
	}
	find(t, inv, "ConfigMap", "schema-cm") // still rendered
}

func TestLoadErrors(t *testing.T) {
	inv := inventory.New()
	if err := Load(context.Background(), "testdata/nope", Options{}, inv); err == nil {
		t.Error("missing chart: no error")
	}
	if err := Load(context.Background(), "testdata/web", Options{Set: []string{"name"}}, inv); err == nil {
		t.Error("bad --set: no error")
	}
	if err := Load(context.Background(), "testdata/web", Options{ValuesFiles: []string{"https://example.com/v.yaml"}}, inv); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("remote values file: err = %v", err)
	}
	// A chart whose template is not valid template syntax or YAML: problems, not panics.
	dir := filepath.Join(t.TempDir(), "bad")
	copyDir(t, "testdata/schema", dir)
	os.Remove(filepath.Join(dir, "values.schema.json"))
	os.WriteFile(filepath.Join(dir, "templates", "parse.yaml"), []byte("kind: {{ .Values.x \n"), 0o644)
	os.WriteFile(filepath.Join(dir, "templates", "yaml.yaml"), []byte("kind: [unclosed\n"), 0o644)
	inv = load(t, dir, Options{})
	find(t, inv, "ConfigMap", "schema-cm")
	probs := inv.Problems()
	if len(probs) != 2 {
		t.Errorf("problems = %v", probs)
	}
	for _, p := range probs {
		if !strings.HasPrefix(p.Message, "chart schema: templates/") {
			t.Errorf("problem does not name chart and template: %v", p)
		}
	}
}

func TestMissingDependencyWarns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "web")
	copyDir(t, "testdata/web", dir)
	os.RemoveAll(filepath.Join(dir, "charts"))
	inv := load(t, dir, Options{})
	probs := inv.Problems()
	if len(probs) != 1 || probs[0].Severity != "warning" || !strings.Contains(probs[0].Message, `dependency "db"`) {
		t.Errorf("problems = %v", probs)
	}
}

func TestLocatorNeverBeyondTemplate(t *testing.T) {
	tt := newTemplateText([]byte("{{ include \"x\" . }}\n"))
	doc := tt.document("Deployment", 0, 0)
	for _, p := range []inventory.FieldPath{nil, inventory.Path("spec", "x"), inventory.Path("0")} {
		if got := tt.locate(doc, p); got != 1 {
			t.Errorf("locate(%v) = %d", p, got)
		}
	}
	empty := newTemplateText(nil)
	if got := empty.locate(empty.document("X", 0, 0), inventory.Path("a")); got != 1 {
		t.Errorf("empty template: %d", got)
	}
}

func tarChart(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	top := filepath.Base(src)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: top + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIsolateRendersTemplatesOneByOne(t *testing.T) {
	ch, err := v2loader.Load("testdata/broken")
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValuesWithSchemaValidation(ch, map[string]any{}, common.ReleaseOptions{Name: "r", Namespace: "ns"}, common.DefaultCapabilities, true)
	if err != nil {
		t.Fatal(err)
	}
	tpls := templateIndex(ch)
	out, fails := isolate(context.Background(), ch, vals, tpls, map[*common.File][]byte{}, nil)
	if _, ok := out["broken/templates/service.yaml"]; !ok || len(out) != 1 {
		t.Errorf("rendered %v", out)
	}
	var names []string
	for _, f := range fails {
		names = append(names, f.tpl.rel)
	}
	if strings.Join(names, " ") != "templates/deployment.yaml templates/ingress.yaml" {
		t.Errorf("failures %v", names)
	}
	for _, ti := range tpls {
		if len(ti.file.Data) == 0 {
			t.Errorf("%s left blank", ti.key)
		}
	}
}
