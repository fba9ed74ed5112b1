package image

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/packages"
	"github.com/kube4c/kube4c/internal/vulndb"
)

// osPackageTypes are the package types read from an operating system's package database: their
// Location (/var/lib/dpkg/status, ...) says nothing the package name does not, so messages leave
// it out. Other packages (a Go binary, a lock file) name the file they were read from.
var osPackageTypes = map[string]bool{"dpkg": true, "apk": true, "rpm": true}

// maxSummary is the longest advisory summary a message quotes, in characters.
const maxSummary = 160

// vulnerabilities reports one finding per package and advisory the matcher returns. The finding
// is on the image (no field path: the report tells findings apart by their Vulnerability) and as
// severe as the advisory.
func (j judge) vulnerabilities(m vulndb.Matcher, ignoreUnfixed bool) error {
	pkgs := j.img.Packages
	matches, err := m.Match(pkgs)
	if err != nil {
		return fmt.Errorf("image %s: matching its packages against the vulnerability database: %w", j.o.Name, err)
	}
	j.eval(CtlVulnerable)
	slices.SortStableFunc(matches, func(a, b vulndb.Match) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), strings.Compare(a.Advisory.ID, b.Advisory.ID))
	})
	type key struct {
		pkg int
		id  string
	}
	seen := map[key]bool{}
	for _, mt := range matches {
		if mt.Package < 0 || mt.Package >= len(pkgs) {
			return fmt.Errorf("image %s: the vulnerability database matched package %d of %d", j.o.Name, mt.Package, len(pkgs))
		}
		if ignoreUnfixed && mt.Fixed == "" {
			continue
		}
		k := key{mt.Package, mt.Advisory.ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		p := pkgs[mt.Package]
		adv := mt.Advisory
		f := finding.New(CtlVulnerable, j.o, nil, vulnMessage(p, mt))
		sev := adv.Severity
		f.Severity = &sev
		f.Vulnerability = &finding.Vulnerability{
			ID: adv.ID, Aliases: slices.Clone(adv.Aliases), Summary: adv.Summary, URL: adv.URL,
			Score: adv.Score, SeverityFrom: adv.SeverityFrom,
			Package: p.Name, Ecosystem: p.Ecosystem, PURL: p.PURL, Path: p.Location, Layer: p.Layer,
			Installed: p.Version, Fixed: mt.Fixed,
		}
		j.rec.Fail(f)
	}
	return nil
}

// vulnMessage renders a match compactly:
//
//	libssl3 3.0.11-1~deb12u1 (source openssl) is affected by CVE-2024-0727 (DEBIAN-CVE-2024-0727): OpenSSL denial of service ...; fixed in 3.0.13-1~deb12u1
//	golang.org/x/net v0.17.0 in /usr/local/bin/app is affected by CVE-2023-44487 (GHSA-qppj-fm5r-hxr3, GO-2023-2102): ...; no fixed version
func vulnMessage(p packages.Package, m vulndb.Match) string {
	var b strings.Builder
	b.WriteString(p.Name)
	if p.Version != "" {
		b.WriteString(" " + p.Version)
	}
	if p.SourceName != "" && p.SourceName != p.Name {
		b.WriteString(" (source " + p.SourceName + ")")
	}
	if p.Location != "" && !osPackageTypes[p.Type] {
		b.WriteString(" in " + p.Location)
	}
	primary, others := advisoryIDs(m.Advisory)
	b.WriteString(" is affected by " + primary)
	if len(others) > 0 {
		b.WriteString(" (" + list(others, 3) + ")")
	}
	if s := summary(m.Advisory.Summary); s != "" {
		b.WriteString(": " + s)
	}
	if m.Fixed != "" {
		b.WriteString("; fixed in " + m.Fixed)
	} else {
		b.WriteString("; no fixed version")
	}
	return b.String()
}

// advisoryIDs returns the ID to show first — the CVE when the advisory has one, as people search
// for it — and the other IDs (the OSV ID and the other aliases) without repeats.
func advisoryIDs(a vulndb.Advisory) (string, []string) {
	primary := a.ID
	if !strings.HasPrefix(a.ID, "CVE-") {
		for _, al := range a.Aliases {
			if strings.HasPrefix(al, "CVE-") {
				primary = al
				break
			}
		}
	}
	var others []string
	for _, id := range append([]string{a.ID}, a.Aliases...) {
		if id != "" && id != primary && !slices.Contains(others, id) {
			others = append(others, id)
		}
	}
	return primary, others
}

// summary is the advisory's summary on one line, cut to maxSummary characters.
func summary(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxSummary {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:maxSummary-1])) + "…"
}
