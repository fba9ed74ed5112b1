package vulndb

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/packages"
	bolt "go.etcd.io/bbolt"
)

// sourceKeyed are the ecosystems whose packages are also looked up by their source package:
// OSV's Debian and Ubuntu records name source packages, Alpine's and its relatives' name the
// origin; RPM distributions' records name binary packages, but all binaries of a source rpm
// share its version, so the source name finds the same advisories.
var sourceKeyed = map[string]bool{"Debian": true, "Ubuntu": true, "Alpine": true, "Wolfi": true, "Chainguard": true,
	"MinimOS": true, "Alpaquita": true, "BellSoft Hardened Containers": true,
	"Red Hat": true, "AlmaLinux": true, "Rocky Linux": true, "openSUSE": true, "SUSE": true, "Mageia": true,
	"openEuler": true, "Azure Linux": true}

// semverEcosystems have versions that must start with a digit once a "v" (and Go's "go") prefix
// is removed: semantic's parser accepts anything, and "(devel)" would sort before every version.
var semverEcosystems = map[string]bool{"Go": true, "npm": true, "crates.io": true}

// Skipped is a package Match could not judge.
type Skipped struct {
	// Package is the index of the package in the slice given to Match.
	Package int    `json:"package"`
	Reason  string `json:"reason"`
}

// Match finds the advisories that affect the packages: one Match per package and advisory.
// Packages that cannot be judged (no ecosystem, no version, a version that cannot be ordered)
// are left out; MatchDetailed says which. It never touches the network, and is safe for
// concurrent use.
func (d *DB) Match(pkgs []packages.Package) ([]Match, error) {
	ms, _, err := d.MatchDetailed(pkgs)
	return ms, err
}

// MatchDetailed is Match, also returning the packages it could not judge and why: packages
// without an ecosystem or a version, and packages with advisories in the database whose version
// does not parse in their ecosystem (e.g. a Go binary's "(devel)" main module). Such a package
// may still match advisories that list its version explicitly.
func (d *DB) MatchDetailed(pkgs []packages.Package) ([]Match, []Skipped, error) {
	var (
		out     []Match
		skipped []Skipped
	)
	err := d.view(func(tx *bolt.Tx) error {
		m := &matcher{tx: tx, pb: tx.Bucket(bucketPkg), advs: map[string]*baseAdvisory{}, vers: map[verKey]verVal{}}
		for i, p := range pkgs {
			switch {
			case p.Name == "":
				continue
			case p.Ecosystem == "":
				skipped = append(skipped, Skipped{i, "no OSV ecosystem (for an operating system package: the distribution or its release is unknown)"})
				continue
			case p.Version == "":
				skipped = append(skipped, Skipped{i, "no version"})
				continue
			}
			ms, perr, err := m.pkg(i, p)
			if err != nil {
				return err
			}
			out = append(out, ms...)
			if perr != nil {
				skipped = append(skipped, Skipped{i, perr.Error()})
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, skipped, nil
}

// matcher matches packages within one read transaction, caching parsed versions and advisories.
type matcher struct {
	tx   *bolt.Tx
	pb   *bolt.Bucket
	advs map[string]*baseAdvisory
	vers map[verKey]verVal
}

type verKey struct{ eco, v string }

type verVal struct {
	v   semantic.Version
	err error
}

// pkg matches one package. perr, when set, says that some advisories could not be evaluated
// because the package's version does not parse.
func (m *matcher) pkg(i int, p packages.Package) (out []Match, perr error, err error) {
	base, rel := ecosystemBase(p.Ecosystem), ecosystemRelease(p.Ecosystem)
	names := []string{p.Name}
	if p.SourceName != "" && p.SourceName != p.Name && sourceKeyed[base] {
		names = append(names, p.SourceName)
	}
	var seen map[string]bool
	for _, name := range names {
		prefix := []byte(base + "\x00" + name + "\x00")
		c := m.pb.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			id := string(k[len(prefix):])
			if seen[id] {
				continue
			}
			entries, err := decodeAffected(v)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: %w (import again with --replace)", k, err)
			}
			hit, fixed, text := false, "", ""
			for _, e := range entries {
				if er := ecosystemRelease(e.Ecosystem); er != "" && er != rel {
					continue
				}
				ok, f, err := m.affects(p.Version, base, e)
				if err != nil && perr == nil {
					perr = err
				}
				if ok {
					if !hit || text == "" {
						text = e.Text
					}
					hit = true
					fixed = m.lower(base, fixed, f)
				}
			}
			if !hit {
				continue
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[id] = true
			a, err := m.advisory(id)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, Match{Package: i, Advisory: a.forEntry(base, text), Fixed: fixed})
		}
	}
	return out, perr, nil
}

// parse parses a version with the ordering of a range: semantic versioning for SEMVER ranges,
// the ecosystem's own for ECOSYSTEM ranges. Go versions lose their "v" (modules) or "go"
// (toolchain, "stdlib") prefix: OSV's Go records have none.
func (m *matcher) parse(v, base string, semver bool) (semantic.Version, error) {
	eco := base
	if semver {
		eco = "SEMVER"
	}
	k := verKey{eco, v}
	if c, ok := m.vers[k]; ok {
		return c.v, c.err
	}
	pv, err := parseVersion(v, base, semver)
	m.vers[k] = verVal{pv, err}
	return pv, err
}

func parseVersion(v, base string, semver bool) (pv semantic.Version, err error) {
	defer func() {
		if r := recover(); r != nil {
			pv, err = nil, fmt.Errorf("version %.60q cannot be ordered in %s", v, base)
		}
	}()
	s := v
	if base == "Go" {
		s = strings.TrimPrefix(s, "go")
	}
	if semver || semverEcosystems[base] {
		s = strings.TrimPrefix(s, "v")
		if s == "" || s[0] < '0' || s[0] > '9' {
			return nil, fmt.Errorf("version %.60q is not a semantic version", v)
		}
	}
	if semver {
		return semantic.ParseSemverVersion(s), nil
	}
	pv, err = semantic.Parse(s, base)
	if err != nil {
		return nil, fmt.Errorf("version %.60q cannot be ordered in %s: %w", v, base, err)
	}
	return pv, nil
}

// compare compares two parsed versions; ok is false when they cannot be compared.
func compare(a, b semantic.Version) (c int, ok bool) {
	c, err := a.Compare(b)
	return c, err == nil
}

// affects reports whether the installed version is in an affected entry: listed in its
// versions, or in one of its ranges. fixed is the lowest fixed version above the installed one
// in the ranges that contain it ("" when none is known). err is set when the installed version
// does not parse (ranges cannot be evaluated); a range whose own versions do not parse is ignored.
//
// A range is evaluated as the OSV schema describes: events in version order, "introduced" opens
// it (introduced "0" before every version), "fixed" and "limit" close it at their version,
// "last_affected" closes it after its version.
func (m *matcher) affects(installed, base string, e storedAffected) (hit bool, fixed string, err error) {
	hit = slices.Contains(e.Versions, installed)
	if !hit && base == "Go" {
		hit = slices.Contains(e.Versions, strings.TrimPrefix(strings.TrimPrefix(installed, "go"), "v"))
	}
	for _, r := range e.Ranges {
		pv, perr := m.parse(installed, base, r.Semver)
		if perr != nil {
			err = perr
			continue
		}
		// The last event at or below the installed version decides (ties: the later event).
		var (
			last    byte
			lastVer semantic.Version
			bad     bool
		)
		for _, ev := range r.Events {
			if ev.Kind == evIntroduced && ev.Version == "0" {
				if last == 0 {
					last = evIntroduced
				}
				continue
			}
			v, verr := m.parse(ev.Version, base, r.Semver)
			if verr != nil {
				bad = true
				break
			}
			c, ok := compare(pv, v)
			if !ok {
				bad = true
				break
			}
			below := c >= 0
			if ev.Kind == evLastAffected {
				below = c > 0 // the last affected version itself is affected
			}
			if !below {
				continue
			}
			if lastVer != nil {
				if lc, ok := compare(v, lastVer); !ok || lc < 0 {
					continue
				}
			}
			last, lastVer = ev.Kind, v
		}
		if bad || last != evIntroduced {
			continue
		}
		hit = true
		for _, ev := range r.Events {
			if ev.Kind != evFixed {
				continue
			}
			if v, verr := m.parse(ev.Version, base, r.Semver); verr == nil {
				if c, ok := compare(v, pv); ok && c > 0 {
					fixed = m.lower(base, fixed, ev.Version)
				}
			}
		}
	}
	return hit, fixed, err
}

// lower is the lower of two fixed versions ("" is no version).
func (m *matcher) lower(base, a, b string) string {
	if a == "" || a == b {
		return b
	}
	if b == "" {
		return a
	}
	// Fixed versions of one ecosystem: ordered as such (semantic versions are too, for Go and npm).
	semver := semverEcosystems[base]
	va, erra := m.parse(a, base, semver)
	vb, errb := m.parse(b, base, semver)
	if erra != nil || errb != nil {
		return a
	}
	if c, ok := compare(va, vb); ok && c > 0 {
		return b
	}
	return a
}

// baseAdvisory is an advisory with the severity its record (and related records) give.
type baseAdvisory struct {
	Advisory
	// rated is true when a CVSS vector or the record's own qualitative severity decided.
	rated bool
}

// forEntry is the advisory as one matching affected entry sees it: without a rating of the
// record, the entry's qualitative severity (Debian's urgency) decides. Debian entries marked
// "unimportant" are low whatever the CVSS score: Debian's security team found that the
// vulnerable code is not built or not used in Debian's package.
func (a *baseAdvisory) forEntry(base, text string) Advisory {
	out := a.Advisory
	out.Aliases = slices.Clone(out.Aliases)
	sev, ok := textToSeverity(text)
	switch {
	case base == "Debian" && textValue(text) == "unimportant":
		out.Severity, out.SeverityFrom, out.Score = catalog.Low, "Debian urgency: unimportant", 0
	case !a.rated && ok:
		out.Severity, out.SeverityFrom = sev, text
	}
	return out
}

// advisory builds what a finding needs of a stored record. Its severity is the highest CVSS base
// score of the record; without a vector, of the records it names as aliases or upstream, else of
// the records about the same vulnerability that name it or its aliases (those naming a single CVE:
// a distribution's bundle advisory rates its worst CVE); then the record's qualitative severity;
// else (forEntry) the affected entry's; else medium, marked "unknown".
func (m *matcher) advisory(id string) (*baseAdvisory, error) {
	if a, ok := m.advs[id]; ok {
		return a, nil
	}
	sa, err := m.load(id)
	if err != nil || sa == nil {
		return nil, fmt.Errorf("advisory %s: missing or corrupt (import again with --replace): %v", id, err)
	}
	a := &baseAdvisory{Advisory: Advisory{ID: sa.ID, Summary: sa.Summary, URL: sa.URL, Modified: sa.Modified, Aliases: sa.Aliases}}
	m.advs[id] = a
	if score, sev, vec, ok := best(sa.Vectors); ok {
		a.Score, a.Severity, a.SeverityFrom, a.rated = score, sev, vec, true
		return a, nil
	}
	// Records this one names.
	var direct []severity
	for _, al := range sa.Aliases {
		if r, _ := m.load(al); r != nil {
			direct = append(direct, r.Vectors...)
		}
	}
	if score, sev, vec, ok := best(direct); ok {
		a.Score, a.Severity, a.SeverityFrom, a.rated = score, sev, vec, true
		return a, nil
	}
	// Records naming this one or one of its aliases, about a single CVE.
	var indirect []severity
	ab := m.tx.Bucket(bucketAlias)
	seen := map[string]bool{id: true}
	for _, n := range append([]string{id}, sa.Aliases...) {
		prefix := []byte(n + "\x00")
		c := ab.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(seen) < 64; k, _ = c.Next() {
			rid := string(k[len(prefix):])
			if seen[rid] {
				continue
			}
			seen[rid] = true
			if r, _ := m.load(rid); r != nil && cves(r.Aliases) <= 1 {
				indirect = append(indirect, r.Vectors...)
			}
		}
	}
	if score, sev, vec, ok := best(indirect); ok {
		a.Score, a.Severity, a.SeverityFrom, a.rated = score, sev, vec, true
		return a, nil
	}
	if s, ok := textToSeverity(sa.Text); ok {
		a.Severity, a.SeverityFrom, a.rated = s, sa.Text, true
		return a, nil
	}
	a.Severity, a.SeverityFrom = catalog.Medium, "unknown"
	return a, nil
}

func cves(ids []string) int {
	n := 0
	for _, s := range ids {
		if strings.HasPrefix(s, "CVE-") {
			n++
		}
	}
	return n
}

func (m *matcher) load(id string) (*storedAdvisory, error) {
	b := m.tx.Bucket(bucketAdv).Get([]byte(id))
	if b == nil {
		return nil, nil
	}
	return decodeAdvisory(b)
}
