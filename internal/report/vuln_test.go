package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
)

// vulnResult has two advisories for two packages of one image: the control is high, the
// findings critical and low.
func vulnResult() *finding.Result {
	img := finding.Resource{APIVersion: "image.kube4c.io/v1", Kind: "Image", Name: "registry.example/shop/api:1.2"}
	crit, low := catalog.Critical, catalog.Low
	return &finding.Result{Findings: []finding.Finding{
		{ControlID: "container/zz-test-vuln", Resource: img, Severity: &low, Message: "zlib: CVE-2 (low)",
			Vulnerability: &finding.Vulnerability{ID: "DEBIAN-CVE-2", Aliases: []string{"CVE-2"}, Package: "zlib1g", Ecosystem: "Debian:12",
				Path: "/var/lib/dpkg/status", Installed: "1:1.2.13.dfsg-1", Score: 3.1, SeverityFrom: "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N"}},
		{ControlID: "container/zz-test-vuln", Resource: img, Severity: &crit, Message: "openssl: CVE-1 (critical)",
			Vulnerability: &finding.Vulnerability{ID: "DEBIAN-CVE-1", Aliases: []string{"CVE-1"}, Package: "openssl", Ecosystem: "Debian:12",
				Path: "/var/lib/dpkg/status", Layer: "sha256:aa", Installed: "3.0.11-1~deb12u1", Fixed: "3.0.13-1~deb12u1", Score: 9.8}},
	}, Objects: 1, Sources: 1}
}

func TestVulnerabilityFindings(t *testing.T) {
	defer catalog.RegisterForTest(catalog.Control{ID: "container/zz-test-vuln", Title: "Images have no vulnerable packages",
		Layer: catalog.Container, Severity: catalog.High, Rationale: "r", Remediation: "m"})()

	var doc struct {
		Summary  Summary
		Findings []struct {
			Severity      string                 `json:"severity"`
			Fingerprint   string                 `json:"fingerprint"`
			Vulnerability *finding.Vulnerability `json:"vulnerability"`
		} `json:"findings"`
	}
	out := render(t, JSON, vulnResult(), opts())
	if err := compileSchema(t, reportSchema).Validate(instance(t, out)); err != nil {
		t.Errorf("JSON report does not match docs/report.schema.json: %v", err)
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 2 || doc.Findings[0].Severity != "critical" || doc.Findings[1].Severity != "low" {
		t.Fatalf("findings = %+v, want the advisories' severities, worst first", doc.Findings)
	}
	if v := doc.Findings[0].Vulnerability; v == nil || v.ID != "DEBIAN-CVE-1" || v.Fixed != "3.0.13-1~deb12u1" || v.Layer != "sha256:aa" {
		t.Errorf("vulnerability = %+v", v)
	}
	if doc.Findings[0].Fingerprint == doc.Findings[1].Fingerprint {
		t.Error("two advisories of one image share a fingerprint")
	}
	if s := doc.Summary.BySeverity; s.Critical != 1 || s.Low != 1 || s.High != 0 {
		t.Errorf("bySeverity = %+v, want the findings' severities, not the control's", s)
	}

	// --severity high keeps the critical advisory and drops the low one.
	o := opts()
	o.MinSeverity = catalog.High
	doc.Findings = nil
	if err := json.Unmarshal(render(t, JSON, vulnResult(), o), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 1 || doc.Findings[0].Vulnerability.ID != "DEBIAN-CVE-1" {
		t.Errorf("--severity high kept %+v", doc.Findings)
	}

	s := decodeSARIF(t, vulnResult(), opts())
	if r := s.Runs[0].Results; len(r) != 2 || r[0].Level != "error" || r[1].Level != "note" {
		t.Errorf("SARIF levels follow the advisories: %+v", r)
	}
	junit := string(render(t, JUnit, vulnResult(), opts()))
	if !strings.Contains(junit, `type="critical"`) {
		t.Errorf("JUnit failure type is not the worst advisory's severity:\n%s", junit)
	}
}
