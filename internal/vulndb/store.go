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
const SchemaVersion = "1"

// ErrNotFound is returned (wrapped) by Open when there is no database file.
var ErrNotFound = errors.New("no vulnerability database")

// Buckets of the bbolt file:
//
//	meta   schema, built (RFC 3339), sources (JSON list of Source)
//	adv    advisory ID → storedAdvisory (JSON)
//	pkg    ecosystem base \x00 package name \x00 advisory ID → []storedAffected (JSON)
//	alias  alias \x00 advisory ID → "" (the advisory lists the alias or upstream ID)
var (
	bucketMeta  = []byte("meta")
	bucketAdv   = []byte("adv")
	bucketPkg   = []byte("pkg")
	bucketAlias = []byte("alias")
)

// storedAdvisory is what the database keeps of a record besides its affected ranges.
type storedAdvisory struct {
	ID       string     `json:"id"`
	Aliases  []string   `json:"aliases,omitempty"`
	Upstream []string   `json:"upstream,omitempty"`
	Summary  string     `json:"summary,omitempty"`
	Modified string     `json:"modified,omitempty"`
	Severity []severity `json:"severity,omitempty"`
	Text     string     `json:"text,omitempty"` // qualitative severity when there is no vector
	URL      string     `json:"url,omitempty"`
	// Keys are the pkg bucket keys of the record (removed when the record is replaced).
	Keys []string `json:"keys,omitempty"`
	// Ecosystems are the affected ecosystems, with release (for status).
	Ecosystems []string `json:"ecosystems,omitempty"`
}

// storedAffected is one affected entry of a record for one package.
type storedAffected struct {
	Ecosystem string   `json:"e"`
	Ranges    []rng    `json:"r,omitempty"`
	Versions  []string `json:"v,omitempty"`
}

// Source is one import recorded in the database.
type Source struct {
	// Name is the file, directory or URL imported.
	Name string `json:"name"`
	// SHA256 of the file downloaded or imported (empty for directories).
	SHA256   string    `json:"sha256,omitempty"`
	Records  int       `json:"records"`
	Imported time.Time `json:"imported"`
	// Verified says how a download's integrity was checked ("x-goog-hash md5", "sha256 sidecar",
	// "--sha256"); empty for local files.
	Verified string `json:"verified,omitempty"`
}

// DB is an open, read-only database.
type DB struct {
	path string
	db   *bolt.DB
}

// DefaultPath is $KUBE4C_DB, else osv.db in kube4c's directory of the user cache directory.
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

// Open opens the database read-only. It never touches the network.
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
		return nil, fmt.Errorf("vulnerability database %s: %w (import it again)", path, err)
	}
	var schema string
	err = db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil || tx.Bucket(bucketAdv) == nil || tx.Bucket(bucketPkg) == nil || tx.Bucket(bucketAlias) == nil {
			return errors.New("not a kube4c vulnerability database")
		}
		schema = string(m.Get([]byte("schema")))
		return nil
	})
	if err == nil && schema != SchemaVersion {
		err = fmt.Errorf("schema %q, this kube4c reads schema %q: import the OSV files again", schema, SchemaVersion)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	return &DB{path: path, db: db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Status describes a database.
type Status struct {
	Path    string    `json:"path"`
	Schema  string    `json:"schema"`
	Built   time.Time `json:"built"`
	Sources []Source  `json:"sources"`
	// Advisories counts records; Ecosystems counts records per affected ecosystem (base name).
	Advisories int            `json:"advisories"`
	Ecosystems map[string]int `json:"ecosystems"`
	Size       int64          `json:"size"`
}

// Status reads the database's metadata and counts its records.
func (d *DB) Status() (Status, error) {
	s := Status{Path: d.path, Ecosystems: map[string]int{}}
	if st, err := os.Stat(d.path); err == nil {
		s.Size = st.Size()
	}
	err := d.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		s.Schema = string(m.Get([]byte("schema")))
		s.Built, _ = time.Parse(time.RFC3339, string(m.Get([]byte("built"))))
		if b := m.Get([]byte("sources")); b != nil {
			if err := json.Unmarshal(b, &s.Sources); err != nil {
				return fmt.Errorf("sources: %w", err)
			}
		}
		return tx.Bucket(bucketAdv).ForEach(func(_, v []byte) error {
			var a struct {
				Ecosystems []string `json:"ecosystems"`
			}
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			s.Advisories++
			seen := map[string]bool{}
			for _, e := range a.Ecosystems {
				if b := ecosystemBase(e); !seen[b] {
					seen[b] = true
					s.Ecosystems[b]++
				}
			}
			return nil
		})
	})
	if err != nil {
		return s, fmt.Errorf("vulnerability database %s: %w", d.path, err)
	}
	return s, nil
}

// put stores a record, replacing an earlier version of it.
func put(tx *bolt.Tx, r *record) error {
	adv, pkgs, aliases := tx.Bucket(bucketAdv), tx.Bucket(bucketPkg), tx.Bucket(bucketAlias)
	if err := remove(tx, r.ID); err != nil {
		return err
	}
	sa := storedAdvisory{ID: r.ID, Aliases: r.Aliases, Upstream: r.Upstream, Summary: summary(r), Modified: r.Modified,
		Severity: r.Severity, Text: textSeverity(r.DatabaseSpecific), URL: advisoryURL(r)}
	perKey := map[string][]storedAffected{}
	var keys []string
	for _, a := range r.Affected {
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue
		}
		sa.Severity = append(sa.Severity, a.Severity...)
		if sa.Text == "" {
			sa.Text = textSeverity(a.DatabaseSpecific, a.EcosystemSpecific)
		}
		k := ecosystemBase(a.Package.Ecosystem) + "\x00" + a.Package.Name + "\x00" + r.ID
		if _, ok := perKey[k]; !ok {
			keys = append(keys, k)
		}
		var rs []rng
		for _, x := range a.Ranges {
			if x.Type == "ECOSYSTEM" || x.Type == "SEMVER" {
				rs = append(rs, x)
			}
		}
		perKey[k] = append(perKey[k], storedAffected{Ecosystem: a.Package.Ecosystem, Ranges: rs, Versions: a.Versions})
		if !slices.Contains(sa.Ecosystems, a.Package.Ecosystem) {
			sa.Ecosystems = append(sa.Ecosystems, a.Package.Ecosystem)
		}
	}
	sa.Keys = keys
	for _, k := range keys {
		b, err := json.Marshal(perKey[k])
		if err != nil {
			return err
		}
		if err := pkgs.Put([]byte(k), b); err != nil {
			return err
		}
	}
	for _, al := range append(slices.Clone(r.Aliases), r.Upstream...) {
		if al == "" || strings.Contains(al, "\x00") {
			continue
		}
		if err := aliases.Put([]byte(al+"\x00"+r.ID), nil); err != nil {
			return err
		}
	}
	b, err := json.Marshal(sa)
	if err != nil {
		return err
	}
	return adv.Put([]byte(r.ID), b)
}

// remove deletes a record (withdrawn, or about to be replaced).
func remove(tx *bolt.Tx, id string) error {
	adv := tx.Bucket(bucketAdv)
	old := adv.Get([]byte(id))
	if old == nil {
		return nil
	}
	var sa storedAdvisory
	if err := json.Unmarshal(old, &sa); err != nil {
		return fmt.Errorf("%s: corrupt stored record: %w", id, err)
	}
	for _, k := range sa.Keys {
		if err := tx.Bucket(bucketPkg).Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, al := range append(slices.Clone(sa.Aliases), sa.Upstream...) {
		if err := tx.Bucket(bucketAlias).Delete([]byte(al + "\x00" + id)); err != nil {
			return err
		}
	}
	return adv.Delete([]byte(id))
}

// summary is the record's summary, or the first line of its details.
func summary(r *record) string {
	s := r.Summary
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(r.Details), "\n")
	}
	const most = 300
	if len(s) > most {
		cut := most
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
