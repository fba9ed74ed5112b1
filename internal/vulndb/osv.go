// Package vulndb is kube4c's local vulnerability database: OSV records (https://ossf.github.io/osv-schema/)
// imported from the per-ecosystem all.zip files OSV publishes or from folders of OSV JSON, kept
// in one bbolt file indexed by ecosystem and package, and matched against packages found in
// images and directories with each ecosystem's own version ordering (osv-scalibr's semantic
// package). Opening and matching never touch the network; only Update downloads, and it
// replaces the database file atomically.
package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxRecordSize is the largest OSV JSON record read (the largest published records are a few
// hundred KiB: kernel advisories with thousands of versions).
const MaxRecordSize = 16 << 20

// record is the part of an OSV record kube4c reads.
type record struct {
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Upstream         []string        `json:"upstream"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []severity      `json:"severity"`
	Affected         []affected      `json:"affected"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
	References       []reference     `json:"references"`
}

type severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type affected struct {
	Package           pkgRef          `json:"package"`
	Severity          []severity      `json:"severity"`
	Ranges            []rng           `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type pkgRef struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl"`
}

type rng struct {
	Type   string  `json:"type"`
	Events []event `json:"events"`
}

type event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// parseRecord decodes one OSV record and checks the fields matching relies on.
func parseRecord(b []byte) (*record, error) {
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("record is %d bytes, larger than the %d byte limit", len(b), MaxRecordSize)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	if r.ID == "" {
		return nil, errors.New("not an OSV record: no id")
	}
	if len(r.ID) > 256 || strings.ContainsAny(r.ID, "\x00\n") {
		return nil, fmt.Errorf("not an OSV record: invalid id %.40q", r.ID)
	}
	for i, a := range r.Affected {
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue // affected entries without a package (e.g. git-only) are not matched
		}
		if strings.Contains(a.Package.Ecosystem, "\x00") || strings.Contains(a.Package.Name, "\x00") {
			return nil, fmt.Errorf("%s: affected[%d]: NUL in the package name", r.ID, i)
		}
	}
	return &r, nil
}

// ecosystemBase is the ecosystem without its release ("Debian:12" → "Debian").
func ecosystemBase(e string) string {
	base, _, _ := strings.Cut(e, ":")
	return base
}

// ecosystemRelease is the first release component ("Debian:12" → "12", "Ubuntu:22.04:LTS" →
// "22.04", "Alpine:v3.20" → "v3.20"; "" when there is none).
func ecosystemRelease(e string) string {
	_, rel, _ := strings.Cut(e, ":")
	rel, _, _ = strings.Cut(rel, ":")
	return rel
}

// textSeverity is a qualitative severity some databases give instead of a CVSS vector: GitHub's
// database_specific.severity, Debian's and Ubuntu's ecosystem_specific urgency/priority.
func textSeverity(raws ...json.RawMessage) string {
	for _, raw := range raws {
		if len(raw) == 0 {
			continue
		}
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		for _, k := range []string{"severity", "urgency", "priority"} {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

// advisoryURL is the first ADVISORY reference, else the record's osv.dev page.
func advisoryURL(r *record) string {
	for _, ref := range r.References {
		if ref.Type == "ADVISORY" && strings.HasPrefix(ref.URL, "https://") {
			return ref.URL
		}
	}
	return "https://osv.dev/vulnerability/" + r.ID
}
