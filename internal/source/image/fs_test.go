package image

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/kube4c/kube4c/internal/image/imagetest"
)

// walkFiles builds the final file system of layers of files.
func walkFiles(t *testing.T, layers ...[]imagetest.File) *walker {
	t.Helper()
	w := newWalker("test", Limits{}, t.TempDir())
	t.Cleanup(w.close)
	var srcs []layerSource
	for i, files := range layers {
		b := imagetest.Tar(t, files...)
		srcs = append(srcs, layerSource{digest: "sha256:" + string(rune('a'+i)), open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }})
	}
	if err := w.readLayers(context.Background(), srcs); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestTreeFS(t *testing.T) {
	w := walkFiles(t, []imagetest.File{
		imagetest.Reg("etc/os-release", "ID=test\n"),
		imagetest.Reg("usr/lib/os-release", "ID=lib\n"),
		imagetest.Symlink("lib", "/usr/lib"),
		imagetest.Symlink("usr/lib/self", "."),
		imagetest.Symlink("usr/up", "../../../../etc"),
		imagetest.Symlink("dangling", "/nowhere"),
		imagetest.Symlink("loop1", "loop2"),
		imagetest.Symlink("loop2", "loop1"),
		imagetest.Dir("empty"),
	})
	tr := w.t
	for name, want := range map[string]string{
		"etc/os-release":           "ID=test\n",
		"lib/os-release":           "ID=lib\n", // absolute link: the image's /usr/lib
		"lib/self/self/os-release": "ID=lib\n",
		"usr/up/os-release":        "ID=test\n", // ".." stops at the image root
	} {
		b, err := fs.ReadFile(tr, name)
		if err != nil || string(b) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", name, b, err, want)
		}
	}
	for name, want := range map[string]error{
		"dangling":         fs.ErrNotExist,
		"loop1":            syscall.ELOOP,
		"etc/os-release/x": syscall.ENOTDIR,
		"/etc/os-release":  fs.ErrInvalid,
		"../etc":           fs.ErrInvalid,
	} {
		if _, err := tr.Open(name); !errors.Is(err, want) {
			t.Errorf("Open(%s) = %v, want %v", name, err, want)
		}
	}
	clean := walkFiles(t, []imagetest.File{
		imagetest.Reg("etc/os-release", "ID=test\n"),
		imagetest.Reg("usr/lib/os-release", "ID=lib\n"),
		imagetest.Reg("var/lib/dpkg/status", string(imagetest.DpkgStatus(imagetest.Debian12Packages...))),
		imagetest.Dir("empty"),
	})
	if err := fstest.TestFS(clean.t, "etc/os-release", "usr/lib/os-release", "var/lib/dpkg/status", "empty"); err != nil {
		t.Error(err)
	}
}

func TestTreeFSNotKept(t *testing.T) {
	w := walkFiles(t, []imagetest.File{imagetest.Reg("srv/data.bin", "data")})
	if _, err := w.t.Open("srv/data.bin"); !errors.Is(err, errNotKept) {
		t.Errorf("Open of a file whose content was not kept: %v", err)
	}
	fi, err := w.t.Stat("srv/data.bin")
	if err != nil || fi.Size() != 4 || !fi.Mode().IsRegular() {
		t.Errorf("Stat = %v, %v", fi, err)
	}
}

func TestSymlinkedParentDirectory(t *testing.T) {
	// Merged /usr: a later layer writes lib/x through the lib -> usr/lib link, as a container
	// runtime would.
	w := walkFiles(t,
		[]imagetest.File{imagetest.Dir("usr/lib"), imagetest.Symlink("lib", "usr/lib")},
		[]imagetest.File{imagetest.Reg("lib/apk/db/installed", imagetest.Alpine320Installed)},
	)
	if n := w.t.lookup("usr/lib/apk/db/installed"); n == nil || n.blob == nil {
		t.Errorf("the file is not at its real path: %+v", n)
	}
	if n := w.t.lookup("lib"); n == nil || n.kind != kindSymlink {
		t.Errorf("the link was replaced: %+v", n)
	}
}

func TestHostileLinks(t *testing.T) {
	long := strings.Repeat("a/", 2000)
	w := walkFiles(t, []imagetest.File{
		imagetest.Symlink("a", long), // each hop adds 2,000 components
		imagetest.Symlink("huge", strings.Repeat("x", maxLinkTarget+1)),
		imagetest.Reg("a/x", "x"),
	})
	if _, _, err := w.t.resolve("a/x", true); !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Errorf("resolve through the link chain: %v", err)
	}
	if n := w.t.lookup("huge"); n != nil {
		t.Errorf("a link with a %d-byte target was kept", maxLinkTarget+1)
	}
	if len(w.problems) != 2 {
		t.Errorf("problems %v", w.problems)
	}
}
