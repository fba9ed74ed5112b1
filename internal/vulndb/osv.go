// Package vulndb is kube4c's local vulnerability database: OSV records (https://ossf.github.io/osv-schema/)
// imported from the per-ecosystem all.zip files OSV publishes or from folders of OSV JSON, kept
// in one bbolt file indexed by ecosystem and package, and matched against packages found in
// images and directories with each ecosystem's own version ordering (osv-scalibr's semantic
// package). Opening and matching never touch the network; only Update downloads, and every
// change builds a new file that replaces the old one atomically. See docs/vulndb.md.
package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on what is read. The largest published OSV records are a few hundred KiB (kernel
// advisories listing thousands of versions); names and IDs are short.
const (
	// MaxRecordSize is the largest OSV JSON record (one file, or one zip entry) read.
	MaxRecordSize = 16 << 20
	// maxIDLen bounds IDs and aliases, maxNameLen package names and ecosystems: they become
	// keys of the database (bbolt keys are at most 32 KiB).
	maxIDLen   = 256
	maxNameLen = 1024
)

// record is the part of an OSV record kube4c reads. Plain structs rather than the protobuf
// bindings: encoding/json is enough for these fields and tolerates what it does not know.
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

// parseRecord decodes one OSV record and checks what the database relies on: an ID, and keys
// (IDs, aliases, ecosystems, package names) of sane length without NUL bytes.
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
	if !validKey(r.ID, maxIDLen) {
		return nil, fmt.Errorf("not an OSV record: invalid id %.40q", r.ID)
	}
	for i, a := range r.Affected {
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue // affected entries without a package (git-only) are not matched
		}
		if !validKey(a.Package.Ecosystem, maxNameLen) || !validKey(a.Package.Name, maxNameLen) {
			return nil, fmt.Errorf("%s: affected[%d]: invalid package %.40q of ecosystem %.40q", r.ID, i, a.Package.Name, a.Package.Ecosystem)
		}
	}
	return &r, nil
}

// validKey reports whether s can be part of a database key: not empty, not too long, valid
// UTF-8 without NUL (the key separator).
func validKey(s string, most int) bool {
	return s != "" && len(s) <= most && utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// ecosystemBase is the ecosystem without its release ("Debian:12" → "Debian").
func ecosystemBase(e string) string {
	base, _, _ := strings.Cut(e, ":")
	return base
}

// ecosystemRelease is what must be equal for a record's ecosystem to cover a package's ("" when
// the ecosystem names no release, which covers every release):
//
//	Debian:12 → 12                          Alpine:v3.20 → v3.20
//	Ubuntu:22.04:LTS → 22.04                Ubuntu:Pro:18.04:LTS → Pro:18.04
//	Red Hat:enterprise_linux:9::appstream → enterprise_linux:9 (the repository is not compared:
//	an installed package does not say which repository it came from)
func ecosystemRelease(e string) string {
	base, rel, _ := strings.Cut(e, ":")
	switch base {
	case "Ubuntu":
		rel = strings.TrimSuffix(rel, ":LTS")
	case "Red Hat":
		if parts := strings.Split(rel, ":"); len(parts) > 2 {
			rel = parts[0] + ":" + parts[1]
		}
	}
	return rel
}

// textSeverity is a qualitative severity some databases give instead of (or besides) a CVSS
// vector — GitHub's database_specific.severity, Debian's ecosystem_specific.urgency — as
// "label: value" ("database_specific: MODERATE"); "" when the object has none.
func textSeverity(label string, raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '{' {
		return ""
	}
	var m struct {
		Severity, Urgency, Priority json.RawMessage
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, v := range []json.RawMessage{m.Severity, m.Urgency, m.Priority} {
		var s string
		if len(v) > 0 && v[0] == '"' && len(v) <= 66 && json.Unmarshal(v, &s) == nil && strings.TrimSpace(s) != "" {
			return label + ": " + s
		}
	}
	return ""
}

// textValue is the value of a textSeverity ("MODERATE" of "database_specific: MODERATE").
func textValue(text string) string {
	if i := strings.LastIndex(text, ": "); i >= 0 {
		text = text[i+2:]
	}
	return strings.ToLower(strings.TrimSpace(strings.TrimRight(text, "*")))
}

// advisoryURL is the first https ADVISORY reference, else database_specific.url (Go's
// pkg.go.dev/vuln pages), else the record's osv.dev page.
func advisoryURL(r *record) string {
	for _, ref := range r.References {
		if ref.Type == "ADVISORY" && strings.HasPrefix(ref.URL, "https://") && len(ref.URL) < 2048 {
			return ref.URL
		}
	}
	if len(r.DatabaseSpecific) > 0 && r.DatabaseSpecific[0] == '{' {
		var ds struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(r.DatabaseSpecific, &ds) == nil && strings.HasPrefix(ds.URL, "https://") && len(ds.URL) < 2048 {
			return ds.URL
		}
	}
	return "https://osv.dev/vulnerability/" + r.ID
}

// summary is the record's summary, or the first line of its details, at most 300 bytes.
func summary(r *record) string {
	s := r.Summary
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(r.Details), "\n")
	}
	const most = 300
	if len(s) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
