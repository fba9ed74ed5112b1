package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/image/imagetest"
)

// FuzzLayer reads arbitrary bytes (a tar stream, gzip-compressed or not) as the only layer of an
// image, through the walker, the hygiene checks and the package extractors: nothing may panic,
// hang or escape, and the result must serialise.
func FuzzLayer(f *testing.F) {
	seeds := [][]imagetest.File{
		imagetest.Debian12Files(imagetest.Debian12Packages...),
		imagetest.Alpine320Files(),
		{ // traversal and absolute names
			imagetest.Reg("../../../etc/passwd", "x"),
			imagetest.Reg("/etc/shadow", "x"),
			imagetest.Reg("a/../../b", "x"),
		},
		{ // links escaping the root, loops
			imagetest.Symlink("etc", "/../../../../etc"),
			imagetest.Reg("etc/os-release", "ID=evil\n"),
			imagetest.Symlink("x", "y"),
			imagetest.Symlink("y", "x"),
			imagetest.Reg("x/z", "z"),
			imagetest.Symlink("deep", "deep/deep/deep"),
		},
		{ // hard links
			imagetest.Reg("var/lib/dpkg/status", string(imagetest.DpkgStatus(imagetest.Debian12Packages...))),
			imagetest.Hardlink("var/lib/dpkg/status.d/copy", "var/lib/dpkg/status"),
			imagetest.Hardlink("h/missing", "nope"),
			imagetest.Hardlink("h/escape", "../../etc/passwd"),
			imagetest.Hardlink("h/dir", "var"),
		},
		{ // whiteouts
			imagetest.Reg("d/a", "a"),
			imagetest.OpaqueWhiteout("d"),
			imagetest.Whiteout("d/a"),
			imagetest.Whiteout("nothing/here"),
			imagetest.Reg(".wh..wh..opq", ""),
		},
		{ // secrets and packages
			imagetest.Reg("root/.ssh/id_rsa", rsaKey),
			imagetest.Reg("root/.aws/credentials", "[default]\naws_secret_access_key = "+awsSecretValue+"\n"),
			imagetest.Reg("app/node_modules/x/package.json", `{"name": "x", "version": "1.0.0"}`),
			imagetest.Reg("app/package-lock.json", `{"lockfileVersion": 3, "packages": {"node_modules/y": {"version": "2.0.0"}}}`),
			imagetest.Reg("usr/lib/python3/dist-packages/r-1.0.dist-info/METADATA", "Name: r\nVersion: 1.0\n"),
			imagetest.File{Path: "usr/bin/su", Content: []byte("su"), Mode: 0o4755},
			imagetest.File{Path: "dev/null", Type: tar.TypeChar},
		},
	}
	for _, s := range seeds {
		b := imagetest.Tar(f, s...)
		f.Add(b)
		f.Add(imagetest.Gzip(f, b))
	}
	bomb := imagetest.Gzip(f, imagetest.Tar(f, imagetest.File{Path: "zeros", Content: make([]byte, 8<<20)}))
	f.Add(bomb)
	f.Add(bomb[:len(bomb)/2])
	f.Add([]byte("not a tar"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang is a bug: crash so that the fuzzer keeps the input.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				panic("FuzzLayer: reading the layer took more than 30 s")
			}
		}()
		ctx := context.Background()
		w := newWalker("fuzz", Limits{MaxLayerBytes: 4 << 20, MaxImageBytes: 4 << 20, MaxFileBytes: 1 << 20, MaxEntries: 4000}, "")
		defer w.close()
		open := func() (io.ReadCloser, error) {
			if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					return nil, err
				}
				return zr, nil
			}
			return io.NopCloser(bytes.NewReader(data)), nil
		}
		err := w.readLayers(ctx, []layerSource{{digest: "sha256:fuzz", open: open}})
		var le *LimitError
		if err != nil && errors.As(err, &le) && le.Layer != "sha256:fuzz" {
			t.Errorf("limit error without the layer: %v", err)
		}
		if err != nil {
			return
		}
		out := newImage("fuzz")
		if err := w.finish(ctx, out); err != nil {
			t.Fatalf("finish: %v", err)
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("marshal: %v", err)
		}
		for _, p := range w.problems {
			if p.File != "fuzz" {
				t.Errorf("problem without the image: %v", p)
			}
		}
	})
}

// FuzzSecrets looks for secrets in arbitrary content.
func FuzzSecrets(f *testing.F) {
	f.Add("root/.ssh/id_rsa", []byte(rsaKey))
	f.Add("root/.kube/config", []byte("users:\n- user:\n    token: abcdefghijklmnopqrstuvwxyz\n    client-key-data: "+kubeKeyData+"\n"))
	f.Add("root/.docker/config.json", []byte(`{"auths": {"r": {"auth": "`+dockerAuthB64+`"}}}`))
	f.Add("app/sa.json", []byte(`{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nX\n"}`))
	f.Add(".npmrc", []byte("_authToken="+npmTokenValue))
	f.Add(".pypirc", []byte("password = x"))
	f.Add(".git-credentials", []byte("https://u:p@h"))
	f.Add("x", []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\r\n\r\nlQOYBF0AAAAAAAAAAAAAAAAAAAAAAAA\r\n"))
	f.Fuzz(func(t *testing.T, p string, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, h := range findSecrets(p, data) {
			if h.kind == "" || h.line < 1 || h.line > lines {
				t.Errorf("hit %+v in %d lines", h, lines)
			}
		}
	})
}
