// Package report renders a scan result (finding.Result) in the formats people and CI tools read:
// a human table, a versioned JSON document, SARIF 2.1.0 (GitHub code scanning and other SARIF
// consumers) and JUnit XML (CI test reports). docs/output.md describes every format.
package report

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	SARIF Format = "sarif"
	JUnit Format = "junit"
)

// Formats lists every format, in the order help texts show them.
var Formats = []Format{Table, JSON, SARIF, JUnit}

// ParseFormat accepts a format name (case-insensitive).
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(strings.TrimSpace(s), string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown output format %q (want table, json, sarif or junit)", s)
}

// Options shape a report.
type Options struct {
	// ToolVersion is kube4c's version, e.g. "v0.1.0" or "dev" ("dev" when empty).
	ToolVersion string
	// Color enables ANSI colours in the table format (the CLI sets it only when stdout is a
	// terminal). Other formats ignore it.
	Color bool
	// MinSeverity leaves out every control below this severity: its findings are not rendered and
	// its checks are not counted, so counts and scores describe exactly what the report shows.
	MinSeverity catalog.Severity
	// BaseDir is the directory relative SARIF artifact URIs are relative to (the CLI passes the
	// working directory). Relative file names in findings are taken as relative to it.
	BaseDir string
}

// SchemaVersion identifies the JSON report schema (docs/report.schema.json).
const SchemaVersion = "kube4c.io/report/v1"

// InformationURI is the project's home page, used by SARIF.
const InformationURI = "https://github.com/kube4c/kube4c"

// Write renders res in format f. Invalid input — an unknown format, or a control ID the catalog
// does not know (a programming error) — is rejected before anything is written; after that only
// the writer can fail. Reports for large scans are tens of megabytes, so they are written as they
// are rendered rather than buffered whole (the CLI writes --output-file atomically).
func Write(w io.Writer, f Format, res *finding.Result, opts Options) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	switch f {
	case Table, JSON, SARIF, JUnit:
	default:
		return fmt.Errorf("report: unknown format %q", f)
	}
	if err := checkControls(res); err != nil {
		return err
	}
	if opts.ToolVersion == "" {
		opts.ToolVersion = "dev"
	}
	v := newView(res, opts.MinSeverity)
	switch f {
	case Table:
		return writeTable(w, v, opts)
	case JSON:
		return writeJSON(w, v, opts)
	case SARIF:
		return writeSARIF(w, v, opts)
	default:
		return writeJUnit(w, v, opts)
	}
}

// checkControls reports every control ID of findings and passed checks that the catalog does not
// know.
func checkControls(res *finding.Result) error {
	unknown := map[string]bool{}
	for _, f := range res.Findings {
		if _, ok := catalog.Lookup(f.ControlID); !ok {
			unknown[f.ControlID] = true
		}
	}
	for _, c := range res.Passed {
		if _, ok := catalog.Lookup(c.ControlID); !ok {
			unknown[c.ControlID] = true
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	ids := make([]string, 0, len(unknown))
	for id := range unknown {
		ids = append(ids, fmt.Sprintf("%q", id))
	}
	sort.Strings(ids)
	return fmt.Errorf("report: unknown control ID %s (not in the catalog)", strings.Join(ids, ", "))
}

// item is a finding with its control and its severity (the control's, unless the finding has
// its own: a vulnerable package is as severe as its advisory).
type item struct {
	finding.Finding
	Control  *catalog.Control
	Severity catalog.Severity
}

// check is a passed control × resource pair with its control.
type check struct {
	finding.Check
	Control *catalog.Control
}

// view is the part of a result a report shows: findings and checks of controls at or above the
// minimum severity, sorted deterministically. Everything else is copied from the result.
type view struct {
	res      *finding.Result
	items    []item  // every finding (suppressed ones too), sorted
	passed   []check // sorted
	notEval  []finding.NotEvaluated
	summary  Summary
	minLevel catalog.Severity
}

var layerOrder = func() map[catalog.Layer]int {
	m := map[catalog.Layer]int{}
	for i, l := range catalog.Layers {
		m[l] = i
	}
	return m
}()

func layerIndex(l catalog.Layer) int {
	if i, ok := layerOrder[l]; ok {
		return i
	}
	return len(catalog.Layers)
}

// controlLess orders controls by layer (report order), severity (worst first) and ID.
func controlLess(a, b catalog.Control) (less, equal bool) {
	if la, lb := layerIndex(a.Layer), layerIndex(b.Layer); la != lb {
		return la < lb, false
	}
	if a.Severity != b.Severity {
		return a.Severity > b.Severity, false
	}
	if a.ID != b.ID {
		return a.ID < b.ID, false
	}
	return false, true
}

func newView(res *finding.Result, min catalog.Severity) *view {
	v := &view{res: res, minLevel: min}
	// Controls are looked up once and shared: a large scan has hundreds of thousands of checks.
	controls := map[string]*catalog.Control{}
	lookup := func(id string) (*catalog.Control, bool) {
		if c, ok := controls[id]; ok {
			return c, c != nil
		}
		c, ok := catalog.Lookup(id)
		if !ok {
			controls[id] = nil
			return nil, false
		}
		controls[id] = &c
		return &c, true
	}
	type itemKey struct {
		res, path string
		i         int
	}
	var ikeys []itemKey
	for _, f := range res.Findings {
		c, ok := lookup(f.ControlID)
		if !ok {
			continue
		}
		sev := c.Severity
		if f.Severity != nil {
			sev = *f.Severity
		}
		if sev < min {
			continue
		}
		ikeys = append(ikeys, itemKey{res: f.Resource.Key(), path: f.Path.String(), i: len(v.items)})
		v.items = append(v.items, item{Finding: f, Control: c, Severity: sev})
	}
	slices.SortStableFunc(ikeys, func(ka, kb itemKey) int {
		a, b := &v.items[ka.i], &v.items[kb.i]
		if less, eq := controlLess(*a.Control, *b.Control); !eq {
			if less {
				return -1
			}
			return 1
		}
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		if c := strings.Compare(ka.res, kb.res); c != 0 {
			return c
		}
		if c := strings.Compare(a.Location.File, b.Location.File); c != 0 {
			return c
		}
		if a.Location.Line != b.Location.Line {
			return a.Location.Line - b.Location.Line
		}
		if c := strings.Compare(ka.path, kb.path); c != 0 {
			return c
		}
		if c := strings.Compare(vulnKey(a.Vulnerability), vulnKey(b.Vulnerability)); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	sortedItems := make([]item, len(ikeys))
	for n, k := range ikeys {
		sortedItems[n] = v.items[k.i]
	}
	v.items = sortedItems
	type checkKey struct {
		res string
		i   int
	}
	var ckeys []checkKey
	for _, p := range res.Passed {
		c, ok := lookup(p.ControlID)
		if !ok || c.Severity < min {
			continue
		}
		ckeys = append(ckeys, checkKey{res: p.Resource.Key(), i: len(v.passed)})
		v.passed = append(v.passed, check{Check: p, Control: c})
	}
	slices.SortStableFunc(ckeys, func(ka, kb checkKey) int {
		a, b := v.passed[ka.i].Control, v.passed[kb.i].Control
		if less, eq := controlLess(*a, *b); !eq {
			if less {
				return -1
			}
			return 1
		}
		return strings.Compare(ka.res, kb.res)
	})
	sortedPassed := make([]check, len(ckeys))
	for n, k := range ckeys {
		sortedPassed[n] = v.passed[k.i]
	}
	v.passed = sortedPassed
	for _, n := range res.NotEvaluated {
		if c, ok := catalog.Lookup(n.ControlID); ok && c.Severity < min {
			continue
		}
		v.notEval = append(v.notEval, n)
	}
	v.summary = summarize(v.items, v.passed, res)
	v.summary.NotEvaluated = len(v.notEval)
	return v
}

// pairKey identifies a control × resource pair.
func pairKey(controlID string, r finding.Resource) string {
	return controlID + "\x00" + r.Key()
}

// Fingerprint is a stable identity of a finding across scans: a SHA-256 over the control ID,
// the resource key (Kind/namespace/name) and the field path, and for a vulnerable package the
// advisory, the package and the file it was read from. Line numbers, messages, installed and
// fixed versions are not part of it, so edits elsewhere in a file and package upgrades that do
// not fix the advisory do not change it.
func Fingerprint(f finding.Finding) string {
	h := sha256.New()
	h.Write([]byte("kube4c/v1\x00" + f.ControlID + "\x00" + f.Resource.Key() + "\x00" + f.Path.String()))
	if f.Vulnerability != nil {
		h.Write([]byte("\x00" + vulnKey(f.Vulnerability)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// vulnKey identifies the advisory × package of a vulnerable-package finding ("" for others).
func vulnKey(v *finding.Vulnerability) string {
	if v == nil {
		return ""
	}
	return v.ID + "\x00" + v.Ecosystem + "\x00" + v.Package + "\x00" + v.Path
}

// sanitize makes untrusted text safe for a single line of terminal or XML output: control
// characters (including ESC, which could drive the terminal) become spaces.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return ' '
		}
		return r
	}, s)
}

// where renders a location as file:line, file, or "" without a file.
func where(file string, line int) string {
	switch {
	case file == "":
		return ""
	case line > 0:
		return fmt.Sprintf("%s:%d", file, line)
	default:
		return file
	}
}
