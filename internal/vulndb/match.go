package vulndb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/packages"
	bolt "go.etcd.io/bbolt"
)

// osPackageEcosystems are ecosystems whose OSV records name source packages (Debian, Ubuntu) or
// origins (Alpine and its relatives): their packages are also looked up by SourceName.
var sourceKeyed = map[string]bool{"Debian": true, "Ubuntu": true, "Alpine": true, "Wolfi": true, "Chainguard": true,
	"MinimOS": true, "Alpaquita": true, "BellSoft Hardened Containers": true}

// Match finds the advisories that affect the packages. Packages without an ecosystem, of an
// ecosystem kube4c cannot order versions of, or whose version does not parse are not matched
// (they cannot be judged either way). It never touches the network.
func (d *DB) Match(pkgs []packages.Package) ([]Match, error) {
	var out []Match
	err := d.db.View(func(tx *bolt.Tx) error {
		pb := tx.Bucket(bucketPkg)
		advs := map[string]Advisory{}
		for i, p := range pkgs {
			if p.Ecosystem == "" || p.Name == "" || p.Version == "" {
				continue
			}
			base := ecosystemBase(p.Ecosystem)
			names := []string{p.Name}
			if p.SourceName != "" && p.SourceName != p.Name && sourceKeyed[base] {
				names = append(names, p.SourceName)
			}
			seen := map[string]bool{}
			for _, name := range names {
				prefix := []byte(base + "\x00" + name + "\x00")
				c := pb.Cursor()
				for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
					id := string(k[len(prefix):])
					if seen[id] {
						continue
					}
					var entries []storedAffected
					if err := json.Unmarshal(v, &entries); err != nil {
						return fmt.Errorf("corrupt entry %q: %w (import again)", k, err)
					}
					hit, fixed := false, ""
					for _, e := range entries {
						if !sameRelease(e.Ecosystem, p.Ecosystem) {
							continue
						}
						if ok, f := affects(p.Version, base, e); ok {
							hit = true
							fixed = lower(base, fixed, f)
						}
					}
					if !hit {
						continue
					}
					seen[id] = true
					a, ok := advs[id]
					if !ok {
						var err error
						if a, err = advisory(tx, id); err != nil {
							return err
						}
						advs[id] = a
					}
					out = append(out, Match{Package: i, Advisory: a, Fixed: fixed})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vulnerability database %s: %w", d.path, err)
	}
	return out, nil
}

// sameRelease reports whether an affected entry's ecosystem covers the package's: the same
// release, or an entry without a release (which covers them all).
func sameRelease(entry, pkg string) bool {
	re := ecosystemRelease(entry)
	return re == "" || re == ecosystemRelease(pkg)
}

// normalize makes versions of an ecosystem comparable with OSV's: Go module versions carry a "v"
// and the standard library a "go" prefix that OSV's Go records do not.
func normalize(v, base string) string {
	if base == "Go" {
		v = strings.TrimPrefix(v, "go")
		v = strings.TrimPrefix(v, "v")
	}
	return v
}

// parse parses a version with the ordering of the range type: the ecosystem's for ECOSYSTEM
// ranges, semantic versioning for SEMVER ranges (npm's parser is plain SemVer 2.0).
func parse(v, base, rangeType string) (semantic.Version, error) {
	eco := base
	if rangeType == "SEMVER" {
		eco = "npm"
		v = strings.TrimPrefix(v, "v")
	}
	return semantic.Parse(normalize(v, base), eco)
}

// affects reports whether the installed version is in an affected entry, and the lowest fixed
// version above it ("" when none is known).
func affects(installed, base string, e storedAffected) (bool, string) {
	hit := slices.Contains(e.Versions, installed) || slices.Contains(e.Versions, normalize(installed, base))
	fixed := ""
	for _, r := range e.Ranges {
		pv, err := parse(installed, base, r.Type)
		if err != nil {
			continue
		}
		type ev struct {
			e event
			v semantic.Version // nil for introduced "0"
		}
		var evs []ev
		bad := false
		for _, x := range r.Events {
			s := x.Introduced + x.Fixed + x.LastAffected + x.Limit
			if x.Introduced == "0" {
				evs = append(evs, ev{e: x})
				continue
			}
			v, err := parse(s, base, r.Type)
			if err != nil {
				bad = true
				break
			}
			evs = append(evs, ev{e: x, v: v})
		}
		if bad {
			continue
		}
		slices.SortStableFunc(evs, func(a, b ev) int {
			switch {
			case a.v == nil && b.v == nil:
				return 0
			case a.v == nil:
				return -1
			case b.v == nil:
				return 1
			}
			c, _ := a.v.Compare(b.v)
			return c
		})
		in := false
		for _, x := range evs {
			cmp := 1
			if x.v != nil {
				cmp, _ = pv.Compare(x.v)
			}
			switch {
			case x.e.Introduced != "":
				if cmp >= 0 {
					in = true
				}
			case x.e.Fixed != "":
				if cmp >= 0 {
					in = false
				}
			case x.e.LastAffected != "":
				if cmp > 0 {
					in = false
				}
			case x.e.Limit != "":
				if cmp >= 0 {
					in = false
				}
			}
		}
		if !in {
			continue
		}
		hit = true
		for _, x := range evs {
			if x.e.Fixed == "" || x.v == nil {
				continue
			}
			if c, _ := x.v.Compare(pv); c > 0 {
				fixed = lower(base, fixed, x.e.Fixed)
			}
		}
	}
	return hit, fixed
}

// lower is the lower of two fixed versions ("" is no version).
func lower(base, a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	va, err := semantic.Parse(normalize(a, base), base)
	if err != nil {
		return a
	}
	if c, err := va.CompareStr(normalize(b, base)); err == nil && c > 0 {
		return b
	}
	return a
}

// advisory builds what a finding needs of a stored record. Its severity is the highest CVSS base
// score of the record; without a vector, of the records it names as aliases or upstream and of
// the records that name it or its aliases; then a qualitative severity of the record; else
// medium, marked "unknown".
func advisory(tx *bolt.Tx, id string) (Advisory, error) {
	sa, err := loadAdvisory(tx, id)
	if err != nil || sa == nil {
		return Advisory{}, fmt.Errorf("advisory %s: missing or corrupt (import again): %v", id, err)
	}
	a := Advisory{ID: sa.ID, Summary: sa.Summary, URL: sa.URL, Modified: sa.Modified, Aliases: cveFirst(sa.Aliases, sa.Upstream)}
	if score, sev, vec, ok := best(sa.Severity); ok {
		a.Score, a.Severity, a.SeverityFrom = score, sev, vec
		return a, nil
	}
	// Related records: those this one names, and those naming this one or its aliases.
	related := map[string]bool{}
	names := append(append([]string{id}, sa.Aliases...), sa.Upstream...)
	for _, n := range names[1:] {
		related[n] = true
	}
	ab := tx.Bucket(bucketAlias)
	for _, n := range names {
		prefix := []byte(n + "\x00")
		c := ab.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			related[string(k[len(prefix):])] = true
		}
	}
	delete(related, id)
	var sevs []severity
	for _, rid := range slices.Sorted(maps.Keys(related)) {
		if r, err := loadAdvisory(tx, rid); err == nil && r != nil {
			sevs = append(sevs, r.Severity...)
		}
	}
	if score, sev, vec, ok := best(sevs); ok {
		a.Score, a.Severity, a.SeverityFrom = score, sev, vec
		return a, nil
	}
	if s, ok := textToSeverity(sa.Text); ok {
		a.Severity, a.SeverityFrom = s, "database_specific: "+sa.Text
		return a, nil
	}
	a.Severity, a.SeverityFrom = catalog.Medium, "unknown"
	return a, nil
}

func loadAdvisory(tx *bolt.Tx, id string) (*storedAdvisory, error) {
	b := tx.Bucket(bucketAdv).Get([]byte(id))
	if b == nil {
		return nil, nil
	}
	var sa storedAdvisory
	if err := json.Unmarshal(b, &sa); err != nil {
		return nil, err
	}
	return &sa, nil
}

// cveFirst lists aliases and upstream IDs once each, CVE IDs first.
func cveFirst(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		ca, cb := strings.HasPrefix(a, "CVE-"), strings.HasPrefix(b, "CVE-")
		switch {
		case ca && !cb:
			return -1
		case cb && !ca:
			return 1
		}
		return 0
	})
	return out
}
