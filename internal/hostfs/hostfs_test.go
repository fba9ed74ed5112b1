package hostfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// entry describes one file of a test tree, written both as a directory and as a tar archive so
// that the two implementations are held to the same behaviour.
type entry struct {
	path string
	mode fs.FileMode // permission bits, plus fs.ModeDir or fs.ModeSymlink
	data string      // content, or the link target
}

var tree = []entry{
	{"/etc", fs.ModeDir | 0o755, ""},
	{"/etc/kubernetes", fs.ModeDir | 0o755, ""},
	{"/etc/kubernetes/admin.conf", 0o600, "apiVersion: v1\nkind: Config\n"},
	{"/etc/kubernetes/pki", fs.ModeDir | 0o700, ""},
	{"/etc/kubernetes/pki/ca.key", 0o644, "KEY"},
	// an absolute link resolves inside the root, not on the machine reading it
	{"/etc/kubernetes/current", fs.ModeSymlink, "/etc/kubernetes/admin.conf"},
	{"/etc/kubernetes/relative", fs.ModeSymlink, "pki/ca.key"},
	// ".." never leaves the root
	{"/etc/escape", fs.ModeSymlink, "../../../../etc/kubernetes/admin.conf"},
	{"/etc/loop-a", fs.ModeSymlink, "loop-b"},
	{"/etc/loop-b", fs.ModeSymlink, "/etc/loop-a"},
	{"/etc/dirlink", fs.ModeSymlink, "kubernetes"},
}

func writeDir(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, e := range tree {
		p := filepath.Join(root, filepath.FromSlash(e.path))
		var err error
		switch {
		case e.mode.IsDir():
			err = os.Mkdir(p, e.mode.Perm())
		case e.mode&fs.ModeSymlink != 0:
			err = os.Symlink(e.data, p)
		default:
			if err = os.WriteFile(p, []byte(e.data), e.mode.Perm()); err == nil {
				err = os.Chmod(p, e.mode.Perm()) // not subject to the umask
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func writeTar(t *testing.T, gz bool) FS {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range tree {
		h := &tar.Header{Name: "." + e.path, Mode: int64(e.mode.Perm()), Uid: 0, Gid: 0}
		switch {
		case e.mode.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case e.mode&fs.ModeSymlink != 0:
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.data
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.data))
		}
	}
	// a hard link and a file whose directory has no header of its own
	tw.WriteHeader(&tar.Header{Name: "etc/hard", Typeflag: tar.TypeLink, Linkname: "etc/kubernetes/admin.conf"})
	tw.WriteHeader(&tar.Header{Name: "var/lib/kubelet/config.yaml", Typeflag: tar.TypeReg, Mode: 0o600, Size: 3, Uid: 1000, Gid: 1000})
	tw.Write([]byte("cfg"))
	tw.Close()
	data := buf.Bytes()
	if gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	f, err := ReadTar("node.tar", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFilesystems(t *testing.T) {
	for name, f := range map[string]FS{
		"dir":    Dir(writeDir(t)),
		"tar":    writeTar(t, false),
		"tar.gz": writeTar(t, true),
	} {
		t.Run(name, func(t *testing.T) {
			read := func(p string) string {
				t.Helper()
				b, err := f.ReadFile(p)
				if err != nil {
					t.Fatalf("ReadFile(%s): %v", p, err)
				}
				return string(b)
			}
			if got := read("/etc/kubernetes/admin.conf"); !strings.Contains(got, "kind: Config") {
				t.Errorf("admin.conf = %q", got)
			}
			for _, p := range []string{"/etc/kubernetes/current", "/etc/escape", "etc/dirlink/admin.conf", "/etc/./kubernetes/../kubernetes/admin.conf"} {
				if got := read(p); !strings.Contains(got, "kind: Config") {
					t.Errorf("%s = %q, want admin.conf", p, got)
				}
			}
			if got := read("/etc/kubernetes/relative"); got != "KEY" {
				t.Errorf("relative link = %q", got)
			}
			info, err := f.Stat("/etc/kubernetes/pki/ca.key")
			if err != nil || info.Mode.Perm() != 0o644 || !info.Mode.IsRegular() || info.Size != 3 {
				t.Errorf("Stat(ca.key) = %+v, %v", info, err)
			}
			if info, err := f.Stat("/etc/dirlink"); err != nil || !info.Mode.IsDir() || info.Mode.Perm() != 0o755 {
				t.Errorf("Stat(dirlink) = %+v, %v", info, err)
			}
			if _, err := f.ReadFile("/etc/loop-a"); !errors.Is(err, ErrTooManyLinks) || !strings.Contains(err.Error(), "/etc/loop-a") {
				t.Errorf("loop: %v", err)
			}
			if _, err := f.ReadFile("/etc/missing"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "/etc/missing") {
				t.Errorf("missing: %v", err)
			}
			if _, err := f.ReadFile("/etc/kubernetes/admin.conf/x"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("path through a file: %v", err)
			}
			if _, err := f.ReadFile("/etc/kubernetes"); err == nil || !strings.Contains(err.Error(), "directory") {
				t.Errorf("directory read: %v", err)
			}
			names, err := f.ReadDir("/etc/kubernetes")
			if want := []string{"admin.conf", "current", "pki", "relative"}; err != nil || !reflect.DeepEqual(names, want) {
				t.Errorf("ReadDir = %v, %v; want %v", names, err, want)
			}
		})
	}
}

func TestTarOwnersAndImpliedDirectories(t *testing.T) {
	f := writeTar(t, false)
	info, err := f.Stat("/var/lib/kubelet/config.yaml")
	if err != nil || info.UID != 1000 || info.GID != 1000 || info.Mode.Perm() != 0o600 {
		t.Errorf("Stat = %+v, %v", info, err)
	}
	if names, err := f.ReadDir("/var/lib"); err != nil || !reflect.DeepEqual(names, []string{"kubelet"}) {
		t.Errorf("ReadDir(/var/lib) = %v, %v", names, err)
	}
	if b, err := f.ReadFile("/etc/hard"); err != nil || !strings.Contains(string(b), "kind: Config") {
		t.Errorf("hard link = %q, %v", b, err)
	}
}

func TestRefusals(t *testing.T) {
	root := t.TempDir()
	big := filepath.Join(root, "big")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	d := Dir(root)
	if _, err := d.ReadFile("/big"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
	if _, err := Dir("/").ReadFile("/dev/null"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/null: %v", err)
	}
	if _, err := ReadTar("junk.tar", strings.NewReader(strings.Repeat("x", 2000))); err == nil || !strings.Contains(err.Error(), "junk.tar") {
		t.Errorf("junk archive: %v", err)
	}
	if _, err := Open(filepath.Join(root, "absent")); err == nil {
		t.Error("Open(absent) succeeded")
	}
	if f, err := Open(root); err != nil || f.String() != root {
		t.Errorf("Open(dir) = %v, %v", f, err)
	}
}

func TestMount(t *testing.T) {
	base, proc := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(proc, "42"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(proc, "42", "cmdline"), []byte("kubelet\x00"), 0o444)
	os.WriteFile(filepath.Join(base, "hostname"), []byte("node-1"), 0o644)
	if err := os.Mkdir(filepath.Join(base, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := Mount(Dir(base), "/proc", Dir(proc))
	if b, err := f.ReadFile("/proc/42/cmdline"); err != nil || string(b) != "kubelet\x00" {
		t.Errorf("ReadFile(/proc/42/cmdline) = %q, %v", b, err)
	}
	if names, err := f.ReadDir("/proc"); err != nil || !reflect.DeepEqual(names, []string{"42"}) {
		t.Errorf("ReadDir(/proc) = %v, %v", names, err)
	}
	if b, err := f.ReadFile("/hostname"); err != nil || string(b) != "node-1" {
		t.Errorf("ReadFile(/hostname) = %q, %v", b, err)
	}
	if _, err := f.Stat("/processes"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a path that only starts like the mount point went to it: %v", err)
	}
}
