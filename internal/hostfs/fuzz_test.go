package hostfs

import (
	"archive/tar"
	"bytes"
	"testing"
)

// FuzzReadTar feeds arbitrary archives to the tar reader and reads every path it lists: nothing
// may panic or loop, whatever the links point at.
func FuzzReadTar(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "etc/a", Typeflag: tar.TypeSymlink, Linkname: "../etc/b"})
	tw.WriteHeader(&tar.Header{Name: "etc/b", Typeflag: tar.TypeSymlink, Linkname: "/etc/a"})
	tw.WriteHeader(&tar.Header{Name: "etc/c", Typeflag: tar.TypeReg, Size: 1, Mode: 0o600})
	tw.Write([]byte("c"))
	tw.WriteHeader(&tar.Header{Name: "etc/d", Typeflag: tar.TypeLink, Linkname: "etc/c"})
	tw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys, err := ReadTar("fuzz.tar", bytes.NewReader(data))
		if err != nil {
			return
		}
		tf := fsys.(*tarFS)
		for p := range tf.entries {
			fsys.Stat(p)
			fsys.ReadFile(p)
			fsys.ReadDir(p)
		}
	})
}
