package vulndb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kube4c/kube4c/internal/packages"
	bolt "go.etcd.io/bbolt"
)

// FuzzImportRecord feeds arbitrary bytes to the importer, as an OSV JSON file and as a zip file,
// into a real database (one per fuzzing process), then matches the record's own packages and
// versions against it. Nothing may panic; a record that parses must be storable; a package that
// is not affected has no fixed version, and a fixed version is above the installed one.
//
//	go test ./internal/vulndb -run '^$' -fuzz FuzzImportRecord -fuzztime 60s
func FuzzImportRecord(f *testing.F) {
	for _, dir := range []string{"testdata/osv", "testdata/extra"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	z, _ := os.ReadFile(zipOf(f, "GO-2022-1059.json", "DEBIAN-CVE-2024-0727.json", "junk.json"))
	f.Add(z)
	f.Add([]byte(`{"id": "X", "affected": [{"package": {"ecosystem": "Debian:12", "name": "a"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1:0"}, {"last_affected": "1:2-3"}, {"limit": "5"}]}], "versions": ["1:1-1"]}]}`))
	f.Add([]byte("PK\x03\x04"))

	bdb, err := bolt.Open(filepath.Join(f.TempDir(), "fuzz.db"), 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { bdb.Close() })
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, bk := range [][]byte{bucketMeta, bucketAdv, bucketPkg, bucketAlias} {
			if _, err := tx.CreateBucketIfNotExists(bk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	db := &DB{path: "fuzz.db", db: bdb}
	b := &builder{counts: metaCounts{Ecosystems: map[string]int{}}}

	f.Fuzz(func(t *testing.T, data []byte) {
		// As a JSON file.
		if r, err := parseRecord(data); err == nil {
			if err := bdb.Update(func(tx *bolt.Tx) error { return b.put(tx, r) }); err != nil {
				t.Fatalf("a parsed record is not storable: %v", err)
			}
			checkMatches(t, db, r)
			if err := bdb.Update(func(tx *bolt.Tx) error { _, err := b.remove(tx, r.ID); return err }); err != nil {
				t.Fatal(err)
			}
		}
		// As a zip file.
		st := &Stats{}
		w := &writer{db: bdb, b: b, st: st, seen: map[string]bool{}}
		_, zerr := w.zip(context.Background(), bytes.NewReader(data), int64(len(data)), "fuzz.zip")
		if err := w.flush(); err != nil && zerr == nil {
			t.Fatalf("records of a zip are not storable: %v", err)
		}
		if err := bdb.Update(func(tx *bolt.Tx) error {
			for id := range w.seen {
				if _, err := b.remove(tx, id); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// checkMatches matches a stored record's packages at the versions the record names.
func checkMatches(t *testing.T, db *DB, r *record) {
	var pkgs []packages.Package
	for _, a := range r.Affected {
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue
		}
		vs := append([]string{"0", "1.0.0", "v0.3.7", "go1.22.0", "1:2.3-4", "3.3.0-r1", "(devel)"}, a.Versions...)
		for _, x := range a.Ranges {
			for _, e := range x.Events {
				vs = append(vs, e.Introduced+e.Fixed+e.LastAffected+e.Limit)
			}
		}
		if len(vs) > 50 {
			vs = vs[:50]
		}
		for _, v := range vs {
			pkgs = append(pkgs, packages.Package{Name: a.Package.Name, SourceName: a.Package.Name, Version: v, Ecosystem: a.Package.Ecosystem})
		}
		if len(pkgs) > 200 {
			break
		}
	}
	ms, _, err := db.MatchDetailed(pkgs)
	if err != nil {
		t.Fatalf("matching a stored record: %v", err)
	}
	for _, m := range ms {
		if m.Package < 0 || m.Package >= len(pkgs) || m.Advisory.ID != r.ID {
			t.Fatalf("match %+v of %d packages, record %s", m, len(pkgs), r.ID)
		}
		if m.Fixed == "" {
			continue
		}
		p := pkgs[m.Package]
		base := ecosystemBase(p.Ecosystem)
		semver := semverEcosystems[base]
		mt := &matcher{vers: map[verKey]verVal{}}
		fv, err1 := mt.parse(m.Fixed, base, semver)
		pv, err2 := mt.parse(p.Version, base, semver)
		if err1 == nil && err2 == nil {
			if c, ok := compare(fv, pv); ok && c <= 0 {
				t.Fatalf("%s %s: fixed %s is not above the installed version", p.Name, p.Version, m.Fixed)
			}
		}
	}
}
