package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func render(t *testing.T, f Format, r *finding.Result, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, r, o); err != nil {
		t.Fatalf("Write(%s): %v", f, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	colour := opts()
	colour.Color = true
	cases := []struct {
		name string
		f    Format
		o    Options
	}{
		{"table", Table, opts()},
		{"table-color", Table, colour},
		{"json", JSON, opts()},
		{"sarif", SARIF, opts()},
		{"junit", JUnit, opts()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.f, fixture(), tc.o)
			// Rendering twice gives the same bytes (no map order leaks).
			if again := render(t, tc.f, fixture(), tc.o); !bytes.Equal(got, again) {
				t.Fatal("output is not deterministic")
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update to accept):\n%s", tc.name, golden, got)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": Table, "JSON": JSON, " sarif ": SARIF, "JUnit": JUnit} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xml", "yaml", "tablex"} {
		if _, err := ParseFormat(in); err == nil {
			t.Errorf("ParseFormat(%q) succeeded", in)
		}
	}
}

func TestUnknownControlIsAnError(t *testing.T) {
	for _, mutate := range []func(*finding.Result){
		func(r *finding.Result) { r.Findings[0].ControlID = "container/does-not-exist" },
		func(r *finding.Result) { r.Passed[0].ControlID = "" },
	} {
		r := fixture()
		mutate(r)
		for _, f := range Formats {
			var buf bytes.Buffer
			err := Write(&buf, f, r, opts())
			if err == nil {
				t.Errorf("%s: no error for an unknown control", f)
			}
			if buf.Len() != 0 {
				t.Errorf("%s: wrote %d bytes despite the error", f, buf.Len())
			}
		}
	}
	if err := Write(&bytes.Buffer{}, Format("html"), fixture(), opts()); err == nil {
		t.Error("unknown format accepted")
	}
	if err := Write(&bytes.Buffer{}, JSON, nil, opts()); err == nil {
		t.Error("nil result accepted")
	}
}

func TestEmptyResult(t *testing.T) {
	// Every format handles a result with nothing in it, and zero-value options.
	for _, f := range Formats {
		out := render(t, f, &finding.Result{}, Options{})
		if len(out) == 0 {
			t.Errorf("%s: empty output", f)
		}
	}
	out := string(render(t, Table, &finding.Result{}, Options{}))
	if !strings.Contains(out, "No findings.") || !strings.Contains(out, "n/a") {
		t.Errorf("empty table lacks 'No findings.' or n/a scores:\n%s", out)
	}
	var doc map[string]any
	if err := json.Unmarshal(render(t, JSON, &finding.Result{}, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["findings"] == nil || doc["problems"] == nil {
		t.Error("empty lists must be [], not null")
	}
	if s := doc["summary"].(map[string]any); s["score"] != nil {
		t.Errorf("score of an empty scan = %v, want null", s["score"])
	}
}

func TestTable(t *testing.T) {
	plain := string(render(t, Table, fixture(), opts()))
	if strings.Contains(plain, "\x1b") {
		t.Error("plain table contains an escape character (colour, or one from a message)")
	}
	for _, want := range []string{
		"CONTAINER (2)", "CRITICAL", "container/zz-test-privileged", "Deployment/default/web", "deploy/web.yaml:21",
		"ClusterRoleBinding/ops-admin", "2 suppressed", "broken.yaml:3: yaml", "exceptions.yaml:9: exception",
		"NOT EVALUATED (1)", "67.5", "56.1",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	// Suppressed findings are counted, not listed.
	if strings.Contains(plain, "busybox:latest") || strings.Contains(plain, "deploy/api.yaml") {
		t.Error("table lists a suppressed finding")
	}
	// Layers in catalog order, critical before medium within a layer.
	if i, j := strings.Index(plain, "CLOUD ("), strings.Index(plain, "CLUSTER ("); i < 0 || j < i {
		t.Error("cloud is not listed before cluster")
	}
	if i, j := strings.Index(plain, "zz-test-privileged"), strings.Index(plain, "zz-test-run-as-non-root"); j < i {
		t.Error("medium listed before critical")
	}
	colour := opts()
	colour.Color = true
	coloured := string(render(t, Table, fixture(), colour))
	if !strings.Contains(coloured, "\x1b[1;31mCRITICAL\x1b[0m") {
		t.Error("coloured table lacks a red CRITICAL")
	}
	if strings.Contains(coloured, "\x1b[31m") {
		t.Error("escape sequence from a message reached the terminal")
	}
}

func TestMinSeverity(t *testing.T) {
	o := opts()
	o.MinSeverity = catalog.High
	var doc struct {
		Summary  Summary
		Findings []struct {
			ControlID string `json:"controlId"`
			Severity  string `json:"severity"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(render(t, JSON, fixture(), o), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 3 {
		t.Errorf("%d findings at high and above, want 3", len(doc.Findings))
	}
	for _, f := range doc.Findings {
		if f.Severity != "critical" && f.Severity != "high" {
			t.Errorf("finding %s of severity %s rendered", f.ControlID, f.Severity)
		}
	}
	s := doc.Summary
	if s.Findings != 3 || s.Suppressed != 0 || s.BySeverity.Medium != 0 {
		t.Errorf("summary counts filtered findings wrongly: %+v", s)
	}
	// container: privileged only, web failed, api and debug passed.
	if got := s.Layer(catalog.Container); got.Score == nil || *got.Score != 66.7 || got.PassedChecks != 2 || got.FailedChecks != 1 {
		t.Errorf("container layer at high+ = %+v", got)
	}
	if got := s.Layer(catalog.Code); got.Score != nil {
		t.Errorf("code layer has score %v with its only control filtered out", *got.Score)
	}
	table := string(render(t, Table, fixture(), o))
	if strings.Contains(table, "zz-test-run-as-non-root") || !strings.Contains(table, "showing high and above") {
		t.Error("table shows medium findings with MinSeverity high")
	}
}

func fp(f float64) *float64 { return &f }

func TestSummarizeScores(t *testing.T) {
	s := Summarize(fixture())
	wantLayer := map[catalog.Layer]struct {
		score          *float64
		passed, failed int
		findings, supp int
	}{
		catalog.Cloud:     {fp(0), 0, 1, 1, 0},
		catalog.Cluster:   {fp(50), 1, 1, 1, 0},
		catalog.Container: {fp(67.5), 5, 2, 2, 2},
		catalog.Code:      {fp(100), 0, 1, 1, 0},
	}
	if len(s.Layers) != len(catalog.Layers) {
		t.Fatalf("%d layers, want %d", len(s.Layers), len(catalog.Layers))
	}
	for i, ls := range s.Layers {
		if ls.Layer != catalog.Layers[i] {
			t.Errorf("layer %d is %s, want %s", i, ls.Layer, catalog.Layers[i])
		}
		w := wantLayer[ls.Layer]
		if !sameScore(ls.Score, w.score) || ls.PassedChecks != w.passed || ls.FailedChecks != w.failed ||
			ls.Findings != w.findings || ls.Suppressed != w.supp {
			t.Errorf("%s: got %+v (score %s), want %+v", ls.Layer, ls, formatScore(ls.Score), w)
		}
	}
	// 100 × (1 − (6+10+13)/(6+20+40+0)) = 56.06…
	if !sameScore(s.Score, fp(56.1)) {
		t.Errorf("overall score %s, want 56.1", formatScore(s.Score))
	}
	if s.Findings != 5 || s.Suppressed != 2 || s.PassedChecks != 6 || s.FailedChecks != 5 {
		t.Errorf("totals %+v", s)
	}
	if s.BySeverity != (SeverityCounts{Critical: 2, High: 1, Medium: 1, Info: 1}) {
		t.Errorf("by severity %+v", s.BySeverity)
	}
	if s.Errors != 1 || s.Problems != 2 || s.Warnings != 1 || s.NotEvaluated != 1 {
		t.Errorf("problem counts %+v", s)
	}
	if len(s.Controls) != 6 || s.Controls[0].ID != "cloud/zz-test-imds" || s.Controls[2].ID != "container/zz-test-privileged" {
		t.Errorf("controls %+v", s.Controls)
	}
}

func TestScoreEdgeCases(t *testing.T) {
	web := res("Deployment", "default", "web")
	t.Run("nothing evaluated", func(t *testing.T) {
		s := Summarize(&finding.Result{})
		if s.Score != nil {
			t.Errorf("score %v", *s.Score)
		}
		for _, ls := range s.Layers {
			if ls.Score != nil {
				t.Errorf("%s score %v", ls.Layer, *ls.Score)
			}
		}
		if Summarize(nil).Score != nil {
			t.Error("nil result has a score")
		}
	})
	t.Run("all suppressed", func(t *testing.T) {
		r := &finding.Result{Findings: []finding.Finding{
			{ControlID: "container/zz-test-privileged", Resource: web, Suppression: &finding.Suppression{Kind: "inline"}},
			{ControlID: "container/zz-test-run-as-non-root", Resource: web, Suppression: &finding.Suppression{Kind: "exception"}},
		}}
		s := Summarize(r)
		if !sameScore(s.Score, fp(100)) || s.Findings != 0 || s.Suppressed != 2 || s.PassedChecks != 2 || s.FailedChecks != 0 {
			t.Errorf("got %+v score %s", s, formatScore(s.Score))
		}
	})
	t.Run("all failed", func(t *testing.T) {
		r := &finding.Result{Findings: []finding.Finding{
			{ControlID: "container/zz-test-privileged", Resource: web},
			{ControlID: "container/zz-test-privileged", Resource: web}, // same pair twice: one failed pair
		}}
		s := Summarize(r)
		if !sameScore(s.Score, fp(0)) || s.Findings != 2 || s.FailedChecks != 1 {
			t.Errorf("got %+v score %s", s, formatScore(s.Score))
		}
	})
	t.Run("mixed with rounding", func(t *testing.T) {
		// failed: high (6); passed: critical (10), low (1) → 100 × (1 − 6/17) = 64.705… → 64.7
		r := &finding.Result{
			Findings: []finding.Finding{{ControlID: "cloud/zz-test-imds", Resource: web}},
			Passed: []finding.Check{
				{ControlID: "container/zz-test-privileged", Resource: web},
				{ControlID: "container/zz-test-latest-tag", Resource: web},
				{ControlID: "container/zz-test-latest-tag", Resource: web}, // duplicate pass counts once
			},
		}
		s := Summarize(r)
		if !sameScore(s.Score, fp(64.7)) || s.PassedChecks != 2 || s.FailedChecks != 1 {
			t.Errorf("got %+v score %s", s, formatScore(s.Score))
		}
		if !sameScore(s.Layer(catalog.Cloud).Score, fp(0)) || !sameScore(s.Layer(catalog.Container).Score, fp(100)) {
			t.Error("layer scores wrong")
		}
		if s.Layer(catalog.Cluster).Score != nil {
			t.Error("cluster evaluated nothing but has a score")
		}
	})
	t.Run("unsuppressed beats suppressed and passed", func(t *testing.T) {
		r := &finding.Result{
			Findings: []finding.Finding{
				{ControlID: "container/zz-test-privileged", Resource: web, Suppression: &finding.Suppression{Kind: "inline"}},
				{ControlID: "container/zz-test-privileged", Resource: web},
			},
			Passed: []finding.Check{{ControlID: "container/zz-test-privileged", Resource: web}},
		}
		s := Summarize(r)
		if !sameScore(s.Score, fp(0)) || s.FailedChecks != 1 || s.PassedChecks != 0 {
			t.Errorf("got %+v score %s", s, formatScore(s.Score))
		}
	})
	t.Run("info only", func(t *testing.T) {
		r := &finding.Result{Findings: []finding.Finding{{ControlID: "code/zz-test-info", Resource: web}}}
		if s := Summarize(r); !sameScore(s.Score, fp(100)) {
			t.Errorf("info-only failures give score %s, want 100.0", formatScore(s.Score))
		}
	})
}

func sameScore(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func TestJUnitCounts(t *testing.T) {
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				ClassName string    `xml:"classname,attr"`
				Name      string    `xml:"name,attr"`
				Failure   *struct{} `xml:"failure"`
				Error     *struct{} `xml:"error"`
				Skipped   *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	out := render(t, JUnit, fixture(), opts())
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("invalid XML: %v", err)
	}
	want := map[string][4]int{ // tests, failures, errors, skipped
		"cloud": {2, 1, 0, 1}, "cluster": {2, 1, 0, 0}, "container": {7, 2, 0, 2}, "code": {1, 1, 0, 0}, "input": {2, 0, 1, 1},
	}
	var names []string
	total := [4]int{}
	for _, s := range doc.Suites {
		names = append(names, s.Name)
		counted := [4]int{len(s.Cases), 0, 0, 0}
		for _, c := range s.Cases {
			if c.Failure != nil {
				counted[1]++
			}
			if c.Error != nil {
				counted[2]++
			}
			if c.Skipped != nil {
				counted[3]++
				notEvaluated := c.Name == "not evaluated" && strings.HasPrefix(c.Skipped.Message, "not evaluated: ")
				if s.Name != "input" && !strings.HasPrefix(c.Skipped.Message, "suppressed: ") && !notEvaluated {
					t.Errorf("skipped message %q", c.Skipped.Message)
				}
			}
		}
		attrs := [4]int{s.Tests, s.Failures, s.Errors, s.Skipped}
		if attrs != counted || attrs != want[s.Name] {
			t.Errorf("suite %s: attributes %v, testcases %v, want %v", s.Name, attrs, counted, want[s.Name])
		}
		for i := range total {
			total[i] += attrs[i]
		}
	}
	if got := strings.Join(names, ","); got != "cloud,cluster,container,code,input" {
		t.Errorf("suites %s", got)
	}
	if root := [4]int{doc.Tests, doc.Failures, doc.Errors, doc.Skipped}; root != total {
		t.Errorf("testsuites counts %v, sum of suites %v", root, total)
	}
	// One testcase per control × resource: classname = control, name = resource key.
	found := false
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.ClassName == "container/zz-test-run-as-non-root" && c.Name == "Deployment/default/api" {
				found = c.Skipped != nil && c.Skipped.Message == "suppressed: legacy image, tracked in OPS-1"
			}
		}
	}
	if !found {
		t.Error("suppressed pair is not a skipped testcase with its justification")
	}
	// Markup in messages is escaped, not interpreted.
	if !bytes.Contains(out, []byte("&lt;app-config&gt;")) || bytes.Contains(out, []byte("\x1b")) {
		t.Error("message not escaped/sanitised in JUnit output")
	}
}

func TestFingerprint(t *testing.T) {
	r := fixture()
	a := r.Findings[2]
	b := a
	b.Location.Line = 99
	b.Message = "different words"
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("fingerprint depends on line or message")
	}
	c := a
	c.Path = inventory.Path("spec", "template", "spec", "containers", 1, "securityContext", "privileged")
	d := a
	d.Resource.Name = "other"
	e := a
	e.ControlID = "container/zz-test-run-as-non-root"
	for _, x := range []finding.Finding{c, d, e} {
		if Fingerprint(x) == Fingerprint(a) {
			t.Errorf("fingerprint ignores a change: %+v", x)
		}
	}
}

// compileSchema loads a JSON schema from a file, offline (the compiler has no network loader;
// every $ref must resolve inside the file or the built-in metaschemas).
func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	id := "file:///" + filepath.Base(path)
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}

func instance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Odd but possible input must render in every format without panicking, and XML/JSON must stay
// well-formed.
func TestOddInput(t *testing.T) {
	hostile := "]]> <x a=\"b\"> \x00\x07\x1b[2J \xff\xfe \u2028 &amp;"
	r := &finding.Result{
		Findings: []finding.Finding{
			{ControlID: "container/zz-test-privileged", Message: hostile},
			{ControlID: "container/zz-test-privileged", Resource: finding.Resource{Kind: hostile, Name: hostile},
				Location: inventory.Location{File: hostile, Line: -3}, Path: inventory.FieldPath{hostile, "", "0"},
				Suppression: &finding.Suppression{}},
			{ControlID: "cluster/zz-test-admin-binding", Location: inventory.Location{Line: 5}},
		},
		Passed:       []finding.Check{{ControlID: "code/zz-test-info"}},
		NotEvaluated: []finding.NotEvaluated{{ControlID: "not/in-catalog", Reason: hostile}},
		Problems:     []inventory.Problem{{Message: hostile, File: hostile, Line: 1}, {}},
		Warnings:     []finding.Warning{{}, {Message: hostile, File: "/abs/" + hostile}},
		PSSLevel:     hostile,
	}
	sch := compileSchema(t, sarifSchema)
	for _, f := range Formats {
		for _, base := range []string{"", "/", "relative/base", testBaseDir} {
			o := Options{BaseDir: base, Color: true, ToolVersion: hostile}
			out := render(t, f, r, o)
			switch f {
			case JSON, SARIF:
				var v any
				if err := json.Unmarshal(out, &v); err != nil {
					t.Errorf("%s: invalid JSON: %v", f, err)
				}
				if f == SARIF {
					if err := sch.Validate(instance(t, out)); err != nil {
						t.Errorf("SARIF (base %q) invalid: %v", base, err)
					}
				}
			case JUnit:
				var v struct{}
				if err := xml.Unmarshal(out, &v); err != nil {
					t.Errorf("junit: invalid XML: %v\n%s", err, out)
				}
			case Table:
				if strings.Contains(string(out), "\x1b[2J") || strings.ContainsRune(string(out), 0) {
					t.Error("table passes control characters through")
				}
			}
		}
	}
}
