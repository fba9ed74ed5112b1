package vulndb

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MaxUncompressed bounds what one zip source may expand to (OSV's largest all.zip, Debian's,
// expands to about 2 GiB in 2026).
const MaxUncompressed = 8 << 30

// batchSize is the number of records written per transaction.
const batchSize = 5000

// ImportOptions control Import.
type ImportOptions struct {
	// Replace starts from an empty database instead of merging into the existing one.
	Replace bool
	// Now stamps the import (time.Now() when zero).
	Now time.Time
}

// Stats says what an import did.
type Stats struct {
	Records   int `json:"records"`   // records stored
	Withdrawn int `json:"withdrawn"` // withdrawn records removed or skipped
	// Problems are entries that were skipped, each naming the file (and zip entry).
	Problems []string `json:"problems,omitempty"`
	// Advisories is the number of records in the database after the import.
	Advisories int `json:"advisories"`
}

// source is one thing to import: a path, and the name recorded for it.
type source struct {
	path, name, verified string
}

// Import imports OSV records from sources — all.zip files as OSV publishes them per ecosystem,
// directories of OSV JSON files (walked recursively) or single JSON files — into the database
// at dbPath. A new file is written next to the old one and renamed over it: readers see the old
// database or the new one, never a half-written one, and a failed import leaves the old one as
// it was. Records replace earlier records with the same ID; withdrawn records are removed.
// Entries that are not OSV records are skipped and listed in Stats.Problems.
func Import(ctx context.Context, dbPath string, sources []string, opts ImportOptions) (Stats, error) {
	var srcs []source
	for _, s := range sources {
		srcs = append(srcs, source{path: s, name: s})
	}
	return importSources(ctx, dbPath, srcs, opts)
}

func importSources(ctx context.Context, dbPath string, srcs []source, opts ImportOptions) (st Stats, err error) {
	if len(srcs) == 0 {
		return st, errors.New("nothing to import: name OSV all.zip files, directories or JSON files")
	}
	for _, s := range srcs {
		if _, err := os.Stat(s.path); err != nil {
			return st, fmt.Errorf("import %s: %w", s.name, err)
		}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dbPath)+".tmp-*")
	if err != nil {
		return st, err
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			os.Remove(tmpName)
		}
	}()
	if !opts.Replace {
		if old, err := os.Open(dbPath); err == nil {
			_, cerr := io.Copy(tmp, old)
			old.Close()
			if cerr != nil {
				tmp.Close()
				return st, fmt.Errorf("copying %s: %w", dbPath, cerr)
			}
		}
	}
	if err := tmp.Close(); err != nil {
		return st, err
	}
	db, err := bolt.Open(tmpName, 0o644, &bolt.Options{Timeout: 5 * time.Second, NoSync: true, NoFreelistSync: true})
	if err != nil {
		return st, fmt.Errorf("%s: %w (delete it and import again)", dbPath, err)
	}
	closed := false
	defer func() {
		if !closed {
			db.Close()
		}
	}()
	var metaSources []Source
	err = db.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if s := m.Get([]byte("schema")); s != nil && string(s) != SchemaVersion {
			return fmt.Errorf("%s has schema %q: import with --replace", dbPath, s)
		}
		for _, b := range [][]byte{bucketAdv, bucketPkg, bucketAlias} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if b := m.Get([]byte("sources")); b != nil {
			_ = json.Unmarshal(b, &metaSources)
		}
		return m.Put([]byte("schema"), []byte(SchemaVersion))
	})
	if err != nil {
		return st, err
	}

	for _, s := range srcs {
		n, sum, err := importOne(ctx, db, s, &st)
		if err != nil {
			return st, err
		}
		// A source imported again replaces its earlier entry in the list.
		kept := metaSources[:0]
		for _, old := range metaSources {
			if old.Name != s.name {
				kept = append(kept, old)
			}
		}
		metaSources = append(kept, Source{Name: s.name, SHA256: sum, Records: n, Imported: now.UTC().Truncate(time.Second), Verified: s.verified})
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		b, err := json.Marshal(metaSources)
		if err != nil {
			return err
		}
		if err := m.Put([]byte("sources"), b); err != nil {
			return err
		}
		st.Advisories = tx.Bucket(bucketAdv).Stats().KeyN
		return m.Put([]byte("built"), []byte(now.UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return st, err
	}
	if err := db.Sync(); err != nil {
		return st, err
	}
	closed = true
	if err := db.Close(); err != nil {
		return st, err
	}
	if err := syncFile(tmpName); err != nil {
		return st, err
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return st, err
	}
	if err := os.Rename(tmpName, dbPath); err != nil {
		return st, err
	}
	syncDir(dir)
	return st, nil
}

// importOne imports one source and returns the records it held and its SHA-256 (files only).
func importOne(ctx context.Context, db *bolt.DB, s source, st *Stats) (int, string, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, "", err
	}
	w := &writer{db: db, st: st}
	if fi.IsDir() {
		err = filepath.WalkDir(s.path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", p, err))
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() || !d.Type().IsRegular() || !strings.HasSuffix(strings.ToLower(p), ".json") {
				return nil // symbolic links are not followed
			}
			b, err := readLimited(p)
			if err != nil {
				st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", p, err))
				return nil
			}
			return w.add(p, b)
		})
		if err == nil {
			err = w.flush()
		}
		return w.records, "", err
	}
	sum, err := fileSHA256(s.path)
	if err != nil {
		return 0, "", err
	}
	if strings.HasSuffix(strings.ToLower(s.path), ".json") {
		b, err := readLimited(s.path)
		if err != nil {
			return 0, "", fmt.Errorf("%s: %w", s.name, err)
		}
		if err := w.add(s.name, b); err != nil {
			return 0, "", err
		}
		return w.records, sum, w.flush()
	}
	zr, err := zip.OpenReader(s.path)
	if err != nil {
		return 0, "", fmt.Errorf("%s: not a zip file of OSV records (or a .json record, or a directory): %w", s.name, err)
	}
	defer zr.Close()
	var total uint64
	for _, f := range zr.File {
		if ctx.Err() != nil {
			return 0, "", ctx.Err()
		}
		where := s.name + ": " + f.Name
		if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(f.Name), ".json") {
			continue
		}
		if f.UncompressedSize64 > MaxRecordSize {
			st.Problems = append(st.Problems, fmt.Sprintf("%s: %d bytes, larger than the %d byte limit; skipped", where, f.UncompressedSize64, MaxRecordSize))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		// The header's size may lie: read at most one byte past the limit.
		b, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
		rc.Close()
		total += uint64(len(b))
		if total > MaxUncompressed {
			return 0, "", fmt.Errorf("%s: expands to more than %d bytes; refused (a decompression bomb?)", s.name, uint64(MaxUncompressed))
		}
		switch {
		case err != nil:
			st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", where, err))
			continue
		case len(b) > MaxRecordSize:
			st.Problems = append(st.Problems, fmt.Sprintf("%s: larger than the %d byte limit; skipped", where, MaxRecordSize))
			continue
		}
		if err := w.add(where, b); err != nil {
			return 0, "", err
		}
	}
	return w.records, sum, w.flush()
}

// writer batches records into transactions.
type writer struct {
	db      *bolt.DB
	st      *Stats
	batch   []*record
	records int
}

func (w *writer) add(where string, b []byte) error {
	r, err := parseRecord(b)
	if err != nil {
		w.st.Problems = append(w.st.Problems, fmt.Sprintf("%s: %v", where, err))
		return nil
	}
	w.batch = append(w.batch, r)
	if len(w.batch) >= batchSize {
		return w.flush()
	}
	return nil
}

func (w *writer) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	err := w.db.Update(func(tx *bolt.Tx) error {
		for _, r := range w.batch {
			if r.Withdrawn != "" {
				w.st.Withdrawn++
				if err := remove(tx, r.ID); err != nil {
					return err
				}
				continue
			}
			if err := put(tx, r); err != nil {
				return fmt.Errorf("storing %s: %w", r.ID, err)
			}
			w.records++
			w.st.Records++
		}
		return nil
	})
	w.batch = w.batch[:0]
	return err
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("larger than the %d byte limit; skipped", MaxRecordSize)
	}
	return b, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	serr := f.Sync()
	return errors.Join(serr, f.Close())
}

// syncDir makes a rename durable (best effort: not every system can sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
