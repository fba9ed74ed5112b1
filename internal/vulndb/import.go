package vulndb

import (
	"archive/zip"
	"bytes"
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
	"runtime"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MaxUncompressed bounds what one zip source may expand to, against decompression bombs (OSV's
// largest all.zip files, Debian's and Ubuntu's, expand to about 1-2 GiB in 2026).
const MaxUncompressed = 8 << 30

// Limits as variables, so that tests can lower them.
var (
	maxUncompressed int64 = MaxUncompressed
	maxProblems           = 100
)

// Batching of writes: records are written in transactions of at most batchRecords records or
// batchBytes bytes of JSON (fewer transactions are faster in bbolt; the batch bounds memory and
// the size of bbolt's in-memory nodes). Variables for tests.
var (
	batchRecords = 10_000
	batchBytes   = 64 << 20
)

// ImportOptions control Import.
type ImportOptions struct {
	// Replace starts from an empty database instead of merging into the existing one.
	Replace bool
	// Now stamps the import (time.Now() when zero).
	Now time.Time
}

// Stats say what an import did.
type Stats struct {
	// Records stored (new or replacing a record with the same ID).
	Records int `json:"records"`
	// Withdrawn records read (skipped, and removed from the database when it had them).
	Withdrawn int `json:"withdrawn"`
	// Removed records: gone from an ecosystem's all.zip that Update synchronised.
	Removed int `json:"removed,omitempty"`
	// Skipped entries that are not OSV records or are too large.
	Skipped int `json:"skipped"`
	// Problems explain the skipped entries and other warnings, each naming the file (and zip
	// entry); at most 100, the last one saying how many more there were.
	Problems []string `json:"problems,omitempty"`
	// Advisories is the number of records in the database after the import.
	Advisories int `json:"advisories"`
}

func (st *Stats) problem(format string, args ...any) {
	switch {
	case len(st.Problems) < maxProblems:
		st.Problems = append(st.Problems, fmt.Sprintf(format, args...))
	case len(st.Problems) == maxProblems:
		st.Problems = append(st.Problems, "further problems are not listed")
	}
}

// source is one thing to import.
type source struct {
	path string
	// name is what the database records (a URL for downloads).
	name string
	// verified says how a download was checked.
	verified string
	// sync, when set, is the ecosystem (base name) the source holds all records of: records of
	// that ecosystem the source does not have are removed (Update of OSV's per-ecosystem zips).
	sync string
}

// Import imports OSV records from sources — all.zip files as OSV publishes them per ecosystem,
// directories of OSV JSON files (walked recursively, symbolic links not followed) or single
// JSON files — into the database at dbPath, creating it if needed. Records replace earlier
// records with the same ID; withdrawn records are removed. Entries that are not OSV records, or
// are larger than MaxRecordSize, are skipped and explained in Stats.Problems.
//
// A new file is written next to the old one and renamed over it: readers see the old database
// or the new one, never a half-written one, and a failed import leaves the old one as it was.
// Imports into the same file should not run concurrently (the last rename wins).
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
	dir, base := filepath.Dir(dbPath), filepath.Base(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	removeStale(dir, base)

	// The work file: a copy of the current database (merge) or empty (replace), updated in place.
	work, err := tempFile(dir, "."+base+".work-*")
	if err != nil {
		return st, err
	}
	defer os.Remove(work.Name())
	if !opts.Replace {
		if err := copyExisting(dbPath, work); err != nil {
			work.Close()
			return st, err
		}
	}
	if err := work.Close(); err != nil {
		return st, err
	}
	wdb, err := bolt.Open(work.Name(), 0o600, workOptions())
	if err != nil {
		return st, fmt.Errorf("%s: %w (not a kube4c database? import with --replace)", dbPath, err)
	}
	defer wdb.Close()

	b := &builder{counts: metaCounts{Ecosystems: map[string]int{}}}
	var metaSources []Source
	err = update(wdb, func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if s := m.Get([]byte("schema")); s != nil && string(s) != SchemaVersion {
			return fmt.Errorf("%s has schema %q, this kube4c writes schema %q: import with --replace", dbPath, s, SchemaVersion)
		}
		for _, bk := range [][]byte{bucketAdv, bucketPkg, bucketAlias} {
			if _, err := tx.CreateBucketIfNotExists(bk); err != nil {
				return err
			}
		}
		if v := m.Get([]byte("sources")); v != nil {
			if err := json.Unmarshal(v, &metaSources); err != nil {
				return fmt.Errorf("%s: corrupt metadata: %w (import with --replace)", dbPath, err)
			}
		}
		if v := m.Get([]byte("counts")); v != nil {
			if err := json.Unmarshal(v, &b.counts); err != nil {
				return fmt.Errorf("%s: corrupt metadata: %w (import with --replace)", dbPath, err)
			}
			if b.counts.Ecosystems == nil {
				b.counts.Ecosystems = map[string]int{}
			}
		}
		return m.Put([]byte("schema"), []byte(SchemaVersion))
	})
	if err != nil {
		return st, err
	}

	for _, s := range srcs {
		w := &writer{db: wdb, b: b, st: &st}
		if s.sync != "" {
			w.seen = map[string]bool{}
		}
		sum, complete, err := w.source(ctx, s)
		if err != nil {
			return st, err
		}
		if s.sync != "" && complete {
			if err := w.syncEcosystem(s.sync); err != nil {
				return st, err
			}
		}
		// A source imported again replaces its earlier entry in the list.
		kept := metaSources[:0]
		for _, old := range metaSources {
			if old.Name != s.name {
				kept = append(kept, old)
			}
		}
		metaSources = append(kept, Source{Name: s.name, SHA256: sum, Records: w.read, Imported: now.UTC().Truncate(time.Second), Verified: s.verified})
	}
	err = update(wdb, func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		v, err := json.Marshal(metaSources)
		if err != nil {
			return err
		}
		if err := m.Put([]byte("sources"), v); err != nil {
			return err
		}
		if v, err = json.Marshal(b.counts); err != nil {
			return err
		}
		if err := m.Put([]byte("counts"), v); err != nil {
			return err
		}
		return m.Put([]byte("built"), []byte(now.UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return st, err
	}
	st.Advisories = b.counts.Advisories
	if err := ctx.Err(); err != nil {
		return st, err
	}
	return st, compactInto(wdb, dbPath)
}

// workOptions are the bbolt options of files being written: no fsync until the end (a failed
// import throws the file away), and a large initial memory map (address space, not memory) so
// that the growing file is not remapped again and again.
func workOptions() *bolt.Options {
	o := &bolt.Options{Timeout: time.Second, NoSync: true, NoFreelistSync: true, FreelistType: bolt.FreelistMapType}
	if runtime.GOOS != "windows" { // Windows grows the file to the size of the map
		o.InitialMmapSize = 1 << 30
	}
	return o
}

// compactInto writes a compact copy of the work database (pages filled, in key order) to a
// temporary file next to dbPath, makes it durable and renames it over dbPath.
func compactInto(wdb *bolt.DB, dbPath string) error {
	dir, base := filepath.Dir(dbPath), filepath.Base(dbPath)
	f, err := tempFile(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp)
		}
	}()
	// Map as much as the work file holds (the copy is not larger): no remapping while copying,
	// and a small database stays a small file (bbolt grows a file in steps of 16 MiB only once
	// its map is larger than that).
	o := workOptions()
	o.InitialMmapSize = 0
	if fi, err := os.Stat(wdb.Path()); err == nil && runtime.GOOS != "windows" {
		o.InitialMmapSize = int(fi.Size())
	}
	out, err := bolt.Open(tmp, 0o644, o)
	if err != nil {
		return err
	}
	if err := bolt.Compact(out, wdb, 64<<20); err != nil {
		out.Close()
		return fmt.Errorf("writing %s: %w", dbPath, err)
	}
	if err := errors.Join(out.Sync(), out.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", dbPath, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return err
	}
	renamed = true
	syncDir(dir)
	return nil
}

// update runs a write transaction, turning bbolt panics (a corrupt file being merged into) into errors.
func update(db *bolt.DB, fn func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt database (%v): import with --replace", r)
		}
	}()
	return db.Update(fn)
}

// copyExisting copies the current database into the work file; a missing one is an empty start.
func copyExisting(dbPath string, dst *os.File) error {
	old, err := os.Open(dbPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer old.Close()
	if _, err := io.Copy(dst, old); err != nil {
		return fmt.Errorf("copying %s: %w", dbPath, err)
	}
	return nil
}

// writer reads one source and writes its records in batches. Reading and parsing (the caller
// of add) and writing (a goroutine) overlap.
type writer struct {
	db *bolt.DB
	b  *builder
	st *Stats
	// read counts the records of the source (withdrawn ones included).
	read int
	// seen are the IDs of the source's records, when it is synchronised.
	seen map[string]bool

	batch   []*record
	pending int            // bytes of JSON in batch
	batches chan []*record // to the writing goroutine; nil when it is not running
	done    chan error     // its result
	err     error          // its result, once received by add
}

// source imports one source and returns its SHA-256 (files only) and whether it was read
// completely (a zip whose expansion exceeded the limit is not).
func (w *writer) source(ctx context.Context, s source) (sum string, complete bool, err error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return "", false, err
	}
	if fi.IsDir() {
		err = filepath.WalkDir(s.path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				w.skip("%s: %v", p, err)
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if !d.Type().IsRegular() || !strings.HasSuffix(strings.ToLower(p), ".json") {
				return nil // directories, and symbolic links are not followed
			}
			b, err := readLimited(p)
			if err != nil {
				w.skip("%s: %v", p, err)
				return nil
			}
			return w.add(p, b)
		})
		if ferr := w.flush(); err == nil {
			err = ferr
		}
		return "", err == nil, err
	}
	if sum, err = fileSHA256(s.path); err != nil {
		return "", false, fmt.Errorf("%s: %w", s.name, err)
	}
	if strings.HasSuffix(strings.ToLower(s.path), ".json") {
		b, err := readLimited(s.path)
		if err != nil {
			w.skip("%s: %v", s.name, err)
			return sum, true, nil
		}
		if err := w.add(s.name, b); err != nil {
			return "", false, err
		}
		return sum, true, w.flush()
	}
	f, err := os.Open(s.path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	complete, err = w.zip(ctx, &windowReader{r: f, buf: make([]byte, 0, 1<<20)}, fi.Size(), s.name)
	if ferr := w.flush(); err == nil {
		err = ferr
	}
	return sum, complete, err
}

// zip imports the JSON entries of a zip file. An entry that is not an OSV record, cannot be
// read or is larger than MaxRecordSize is skipped; when the entries expand to more than
// MaxUncompressed the rest of the file is skipped (complete is then false).
func (w *writer) zip(ctx context.Context, r io.ReaderAt, size int64, name string) (complete bool, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are not used as paths
		return false, fmt.Errorf("%s: not a zip file of OSV records (nor a .json record, nor a directory): %w", name, err)
	}
	var (
		total int64
		buf   bytes.Buffer
	)
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		where := name + ": " + f.Name
		if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(f.Name), ".json") {
			continue
		}
		if f.UncompressedSize64 > MaxRecordSize {
			w.skip("%s: %d bytes, larger than the %d byte limit; skipped", where, f.UncompressedSize64, MaxRecordSize)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			w.skip("%s: %v", where, err)
			continue
		}
		// The header's size may lie: read at most one byte past the limit. The buffer is reused:
		// parsing copies what it keeps.
		buf.Reset()
		buf.Grow(int(min(f.UncompressedSize64, MaxRecordSize) + 1))
		_, err = buf.ReadFrom(io.LimitReader(rc, MaxRecordSize+1))
		rc.Close()
		b := buf.Bytes()
		total += int64(len(b))
		switch {
		case total > maxUncompressed:
			w.skip("%s: the entries expand to more than %d bytes (a decompression bomb?); this entry and the rest of the file are skipped", where, maxUncompressed)
			return false, nil
		case err != nil:
			w.skip("%s: %v", where, err)
			continue
		case len(b) > MaxRecordSize:
			w.skip("%s: larger than the %d byte limit; skipped", where, MaxRecordSize)
			continue
		}
		if err := w.add(where, b); err != nil {
			return false, err
		}
	}
	return true, nil
}

// windowReader reads a file through a window of 1 MiB: archive/zip reads the entries of a file
// one after the other in small pieces, one system call each without it.
type windowReader struct {
	mu  sync.Mutex
	r   io.ReaderAt
	off int64  // offset of buf in the file
	buf []byte // the window
}

func (w *windowReader) ReadAt(p []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(p) > cap(w.buf)/2 {
		return w.r.ReadAt(p, off) // large reads go straight to the file
	}
	if off < w.off || off+int64(len(p)) > w.off+int64(len(w.buf)) {
		n, err := w.r.ReadAt(w.buf[:cap(w.buf)], off)
		w.off, w.buf = off, w.buf[:n]
		if n < len(p) {
			n = copy(p, w.buf)
			if err == nil {
				err = io.EOF
			}
			return n, err
		}
	}
	return copy(p, w.buf[off-w.off:]), nil
}

func (w *writer) skip(format string, args ...any) {
	w.st.Skipped++
	w.st.problem(format, args...)
}

// add parses one record and queues it for writing. Batches of batchRecords records or
// batchBytes bytes are written by a goroutine, one transaction each, while the next batch is
// read. add fails when writing failed.
func (w *writer) add(where string, b []byte) error {
	if w.err != nil {
		return w.err
	}
	r, err := parseRecord(b)
	if err != nil {
		w.skip("%s: %v", where, err)
		return nil
	}
	w.read++
	if w.seen != nil {
		w.seen[r.ID] = true
	}
	w.batch = append(w.batch, r)
	w.pending += len(b)
	if len(w.batch) < batchRecords && w.pending < batchBytes {
		return nil
	}
	if w.batches == nil {
		w.batches, w.done = make(chan []*record, 1), make(chan error, 1)
		go w.write(w.batches, w.done)
	}
	select {
	case w.batches <- w.batch:
		w.batch, w.pending = nil, 0
		return nil
	case err := <-w.done:
		w.batches, w.err = nil, err
		return err
	}
}

// flush writes the queued records and waits until everything is written.
func (w *writer) flush() error {
	if w.err != nil {
		return w.err
	}
	batch := w.batch
	w.batch, w.pending = nil, 0
	if w.batches == nil {
		w.err = w.commit(batch)
		return w.err
	}
	select {
	case w.batches <- batch:
		close(w.batches)
		w.err = <-w.done
	case w.err = <-w.done: // it failed
	}
	w.batches = nil
	return w.err
}

// write commits batches until the channel is closed or a transaction fails; then it sends the
// result on done.
func (w *writer) write(batches <-chan []*record, done chan<- error) {
	for b := range batches {
		if err := w.commit(b); err != nil {
			done <- err
			return
		}
	}
	done <- nil
}

// commit writes records in one transaction.
func (w *writer) commit(batch []*record) error {
	if len(batch) == 0 {
		return nil
	}
	return update(w.db, func(tx *bolt.Tx) error {
		for _, r := range batch {
			if r.Withdrawn != "" {
				w.st.Withdrawn++
				if _, err := w.b.remove(tx, r.ID); err != nil {
					return err
				}
				continue
			}
			if err := w.b.put(tx, r); err != nil {
				return fmt.Errorf("storing %s: %w", r.ID, err)
			}
			w.st.Records++
		}
		return nil
	})
}

// syncEcosystem removes the records with entries of ecosystem base that the source did not have:
// they are gone from OSV's all.zip of that ecosystem.
func (w *writer) syncEcosystem(base string) error {
	return update(w.db, func(tx *bolt.Tx) error {
		prefix := []byte(base + "\x00")
		gone := map[string]bool{}
		c := tx.Bucket(bucketPkg).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id := string(k[bytes.LastIndexByte(k, 0)+1:])
			if !w.seen[id] {
				gone[id] = true
			}
		}
		for id := range gone {
			if _, err := w.b.remove(tx, id); err != nil {
				return err
			}
			w.st.Removed++
		}
		return nil
	})
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

func tempFile(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("creating a file next to the database: %w", err)
	}
	return f, nil
}

// removeStale deletes temporary files an interrupted (killed) import or update of the database
// left behind, once they are a day old (younger ones may belong to an import still running).
func removeStale(dir, base string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "."+base+".") || !e.Type().IsRegular() {
			continue
		}
		rest := strings.TrimPrefix(n, "."+base+".")
		if !strings.HasPrefix(rest, "work-") && !strings.HasPrefix(rest, "tmp-") && !strings.HasPrefix(rest, "download-") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// syncDir makes a rename durable (best effort: not every system can sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
