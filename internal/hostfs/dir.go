package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// dirFS is a node's filesystem rooted at a directory of this machine ("/" for the host itself).
type dirFS struct{ root string }

// Dir returns the FS rooted at dir.
func Dir(dir string) FS {
	if dir != "/" {
		dir = filepath.Clean(dir)
	}
	return dirFS{root: dir}
}

func (d dirFS) String() string { return d.root }

// host is the path on this machine of a node path that contains no symbolic links.
func (d dirFS) host(name string) string {
	if d.root == "/" {
		return filepath.FromSlash(name)
	}
	return filepath.Join(d.root, filepath.FromSlash(strings.TrimPrefix(name, "/")))
}

func (d dirFS) lstat(name string) (node, error) {
	p := d.host(name)
	st, err := os.Lstat(p)
	if err != nil {
		return node{}, unwrapOS(err)
	}
	n := node{mode: st.Mode()}
	if st.Mode()&fs.ModeSymlink != 0 {
		if n.link, err = os.Readlink(p); err != nil {
			return node{}, unwrapOS(err)
		}
	}
	return n, nil
}

// unwrapOS drops the host path from os errors: messages name the node path instead.
func unwrapOS(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (d dirFS) wrap(op, name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		err = fs.ErrNotExist
	}
	return &PathError{Op: op, Path: Clean(name), Root: d.root, Err: err}
}

func (d dirFS) resolve(name string) (string, error) {
	return resolve(name, d.lstat)
}

func (d dirFS) Stat(name string) (Info, error) {
	p, err := d.resolve(name)
	if err != nil {
		return Info{}, d.wrap("stat", name, err)
	}
	st, err := os.Stat(d.host(p))
	if err != nil {
		return Info{}, d.wrap("stat", name, unwrapOS(err))
	}
	return infoOf(st), nil
}

func (d dirFS) ReadFile(name string) ([]byte, error) {
	p, err := d.resolve(name)
	if err != nil {
		return nil, d.wrap("read", name, err)
	}
	f, err := os.Open(d.host(p))
	if err != nil {
		return nil, d.wrap("read", name, unwrapOS(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, d.wrap("read", name, unwrapOS(err))
	}
	if err := checkReadable(infoOf(st)); err != nil {
		return nil, d.wrap("read", name, err)
	}
	// Files under /proc report size 0: read up to the bound and refuse anything longer.
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, d.wrap("read", name, unwrapOS(err))
	}
	if len(b) > MaxFileSize {
		return nil, d.wrap("read", name, fmt.Errorf("larger than %d MiB", MaxFileSize>>20))
	}
	return b, nil
}

func (d dirFS) ReadDir(name string) ([]string, error) {
	p, err := d.resolve(name)
	if err != nil {
		return nil, d.wrap("list", name, err)
	}
	f, err := os.Open(d.host(p))
	if err != nil {
		return nil, d.wrap("list", name, unwrapOS(err))
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, d.wrap("list", name, unwrapOS(err))
	}
	sort.Strings(names)
	return names, nil
}

func infoOf(st fs.FileInfo) Info {
	info := Info{Mode: st.Mode(), Size: st.Size(), UID: -1, GID: -1}
	info.UID, info.GID = owner(st)
	return info
}
