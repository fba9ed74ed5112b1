package main

// End-to-end tests: the real kube4c binary, built once by TestMain, run as a user runs it (arguments,
// standard input, working directory), checking exit codes, stdout, stderr and the reports.
//
//	go test ./cmd/kube4c -run 'E2E|Golden'
//	go test ./cmd/kube4c -run TestGolden -update   # rewrite testdata/e2e/*.golden

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/pod-security-admission/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden")

// kube4cBin is the binary under test, built by TestMain.
var kube4cBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "kube4c-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	kube4cBin = filepath.Join(dir, "kube4c")
	build := exec.Command("go", "build", "-o", kube4cBin, ".")
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building kube4c: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module root (the examples live there); tests run from cmd/kube4c.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

type runResult struct {
	stdout, stderr string
	code           int
}

func (r runResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s\n--- stderr:\n%s", r.code, clip(r.stdout), clip(r.stderr))
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "\n[...]"
	}
	return s
}

// kube4c runs the binary in dir (relative paths in its output are then relative to dir) with
// stdin (nil: empty). Whatever the input, kube4c must never panic.
func kube4c(t *testing.T, dir string, stdin io.Reader, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kube4cBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := runResult{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		t.Fatalf("kube4c %s: timed out\n%s", strings.Join(args, " "), r)
	}
	if err != nil && r.code < 0 {
		t.Fatalf("kube4c %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("kube4c %s panicked:\n%s", strings.Join(args, " "), r)
	}
	return r
}

func wantCode(t *testing.T, r runResult, want int, args ...string) {
	t.Helper()
	if r.code != want {
		t.Fatalf("kube4c %s: exit %d, want %d\n%s", strings.Join(args, " "), r.code, want, r)
	}
}

// e2eReport is the part of the JSON report (docs/report.schema.json) the tests read.
type e2eReport struct {
	SchemaVersion string `json:"schemaVersion"`
	Tool          struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"tool"`
	Settings struct {
		MinSeverity string `json:"minSeverity"`
	} `json:"settings"`
	Scanned struct {
		Objects int `json:"objects"`
		Sources int `json:"sources"`
	} `json:"scanned"`
	Summary struct {
		Findings   int `json:"findings"`
		Suppressed int `json:"suppressed"`
		Errors     int `json:"errors"`
		Problems   int `json:"problems"`
		Warnings   int `json:"warnings"`
	} `json:"summary"`
	Findings []e2eFinding `json:"findings"`
	Problems []struct {
		Severity string `json:"severity"`
		File     string `json:"file"`
		Line     int    `json:"line"`
		Resource string `json:"resource"`
		Message  string `json:"message"`
	} `json:"problems"`
	Warnings []struct {
		Message string `json:"message"`
		File    string `json:"file"`
		Line    int    `json:"line"`
	} `json:"warnings"`
}

type e2eFinding struct {
	ControlID string `json:"controlId"`
	Severity  string `json:"severity"`
	Resource  struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Namespace  string `json:"namespace"`
		Name       string `json:"name"`
	} `json:"resource"`
	Location struct {
		File string `json:"file"`
		Line int    `json:"line"`
	} `json:"location"`
	Path        string `json:"path"`
	Message     string `json:"message"`
	Suppressed  bool   `json:"suppressed"`
	Suppression *struct {
		Kind          string `json:"kind"`
		Justification string `json:"justification"`
		Exception     string `json:"exception"`
		Expires       string `json:"expires"`
	} `json:"suppression"`
}

// ref is Kind/namespace/name (Kind/name for cluster-scoped objects).
func (f e2eFinding) ref() string {
	if f.Resource.Namespace == "" {
		return f.Resource.Kind + "/" + f.Resource.Name
	}
	return f.Resource.Kind + "/" + f.Resource.Namespace + "/" + f.Resource.Name
}

func parseReport(t *testing.T, r runResult) *e2eReport {
	t.Helper()
	var rep e2eReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, r)
	}
	if rep.SchemaVersion != "kube4c.io/report/v1" || rep.Tool.Name != "kube4c" {
		t.Fatalf("unexpected report header: %+v", rep)
	}
	return &rep
}

// findings returns the findings of control (any control when "") about ref (any resource when "").
func (rep *e2eReport) findings(control, ref string) []e2eFinding {
	var out []e2eFinding
	for _, f := range rep.Findings {
		if (control == "" || f.ControlID == control) && (ref == "" || f.ref() == ref) {
			out = append(out, f)
		}
	}
	return out
}

// lineOf is the 1-based line of the only line of file containing substr.
func lineOf(t *testing.T, file, substr string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, substr) {
			if line != 0 {
				t.Fatalf("%s: %q on lines %d and %d", file, substr, line, i+1)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("%s: %q not found", file, substr)
	}
	return line
}

const (
	e2eDir     = "testdata/e2e"
	goldenDir  = "testdata/e2e/golden" // the fixture of TestGolden
	cleanFile  = "testdata/e2e/clean/hardened.yaml"
	mediumFile = "testdata/e2e/medium/writable-root.yaml"
)

func TestE2EExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings
		stderr     []string // substrings
		noStdout   bool
		exactError string // the whole of stderr
	}{
		{name: "clean manifest", args: []string{"scan", cleanFile}, code: 0, stdout: []string{"No findings.", "0 findings (0 suppressed)"}},
		{name: "clean manifest, default path", args: []string{"scan"}, code: 0}, // run in testdata/e2e/clean below
		{name: "findings fail by default", args: []string{"scan", goldenDir + "/app.yaml"}, code: 1, stdout: []string{"container/privileged"}},
		{name: "medium finding", args: []string{"scan", mediumFile}, code: 1, stdout: []string{"container/writable-root-filesystem", "1 finding (0 suppressed)"}},
		{name: "medium finding, --fail-on medium", args: []string{"scan", mediumFile, "--fail-on", "medium"}, code: 1},
		{name: "medium finding, --fail-on high", args: []string{"scan", mediumFile, "--fail-on", "high"}, code: 0, stdout: []string{"container/writable-root-filesystem"}},
		{name: "medium finding, --fail-on critical", args: []string{"scan", mediumFile, "--fail-on", "critical"}, code: 0, stdout: []string{"container/writable-root-filesystem"}},
		{name: "medium finding below --severity", args: []string{"scan", mediumFile, "--severity", "high"}, code: 0, stdout: []string{"No findings."}},
		{name: "--fail-on none", args: []string{"scan", goldenDir + "/app.yaml", "--fail-on", "none"}, code: 0, stdout: []string{"container/privileged"}},
		{name: "malformed YAML (table)", args: []string{"scan", goldenDir + "/broken.yaml"}, code: 2,
			stdout: []string{goldenDir + "/broken.yaml:7: malformed YAML: did not find expected ',' or ']'"},
			stderr: []string{"kube4c: 1 input error(s); the scan is incomplete (use --skip-invalid to report findings only)"}},
		{name: "malformed YAML (json)", args: []string{"scan", goldenDir + "/broken.yaml", "-o", "json"}, code: 2,
			exactError: "error: " + goldenDir + "/broken.yaml:7: malformed YAML: did not find expected ',' or ']'\n" +
				"kube4c: 1 input error(s); the scan is incomplete (use --skip-invalid to report findings only)\n"},
		{name: "malformed YAML, --skip-invalid", args: []string{"scan", goldenDir + "/broken.yaml", "--skip-invalid"}, code: 0,
			stdout: []string{goldenDir + "/broken.yaml:7: malformed YAML"}},
		{name: "missing path", args: []string{"scan", "no-such-dir"}, code: 2,
			stdout: []string{"no-such-dir: no such file or directory"}, stderr: []string{"1 input error(s)"}},
		{name: "missing path (json)", args: []string{"scan", "no-such-dir", "-o", "json"}, code: 2,
			stderr: []string{"error: no-such-dir: no such file or directory\n"}},
		{name: "missing path, --skip-invalid", args: []string{"scan", "no-such-dir", cleanFile, "--skip-invalid"}, code: 0,
			stdout: []string{"no-such-dir: no such file or directory"}},
		{name: "--severity bogus", args: []string{"scan", cleanFile, "--severity", "bogus"}, code: 2, noStdout: true,
			exactError: "kube4c: --severity: unknown severity \"bogus\" (want info, low, medium, high or critical)\n"},
		{name: "-o xml", args: []string{"scan", cleanFile, "-o", "xml"}, code: 2, noStdout: true,
			exactError: "kube4c: unknown output format \"xml\" (want table, json, sarif or junit)\n"},
		{name: "--pss-level privileged", args: []string{"scan", cleanFile, "--pss-level", "privileged"}, code: 2, noStdout: true,
			exactError: "kube4c: --pss-level: want baseline or restricted, got \"privileged\"\n"},
		{name: "--pss-version bogus", args: []string{"scan", cleanFile, "--pss-version", "v2"}, code: 2, noStdout: true,
			stderr: []string{"--pss-version: want latest or v1.N"}},
		{name: "--fail-on bogus", args: []string{"scan", cleanFile, "--fail-on", "never"}, code: 2, noStdout: true,
			stderr: []string{"--fail-on: unknown severity \"never\""}},
		{name: "--max-file-size bogus", args: []string{"scan", cleanFile, "--max-file-size", "lots"}, code: 2, noStdout: true,
			stderr: []string{"--max-file-size: invalid size \"lots\""}},
		{name: "unknown flag", args: []string{"scan", cleanFile, "--no-such-flag"}, code: 2, noStdout: true,
			exactError: "kube4c: unknown flag: --no-such-flag (see 'kube4c scan --help')\n"},
		{name: "missing exceptions file", args: []string{"scan", cleanFile, "--exceptions", "no-such-exceptions.yaml"}, code: 2, noStdout: true,
			stderr: []string{"no-such-exceptions.yaml"}},
		{name: "unknown command", args: []string{"scna"}, code: 2, noStdout: true, stderr: []string{"unknown command \"scna\""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := "."
			if tc.name == "clean manifest, default path" {
				dir = filepath.Dir(cleanFile)
			}
			r := kube4c(t, dir, nil, tc.args...)
			wantCode(t, r, tc.code, tc.args...)
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q\n%s", s, r)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q\n%s", s, r)
				}
			}
			if tc.exactError != "" && r.stderr != tc.exactError {
				t.Errorf("stderr = %q, want %q", r.stderr, tc.exactError)
			}
			if tc.noStdout && r.stdout != "" {
				t.Errorf("stdout should be empty on a usage error\n%s", r)
			}
		})
	}
}

// TestE2ESkipInvalid: a malformed file does not hide the findings of the others, nor the good
// documents of its own stream.
func TestE2ESkipInvalid(t *testing.T) {
	args := []string{"scan", goldenDir + "/broken.yaml", goldenDir + "/app.yaml", "--skip-invalid", "-o", "json"}
	r := kube4c(t, ".", nil, args...)
	wantCode(t, r, 1, args...)
	rep := parseReport(t, r)
	if len(rep.findings("container/privileged", "Deployment/payments/api")) != 1 {
		t.Errorf("the good file's finding is missing: %+v", rep.Findings)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].File != goldenDir+"/broken.yaml" || rep.Problems[0].Line != 7 || rep.Problems[0].Severity != "error" {
		t.Errorf("problems = %+v, want one error at %s/broken.yaml:7", rep.Problems, goldenDir)
	}
	if rep.Summary.Errors != 1 {
		t.Errorf("summary.errors = %d, want 1", rep.Summary.Errors)
	}
	// broken.yaml: the first document is malformed, the second (ConfigMap "fine") is read.
	// app.yaml: Namespace, Deployment, Service.
	if rep.Scanned.Objects != 4 || rep.Scanned.Sources != 2 {
		t.Errorf("scanned = %+v, want 4 objects from 2 sources", rep.Scanned)
	}
	if want := "error: " + goldenDir + "/broken.yaml:7: malformed YAML: did not find expected ',' or ']'\n"; r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
}

// TestE2EMalformedYAMLLines: a malformed document is reported at the line of the problem (the
// YAML library's parser errors are 0-based; kube4c corrects them).
func TestE2EMalformedYAMLLines(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		line          int
		msg           string
	}{
		{"flow.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [a\nspec: {}\n", 5, "did not find expected ',' or ']'"},
		{"indent.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n namespace: y\nspec: {}\n", 5, "did not find expected key"},
		{"second-doc.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: {a: b\nspec: {}\n", 10, "did not find expected ',' or '}'"},
		{"mapping.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x: y\n", 4, "mapping values are not allowed in this context"},
		{"quote.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"x\nspec: {}\n", 4, "found unexpected end of stream"},
	}
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(dir, c.name), []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		r := kube4c(t, dir, nil, "scan", c.name, "-o", "json")
		wantCode(t, r, 2, "scan", c.name)
		want := fmt.Sprintf("error: %s:%d: malformed YAML: %s\n", c.name, c.line, c.msg)
		if !strings.HasPrefix(r.stderr, want) {
			t.Errorf("%s: stderr = %q, want it to start with %q", c.name, r.stderr, want)
		}
	}
}

func TestE2EExamples(t *testing.T) {
	root := repoRoot(t)
	insecure := "examples/insecure-shop"
	chartTpl := insecure + "/chart/templates/deployment.yaml"
	kustBase := insecure + "/kustomize/base/deployment.yaml"

	t.Run("insecure-shop", func(t *testing.T) {
		args := []string{"scan", insecure, "-o", "json"}
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, 1, args...)
		rep := parseReport(t, r)
		if len(rep.Problems) != 0 || len(rep.Warnings) != 0 {
			t.Errorf("problems %+v, warnings %+v; want none", rep.Problems, rep.Warnings)
		}
		m := insecure + "/manifests/"
		for _, w := range []struct{ control, ref, file string }{
			{"container/privileged", "Deployment/shop/orders-worker", m + "orders-worker.yaml"},
			{"container/sensitive-hostpath", "Deployment/shop/orders-worker", m + "orders-worker.yaml"},
			{"container/credentials-in-env", "Deployment/shop/cart-api", m + "cart-api.yaml"},
			{"cluster/configmap-credentials", "ConfigMap/shop/shop-config", m + "shop-config.yaml"},
			{"cluster/service-exposed-no-source-ranges", "Service/shop/frontend", m + "frontend.yaml"},
			{"cluster/service-exposed-no-source-ranges", "Service/shop/cart-api", m + "cart-api.yaml"},
			{"cluster/ingress-no-tls", "Ingress/shop/frontend", m + "frontend.yaml"},
			{"cluster/namespace-pss-privileged", "Namespace/shop-batch", m + "00-namespaces.yaml"},
			{"cluster/namespace-pss-enforce-missing", "Namespace/shop", m + "00-namespaces.yaml"},
			{"cluster/dashboard-exposed", "Deployment/kubernetes-dashboard/kubernetes-dashboard", m + "kubernetes-dashboard.yaml"},
			{"cluster/workload-default-namespace", "Pod/default/debug-shell", m + "debug-shell.yaml"},
			{"container/untrusted-not-sandboxed", "CronJob/shop-batch/nightly-report", m + "nightly-report.yaml"},
			// RBAC: findings sit on the binding that grants, or on the workload that runs as it.
			{"cluster/rbac-cluster-admin", "ClusterRoleBinding/kubernetes-dashboard-admin", m + "kubernetes-dashboard.yaml"},
			{"cluster/rbac-secrets-read", "ClusterRoleBinding/cart-api-secret-sync", m + "rbac.yaml"},
			{"cluster/rbac-workload-admin-sa", "Deployment/shop/cart-api", m + "cart-api.yaml"},
			{"cluster/rbac-escalation-path", "RoleBinding/shop/ci-deployer", m + "rbac.yaml"},
			{"cluster/rbac-create-pods", "RoleBinding/shop/ci-deployer", m + "rbac.yaml"},
			{"cluster/rbac-default-sa-bound", "RoleBinding/shop-batch/batch-edit", m + "rbac.yaml"},
			{"cluster/rbac-impersonate", "ClusterRoleBinding/support-impersonation", m + "rbac.yaml"},
			{"cluster/rbac-nodes-proxy", "ClusterRoleBinding/oncall", m + "rbac.yaml"},
			// Helm chart: locations are template lines.
			{"container/image-tag-latest", "Deployment/shop/catalog", chartTpl},
			{"container/limits-missing", "Deployment/shop/catalog", chartTpl},
			// Kustomize overlay: the base file; the capability only the prod patch adds.
			{"container/image-tag-latest", "Deployment/shop/checkout", kustBase},
			{"container/capabilities-baseline", "Deployment/shop/checkout", kustBase},
		} {
			fs := rep.findings(w.control, w.ref)
			if len(fs) == 0 {
				t.Errorf("no %s finding for %s", w.control, w.ref)
				continue
			}
			if fs[0].Location.File != w.file || fs[0].Location.Line < 1 {
				t.Errorf("%s %s: location %+v, want %s:<line>", w.control, w.ref, fs[0].Location, w.file)
			}
		}
		// Exact lines in the chart template and the kustomize base (offending field).
		for _, w := range []struct{ control, ref, file, line string }{
			{"container/image-tag-latest", "Deployment/shop/catalog", chartTpl, "image: \"{{ .Values.image.repository }}"},
			{"container/limits-missing", "Deployment/shop/catalog", chartTpl, "resources:"},
			{"container/image-tag-latest", "Deployment/shop/checkout", kustBase, "image: ghcr.io/acme-shop/checkout"},
			{"container/privileged", "Deployment/shop/orders-worker", m + "orders-worker.yaml", "privileged: true"},
			{"container/credentials-in-env", "Deployment/shop/cart-api", m + "cart-api.yaml", "example-password-not-real"},
		} {
			fs := rep.findings(w.control, w.ref)
			if len(fs) == 0 {
				continue // reported above
			}
			if want := lineOf(t, filepath.Join(root, w.file), w.line); fs[0].Location.Line != want {
				t.Errorf("%s %s: line %d, want %d (%q)", w.control, w.ref, fs[0].Location.Line, want, w.line)
			}
		}
		// Every finding from the chart or the overlay points into it.
		var fromChart, fromKustomize int
		for _, f := range rep.Findings {
			switch {
			case strings.HasPrefix(f.Location.File, insecure+"/chart/templates/"):
				fromChart++
			case strings.HasPrefix(f.Location.File, insecure+"/kustomize/"):
				fromKustomize++
			}
		}
		if fromChart == 0 || fromKustomize == 0 {
			t.Errorf("findings from the chart: %d, from the kustomization: %d; want both", fromChart, fromKustomize)
		}
		// Without --exceptions only the inline annotation suppresses.
		var sup []string
		for _, f := range rep.Findings {
			if f.Suppressed {
				sup = append(sup, f.ControlID+" "+f.ref()+" "+f.Suppression.Kind)
			}
		}
		if want := []string{"container/image-not-pinned CronJob/shop-batch/nightly-report inline"}; fmt.Sprint(sup) != fmt.Sprint(want) {
			t.Errorf("suppressed = %v, want %v", sup, want)
		}
	})

	t.Run("insecure-shop table", func(t *testing.T) {
		r := kube4c(t, root, nil, "scan", insecure)
		wantCode(t, r, 1, "scan", insecure)
		for _, s := range []string{"CRITICAL  container/privileged", "1 suppressed (see -o json for the justifications)", insecure + "/manifests/orders-worker.yaml:"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("table lacks %q", s)
			}
		}
		if r.stderr != "" {
			t.Errorf("stderr = %q, want nothing (exit 1 for findings is not an error)", r.stderr)
		}
	})

	t.Run("hardened-shop", func(t *testing.T) {
		for _, extra := range [][]string{{"--severity", "medium"}, nil} {
			args := append([]string{"scan", "examples/hardened-shop", "-o", "json"}, extra...)
			r := kube4c(t, root, nil, args...)
			wantCode(t, r, 0, args...)
			rep := parseReport(t, r)
			if len(rep.Findings) != 0 || rep.Summary.Findings != 0 || len(rep.Problems) != 0 || len(rep.Warnings) != 0 {
				t.Errorf("%v: findings %+v, problems %+v, warnings %+v; want none", args, rep.Findings, rep.Problems, rep.Warnings)
			}
			if rep.Scanned.Objects == 0 {
				t.Errorf("%v: nothing scanned", args)
			}
		}
	})

	// The example's exception carries an expiry date; run against a copy dated relative to today
	// so the test does not start failing when that date passes, and check expiry itself too.
	exceptionsWith := func(t *testing.T, expires string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, insecure, "exceptions.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`expires: \d{4}-\d{2}-\d{2}`)
		if !re.Match(b) {
			t.Fatal("examples/insecure-shop/exceptions.yaml has no expires: date")
		}
		p := filepath.Join(t.TempDir(), "exceptions.yaml")
		if err := os.WriteFile(p, re.ReplaceAll(b, []byte("expires: "+expires)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	future := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	exceptions := exceptionsWith(t, future)
	t.Run("expired", func(t *testing.T) {
		args := []string{"scan", insecure, "--exceptions", exceptionsWith(t, "2020-01-31"), "-o", "json"}
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, 1, args...)
		rep := parseReport(t, r)
		pg := rep.findings("container/writable-root-filesystem", "StatefulSet/shop/postgres")
		if len(pg) != 1 || pg[0].Suppressed {
			t.Errorf("postgres finding: %+v, want it no longer suppressed", pg)
		}
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, "expired") {
			t.Errorf("warnings %+v, want one about the expired exception", rep.Warnings)
		}
	})
	t.Run("exceptions", func(t *testing.T) {
		args := []string{"scan", insecure, "--exceptions", exceptions, "-o", "json"}
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, 1, args...)
		rep := parseReport(t, r)
		if len(rep.Warnings) != 0 || rep.Summary.Warnings != 0 || len(rep.Problems) != 0 {
			t.Errorf("warnings %+v, problems %+v; want none", rep.Warnings, rep.Problems)
		}
		if r.stderr != "" {
			t.Errorf("stderr = %q, want nothing", r.stderr)
		}
		pg := rep.findings("container/writable-root-filesystem", "StatefulSet/shop/postgres")
		if len(pg) != 1 || !pg[0].Suppressed || pg[0].Suppression == nil || pg[0].Suppression.Kind != "exception" ||
			pg[0].Suppression.Exception != "postgres-writable-root" || pg[0].Suppression.Expires != future ||
			!strings.Contains(pg[0].Suppression.Justification, "DB-142") {
			t.Errorf("postgres finding: %+v, want suppressed by exception postgres-writable-root", pg)
		}
		nr := rep.findings("container/image-not-pinned", "CronJob/shop-batch/nightly-report")
		if len(nr) != 1 || !nr[0].Suppressed || nr[0].Suppression == nil || nr[0].Suppression.Kind != "inline" ||
			nr[0].Suppression.Exception != "CronJob/shop-batch/nightly-report annotation kube4c.io/ignore" ||
			!strings.Contains(nr[0].Suppression.Justification, "SHOP-311") {
			t.Errorf("nightly-report finding: %+v, want suppressed inline", nr)
		}
		if rep.Summary.Suppressed != 2 {
			t.Errorf("summary.suppressed = %d, want 2", rep.Summary.Suppressed)
		}
		for _, f := range rep.Findings {
			if f.Suppressed != (f.Suppression != nil) {
				t.Errorf("suppressed=%v but suppression=%+v: %+v", f.Suppressed, f.Suppression, f)
			}
		}
	})

	t.Run("no-inline-ignores", func(t *testing.T) {
		args := []string{"scan", insecure, "--no-inline-ignores", "--exceptions", exceptions, "-o", "json"}
		r := kube4c(t, root, nil, args...)
		wantCode(t, r, 1, args...)
		rep := parseReport(t, r)
		nr := rep.findings("container/image-not-pinned", "CronJob/shop-batch/nightly-report")
		if len(nr) != 1 || nr[0].Suppressed || nr[0].Suppression != nil {
			t.Errorf("nightly-report finding: %+v, want it unsuppressed", nr)
		}
		pg := rep.findings("container/writable-root-filesystem", "StatefulSet/shop/postgres")
		if len(pg) != 1 || !pg[0].Suppressed || pg[0].Suppression.Kind != "exception" {
			t.Errorf("postgres finding: %+v, want still suppressed by the exceptions file", pg)
		}
		if rep.Summary.Suppressed != 1 || len(rep.Warnings) != 0 {
			t.Errorf("suppressed %d, warnings %+v; want 1 and none", rep.Summary.Suppressed, rep.Warnings)
		}
	})
}

// TestGolden compares the JSON, SARIF and JUnit reports of testdata/e2e/golden with the golden
// files (-update rewrites them). The binary runs in the fixture directory, so paths are relative;
// the tool version and the absolute base directory (SARIF originalUriBaseIds) are normalised.
func TestGolden(t *testing.T) {
	version := toolVersionOfBinary(t)
	for _, format := range []string{"json", "sarif", "junit"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"scan", ".", "--skip-invalid", "-o", format}
			r := kube4c(t, goldenDir, nil, args...)
			wantCode(t, r, 1, args...)
			if want := "error: broken.yaml:7: malformed YAML: did not find expected ',' or ']'\n"; r.stderr != want {
				t.Errorf("stderr = %q, want %q", r.stderr, want)
			}
			got := normalise(t, r.stdout, version)
			golden := filepath.Join(e2eDir, "report."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s output differs from %s (run go test ./cmd/kube4c -run TestGolden -update and review the diff):\n%s",
					format, golden, firstDiff(string(want), got))
			}
		})
	}
}

func toolVersionOfBinary(t *testing.T) string {
	t.Helper()
	r := kube4c(t, ".", nil, "version")
	wantCode(t, r, 0, "version")
	v, ok := strings.CutPrefix(strings.TrimSuffix(r.stdout, "\n"), "kube4c ")
	if !ok || v == "" || strings.ContainsAny(v, " \n") {
		t.Fatalf("kube4c version printed %q, want \"kube4c <version>\\n\"", r.stdout)
	}
	return v
}

var baseURIRE = regexp.MustCompile(`"file://[^"]*"`)

func normalise(t *testing.T, out, version string) string {
	t.Helper()
	if strings.Contains(out, repoRoot(t)) && !strings.Contains(out, `"%SRCROOT%"`) {
		t.Errorf("output holds an absolute path:\n%s", clip(out))
	}
	// SARIF: run.originalUriBaseIds["%SRCROOT%"] is the working directory.
	out = baseURIRE.ReplaceAllString(out, `"file:///SRCROOT/"`)
	if version != "2.1.0" { // SARIF's own version
		out = strings.ReplaceAll(out, `"version": "`+version+`"`, `"version": "VERSION"`)
	}
	return out
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "(no difference)"
}

// TestE2ESARIFLocations: every SARIF result points at a relative file and at the line of the
// offending field; input problems are notifications at their line.
func TestE2ESARIFLocations(t *testing.T) {
	args := []string{"scan", ".", "--skip-invalid", "-o", "sarif"}
	r := kube4c(t, goldenDir, nil, args...)
	wantCode(t, r, 1, args...)
	type location struct {
		PhysicalLocation *struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			OriginalURIBaseIDs map[string]struct {
				URI string `json:"uri"`
			} `json:"originalUriBaseIds"`
			Results []struct {
				RuleID     string     `json:"ruleId"`
				Locations  []location `json:"locations"`
				Properties struct {
					Resource string `json:"resource"`
				} `json:"properties"`
			} `json:"results"`
			Invocations []struct {
				ExecutionSuccessful       bool `json:"executionSuccessful"`
				ToolExecutionNotification []struct {
					Level     string     `json:"level"`
					Locations []location `json:"locations"`
					Message   struct {
						Text string `json:"text"`
					} `json:"message"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("not SARIF: %v\n%s", err, r)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("SARIF version %q with %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	abs, _ := filepath.Abs(goldenDir)
	if base := run.OriginalURIBaseIDs["%SRCROOT%"].URI; base != "file://"+filepath.ToSlash(abs)+"/" {
		t.Errorf("%%SRCROOT%% = %q, want the working directory %s", base, abs)
	}
	lines := map[string]int{} // ruleId resource -> startLine
	for _, res := range run.Results {
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil || res.Locations[0].PhysicalLocation.Region == nil {
			t.Errorf("%s %s: no physical location with a region: %+v", res.RuleID, res.Properties.Resource, res.Locations)
			continue
		}
		pl := res.Locations[0].PhysicalLocation
		uri := pl.ArtifactLocation.URI
		if uri == "" || strings.Contains(uri, ":") || strings.HasPrefix(uri, "/") || pl.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("%s: artifactLocation %+v, want a relative uri under %%SRCROOT%%", res.RuleID, pl.ArtifactLocation)
		}
		if _, err := os.Stat(filepath.Join(goldenDir, filepath.FromSlash(uri))); err != nil {
			t.Errorf("%s: uri %q does not name a fixture file: %v", res.RuleID, uri, err)
		}
		if pl.Region.StartLine < 1 {
			t.Errorf("%s: startLine %d", res.RuleID, pl.Region.StartLine)
		}
		lines[res.RuleID+" "+res.Properties.Resource+" "+uri] = pl.Region.StartLine
	}
	for _, w := range []struct{ key, file, substr string }{
		// deep in the second container of a multi-document file
		{"container/privileged Deployment/payments/api app.yaml", "app.yaml", "privileged: true"},
		{"cluster/service-exposed-no-source-ranges Service/payments/api app.yaml", "app.yaml", "type: NodePort"},
		// an item of a List
		{"container/image-tag-latest Pod/payments/debug list.yaml", "list.yaml", "image: busybox:latest"},
		// the namespace: its document's first line
		{"cluster/namespace-no-default-deny-ingress Namespace/payments app.yaml", "app.yaml", "apiVersion: v1\n"},
	} {
		var want int
		if strings.HasSuffix(w.substr, "\n") {
			want = 2 // app.yaml starts with a comment line
		} else {
			want = lineOf(t, filepath.Join(goldenDir, w.file), w.substr)
		}
		got, ok := lines[w.key]
		if !ok {
			t.Errorf("no result %s", w.key)
		} else if got != want {
			t.Errorf("%s: startLine %d, want %d (%q)", w.key, got, want, w.substr)
		}
	}
	if len(run.Invocations) != 1 || run.Invocations[0].ExecutionSuccessful {
		t.Fatalf("invocations %+v, want one, not successful (an input error)", run.Invocations)
	}
	n := run.Invocations[0].ToolExecutionNotification
	if len(n) != 1 || n[0].Level != "error" || len(n[0].Locations) != 1 || n[0].Locations[0].PhysicalLocation == nil ||
		n[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "broken.yaml" || n[0].Locations[0].PhysicalLocation.Region == nil ||
		n[0].Locations[0].PhysicalLocation.Region.StartLine != lineOf(t, filepath.Join(goldenDir, "broken.yaml"), "[unterminated") {
		t.Errorf("notifications %+v, want one error at broken.yaml, line of the malformed value", n)
	}
}

func TestE2EStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"scan", "-", "-o", "json"}
	r := kube4c(t, ".", bytes.NewReader(data), args...)
	wantCode(t, r, 1, args...)
	rep := parseReport(t, r)
	if rep.Scanned.Objects != 3 || rep.Scanned.Sources != 1 {
		t.Errorf("scanned %+v, want 3 objects from 1 source", rep.Scanned)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("no findings from stdin")
	}
	for _, f := range rep.Findings {
		if f.Location.File != "<stdin>" {
			t.Errorf("%s: file %q, want <stdin>", f.ControlID, f.Location.File)
		}
	}
	priv := rep.findings("container/privileged", "Deployment/payments/api")
	if want := lineOf(t, filepath.Join(goldenDir, "app.yaml"), "privileged: true"); len(priv) != 1 || priv[0].Location.Line != want {
		t.Errorf("privileged finding %+v, want <stdin>:%d", priv, want)
	}

	// The table names <stdin> too, and stdin mixes with files.
	r = kube4c(t, ".", bytes.NewReader(data), "scan", "-", cleanFile)
	wantCode(t, r, 1, "scan", "-", cleanFile)
	if want := fmt.Sprintf("<stdin>:%d", priv[0].Location.Line); !strings.Contains(r.stdout, want) {
		t.Errorf("table lacks %q\n%s", want, r)
	}
	if !strings.Contains(r.stdout, "6 objects from 2 sources") {
		t.Errorf("table header should count stdin and the file\n%s", r)
	}

	// Malformed stdin: <stdin>:line.
	r = kube4c(t, ".", strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n"), "scan", "-", "-o", "json")
	wantCode(t, r, 2, "scan", "-")
	if !strings.HasPrefix(r.stderr, "error: <stdin>:3: malformed YAML:") {
		t.Errorf("stderr = %q, want an error at <stdin>:3", r.stderr)
	}

	// Empty stdin: nothing to scan, not an error.
	r = kube4c(t, ".", nil, "scan", "-")
	wantCode(t, r, 0, "scan", "-")
}

func TestE2EOutputFile(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"json", "sarif", "junit", "table"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, "report."+format)
			args := []string{"scan", goldenDir, "--skip-invalid", "-o", format, "--output-file", out}
			r := kube4c(t, ".", nil, args...)
			wantCode(t, r, 1, args...)
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing: the report goes to the file", r.stdout)
			}
			// Problems (and warnings) go to stderr when the report is not on the terminal.
			if want := "error: " + goldenDir + "/broken.yaml:7: malformed YAML: did not find expected ',' or ']'\n"; r.stderr != want {
				t.Errorf("stderr = %q, want %q", r.stderr, want)
			}
			written, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			// Same bytes as on stdout (reports are deterministic).
			direct := kube4c(t, ".", nil, "scan", goldenDir, "--skip-invalid", "-o", format)
			if string(written) != direct.stdout {
				t.Errorf("--output-file wrote something else than stdout gets:\n%s", firstDiff(direct.stdout, string(written)))
			}
		})
	}
	t.Run("clean scan", func(t *testing.T) {
		out := filepath.Join(dir, "clean.json")
		r := kube4c(t, ".", nil, "scan", cleanFile, "-o", "json", "--output-file", out)
		wantCode(t, r, 0, "scan", cleanFile)
		if r.stdout != "" || r.stderr != "" {
			t.Errorf("want no output\n%s", r)
		}
	})
	t.Run("unwritable", func(t *testing.T) {
		out := filepath.Join(dir, "no-such-dir", "report.json")
		r := kube4c(t, ".", nil, "scan", cleanFile, "-o", "json", "--output-file", out)
		wantCode(t, r, 2, "scan", cleanFile, "--output-file", out)
		if !strings.Contains(r.stderr, "--output-file: ") || !strings.Contains(r.stderr, out) {
			t.Errorf("stderr = %q, want it to name --output-file and %s", r.stderr, out)
		}
	})
}

// TestE2ERedaction: a literal credential found in env, a ConfigMap, annotations, arguments or
// invalid documents never appears in any output.
func TestE2ERedaction(t *testing.T) {
	const secret = "Xk9$mP2vL8qR"
	dir := filepath.Join(e2eDir, "secrets")
	data, err := os.ReadFile(filepath.Join(dir, "creds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(secret)) {
		t.Fatal("fixture lost its credential")
	}
	fragments := []string{secret, "mP2vL8", "Xk9$", "vL8qR"}
	check := func(t *testing.T, what string, r runResult) {
		t.Helper()
		for _, s := range fragments {
			if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
				t.Errorf("%s: output holds %q\n%s", what, s, r)
			}
		}
	}
	for _, format := range []string{"table", "json", "sarif", "junit"} {
		args := []string{"scan", ".", "--skip-invalid", "-o", format}
		r := kube4c(t, dir, nil, args...)
		wantCode(t, r, 1, args...)
		check(t, format, r)
		for _, s := range []string{"credentials-in-env", "configmap-credentials", "redacted"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("%s: output lacks %q: the credentials were not found, so the test proves nothing\n%s", format, s, r)
			}
		}
	}
	r := kube4c(t, dir, bytes.NewReader(data), "scan", "-", "-o", "json")
	wantCode(t, r, 1, "scan", "-")
	check(t, "stdin", r)
	rep := parseReport(t, r)
	if got := len(rep.findings("container/credentials-in-env", "Deployment/prod/billing")); got != 2 {
		t.Errorf("%d credentials-in-env findings, want 2 (DB_PASSWORD, DATABASE_URL)", got)
	}
	if got := len(rep.findings("cluster/configmap-credentials", "ConfigMap/prod/billing-config")); got != 2 {
		t.Errorf("%d configmap-credentials findings, want 2 (DB_PASSWORD, application.yaml)", got)
	}
	// The invalid documents are problems, quoted without the value.
	r = kube4c(t, dir, nil, "scan", "invalid.yaml", "-o", "json")
	wantCode(t, r, 2, "scan", "invalid.yaml")
	check(t, "invalid documents", r)
	if n := strings.Count(r.stderr, "error: invalid.yaml:"); n != 4 {
		t.Errorf("%d problems on stderr, want 4\n%s", n, r)
	}
}

func TestE2EControls(t *testing.T) {
	type control struct {
		ID         string `json:"id"`
		Title      string `json:"title"`
		Layer      string `json:"layer"`
		Severity   string `json:"severity"`
		References struct {
			PSS *struct {
				Check string `json:"check"`
				Level string `json:"level"`
			} `json:"pss"`
		} `json:"references"`
	}
	list := func(args ...string) []control {
		t.Helper()
		r := kube4c(t, ".", nil, append([]string{"controls", "-o", "json"}, args...)...)
		wantCode(t, r, 0, args...)
		var cs []control
		if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil {
			t.Fatalf("controls -o json: %v\n%s", err, r)
		}
		return cs
	}
	all := list()
	if len(all) < 30 {
		t.Fatalf("only %d controls", len(all))
	}
	ids := map[string]bool{}
	severities := map[string]bool{"info": true, "low": true, "medium": true, "high": true, "critical": true}
	layers := map[string]int{}
	for _, c := range all {
		if c.ID == "" || c.Title == "" || !severities[c.Severity] || !strings.HasPrefix(c.ID, c.Layer+"/") {
			t.Errorf("bad control %+v", c)
		}
		if ids[c.ID] {
			t.Errorf("duplicate control %s", c.ID)
		}
		ids[c.ID] = true
		layers[c.Layer]++
	}
	for _, id := range []string{"container/privileged", "cluster/configmap-credentials", "cluster/dashboard-exposed"} {
		if !ids[id] {
			t.Errorf("control %s missing", id)
		}
	}

	cluster := list("--layer", "cluster")
	if len(cluster) == 0 || len(cluster) != layers["cluster"] {
		t.Errorf("--layer cluster: %d controls, want %d", len(cluster), layers["cluster"])
	}
	for _, c := range cluster {
		if c.Layer != "cluster" {
			t.Errorf("--layer cluster listed %s (%s)", c.ID, c.Layer)
		}
	}

	// --framework pss: exactly one control per Pod Security Standards check.
	var checks []string
	for _, c := range policy.DefaultChecks() {
		checks = append(checks, string(c.ID))
	}
	sort.Strings(checks)
	var got []string
	for _, c := range list("--framework", "pss") {
		if c.References.PSS == nil {
			t.Errorf("--framework pss listed %s, which has no PSS reference", c.ID)
			continue
		}
		got = append(got, c.References.PSS.Check)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(checks) {
		t.Errorf("--framework pss checks:\n  got  %v\n  want %v", got, checks)
	}
	var pssInAll int
	for _, c := range all {
		if c.References.PSS != nil {
			pssInAll++
		}
	}
	if pssInAll != len(got) {
		t.Errorf("%d controls reference PSS, --framework pss lists %d", pssInAll, len(got))
	}

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"controls", "--layer", "bogus"}, "unknown layer \"bogus\""},
		{[]string{"controls", "--framework", "bogus"}, "unknown framework \"bogus\""},
		{[]string{"controls", "-o", "xml"}, "unknown output format \"xml\""},
		{[]string{"controls", "extra"}, "unknown command \"extra\""},
	} {
		r := kube4c(t, ".", nil, tc.args...)
		wantCode(t, r, 2, tc.args...)
		if !strings.Contains(r.stderr, tc.err) || r.stdout != "" {
			t.Errorf("%v: %s\nwant %q on stderr only", tc.args, r, tc.err)
		}
	}

	r := kube4c(t, ".", nil, "controls")
	wantCode(t, r, 0, "controls")
	if !strings.HasPrefix(r.stdout, "ID ") || !strings.Contains(r.stdout, "container/privileged") {
		t.Errorf("controls table:\n%s", r)
	}
}

func TestE2EVersion(t *testing.T) {
	if v := toolVersionOfBinary(t); v == "" {
		t.Fatal("empty version")
	}
	r := kube4c(t, ".", nil, "version", "extra")
	wantCode(t, r, 2, "version", "extra")
	// The JSON report carries the same version.
	r = kube4c(t, ".", nil, "scan", cleanFile, "-o", "json")
	wantCode(t, r, 0, "scan", cleanFile)
	if rep := parseReport(t, r); rep.Tool.Version != toolVersionOfBinary(t) {
		t.Errorf("report tool.version %q differs from kube4c version", rep.Tool.Version)
	}
}

// TestE2EBadInput: hostile and odd input never crashes kube4c; each problem names its file.
func TestE2EBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	write("binary.yaml", binary)
	write("empty.yaml", nil)
	write("dashes.yaml", []byte("---\n"))
	write("comments.yaml", []byte("# nothing here\n---\n# nor here\n"))
	deep := func(n int) []byte {
		return []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: deep\nspec: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n")
	}
	write("deep.yaml", deep(5000))
	write("deeper.yaml", deep(20000))
	var block strings.Builder
	block.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n  annotations:\n")
	for i := 2; i < 2000; i++ {
		block.WriteString(strings.Repeat("  ", i) + "k:\n")
	}
	block.WriteString(strings.Repeat("  ", 2000) + "v\n")
	write("deep-block.yaml", []byte(block.String()))
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a: &a [x, x, x, x, x, x, x, x, x]\n"
	for i, prev := range "abcdefgh" {
		name := string(rune('b' + i))
		bomb += fmt.Sprintf("  %s: &%s [%s]\n", name, name, strings.TrimSuffix(strings.Repeat("*"+string(prev)+", ", 9), ", "))
	}
	write("bomb.yaml", []byte(bomb))
	write("widget.yaml", []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gadget\n  namespace: tools\nspec:\n  size: 3\n"))
	write("scalar.yaml", []byte("just a string\n"))
	write("list-of-scalars.yaml", []byte("apiVersion: v1\nkind: List\nitems:\n  - 1\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: ok, namespace: tools}\n"))

	tests := []struct {
		file    string
		code    int
		stderr  string // prefix of stderr with -o json; "" for nothing
		objects int
	}{
		{"binary.yaml", 2, "error: binary.yaml: binary file (contains NUL bytes); refused\n", 0},
		{"empty.yaml", 0, "", 0},
		{"dashes.yaml", 0, "", 0},
		{"comments.yaml", 0, "", 0},
		{"deep.yaml", 2, "error: deep.yaml:1: Widget: document nests deeper than 256 levels; refused\n", 0},
		{"deeper.yaml", 2, "error: deeper.yaml:5: malformed YAML: exceeded max depth of 10000\n", 0},
		{"deep-block.yaml", 2, "error: deep-block.yaml:1: ConfigMap: document nests deeper than 256 levels; refused\n", 0},
		{"bomb.yaml", 2, "error: bomb.yaml:1: ConfigMap: document expands to more than 2000000 nodes through aliases (alias bomb?); refused\n", 0},
		{"widget.yaml", 0, "", 1},
		{"scalar.yaml", 0, "warning: scalar.yaml:1: document is not a Kubernetes object (not a mapping); skipped\n", 0},
		{"list-of-scalars.yaml", 2, "error: list-of-scalars.yaml:4: List item 0 is not an object\n", 1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			args := []string{"scan", tc.file, "-o", "json"}
			r := kube4c(t, dir, nil, args...)
			wantCode(t, r, tc.code, args...)
			if tc.stderr == "" && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
			if !strings.HasPrefix(r.stderr, tc.stderr) {
				t.Errorf("stderr = %q, want it to start with %q", r.stderr, tc.stderr)
			}
			if rep := parseReport(t, r); rep.Scanned.Objects != tc.objects {
				t.Errorf("%d objects, want %d", rep.Scanned.Objects, tc.objects)
			}
			// The table shows the same problem.
			if tc.stderr != "" {
				table := kube4c(t, dir, nil, "scan", tc.file)
				wantCode(t, table, tc.code, "scan", tc.file)
				if msg := strings.TrimSuffix(strings.SplitN(tc.stderr, ": ", 2)[1], "\n"); !strings.Contains(table.stdout, msg) {
					t.Errorf("table lacks %q\n%s", msg, table)
				}
			}
		})
	}

	t.Run("all at once", func(t *testing.T) {
		r := kube4c(t, dir, nil, "scan", ".", "--skip-invalid", "-o", "json")
		wantCode(t, r, 0, "scan", ".", "--skip-invalid")
		rep := parseReport(t, r)
		files := map[string]bool{}
		for _, p := range rep.Problems {
			files[p.File] = true
		}
		for _, f := range []string{"binary.yaml", "deep.yaml", "deeper.yaml", "deep-block.yaml", "bomb.yaml", "list-of-scalars.yaml"} {
			if !files[f] {
				t.Errorf("no problem names %s: %+v", f, rep.Problems)
			}
		}
		// Found by walking, a YAML file that is not a Kubernetes object is skipped quietly.
		if files["scalar.yaml"] {
			t.Errorf("scalar.yaml found by walking should be skipped quietly: %+v", rep.Problems)
		}
		if rep.Scanned.Objects != 2 { // Widget gadget, ConfigMap ok
			t.Errorf("%d objects, want 2", rep.Scanned.Objects)
		}
	})

	t.Run("symlink loop", func(t *testing.T) {
		loop := filepath.Join(t.TempDir(), "loop")
		if err := os.MkdirAll(filepath.Join(loop, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(cleanFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(loop, "sub", "app.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for link, target := range map[string]string{"sub/up": "..", "self": ".", "sub/again": "../sub"} {
			if err := os.Symlink(target, filepath.Join(loop, link)); err != nil {
				t.Skip("symlinks not supported:", err)
			}
		}
		if err := os.Symlink("no-such-target", filepath.Join(loop, "dangling.yaml")); err != nil {
			t.Fatal(err)
		}
		r := kube4c(t, filepath.Dir(loop), nil, "scan", "loop", "-o", "json")
		wantCode(t, r, 0, "scan", "loop")
		rep := parseReport(t, r)
		if rep.Scanned.Objects != 3 || rep.Scanned.Sources != 1 {
			t.Errorf("scanned %+v, want the 3 objects of loop/sub/app.yaml once", rep.Scanned)
		}
		if len(rep.Problems) != 1 || rep.Problems[0].File != "loop/dangling.yaml" || rep.Problems[0].Severity != "warning" ||
			!strings.Contains(rep.Problems[0].Message, "broken symbolic link") {
			t.Errorf("problems %+v, want a warning about loop/dangling.yaml", rep.Problems)
		}
	})

	t.Run("unreadable file", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: permissions are not enforced")
		}
		d := t.TempDir()
		p := filepath.Join(d, "secret.yaml")
		if err := os.WriteFile(p, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		r := kube4c(t, d, nil, "scan", "secret.yaml", "-o", "json")
		wantCode(t, r, 2, "scan", "secret.yaml")
		if !strings.HasPrefix(r.stderr, "error: secret.yaml: permission denied\n") {
			t.Errorf("stderr = %q, want a permission error naming secret.yaml", r.stderr)
		}
		r = kube4c(t, d, nil, "scan", ".", "-o", "json")
		wantCode(t, r, 2, "scan", ".")
		if !strings.HasPrefix(r.stderr, "error: secret.yaml: permission denied\n") {
			t.Errorf("walking: stderr = %q, want a permission error naming secret.yaml", r.stderr)
		}
	})
}

func TestE2EMaxFileSize(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: tools\ndata:\n")
	for i := 0; b.Len() < 3000; i++ {
		fmt.Fprintf(&b, "  key%d: value\n", i)
	}
	big := []byte(b.String())
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	small := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n  namespace: tools\n")
	if err := os.WriteFile(filepath.Join(dir, "small.yaml"), small, 0o644); err != nil {
		t.Fatal(err)
	}
	wantMsg := fmt.Sprintf("big.yaml: file is %.1f KB, over the 1.0 KB limit (--max-file-size); refused", float64(len(big))/1024)

	r := kube4c(t, dir, nil, "scan", "big.yaml", "--max-file-size", "1KB")
	wantCode(t, r, 2, "scan", "big.yaml", "--max-file-size", "1KB")
	if !strings.Contains(r.stdout, wantMsg) {
		t.Errorf("table lacks %q\n%s", wantMsg, r)
	}

	r = kube4c(t, dir, nil, "scan", ".", "--max-file-size", "1KB", "-o", "json", "--skip-invalid")
	wantCode(t, r, 0, "scan", ".", "--max-file-size", "1KB", "--skip-invalid")
	if r.stderr != "error: "+wantMsg+"\n" {
		t.Errorf("stderr = %q, want %q", r.stderr, "error: "+wantMsg+"\n")
	}
	if rep := parseReport(t, r); rep.Scanned.Objects != 1 {
		t.Errorf("%d objects, want 1 (small.yaml is still read)", rep.Scanned.Objects)
	}

	r = kube4c(t, dir, bytes.NewReader(big), "scan", "-", "--max-file-size", "1KB", "-o", "json")
	wantCode(t, r, 2, "scan", "-", "--max-file-size", "1KB")
	if !strings.HasPrefix(r.stderr, "error: <stdin>: input is over the 1.0 KB limit (--max-file-size); refused\n") {
		t.Errorf("stdin: stderr = %q", r.stderr)
	}

	// The default limit (50MB) reads it.
	r = kube4c(t, dir, nil, "scan", "big.yaml", "-o", "json")
	wantCode(t, r, 0, "scan", "big.yaml")
}
