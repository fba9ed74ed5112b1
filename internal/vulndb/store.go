package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout of the database file. A file of another schema is refused with a
// message to import again.
const SchemaVersion = "2"

// ErrNotFound is returned (wrapped) by Open when there is no database file.
var ErrNotFound = errors.New("no vulnerability database")

// Buckets of the bbolt file (docs/vulndb.md explains the choice):
//
//	meta   "schema", "built" (RFC 3339), "sources" (JSON []Source), "counts" (JSON metaCounts)
//	pkg    ecosystem base \x00 package name \x00 advisory ID → encodeAffected([]storedAffected)
//	adv    advisory ID → encodeAdvisory(storedAdvisory)
//	alias  alias or upstream ID \x00 advisory ID → "" (which records name an ID)
//
// Matching a package is one cursor seek to "base\x00name\x00" in pkg, a scan of the records of
// that name, and one adv lookup per matching record.
var (
	bucketMeta  = []byte("meta")
	bucketAdv   = []byte("adv")
	bucketPkg   = []byte("pkg")
	bucketAlias = []byte("alias")
)

// storedAdvisory is what the database keeps of a record besides its affected entries.
type storedAdvisory struct {
	ID string
	// Aliases are the record's aliases and upstream IDs, CVE IDs first.
	Aliases  []string
	Summary  string
	Modified string
	URL      string
	// Vectors are the CVSS vectors of the record and of its affected entries.
	Vectors []severity
	// Text is the record's qualitative severity (GitHub's database_specific.severity, a
	// non-CVSS severity entry such as Ubuntu's priority).
	Text string
	// Keys are the record's keys in the pkg bucket (deleted when the record is replaced).
	Keys []string
	// Ecosystems are the affected ecosystems with their release.
	Ecosystems []string
}

// Source is one import recorded in the database.
type Source struct {
	// Name is the file, directory or URL imported.
	Name string `json:"name"`
	// SHA256 of the file downloaded or imported (empty for directories).
	SHA256 string `json:"sha256,omitempty"`
	// Records read from it (withdrawn ones included).
	Records  int       `json:"records"`
	Imported time.Time `json:"imported"`
	// Verified says how a download's integrity was checked ("x-goog-hash md5", "sha256
	// sidecar", "--sha256", or "none: ..."); empty for local files.
	Verified string `json:"verified,omitempty"`
}

// metaCounts are kept in the meta bucket so that Status reads no record.
type metaCounts struct {
	Advisories int            `json:"advisories"`
	Ecosystems map[string]int `json:"ecosystems"`
}

// DB is an open, read-only database. It is safe for concurrent use.
type DB struct {
	path string
	db   *bolt.DB
}

// DefaultPath is $KUBE4C_DB, else kube4c/vulndb/osv.db in the user cache directory
// (~/.cache on Linux, ~/Library/Caches on macOS, %LocalAppData% on Windows).
func DefaultPath() string {
	if p := os.Getenv("KUBE4C_DB"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "kube4c", "vulndb", "osv.db")
}

// Open opens the database read-only (the file is memory-mapped, nothing is loaded). It never
// touches the network. A missing file is an error wrapping ErrNotFound that tells the user
// how to get one.
func Open(path string) (*DB, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: run 'kube4c db update', or 'kube4c db import' with OSV all.zip files or folders of OSV JSON", ErrNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("vulnerability database: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("vulnerability database %s: not a regular file", path)
	}
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("vulnerability database %s: %w (import it again with 'kube4c db import --replace' or 'kube4c db update --replace')", path, err)
	}
	d := &DB{path: path, db: db}
	err = d.view(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil || tx.Bucket(bucketAdv) == nil || tx.Bucket(bucketPkg) == nil || tx.Bucket(bucketAlias) == nil {
			return errors.New("not a kube4c vulnerability database")
		}
		if s := string(m.Get([]byte("schema"))); s != SchemaVersion {
			return fmt.Errorf("schema %q, this kube4c reads schema %q: build it again with 'kube4c db update --replace' or 'kube4c db import --replace'", s, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// view runs a read transaction. bbolt panics on some corruptions of the file; they become errors.
func (d *DB) view(fn func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt file (%v): import it again", r)
		}
		if err != nil {
			err = fmt.Errorf("vulnerability database %s: %w", d.path, err)
		}
	}()
	return d.db.View(fn)
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Status describes a database.
type Status struct {
	Path   string    `json:"path"`
	Schema string    `json:"schema"`
	Built  time.Time `json:"built"`
	// Size of the file in bytes.
	Size    int64    `json:"size"`
	Sources []Source `json:"sources"`
	// Advisories counts records; Ecosystems counts records per affected ecosystem (base name;
	// a record affecting several ecosystems counts in each).
	Advisories int            `json:"advisories"`
	Ecosystems map[string]int `json:"ecosystems"`
}

// Status reads the database's metadata.
func (d *DB) Status() (Status, error) {
	s := Status{Path: d.path, Ecosystems: map[string]int{}}
	if st, err := os.Stat(d.path); err == nil {
		s.Size = st.Size()
	}
	err := d.view(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		s.Schema = string(m.Get([]byte("schema")))
		s.Built, _ = time.Parse(time.RFC3339, string(m.Get([]byte("built"))))
		if b := m.Get([]byte("sources")); b != nil {
			if err := json.Unmarshal(b, &s.Sources); err != nil {
				return fmt.Errorf("sources: %w", err)
			}
		}
		var c metaCounts
		if b := m.Get([]byte("counts")); b != nil {
			if err := json.Unmarshal(b, &c); err != nil {
				return fmt.Errorf("counts: %w", err)
			}
		}
		s.Advisories = c.Advisories
		if c.Ecosystems != nil {
			s.Ecosystems = c.Ecosystems
		}
		return nil
	})
	return s, err
}

// builder writes records into a database being built, keeping the counts.
type builder struct {
	counts metaCounts
}

// put stores a record, replacing an earlier record with the same ID.
func (b *builder) put(tx *bolt.Tx, r *record) error {
	if _, err := b.remove(tx, r.ID); err != nil {
		return err
	}
	pkgs, aliases := tx.Bucket(bucketPkg), tx.Bucket(bucketAlias)
	sa := storedAdvisory{ID: r.ID, Aliases: cveFirst(r.Aliases, r.Upstream), Summary: summary(r), Modified: r.Modified,
		URL: advisoryURL(r), Text: textSeverity("database_specific", r.DatabaseSpecific)}
	sa.Aliases = slices.DeleteFunc(sa.Aliases, func(s string) bool { return s == r.ID || !validKey(s, maxIDLen) })
	addVectors := func(sevs []severity) {
		for _, s := range sevs {
			switch {
			case strings.HasPrefix(s.Type, "CVSS_") && len(s.Score) <= 256 && len(sa.Vectors) < 8:
				sa.Vectors = append(sa.Vectors, s)
			case sa.Text == "" && s.Type != "" && !strings.HasPrefix(s.Type, "CVSS_") && len(s.Type)+len(s.Score) <= 64:
				sa.Text = s.Type + ": " + s.Score // Ubuntu: {"type": "Ubuntu", "score": "medium"}
			}
		}
	}
	addVectors(r.Severity)
	perKey := map[string][]storedAffected{}
	ecos := map[string]bool{}
	for _, a := range r.Affected {
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue
		}
		addVectors(a.Severity)
		e := storedAffected{Ecosystem: a.Package.Ecosystem, Versions: a.Versions}
		if e.Text = textSeverity("ecosystem_specific", a.EcosystemSpecific); e.Text == "" {
			e.Text = textSeverity("database_specific", a.DatabaseSpecific)
		}
		if ecosystemBase(e.Ecosystem) == "Debian" && strings.HasPrefix(e.Text, "ecosystem_specific: ") {
			e.Text = "Debian urgency: " + strings.TrimPrefix(e.Text, "ecosystem_specific: ")
		}
		for _, x := range a.Ranges {
			if x.Type != "ECOSYSTEM" && x.Type != "SEMVER" {
				continue // GIT ranges name commits, not versions
			}
			sr := storedRange{Semver: x.Type == "SEMVER"}
			for _, ev := range x.Events {
				switch {
				case ev.Introduced != "":
					sr.Events = append(sr.Events, storedEvent{evIntroduced, ev.Introduced})
				case ev.Fixed != "":
					sr.Events = append(sr.Events, storedEvent{evFixed, ev.Fixed})
				case ev.LastAffected != "":
					sr.Events = append(sr.Events, storedEvent{evLastAffected, ev.LastAffected})
				case ev.Limit != "":
					sr.Events = append(sr.Events, storedEvent{evLimit, ev.Limit})
				}
			}
			if len(sr.Events) > 0 {
				e.Ranges = append(e.Ranges, sr)
			}
		}
		if len(e.Ranges) == 0 && len(e.Versions) == 0 {
			continue // nothing a version can be compared with
		}
		k := ecosystemBase(a.Package.Ecosystem) + "\x00" + a.Package.Name + "\x00" + r.ID
		if _, ok := perKey[k]; !ok {
			sa.Keys = append(sa.Keys, k)
		}
		perKey[k] = append(perKey[k], e)
		if !ecos[a.Package.Ecosystem] {
			ecos[a.Package.Ecosystem] = true
			sa.Ecosystems = append(sa.Ecosystems, a.Package.Ecosystem)
		}
	}
	for _, k := range sa.Keys {
		if err := pkgs.Put([]byte(k), encodeAffected(perKey[k])); err != nil {
			return fmt.Errorf("%s: %w", r.ID, err)
		}
	}
	for _, al := range sa.Aliases {
		if err := aliases.Put([]byte(al+"\x00"+r.ID), nil); err != nil {
			return fmt.Errorf("%s: %w", r.ID, err)
		}
	}
	if err := tx.Bucket(bucketAdv).Put([]byte(r.ID), encodeAdvisory(&sa)); err != nil {
		return fmt.Errorf("%s: %w", r.ID, err)
	}
	b.count(sa.Ecosystems, 1)
	return nil
}

// remove deletes a record (withdrawn, replaced, or gone from its ecosystem's latest all.zip)
// and reports whether there was one.
func (b *builder) remove(tx *bolt.Tx, id string) (bool, error) {
	adv := tx.Bucket(bucketAdv)
	old := adv.Get([]byte(id))
	if old == nil {
		return false, nil
	}
	sa, err := decodeAdvisory(old)
	if err != nil {
		return false, fmt.Errorf("%s: corrupt stored record: %w (import with --replace)", id, err)
	}
	for _, k := range sa.Keys {
		if err := tx.Bucket(bucketPkg).Delete([]byte(k)); err != nil {
			return false, err
		}
	}
	for _, al := range sa.Aliases {
		if err := tx.Bucket(bucketAlias).Delete([]byte(al + "\x00" + id)); err != nil {
			return false, err
		}
	}
	b.count(sa.Ecosystems, -1)
	return true, adv.Delete([]byte(id))
}

func (b *builder) count(ecosystems []string, n int) {
	b.counts.Advisories += n
	seen := map[string]bool{}
	for _, e := range ecosystems {
		base := ecosystemBase(e)
		if seen[base] {
			continue
		}
		seen[base] = true
		b.counts.Ecosystems[base] += n
		if b.counts.Ecosystems[base] <= 0 {
			delete(b.counts.Ecosystems, base)
		}
	}
}

// maxAliases bounds the aliases kept of one record (real records have a handful).
const maxAliases = 64

// cveFirst lists IDs once each, CVE IDs first, at most maxAliases.
func cveFirst(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, s := range l {
			if s != "" && !seen[s] && len(out) < maxAliases {
				seen[s] = true
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
