// Package nodetest turns the node trees under internal/source/node/testdata into what a real node
// copy would be: git keeps neither modes nor owners, so each tree comes with an attrs file
// ("MODE UID GID PATH" per line) and Tar writes the tree as a tar archive with those attributes.
package nodetest

import (
	"archive/tar"
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Dir is the directory holding the trees and their attrs files.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("nodetest: cannot find its own source")
	}
	return filepath.Join(filepath.Dir(filepath.Dir(file)), "testdata")
}

type attrs struct {
	mode     int64
	uid, gid int
}

// Tar writes the tree named (e.g. "hardened") as a tar archive in a temporary directory and
// returns its path. Paths not in the attrs file are 0644 files and 0755 directories owned by root.
func Tar(t testing.TB, name string) string {
	t.Helper()
	dir := Dir(t)
	root := filepath.Join(dir, name)
	want := map[string]attrs{}
	f, err := os.Open(filepath.Join(dir, name+".attrs"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 {
			t.Fatalf("%s.attrs:%d: want MODE UID GID PATH", name, n)
		}
		mode, err1 := strconv.ParseInt(fields[0], 8, 32)
		uid, err2 := strconv.Atoi(fields[1])
		gid, err3 := strconv.Atoi(fields[2])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%s.attrs:%d: bad numbers", name, n)
		}
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(fields[3]))); err != nil {
			t.Fatalf("%s.attrs:%d: %s is not in the tree", name, n, fields[3])
		}
		want[fields[3]] = attrs{mode, uid, gid}
	}
	out := filepath.Join(t.TempDir(), name+".tar")
	w, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		node := "/" + filepath.ToSlash(rel)
		a, ok := want[node]
		if !ok {
			a = attrs{mode: 0o644}
			if d.IsDir() {
				a.mode = 0o755
			}
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), Mode: a.mode, Uid: a.uid, Gid: a.gid}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
			return tw.WriteHeader(h)
		case info.Mode()&fs.ModeSymlink != 0:
			h.Typeflag = tar.TypeSymlink
			h.Linkname, err = os.Readlink(p)
			if err != nil {
				return err
			}
			return tw.WriteHeader(h)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}
