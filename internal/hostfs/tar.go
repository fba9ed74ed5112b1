package hostfs

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
)

// MaxArchiveSize bounds the bytes a tar archive may hold in files kube4c keeps (files over
// MaxFileSize are recorded without content and count nothing).
const MaxArchiveSize = 256 << 20

// tarFS is a node's filesystem read from a tar archive, e.g. `tar -cpf node.tar -C / etc var/lib/kubelet`.
// The archive's numeric owners and modes are the files' owners and modes.
type tarFS struct {
	name    string
	entries map[string]*tarEntry
}

type tarEntry struct {
	info     Info
	link     string // symbolic link target
	data     []byte
	tooLarge bool
	children []string
}

// OpenTar reads a tar archive (plain or gzip-compressed) into memory.
func OpenTar(file string) (FS, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTar(file, f)
}

// ReadTar reads a tar archive (plain or gzip-compressed) from r; name names it in messages.
func ReadTar(name string, r io.Reader) (FS, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		src = zr
	}
	t := &tarFS{name: name, entries: map[string]*tarEntry{"/": {info: Info{Mode: fs.ModeDir | 0o755}}}}
	tr := tar.NewReader(src)
	var kept int64
	var hardlinks [][2]string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not a readable tar archive: %w", name, err)
		}
		p := Clean(h.Name)
		if p == "/" {
			continue
		}
		e := &tarEntry{info: Info{Mode: h.FileInfo().Mode(), UID: h.Uid, GID: h.Gid, Size: h.Size}}
		switch h.Typeflag {
		case tar.TypeReg:
			if h.Size > MaxFileSize {
				e.tooLarge = true
				break
			}
			if kept+h.Size > MaxArchiveSize {
				return nil, fmt.Errorf("%s: holds more than %d MiB of files", name, MaxArchiveSize>>20)
			}
			if e.data, err = io.ReadAll(io.LimitReader(tr, h.Size)); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", name, p, err)
			}
			kept += h.Size
		case tar.TypeSymlink:
			e.link = h.Linkname
		case tar.TypeLink:
			hardlinks = append(hardlinks, [2]string{p, Clean(h.Linkname)})
			continue
		}
		t.add(p, e)
	}
	for _, hl := range hardlinks {
		if target, ok := t.entries[hl[1]]; ok {
			t.add(hl[0], target)
		}
	}
	for _, e := range t.entries {
		sort.Strings(e.children)
	}
	return t, nil
}

// add records an entry and makes its parent directories exist (archives may omit them).
func (t *tarFS) add(p string, e *tarEntry) {
	if old, ok := t.entries[p]; ok && old.info.Mode.IsDir() && e.info.Mode.IsDir() {
		old.info = e.info // the directory's own header, after an implied one
		return
	}
	_, existed := t.entries[p]
	t.entries[p] = e
	if existed {
		return
	}
	for child := p; child != "/"; {
		parent := path.Dir(child)
		pe, ok := t.entries[parent]
		if !ok {
			pe = &tarEntry{info: Info{Mode: fs.ModeDir | 0o755}}
			t.entries[parent] = pe
		}
		pe.children = append(pe.children, path.Base(child))
		if ok {
			break
		}
		child = parent
	}
}

func (t *tarFS) String() string { return t.name }

func (t *tarFS) lstat(name string) (node, error) {
	e, ok := t.entries[name]
	if !ok {
		return node{}, fs.ErrNotExist
	}
	return node{mode: e.info.Mode, link: e.link}, nil
}

func (t *tarFS) lookup(op, name string) (*tarEntry, error) {
	p, err := resolve(name, t.lstat)
	if err != nil {
		return nil, &PathError{Op: op, Path: Clean(name), Root: t.name, Err: err}
	}
	return t.entries[p], nil
}

func (t *tarFS) Stat(name string) (Info, error) {
	e, err := t.lookup("stat", name)
	if err != nil {
		return Info{}, err
	}
	return e.info, nil
}

func (t *tarFS) ReadFile(name string) ([]byte, error) {
	e, err := t.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if err := checkReadable(e.info); err != nil {
		return nil, &PathError{Op: "read", Path: Clean(name), Root: t.name, Err: err}
	}
	if e.tooLarge {
		return nil, &PathError{Op: "read", Path: Clean(name), Root: t.name, Err: errors.New("too large")}
	}
	return e.data, nil
}

func (t *tarFS) ReadDir(name string) ([]string, error) {
	e, err := t.lookup("list", name)
	if err != nil {
		return nil, err
	}
	if !e.info.Mode.IsDir() {
		return nil, &PathError{Op: "list", Path: Clean(name), Root: t.name, Err: errors.New("not a directory")}
	}
	return append([]string(nil), e.children...), nil
}
