package image

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/kube4c/kube4c/internal/image/imagetest"
)

// largeImage is a generated image of about 500 MB (uncompressed) in an OCI layout: five layers
// of files with random (incompressible) and text-like (semi-compressible) content, executables,
// package.json files, a Go binary, and a dpkg status of 2,000 packages that a later layer
// changes.
var largeImage struct {
	once         sync.Once
	dir          string
	err          error
	uncompressed int64 // bytes of the layers' tar streams
}

// countWriter counts what is written through it.
type countWriter struct {
	w io.Writer
	n *int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

func largeImageLayout(b *testing.B) string {
	b.Helper()
	largeImage.once.Do(func() {
		dir, err := os.MkdirTemp("", "kube4c-bench-image-")
		if err != nil {
			largeImage.err = err
			return
		}
		largeImage.dir = dir
		largeImage.err = generateLargeImage(b, dir)
	})
	if largeImage.err != nil {
		b.Fatal(largeImage.err)
	}
	return filepath.Join(largeImage.dir, "layout")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if largeImage.dir != "" {
		os.RemoveAll(largeImage.dir)
	}
	os.Exit(code)
}

// words make text-like content that compresses about 3:1.
var words = []string{"the", "package", "kube4c", "container", "image", "layer", "secure", "cluster",
	"manifest", "vulnerability", "control", "namespace", "policy", "network", "runtime", "binary"}

func fillText(r *rand.Rand, buf []byte) {
	i := 0
	for i < len(buf) {
		w := words[r.IntN(len(words))]
		i += copy(buf[i:], w)
		if i < len(buf) {
			buf[i] = " \n"[r.IntN(2)]
			i++
		}
	}
}

func generateLargeImage(b *testing.B, dir string) error {
	r := rand.New(rand.NewChaCha8([32]byte{7}))
	var pkgs []imagetest.DpkgPackage
	for i := range 2000 {
		pkgs = append(pkgs, imagetest.DpkgPackage{Name: fmt.Sprintf("pkg%04d", i), Version: fmt.Sprintf("1.%d-1", i), Source: fmt.Sprintf("src%03d", i/3)})
	}
	goBin := imagetest.GoBinary(b)
	var layers []v1.Layer
	const nLayers = 5
	for li := range nLayers {
		path := filepath.Join(dir, fmt.Sprintf("layer%d.tar.gz", li))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
		tw := tar.NewWriter(countWriter{zw, &largeImage.uncompressed})
		add := func(name string, mode int64, content []byte) error {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: time.Unix(1700000000, 0)}); err != nil {
				return err
			}
			_, err := tw.Write(content)
			return err
		}
		switch li {
		case 0:
			for _, fl := range imagetest.Debian12Files(pkgs...) {
				if fl.Symlink != "" || fl.Type == tar.TypeDir {
					typ := byte(tar.TypeSymlink)
					if fl.Type == tar.TypeDir {
						typ = tar.TypeDir
					}
					if err := tw.WriteHeader(&tar.Header{Name: fl.Path, Typeflag: typ, Linkname: fl.Symlink, Mode: 0o755}); err != nil {
						return err
					}
					continue
				}
				mode := fl.Mode
				if mode == 0 {
					mode = 0o644
				}
				if err := add(fl.Path, mode, fl.Content); err != nil {
					return err
				}
			}
		case 2:
			if err := add("var/lib/dpkg/status", 0o644, imagetest.DpkgStatus(append(pkgs[:1990:1990], imagetest.DebianCurlPackages...)...)); err != nil {
				return err
			}
			if err := add("usr/local/bin/app", 0o755, goBin); err != nil {
				return err
			}
		}
		// About 100 MB per layer: 3,000 small and medium files, 20 executables, 200 package.json,
		// and two 13 MB files.
		buf := make([]byte, 16<<20)
		for i := range 3000 {
			size := 1024 + r.IntN(40<<10)
			content := buf[:size]
			if i%2 == 0 {
				for j := range content {
					content[j] = byte(r.Uint32())
				}
			} else {
				fillText(r, content)
			}
			if err := add(fmt.Sprintf("usr/share/data%d/d%02d/f%05d.dat", li, i%50, i), 0o644, content); err != nil {
				return err
			}
		}
		for i := range 20 {
			content := buf[:200<<10+r.IntN(600<<10)]
			copy(content, "\x7fELF")
			for j := 4; j < len(content); j++ {
				content[j] = byte(r.Uint32())
			}
			if err := add(fmt.Sprintf("usr/lib/bin%d/tool%02d", li, i), 0o755, content); err != nil {
				return err
			}
		}
		for i := range 200 {
			pj := fmt.Sprintf(`{"name": "mod-%d-%d", "version": "1.%d.0", "license": "MIT"}`, li, i, i)
			if err := add(fmt.Sprintf("app/node_modules/mod-%d-%d/package.json", li, i), 0o644, []byte(pj)); err != nil {
				return err
			}
		}
		for i := range 2 {
			content := buf[:13<<20]
			if i == 0 {
				for j := range content {
					content[j] = byte(r.Uint32())
				}
			} else {
				fillText(r, content)
			}
			if err := add(fmt.Sprintf("opt/big%d/blob%d.bin", li, i), 0o644, content); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		l, err := tarball.LayerFromFile(path)
		if err != nil {
			return err
		}
		layers = append(layers, l)
	}
	img := imagetest.Image(b, imagetest.Config{}, layers...)
	imagetest.WriteLayout(b, filepath.Join(dir, "layout"), img, nil)
	for li := range nLayers {
		os.Remove(filepath.Join(dir, fmt.Sprintf("layer%d.tar.gz", li)))
	}
	return nil
}

// BenchmarkReadLargeImage reads the generated image from its OCI layout; peak-heap-MB is the
// largest heap in use during a read (sampled), above what was in use before.
func BenchmarkReadLargeImage(b *testing.B) {
	if testing.Short() {
		b.Skip("generates a 500 MB image")
	}
	dir := largeImageLayout(b)
	var uncompressed int64
	b.ReportAllocs()
	b.ResetTimer()
	var peak atomic.Uint64
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > base {
						if d := ms.HeapInuse - base; d > peak.Load() {
							peak.Store(d)
						}
					}
				}
			}
		}()
		img, probs, err := Read(context.Background(), Spec{Layout: dir}, Options{TempDir: b.TempDir()})
		close(done)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if len(probs) > 0 {
			b.Fatalf("problems: %v", probs)
		}
		if n := len(img.Packages); n < 2000 {
			b.Fatalf("%d packages", n)
		}
		uncompressed = 0
		for _, l := range img.Layers {
			uncompressed += l.Size
		}
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(uncompressed)/(1<<20), "compressed-MB")
	b.ReportMetric(float64(largeImage.uncompressed)/(1<<20), "uncompressed-MB")
}
