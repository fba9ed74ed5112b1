package image

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Node kinds.
const (
	kindDir uint8 = iota
	kindReg
	kindSymlink
	kindOther // devices, FIFOs
)

// Bounds of path resolution, as Linux's: 40 symbolic links, link targets of 4096 bytes. The
// components looked at while resolving one path are bounded too (maxResolveSteps), so that
// hostile link chains cost little.
const (
	maxSymlinkHops  = 40
	maxLinkTarget   = 4096
	maxResolveSteps = 8192
)

// node is one entry of the image's final file system.
type node struct {
	name     string
	kind     uint8
	mode     uint32 // permission bits and setuid/setgid/sticky, as in tar headers (07777)
	layer    int32  // index of the layer that last wrote the entry
	want     bool   // a package extractor reads the file
	size     int64
	link     string // symbolic link target, as written
	children map[string]*node
	blob     *blob // kept content; nil when the content was not kept
}

func newDir(name string, mode uint32, layer int32) *node {
	return &node{name: name, kind: kindDir, mode: mode, layer: layer, children: map[string]*node{}}
}

// errNotKept is returned when opening a file whose content was not kept while walking the layers.
var errNotKept = errors.New("content not kept")

// tree is the image's final file system. It implements osv-scalibr's fs.FS (fs.FS, ReadDirFS and
// StatFS) over the entries and the kept file contents. Symbolic links are resolved inside the
// image root: an absolute target names a path of the image, ".." stops at the root, loops fail
// with ELOOP.
type tree struct {
	root *node
}

func newTree() *tree { return &tree{root: newDir("", 0o755, 0)} }

// split returns the components of a slash path, without empty and "." components.
func split(p string) []string {
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, c := range parts {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// resolve finds the node at p (relative to the root; ".." and symbolic links allowed, all
// resolved inside the root). followLast says whether a symbolic link in the last component is
// followed. It returns the node and its real path (no symbolic links, relative to the root).
func (t *tree) resolve(p string, followLast bool) (*node, string, error) {
	comps := split(p)
	stack := []*node{t.root}
	names := []string{}
	hops, steps := 0, len(comps)
	for i := 0; i < len(comps); i++ {
		c := comps[i]
		cur := stack[len(stack)-1]
		if c == ".." {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
				names = names[:len(names)-1]
			}
			continue
		}
		if cur.kind != kindDir {
			return nil, "", syscall.ENOTDIR
		}
		child := cur.children[c]
		if child == nil {
			return nil, "", fs.ErrNotExist
		}
		if child.kind == kindSymlink && (i < len(comps)-1 || followLast) {
			hops++
			if hops > maxSymlinkHops {
				return nil, "", syscall.ELOOP
			}
			rest := append(split(child.link), comps[i+1:]...)
			if steps += len(rest); steps > maxResolveSteps {
				return nil, "", syscall.ENAMETOOLONG
			}
			if strings.HasPrefix(child.link, "/") {
				stack, names = stack[:1], names[:0]
			}
			comps, i = rest, -1
			continue
		}
		stack = append(stack, child)
		names = append(names, c)
	}
	return stack[len(stack)-1], strings.Join(names, "/"), nil
}

// lookup finds the node at a real path (no symbolic links followed), or nil.
func (t *tree) lookup(p string) *node {
	n := t.root
	for _, c := range split(p) {
		if n.kind != kindDir {
			return nil
		}
		if n = n.children[c]; n == nil {
			return nil
		}
	}
	return n
}

func pathError(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// Open implements fs.FS.
func (t *tree) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, pathError("open", name, fs.ErrInvalid)
	}
	n, _, err := t.resolve(name, true)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	switch n.kind {
	case kindDir:
		return &dirFile{info: info(n, path.Base(name)), n: n}, nil
	case kindReg:
		if n.blob == nil {
			return nil, pathError("open", name, errNotKept)
		}
		r, err := n.blob.open()
		if err != nil {
			return nil, pathError("open", name, err)
		}
		return &regFile{blobReader: r, info: info(n, path.Base(name))}, nil
	default:
		return nil, pathError("open", name, fs.ErrInvalid)
	}
}

// Stat implements fs.StatFS (symbolic links followed).
func (t *tree) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, pathError("stat", name, fs.ErrInvalid)
	}
	n, _, err := t.resolve(name, true)
	if err != nil {
		return nil, pathError("stat", name, err)
	}
	return info(n, path.Base(name)), nil
}

// ReadDir implements fs.ReadDirFS: the entries sorted by name, symbolic links not followed.
func (t *tree) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, pathError("readdir", name, fs.ErrInvalid)
	}
	n, _, err := t.resolve(name, true)
	if err != nil {
		return nil, pathError("readdir", name, err)
	}
	if n.kind != kindDir {
		return nil, pathError("readdir", name, syscall.ENOTDIR)
	}
	return dirEntries(n), nil
}

func dirEntries(n *node) []fs.DirEntry {
	out := make([]fs.DirEntry, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, fs.FileInfoToDirEntry(info(c, c.name)))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// fileInfo describes a node.
type fileInfo struct {
	name string
	n    *node
}

func info(n *node, name string) fileInfo {
	if name == "." || name == "/" {
		name = "."
	}
	return fileInfo{name: name, n: n}
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64 {
	if i.n.kind == kindSymlink {
		return int64(len(i.n.link))
	}
	return i.n.size
}
func (i fileInfo) Mode() fs.FileMode          { return fileMode(i.n) }
func (i fileInfo) ModTime() time.Time         { return time.Time{} }
func (i fileInfo) IsDir() bool                { return i.n.kind == kindDir }
func (i fileInfo) Sys() any                   { return nil }
func (i fileInfo) String() string             { return fs.FormatFileInfo(i) }
func (i fileInfo) Type() fs.FileMode          { return fileMode(i.n).Type() }
func (i fileInfo) Info() (fs.FileInfo, error) { return i, nil }

// fileMode converts tar mode bits to an fs.FileMode.
func fileMode(n *node) fs.FileMode {
	m := fs.FileMode(n.mode & 0o777)
	if n.mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n.mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n.mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch n.kind {
	case kindDir:
		m |= fs.ModeDir
	case kindSymlink:
		m |= fs.ModeSymlink
	case kindOther:
		m |= fs.ModeIrregular
	}
	return m
}

// regFile is an open regular file: it reads, reads at offsets and seeks (scalibr extractors
// need io.ReaderAt).
type regFile struct {
	blobReader
	info fileInfo
}

func (f *regFile) Stat() (fs.FileInfo, error) { return f.info, nil }

// dirFile is an open directory.
type dirFile struct {
	info    fileInfo
	n       *node
	entries []fs.DirEntry
	read    bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, pathError("read", d.info.name, syscall.EISDIR)
}
func (d *dirFile) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		d.entries, d.read = dirEntries(d.n), true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(d.entries))
	out := d.entries[:k]
	d.entries = d.entries[k:]
	return out, nil
}

// overlay is a file system that shows one file with another content: one layer's version of an
// OS package database, over the final file system.
type overlay struct {
	*tree
	path string
	n    *node
}

func (o overlay) Open(name string) (fs.File, error) {
	if name == o.path {
		r, err := o.n.blob.open()
		if err != nil {
			return nil, pathError("open", name, err)
		}
		return &regFile{blobReader: r, info: info(o.n, path.Base(name))}, nil
	}
	return o.tree.Open(name)
}

func (o overlay) Stat(name string) (fs.FileInfo, error) {
	if name == o.path {
		return info(o.n, path.Base(name)), nil
	}
	return o.tree.Stat(name)
}
