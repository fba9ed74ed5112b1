package exception

import (
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/finding"
)

// vulnFindings are vulnerable-package findings about two images and one finding without an
// advisory (an image running as root).
func vulnFindings() []finding.Finding {
	img := func(name string) finding.Resource {
		return finding.Resource{APIVersion: "image.kube4c.io/v1", Kind: "Image", Name: name}
	}
	vuln := func(im, id string, aliases []string, pkg string) finding.Finding {
		return finding.Finding{ControlID: ctlPrivileged, Resource: img(im), Message: id + " " + pkg,
			Vulnerability: &finding.Vulnerability{ID: id, Aliases: aliases, Package: pkg, Installed: "1"}}
	}
	return []finding.Finding{
		vuln("shop/api:1", "DEBIAN-CVE-2024-1", []string{"CVE-2024-1"}, "openssl"),
		vuln("shop/api:1", "GO-2022-1059", []string{"CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"}, "golang.org/x/text"),
		vuln("shop/web:2", "DEBIAN-CVE-2024-1", []string{"CVE-2024-1"}, "openssl"),
		{ControlID: ctlRoot, Resource: img("shop/api:1"), Message: "runs as root"},
	}
}

func TestVEXExceptions(t *testing.T) {
	for name, c := range map[string]struct {
		match string
		want  []int // indexes of suppressed findings
	}{
		"alias for one image":      {`{vulnerabilities: [CVE-2024-1], images: ["shop/api:*"]}`, []int{0}},
		"advisory ID everywhere":   {`{vulnerabilities: [DEBIAN-CVE-2024-1]}`, []int{0, 2}},
		"GHSA alias by pattern":    {`{vulnerabilities: ["GHSA-69ch-*"]}`, []int{1}},
		"package pattern":          {`{packages: ["golang.org/x/*"]}`, []int{1}},
		"package and advisory":     {`{packages: [openssl], vulnerabilities: [CVE-2022-32149]}`, nil},
		"images only, any control": {`{images: ["shop/web:*"]}`, []int{2}},
	} {
		t.Run(name, func(t *testing.T) {
			src := "apiVersion: kube4c.io/v1alpha1\nkind: Exceptions\nexceptions:\n" +
				"  - controls: [\"*\"]\n    match: " + c.match + "\n    justification: not reachable\n"
			fs := vulnFindings()
			Apply(fs, mustParse(t, src), Options{Now: now})
			var got []int
			for i, f := range fs {
				if f.Suppression != nil {
					got = append(got, i)
				}
			}
			if len(got) != len(c.want) || (len(got) > 0 && !equalInts(got, c.want)) {
				t.Errorf("suppressed %v, want %v", got, c.want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestVEXJustificationRecorded(t *testing.T) {
	set := mustParse(t, `apiVersion: kube4c.io/v1alpha1
kind: Exceptions
exceptions:
  - name: text-not-used
    controls: ["*"]
    match: {vulnerabilities: [CVE-2022-32149]}
    vexJustification: vulnerable_code_not_in_execute_path
    justification: "the service never parses Accept-Language"
`)
	fs := vulnFindings()
	Apply(fs, set, Options{Now: now})
	s := fs[1].Suppression
	if s == nil || s.VEXJustification != "vulnerable_code_not_in_execute_path" || s.Exception != "text-not-used" {
		t.Fatalf("suppression = %+v", s)
	}
}

func TestVEXParseErrors(t *testing.T) {
	for name, c := range map[string]struct{ entry, want string }{
		"unknown justification":            {"    match: {vulnerabilities: [CVE-1]}\n    vexJustification: not_exploitable\n", "is not an OpenVEX justification"},
		"justification without advisories": {"    match: {packages: [openssl]}\n    vexJustification: component_not_present\n", "name them in match.vulnerabilities"},
		"empty vulnerabilities list":       {"    match: {vulnerabilities: []}\n", "empty list matches nothing"},
		"typo in field":                    {"    match: {vulnerability: [CVE-1]}\n", `did you mean "vulnerabilities"`},
	} {
		t.Run(name, func(t *testing.T) {
			src := "apiVersion: kube4c.io/v1alpha1\nkind: Exceptions\nexceptions:\n  - controls: [\"*\"]\n" + c.entry + "    justification: j\n"
			_, err := Parse([]byte(src), "ex.yaml")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "ex.yaml:") {
				t.Errorf("error = %v, want one naming ex.yaml:LINE and %q", err, c.want)
			}
		})
	}
}
