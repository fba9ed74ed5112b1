package vulndb

import (
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/packages"
)

// Advisory is what a finding needs to know about one OSV record.
type Advisory struct {
	// ID is the OSV ID (GHSA-..., GO-..., DEBIAN-CVE-..., ALPINE-CVE-..., CVE-...).
	ID string `json:"id"`
	// Aliases are the record's aliases and upstream IDs (CVE-... first when there is one).
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	// Severity is computed from the highest CVSS base score of the record (or of the records it
	// aliases when it has none); SeverityFrom says where it came from ("CVSS:3.1/AV:N/...",
	// "database_specific: HIGH", or "unknown" when nothing says and Medium is assumed).
	Severity     catalog.Severity `json:"severity"`
	SeverityFrom string           `json:"severityFrom"`
	// Score is the CVSS base score behind Severity (0 when none).
	Score float64 `json:"score,omitempty"`
	// URL is the advisory's page (the first ADVISORY reference, else https://osv.dev/ID).
	URL      string `json:"url,omitempty"`
	Modified string `json:"modified,omitempty"`
}

// Match is one advisory affecting one package.
type Match struct {
	// Package is the index of the package in the slice given to Match.
	Package  int      `json:"package"`
	Advisory Advisory `json:"advisory"`
	// Fixed is the lowest version that fixes the advisory and is newer than the installed one
	// ("" when no fix is known).
	Fixed string `json:"fixed,omitempty"`
}

// Matcher finds the advisories that affect packages. *DB implements it; analyzers take the
// interface so that tests can use a fake.
type Matcher interface {
	Match(pkgs []packages.Package) ([]Match, error)
}
