package image

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/packages"
	"github.com/kube4c/kube4c/internal/vulndb"
)

// fakeMatcher returns canned matches by package name and records what it was asked.
type fakeMatcher struct {
	byName map[string][]vulndb.Match // Package is ignored: set to the package's index
	err    error
	calls  [][]packages.Package
}

func (m *fakeMatcher) Match(pkgs []packages.Package) ([]vulndb.Match, error) {
	m.calls = append(m.calls, pkgs)
	if m.err != nil {
		return nil, m.err
	}
	var out []vulndb.Match
	// Report in reverse package order: the analyzer sorts.
	for i := len(pkgs) - 1; i >= 0; i-- {
		for _, mt := range m.byName[pkgs[i].Name] {
			mt.Package = i
			out = append(out, mt)
		}
	}
	return out, nil
}

var (
	layer1 = "sha256:" + strings.Repeat("1", 64)
	layer2 = "sha256:" + strings.Repeat("2", 64)

	libssl = packages.Package{Name: "libssl3", Version: "3.0.11-1~deb12u1", SourceName: "openssl", Ecosystem: "Debian:12",
		PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12", Type: "dpkg", Location: "/var/lib/dpkg/status", Layer: layer1}
	xnet = packages.Package{Name: "golang.org/x/net", Version: "v0.17.0", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/net@v0.17.0",
		Type: "go-binary", Location: "/usr/local/bin/app", Layer: layer2}
	zlib = packages.Package{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", SourceName: "zlib", Ecosystem: "Debian:12", Type: "dpkg", Location: "/var/lib/dpkg/status", Layer: layer1}

	advOpenSSL = vulndb.Advisory{ID: "DEBIAN-CVE-2024-0727", Aliases: []string{"CVE-2024-0727"}, Summary: "OpenSSL: denial of service via null dereference",
		Severity: catalog.Medium, SeverityFrom: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 5.5, URL: "https://security-tracker.debian.org/tracker/CVE-2024-0727"}
	advRapidReset = vulndb.Advisory{ID: "GO-2023-2102", Aliases: []string{"GHSA-4374-p667-p6c8", "CVE-2023-44487", "CVE-2023-39325"},
		Summary: "HTTP/2 rapid reset can cause excessive work in net/http", Severity: catalog.High, SeverityFrom: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5,
		URL: "https://pkg.go.dev/vuln/GO-2023-2102"}
	advZlib = vulndb.Advisory{ID: "DEBIAN-CVE-2023-45853", Aliases: []string{"CVE-2023-45853"}, Summary: "MiniZip in zlib through 1.3 has an integer overflow",
		Severity: catalog.Critical, SeverityFrom: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}
)

func vulnImage() *image.Image {
	return &image.Image{Name: "ghcr.io/acme/app:1.0", Config: image.Config{User: "1000"},
		Layers: []image.Layer{{Digest: layer1}, {Digest: layer2}}, Packages: []packages.Package{libssl, xnet, zlib}}
}

func vulnMatcher() *fakeMatcher {
	return &fakeMatcher{byName: map[string][]vulndb.Match{
		"libssl3":          {{Advisory: advOpenSSL, Fixed: "3.0.13-1~deb12u1"}},
		"golang.org/x/net": {{Advisory: advRapidReset, Fixed: "0.17.0"}, {Advisory: advRapidReset, Fixed: "0.17.0"}}, // a duplicate
		"zlib1g":           {{Advisory: advZlib}},
	}}
}

func TestVulnerablePackages(t *testing.T) {
	m := vulnMatcher()
	cfg := analyzer.DefaultConfig()
	cfg.Vulns = m
	img := vulnImage()
	r := run(t, cfg, imgObj(img))
	if len(m.calls) != 1 || !slices.EqualFunc(m.calls[0], img.Packages, func(a, b packages.Package) bool { return a.Name == b.Name }) {
		t.Errorf("Match calls = %v, want one with the image's packages", m.calls)
	}
	eq(t, "messages", r.Messages(CtlVulnerable), []string{
		"libssl3 3.0.11-1~deb12u1 (source openssl) is affected by CVE-2024-0727 (DEBIAN-CVE-2024-0727): OpenSSL: denial of service via null dereference; fixed in 3.0.13-1~deb12u1",
		"golang.org/x/net v0.17.0 in /usr/local/bin/app is affected by CVE-2023-44487 (GO-2023-2102, GHSA-4374-p667-p6c8, CVE-2023-39325): HTTP/2 rapid reset can cause excessive work in net/http; fixed in 0.17.0",
		"zlib1g 1:1.2.13.dfsg-1 (source zlib) is affected by CVE-2023-45853 (DEBIAN-CVE-2023-45853): MiniZip in zlib through 1.3 has an integer overflow; no fixed version",
	})
	var sevs []string
	for _, f := range r.Findings {
		if f.Path != nil {
			t.Errorf("finding has path %s, want the image", f.Path)
		}
		sevs = append(sevs, f.EffectiveSeverity().String())
	}
	eq(t, "severities", sevs, []string{"medium", "high", "critical"})
	want := finding.Vulnerability{ID: "DEBIAN-CVE-2024-0727", Aliases: []string{"CVE-2024-0727"}, Summary: advOpenSSL.Summary, URL: advOpenSSL.URL,
		Score: 5.5, SeverityFrom: advOpenSSL.SeverityFrom, Package: "libssl3", Ecosystem: "Debian:12", PURL: libssl.PURL,
		Path: "/var/lib/dpkg/status", Layer: layer1, Installed: "3.0.11-1~deb12u1", Fixed: "3.0.13-1~deb12u1"}
	got := r.Findings[0].Vulnerability
	if got == nil || got.ID != want.ID || !slices.Equal(got.Aliases, want.Aliases) || got.Summary != want.Summary || got.URL != want.URL ||
		got.Score != want.Score || got.SeverityFrom != want.SeverityFrom || got.Package != want.Package || got.Ecosystem != want.Ecosystem ||
		got.PURL != want.PURL || got.Path != want.Path || got.Layer != want.Layer || got.Installed != want.Installed || got.Fixed != want.Fixed {
		t.Errorf("Vulnerability = %+v\nwant %+v", got, want)
	}
	// The finding's aliases are a copy: reports may not change the advisory.
	got.Aliases[0] = "changed"
	if advOpenSSL.Aliases[0] != "CVE-2024-0727" {
		t.Error("the finding shares the advisory's aliases")
	}
}

func TestIgnoreUnfixed(t *testing.T) {
	cfg := analyzer.DefaultConfig()
	cfg.Vulns = vulnMatcher()
	cfg.IgnoreUnfixed = true
	r := run(t, cfg, imgObj(vulnImage()))
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.Vulnerability.ID)
	}
	eq(t, "advisories", ids, []string{"DEBIAN-CVE-2024-0727", "GO-2023-2102"})

	// Nothing fixable: the image passes.
	cfg.Vulns = &fakeMatcher{byName: map[string][]vulndb.Match{"zlib1g": {{Advisory: advZlib}}}}
	r = run(t, cfg, imgObj(vulnImage()))
	eq(t, "passed", r.PassedOf(CtlVulnerable), []string{"Image/ghcr.io/acme/app:1.0"})
}

func TestVulnerabilitiesNotEvaluatedWithoutDatabase(t *testing.T) {
	r := run(t, nil, imgObj(vulnImage()))
	if r.WasEvaluated(CtlVulnerable, "Image/ghcr.io/acme/app:1.0") {
		t.Error("evaluated without a matcher")
	}
}

func TestImageWithoutPackagesPasses(t *testing.T) {
	cfg := analyzer.DefaultConfig()
	cfg.Vulns = vulnMatcher()
	r := run(t, cfg, imgObj(&image.Image{Name: "scratch-app", Config: image.Config{User: "1000"}}))
	eq(t, "passed", r.PassedOf(CtlVulnerable), []string{"Image/scratch-app"})
}

func TestMatcherErrorFailsTheScan(t *testing.T) {
	cfg := analyzer.DefaultConfig()
	boom := errors.New("database corrupt")
	cfg.Vulns = &fakeMatcher{err: boom}
	_, err := analyze(cfg, imgObj(vulnImage()))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "ghcr.io/acme/app:1.0") {
		t.Errorf("err = %v, want one naming the image and wrapping the matcher's", err)
	}
	cfg.Vulns = badIndexMatcher{}
	if _, err := analyze(cfg, imgObj(vulnImage())); err == nil || !strings.Contains(err.Error(), "package 7 of 3") {
		t.Errorf("err = %v for a match out of range", err)
	}
}

type badIndexMatcher struct{}

func (badIndexMatcher) Match([]packages.Package) ([]vulndb.Match, error) {
	return []vulndb.Match{{Package: 7, Advisory: advZlib}}, nil
}

func TestVulnMessageEdges(t *testing.T) {
	long := strings.Repeat("word ", 60)
	msg := vulnMessage(packages.Package{Name: "left-pad", Type: "npm", Location: "app/package-lock.json"},
		vulndb.Match{Advisory: vulndb.Advisory{ID: "GHSA-xxxx-yyyy-zzzz", Summary: "line one\nline\ttwo " + long}})
	if !strings.HasPrefix(msg, "left-pad in app/package-lock.json is affected by GHSA-xxxx-yyyy-zzzz: line one line two word") ||
		!strings.HasSuffix(msg, "…; no fixed version") || strings.Contains(msg, "\n") {
		t.Errorf("message = %q", msg)
	}
	p, others := advisoryIDs(vulndb.Advisory{ID: "CVE-2024-1", Aliases: []string{"CVE-2024-1", "GHSA-1", ""}})
	if p != "CVE-2024-1" || !slices.Equal(others, []string{"GHSA-1"}) {
		t.Errorf("advisoryIDs = %q %q", p, others)
	}
	p, others = advisoryIDs(vulndb.Advisory{ID: "GHSA-1", Aliases: []string{"GO-1", "GO-2", "PYSEC-1", "OSV-1"}})
	if p != "GHSA-1" || len(others) != 4 {
		t.Errorf("advisoryIDs = %q %q", p, others)
	}
	if got := list(others, 3); got != "GO-1, GO-2, PYSEC-1 and 1 more" {
		t.Errorf("list = %q", got)
	}
}
