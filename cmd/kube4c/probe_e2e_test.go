package main

// End-to-end tests of `kube4c probe`, run in-process through run(): fakes of the kubelet, Docker
// and the Dashboard (internal/probe/probetest), a real etcd (internal/testenv), a closed port and a
// host name that does not resolve.
//
//	go test ./cmd/kube4c -run Probe

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/probe/probetest"
	"github.com/kube4c/kube4c/internal/testenv"
)

// probeRun runs kube4c in-process with a context.
func probeRun(t *testing.T, ctx context.Context, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &out, &errb)
	r := runResult{stdout: out.String(), stderr: errb.String(), code: code}
	// Nothing kube4c prints may hold what the kubelet's pod list holds.
	if strings.Contains(r.stdout+r.stderr, probetest.Secret) || strings.Contains(r.stdout+r.stderr, "POSTGRES_PASSWORD") {
		t.Fatalf("kube4c %s printed a pod's environment:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// unresolvable is a host name that never resolves (RFC 2606 reserves .invalid).
const unresolvable = "kube4c-no-such-host.invalid"

func TestProbeE2E(t *testing.T) {
	ctx := context.Background()
	kubelet := probetest.Target(t, probetest.Kubelet(t, probetest.KubeletAnonymous))
	docker := probetest.Target(t, probetest.Docker(t, probetest.DockerPlain))
	dashboard := probetest.Target(t, probetest.Dashboard(t, true))
	kubelet403 := probetest.Target(t, probetest.Kubelet(t, probetest.KubeletWebhook))
	dockerTLS := probetest.Target(t, probetest.Docker(t, probetest.DockerTLSVerify))
	etcd := testenv.StartEtcd(t, testenv.EtcdOptions{})
	closed := fmt.Sprintf("127.0.0.1:%d", probetest.ClosedPort(t))
	exposed := []string{kubelet, docker, dashboard, etcd.Addr}

	t.Run("json: findings, closed port and an unresolvable host", func(t *testing.T) {
		args := append([]string{"probe", "-o", "json", unresolvable + ":2379", closed}, exposed...)
		r := probeRun(t, ctx, args...)
		wantCode(t, r, exitError, args...) // the unresolvable host is an input error
		if !strings.Contains(r.stderr, "error: "+unresolvable+": host does not resolve") || !strings.Contains(r.stderr, "--skip-invalid") {
			t.Errorf("stderr does not name the host that did not resolve:\n%s", r.stderr)
		}
		rep := parseReport(t, r)
		if rep.Scanned.Objects != 5 || rep.Scanned.Sources != 2 || rep.Summary.Errors != 1 {
			t.Errorf("scanned %+v, summary %+v", rep.Scanned, rep.Summary)
		}
		if len(rep.Problems) != 1 || rep.Problems[0].Resource != unresolvable || rep.Problems[0].Severity != "error" {
			t.Errorf("problems %+v", rep.Problems)
		}
		var got []string
		for _, f := range rep.Findings {
			got = append(got, f.ControlID+" "+f.ref())
			if f.Resource.APIVersion != "probe.kube4c.io/v1" || f.Location.File != "" || !strings.Contains(f.Message, "verify with `curl") {
				t.Errorf("finding %+v", f)
			}
		}
		slices.Sort(got)
		want := []string{
			"cloud/dashboard-exposed Endpoint/" + dashboard,
			"cloud/docker-api-exposed Endpoint/" + docker,
			"cloud/etcd-no-client-cert-auth Endpoint/" + etcd.Addr,
			"cloud/kubelet-api-anonymous Endpoint/" + kubelet,
		}
		if !slices.Equal(got, want) {
			t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}

		// The same with --skip-invalid: the findings decide.
		r = probeRun(t, ctx, append(args, "--skip-invalid")...)
		wantCode(t, r, exitFindings, args...)
	})

	t.Run("table", func(t *testing.T) {
		args := append([]string{"probe", closed, kubelet403}, exposed...)
		r := probeRun(t, ctx, args...)
		wantCode(t, r, exitFindings, args...)
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^ENDPOINTS \(6\)$`),
			regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(closed) + `\s+refused\s+-\s+-$`),
			regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(kubelet) + `\s+open, https, client certificate optional\s+kubelet\s+/version 404, /api 404, /apis 404, /pods 200 \(3 pods\), / 404$`),
			regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(kubelet403) + `\s+open, https, client certificate optional\s+kubelet\s+.*/pods 403`),
			regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(etcd.Addr) + `\s+open, http\s+etcd 3\.4\.23\s+/version 200`),
			regexp.MustCompile(`/api/v1/login/skippable 200 \(skippable: true\)`),
			regexp.MustCompile(`(?m)^CLOUD \(4\)$`),
			regexp.MustCompile(`(?m)^  CRITICAL\s+cloud/kubelet-api-anonymous\s+Endpoint/` + regexp.QuoteMeta(kubelet) + `\s+-\s+the kubelet API at .*curl -k https://` + regexp.QuoteMeta(kubelet) + `/pods`),
			regexp.MustCompile(`its login can be skipped`),
			regexp.MustCompile(`(?m)^    cloud\s+3\s+1\s+0\s+0\s+0\s+0\s+\d+\s+4\s+`),
		} {
			if !want.MatchString(r.stdout) {
				t.Errorf("table output does not match %s:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "Pod Security Standards") {
			t.Error("the header names Pod Security Standards, which a probe does not evaluate")
		}
	})

	t.Run("exit 0 when nothing is exposed", func(t *testing.T) {
		args := []string{"probe", "-o", "json", kubelet403, dockerTLS, closed}
		r := probeRun(t, ctx, args...)
		wantCode(t, r, exitOK, args...)
		var rep struct {
			Summary struct {
				Findings     int `json:"findings"`
				PassedChecks int `json:"passedChecks"`
			} `json:"summary"`
			Settings struct {
				PSSLevel string `json:"pssLevel"`
			} `json:"settings"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		// Three named ports, each judged by every control.
		if rep.Summary.Findings != 0 || rep.Summary.PassedChecks != 3*8 || rep.Settings.PSSLevel != "" {
			t.Errorf("summary %+v, settings %+v", rep.Summary, rep.Settings)
		}
	})

	t.Run("fail-on, severity and exceptions", func(t *testing.T) {
		wantCode(t, probeRun(t, ctx, "probe", dashboard, "--fail-on", "critical"), exitOK)
		wantCode(t, probeRun(t, ctx, "probe", dashboard, "--fail-on", "high"), exitFindings)
		wantCode(t, probeRun(t, ctx, "probe", dashboard, "--fail-on", "none"), exitOK)
		r := probeRun(t, ctx, "probe", dashboard, kubelet, "--severity", "critical", "-o", "json")
		wantCode(t, r, exitFindings)
		if rep := parseReport(t, r); len(rep.findings("cloud/dashboard-exposed", "")) != 0 || len(rep.findings("cloud/kubelet-api-anonymous", "")) != 1 {
			t.Errorf("--severity critical: %+v", rep.Findings)
		}

		exc := filepath.Join(t.TempDir(), "exceptions.yaml")
		if err := os.WriteFile(exc, []byte(`apiVersion: kube4c.io/v1alpha1
kind: Exceptions
exceptions:
  - name: lab-dashboard
    controls: ["cloud/dashboard-*"]
    match:
      kinds: [Endpoint]
      names: ["127.0.0.1:*"]
    justification: "lab network, not reachable from outside"
`), 0o600); err != nil {
			t.Fatal(err)
		}
		r = probeRun(t, ctx, "probe", dashboard, "--exceptions", exc, "-o", "json")
		wantCode(t, r, exitOK)
		rep := parseReport(t, r)
		if rep.Summary.Suppressed != 1 || rep.Summary.Findings != 0 {
			t.Errorf("summary with the exception: %+v", rep.Summary)
		}
	})

	t.Run("sarif and junit", func(t *testing.T) {
		r := probeRun(t, ctx, "probe", "-o", "sarif", kubelet)
		wantCode(t, r, exitFindings)
		var sarif struct {
			Runs []struct {
				Results []struct {
					RuleID    string `json:"ruleId"`
					Locations []struct {
						LogicalLocations []struct {
							FullyQualifiedName string `json:"fullyQualifiedName"`
						} `json:"logicalLocations"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil {
			t.Fatal(err)
		}
		if res := sarif.Runs[0].Results; len(res) != 1 || res[0].RuleID != "cloud/kubelet-api-anonymous" ||
			res[0].Locations[0].LogicalLocations[0].FullyQualifiedName != "Endpoint/"+kubelet {
			t.Errorf("SARIF results %+v", res)
		}

		r = probeRun(t, ctx, "probe", "-o", "junit", kubelet)
		wantCode(t, r, exitFindings)
		var junit struct {
			Suites []struct {
				Name     string `xml:"name,attr"`
				Tests    int    `xml:"tests,attr"`
				Failures int    `xml:"failures,attr"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(r.stdout), &junit); err != nil {
			t.Fatal(err)
		}
		if len(junit.Suites) != 1 || junit.Suites[0].Name != "cloud" || junit.Suites[0].Tests != 8 || junit.Suites[0].Failures != 1 {
			t.Errorf("JUnit suites %+v", junit.Suites)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"probe"}, "requires at least 1 arg"},
			{[]string{"probe", "https://" + kubelet}, "not a URL"},
			{[]string{"probe", "10.0.0.0/8"}, "address ranges are not probed"},
			{[]string{"probe", "node:99999"}, "not a number from 1 to 65535"},
			{[]string{"probe", kubelet, "--concurrency", "0"}, "--concurrency must be from 1 to 256"},
			{[]string{"probe", kubelet, "--timeout", "0s"}, "--timeout must be positive"},
			{[]string{"probe", kubelet, "-o", "yaml"}, "yaml"},
		} {
			r := probeRun(t, ctx, tc.args...)
			if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("kube4c %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
			}
		}
	})
}

// TestProbeInterrupted: Ctrl-C (the context main cancels) ends a probe of a service that never
// answers, with exit code 2.
func TestProbeInterrupted(t *testing.T) {
	accepted := make(chan struct{}, 1)
	port := probetest.Silent(t, accepted)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan runResult, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(ctx, []string{"probe", "--timeout", "1h", fmt.Sprintf("127.0.0.1:%d", port)}, strings.NewReader(""), &out, &errb)
		done <- runResult{stdout: out.String(), stderr: errb.String(), code: code}
	}()
	<-accepted
	cancel()
	r := <-done
	if r.code != exitError || !strings.Contains(r.stderr, "probe interrupted: context canceled") || r.stdout != "" {
		t.Errorf("interrupted probe:\n%s", r)
	}
}
