// Package hostfs reads a node's filesystem by the paths the node itself uses ("/etc/kubernetes/
// manifests/kube-apiserver.yaml", "/proc/1234/cmdline"), from the running host, from a directory
// holding a copy of a node's filesystem, or from a tar archive of one. Symbolic links resolve
// inside that root, the way they would on the node, so a copy never leads outside itself; loops
// are refused, and only regular files of bounded size are read.
package hostfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// MaxFileSize is the largest file ReadFile returns. Configuration files are far smaller; the
// bound keeps a mistaken path (a disk image, a log) from filling memory.
const MaxFileSize = 4 << 20

// maxLinks bounds the symbolic links followed while resolving one path (Linux's limit is 40).
const maxLinks = 40

// Info describes a file: its permission bits and type, owner and size.
type Info struct {
	Mode fs.FileMode
	UID  int
	GID  int
	Size int64
}

// FS reads a node's filesystem. Paths are absolute node paths; they are cleaned first.
type FS interface {
	// ReadFile returns a regular file's content. Files over MaxFileSize, directories and special
	// files (devices, FIFOs, sockets) are refused with an error naming the path.
	ReadFile(name string) ([]byte, error)
	// Stat describes a file, following symbolic links.
	Stat(name string) (Info, error)
	// ReadDir lists a directory's entry names, sorted.
	ReadDir(name string) ([]string, error)
	// String names the root for messages: "/", the directory, or the archive.
	String() string
}

// ErrTooManyLinks is returned for paths whose symbolic links do not resolve within maxLinks
// steps (a loop, usually).
var ErrTooManyLinks = errors.New("too many levels of symbolic links")

// Open returns the FS for root: "" or "/" is the running host, a directory is a copy of a node's
// filesystem, and a file is read as a tar archive (optionally gzip-compressed) of one.
func Open(root string) (FS, error) {
	if root == "" || root == "/" {
		return Dir("/"), nil
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return Dir(root), nil
	}
	return OpenTar(root)
}

// Clean makes name an absolute, cleaned node path.
func Clean(name string) string {
	return path.Clean("/" + name)
}

// PathError wraps an error with the node path it concerns and the root it was read under.
type PathError struct {
	Op   string
	Path string
	Root string
	Err  error
}

func (e *PathError) Error() string {
	if e.Root == "" || e.Root == "/" {
		return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err)
	}
	return fmt.Sprintf("%s %s (under %s): %v", e.Op, e.Path, e.Root, e.Err)
}

func (e *PathError) Unwrap() error { return e.Err }

// node is one step of path resolution: what a name is, without following it.
type node struct {
	mode fs.FileMode
	link string // target, for symbolic links
}

// resolve follows symbolic links in name, component by component, keeping every step inside the
// root: absolute targets start again at the root and ".." stops at it. lstat describes a cleaned
// absolute path without following it.
func resolve(name string, lstat func(string) (node, error)) (string, error) {
	todo := strings.Split(strings.TrimPrefix(Clean(name), "/"), "/")
	cur := "/"
	links := 0
	for len(todo) > 0 {
		part := todo[0]
		todo = todo[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, part)
		n, err := lstat(next)
		if err != nil {
			return "", err
		}
		if n.mode&fs.ModeSymlink == 0 {
			if len(todo) > 0 && !n.mode.IsDir() {
				return "", fs.ErrNotExist // a path through a file: ENOTDIR, reported as not found
			}
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return "", ErrTooManyLinks
		}
		target := strings.Split(n.link, "/")
		if strings.HasPrefix(n.link, "/") {
			cur = "/"
		}
		todo = append(target, todo...)
	}
	return cur, nil
}

// checkReadable refuses what ReadFile must not read.
func checkReadable(info Info) error {
	switch {
	case info.Mode.IsDir():
		return errors.New("is a directory")
	case !info.Mode.IsRegular():
		return fmt.Errorf("not a regular file (%s)", info.Mode.Type())
	case info.Size > MaxFileSize:
		return fmt.Errorf("larger than %d MiB (%d bytes)", MaxFileSize>>20, info.Size)
	}
	return nil
}
