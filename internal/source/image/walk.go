package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/packages"
)

// Default limits (Limits).
const (
	DefaultMaxLayerBytes = 8 << 30
	DefaultMaxImageBytes = 16 << 30
	DefaultMaxFileBytes  = 512 << 20
	DefaultMaxEntries    = 2_000_000
)

// Limits bound the work of reading one image, against decompression bombs and hostile archives.
// A zero field takes its default.
type Limits struct {
	// MaxLayerBytes bounds the uncompressed size of one layer (8 GiB); exceeding it fails the read.
	MaxLayerBytes int64
	// MaxImageBytes bounds the uncompressed size of all layers together (16 GiB); exceeding it
	// fails the read.
	MaxImageBytes int64
	// MaxFileBytes bounds the size of a file whose content is kept for the package extractors
	// (512 MiB); a larger file is skipped with a warning.
	MaxFileBytes int64
	// MaxEntries bounds the number of tar entries in all layers together (2,000,000); exceeding
	// it fails the read.
	MaxEntries int
}

func (l Limits) withDefaults() Limits {
	if l.MaxLayerBytes <= 0 {
		l.MaxLayerBytes = DefaultMaxLayerBytes
	}
	if l.MaxImageBytes <= 0 {
		l.MaxImageBytes = DefaultMaxImageBytes
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	return l
}

// LimitError is returned when an image exceeds one of the Limits.
type LimitError struct {
	// Limit names the limit: "MaxLayerBytes", "MaxImageBytes" or "MaxEntries".
	Limit string
	Value int64
	// Layer is the digest of the layer being read.
	Layer string
}

func (e *LimitError) Error() string {
	switch e.Limit {
	case "MaxEntries":
		return fmt.Sprintf("layer %s: the image has more than %d entries (limit MaxEntries)", e.Layer, e.Value)
	case "MaxImageBytes":
		return fmt.Sprintf("layer %s: the image uncompresses to more than %s (limit MaxImageBytes; a decompression bomb?)",
			e.Layer, byteSize(e.Value))
	default:
		return fmt.Sprintf("layer %s: the layer uncompresses to more than %s (limit MaxLayerBytes; a decompression bomb?)",
			e.Layer, byteSize(e.Value))
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Secret files are looked for in files up to this size.
const secretMaxBytes = 256 << 10

// walker builds the final file system of an image from its layers, keeping the content of the
// files the package extractors and the hygiene checks need; nothing is written to disk but the
// kept files over spillBytes. Layers are scanned concurrently (decompression, tar parsing and
// content capture: scan) and applied to the file system one by one in order (apply).
type walker struct {
	name   string // image name, for problems
	limits Limits
	store  *blobStore
	t      *tree
	layers []string // digests, by layer index

	imageBytes atomic.Int64
	entries    atomic.Int64

	// dbs are the OS package databases (real paths) and their versions by layer.
	dbs      map[string][]dbVersion
	secrets  []secretHit
	problems []inventory.Problem
	markers  [][]byte
	opaqued  map[*node]bool // directories made opaque by the layer being applied
}

// dbVersion is one layer's version of an OS package database; n is nil when the layer deleted it.
type dbVersion struct {
	layer int
	n     *node
}

func newWalker(name string, limits Limits, tempDir string) *walker {
	return &walker{
		name:    name,
		limits:  limits.withDefaults(),
		store:   &blobStore{tempDir: tempDir},
		t:       newTree(),
		dbs:     map[string][]dbVersion{},
		markers: packages.BinaryMarkers(),
	}
}

func (w *walker) close() { w.store.Close() }

func (w *walker) problem(resource, msg string) {
	w.problems = append(w.problems, inventory.Problem{Severity: "warning", File: w.name, Resource: resource, Message: msg})
}

func layerResource(digest string) string {
	if digest == "" {
		return "root file system"
	}
	return "layer " + digest
}

// countReader counts the uncompressed bytes of a layer against the limits, and stops when the
// context is done.
type countReader struct {
	ctx    context.Context
	r      io.Reader
	w      *walker
	digest string
	n      int64
	err    error // the limit or context error met, kept because tar may translate errors
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	total := c.w.imageBytes.Add(int64(n))
	switch {
	case c.n > c.w.limits.MaxLayerBytes:
		c.err = &LimitError{Limit: "MaxLayerBytes", Value: c.w.limits.MaxLayerBytes, Layer: c.digest}
		return n, c.err
	case total > c.w.limits.MaxImageBytes:
		c.err = &LimitError{Limit: "MaxImageBytes", Value: c.w.limits.MaxImageBytes, Layer: c.digest}
		return n, c.err
	}
	return n, err
}

// layerSource is one layer to read; open is nil for a layer that is not read (foreign).
type layerSource struct {
	digest string
	open   func() (io.ReadCloser, error)
	skip   string // why the layer is not read
}

// layerScan is what scanning one layer found, to be applied in order.
type layerScan struct {
	digest   string
	entries  []scanned
	problems []string
}

// scanned is one tar entry, with the content kept and the secrets found in it.
type scanned struct {
	hdrName string // as written, for messages
	name    string // normalised
	typ     byte
	mode    uint32
	size    int64
	link    string // symbolic link target as written; hard link target normalised
	blob    *blob
	want    bool // a package extractor reads the file (by its name in the layer)
	secrets []secretHit
}

// readLayers scans the layers concurrently and applies them in order.
func (w *walker) readLayers(ctx context.Context, srcs []layerSource) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		s   *layerScan
		err error
	}
	results := make([]chan result, len(srcs))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	sem := make(chan struct{}, max(1, min(runtime.GOMAXPROCS(0), 4)))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // start the scans in layer order, a few at a time
		defer wg.Done()
		for i, src := range srcs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for j := i; j < len(srcs); j++ {
					results[j] <- result{err: ctx.Err()}
				}
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				s, err := w.scanSource(ctx, src)
				results[i] <- result{s, err}
			}()
		}
	}()
	var err error
	for i := range srcs {
		r := <-results[i]
		if r.err != nil {
			err = r.err
			break
		}
		w.apply(i, r.s)
	}
	cancel()
	wg.Wait()
	return err
}

func (w *walker) scanSource(ctx context.Context, src layerSource) (*layerScan, error) {
	if src.open == nil {
		return &layerScan{digest: src.digest, problems: []string{src.skip}}, nil
	}
	rc, err := src.open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layerResource(src.digest), err)
	}
	defer rc.Close()
	return w.scan(ctx, src.digest, rc)
}

// scan reads one layer (an uncompressed tar stream). It is safe to run concurrently.
func (w *walker) scan(ctx context.Context, digest string, r io.Reader) (*layerScan, error) {
	cr := &countReader{ctx: ctx, r: r, w: w, digest: digest}
	tr := tar.NewReader(cr)
	s := &layerScan{digest: digest}
	var buf []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, w.readError(cr, digest, "", err)
		}
		if w.entries.Add(1) > int64(w.limits.MaxEntries) {
			return nil, &LimitError{Limit: "MaxEntries", Value: int64(w.limits.MaxEntries), Layer: digest}
		}
		if err := w.scanEntry(s, hdr, tr, &buf); err != nil {
			return nil, w.readError(cr, digest, hdr.Name, err)
		}
	}
	// Drain what follows the end-of-archive marker so that a truncated or corrupt compressed
	// stream is noticed, within the limits.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return nil, w.readError(cr, digest, "", err)
	}
	return s, nil
}

func (w *walker) readError(cr *countReader, digest, entry string, err error) error {
	if cr.err != nil {
		err = cr.err
	}
	var le *LimitError
	if errors.As(err, &le) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	in := ""
	if entry != "" {
		in = fmt.Sprintf(" (in entry %q)", entry)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: truncated or corrupt layer%s: %w", layerResource(digest), in, err)
	}
	if entry != "" {
		return fmt.Errorf("%s: entry %q: %w", layerResource(digest), entry, err)
	}
	return fmt.Errorf("%s: not a valid tar stream: %w", layerResource(digest), err)
}

// scanEntry records one tar entry and reads what is needed of its content: small files are
// looked at for secrets; files the package extractors read and os-release files are kept.
func (w *walker) scanEntry(s *layerScan, hdr *tar.Header, r io.Reader, buf *[]byte) error {
	name, ok := cleanName(hdr.Name)
	if !ok {
		s.problems = append(s.problems, fmt.Sprintf("entry %q refused: its path leaves the image root", hdr.Name))
		return nil
	}
	if name == "" {
		return nil // the root directory itself
	}
	e := scanned{hdrName: hdr.Name, name: name, typ: hdr.Typeflag, mode: uint32(hdr.Mode & 0o7777), size: hdr.Size}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
	case tar.TypeSymlink:
		if len(hdr.Linkname) > maxLinkTarget {
			s.problems = append(s.problems, fmt.Sprintf("symbolic link %q refused: its target is longer than %d bytes", hdr.Name, maxLinkTarget))
			return nil
		}
		e.link = hdr.Linkname
	case tar.TypeLink:
		target, ok := cleanName(hdr.Linkname)
		if !ok || target == "" {
			s.problems = append(s.problems, fmt.Sprintf("hard link %q refused: its target %q leaves the image root", hdr.Name, hdr.Linkname))
			return nil
		}
		e.link = target
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont: // tar.Reader turns TypeRegA into TypeReg
		e.typ = tar.TypeReg
		if err := w.scanContent(s, &e, r, buf); err != nil {
			return err
		}
	default:
		return nil // PAX global headers and vendor extensions carry no file
	}
	s.entries = append(s.entries, e)
	return nil
}

func (w *walker) scanContent(s *layerScan, e *scanned, r io.Reader, buf *[]byte) error {
	size := e.size
	if strings.HasPrefix(path.Base(e.name), ".wh.") {
		return nil
	}
	required, binary := packages.Required(e.name, scannedInfo{e})
	keep := required || isOSRelease(e.name)
	if keep && size > w.limits.MaxFileBytes {
		s.problems = append(s.problems, fmt.Sprintf("file /%s not read for packages: %s is over the limit of %s (MaxFileBytes)",
			e.name, byteSize(size), byteSize(w.limits.MaxFileBytes)))
		keep = false
	}
	scanSecrets := size > 0 && size <= secretMaxBytes && !skipSecrets(e.name)
	if !keep && !scanSecrets {
		return nil
	}
	var markers [][]byte
	if binary {
		markers = w.markers
	}
	if size <= spillBytes {
		if int64(cap(*buf)) < size {
			*buf = make([]byte, size)
		}
		b := (*buf)[:size]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		if scanSecrets {
			e.secrets = findSecrets(e.name, b)
		}
		if !keep || (markers != nil && !containsAny(b, markers)) {
			return nil
		}
		e.blob = &blob{data: append([]byte(nil), b...), size: size}
	} else {
		b, err := w.store.keep(nil, r, size, markers)
		if errors.Is(err, errNoMarker) {
			return nil
		}
		if err != nil {
			return err
		}
		e.blob = b
	}
	e.want = required
	return nil
}

// scannedInfo is the fs.FileInfo extractors decide on while scanning.
type scannedInfo struct{ e *scanned }

func (i scannedInfo) Name() string       { return path.Base(i.e.name) }
func (i scannedInfo) Size() int64        { return i.e.size }
func (i scannedInfo) Mode() fs.FileMode  { return fileMode(&node{kind: kindReg, mode: i.e.mode}) }
func (i scannedInfo) ModTime() time.Time { return time.Time{} }
func (i scannedInfo) IsDir() bool        { return false }
func (i scannedInfo) Sys() any           { return nil }

// apply applies a scanned layer to the file system.
func (w *walker) apply(idx int, s *layerScan) {
	w.layers = append(w.layers, s.digest)
	for _, p := range s.problems {
		w.problem(layerResource(s.digest), p)
	}
	touched := map[string]bool{}
	w.opaqued = map[*node]bool{}
	for i := range s.entries {
		w.applyEntry(idx, s.digest, &s.entries[i], touched)
	}
	w.snapshotDBs(idx, touched)
}

func (w *walker) applyEntry(idx int, digest string, e *scanned, touched map[string]bool) {
	dir, base := path.Split(e.name)
	if strings.HasPrefix(base, ".wh.") {
		w.whiteout(idx, dir, base)
		return
	}
	parent, parentPath, err := w.mkdirAll(dir, idx)
	if err != nil {
		w.problem(layerResource(digest), fmt.Sprintf("entry %q skipped: %v", e.hdrName, err))
		return
	}
	real := path.Join(parentPath, base)
	for _, h := range e.secrets {
		h.path, h.layer = real, idx
		w.secrets = append(w.secrets, h)
	}
	switch e.typ {
	case tar.TypeDir:
		if old := parent.children[base]; old != nil && old.kind == kindDir {
			old.mode, old.layer = e.mode, int32(idx)
			return
		}
		parent.children[base] = newDir(base, e.mode, int32(idx))
	case tar.TypeReg:
		n := &node{name: base, kind: kindReg, mode: e.mode, layer: int32(idx), size: e.size, blob: e.blob}
		n.want = e.blob != nil && e.want
		if real != e.name && e.blob != nil {
			n.want = wanted(real, n) // the entry went through a link to a directory
		}
		parent.children[base] = n
		w.noteDB(real, n, touched)
	case tar.TypeSymlink:
		parent.children[base] = &node{name: base, kind: kindSymlink, mode: e.mode, layer: int32(idx), link: e.link}
	case tar.TypeLink:
		t, _, err := w.t.resolve(e.link, false)
		if err != nil || t.kind == kindDir {
			w.problem(layerResource(digest), fmt.Sprintf("hard link %q skipped: its target %q is not a file of the image", e.hdrName, e.link))
			return
		}
		n := *t
		n.name, n.layer = base, int32(idx)
		if n.kind == kindReg {
			n.want = n.blob != nil && wanted(real, &n)
		}
		parent.children[base] = &n
		w.noteDB(real, &n, touched)
	default:
		parent.children[base] = &node{name: base, kind: kindOther, mode: e.mode, layer: int32(idx)}
	}
}

// noteDB records that a layer wrote an OS package database.
func (w *walker) noteDB(real string, n *node, touched map[string]bool) {
	if n.kind == kindReg && n.want && packages.IsOSDatabase(real) {
		touched[real] = true
		if _, ok := w.dbs[real]; !ok {
			w.dbs[real] = nil
		}
	}
}

// cleanName normalises an entry name to a path relative to the image root ("" for the root).
// Absolute names are taken relative to the root; a name whose ".." climbs above the root is
// refused (ok false).
func cleanName(name string) (string, bool) {
	var out []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(out) == 0 {
				return "", false
			}
			out = out[:len(out)-1]
		default:
			out = append(out, c)
		}
	}
	return strings.Join(out, "/"), true
}

// wanted reports whether a package extractor reads the file at real path p.
func wanted(p string, n *node) bool {
	req, _ := packages.Required(p, info(n, path.Base(p)))
	return req
}

// whiteout applies a whiteout entry in dir: ".wh.name" deletes name from the lower layers,
// ".wh..wh..opq" hides everything the lower layers put in dir.
func (w *walker) whiteout(idx int, dir, base string) {
	parent, _, err := w.t.resolve(dir, true)
	if err != nil || parent.kind != kindDir {
		return
	}
	if base == ".wh..wh..opq" {
		// Once per directory and layer: after the first marker, what is left is this layer's.
		if !w.opaqued[parent] {
			w.opaqued[parent] = true
			hideLower(parent, int32(idx))
		}
		return
	}
	name := strings.TrimPrefix(base, ".wh.")
	if c := parent.children[name]; c != nil && c.layer < int32(idx) {
		delete(parent.children, name)
	}
}

// hideLower removes what layers below idx put under dir (an opaque directory).
func hideLower(dir *node, idx int32) {
	for name, c := range dir.children {
		if c.layer < idx {
			delete(dir.children, name)
			continue
		}
		if c.kind == kindDir {
			hideLower(c, idx)
		}
	}
}

// mkdirAll finds or creates the directory dir (relative to the root), following symbolic links
// inside the root as the container runtime does when it unpacks a layer. A component that is
// not a directory (a file, or a dangling link) is replaced by one. It returns the directory and
// its real path.
func (w *walker) mkdirAll(dir string, idx int) (*node, string, error) {
	cur, curPath := w.t.root, ""
	for _, c := range split(dir) {
		child := cur.children[c]
		if child != nil && child.kind == kindSymlink {
			n, real, err := w.t.resolve(path.Join(curPath, c), true)
			if err == nil && n.kind == kindDir {
				cur, curPath = n, real
				continue
			}
			if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENAMETOOLONG) {
				return nil, "", err
			}
			child = nil
		}
		if child == nil || child.kind != kindDir {
			child = newDir(c, 0o755, int32(idx))
			cur.children[c] = child
		}
		cur, curPath = child, path.Join(curPath, c)
	}
	return cur, curPath, nil
}

// snapshotDBs records the layer's version of each OS package database it changed or deleted.
func (w *walker) snapshotDBs(idx int, touched map[string]bool) {
	for p, versions := range w.dbs {
		n := w.t.lookup(p)
		present := n != nil && n.kind == kindReg && n.blob != nil
		switch {
		case present && touched[p] && n.layer == int32(idx):
			w.dbs[p] = append(versions, dbVersion{layer: idx, n: n})
		case !present && len(versions) > 0 && versions[len(versions)-1].n != nil:
			w.dbs[p] = append(versions, dbVersion{layer: idx})
		}
	}
}

func isOSRelease(p string) bool { return p == "etc/os-release" || p == "usr/lib/os-release" }

// fileHeader is a tar header for a file of an unpacked root file system.
func fileHeader(rel string, fi fs.FileInfo, link string) (*tar.Header, error) {
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil, err
	}
	hdr.Name = rel
	hdr.ModTime = time.Time{}
	return hdr, nil
}
