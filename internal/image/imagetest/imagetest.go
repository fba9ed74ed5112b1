// Package imagetest assembles container images in tests: layers from file lists, images with a
// configuration, written as an OCI layout or a `docker save` archive, or pushed to a registry
// served on the loopback interface. It also holds fixtures: os-release files, a Debian 12 dpkg
// status, an Alpine 3.20 apk database, and a Go binary built against a vulnerable module.
package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one entry of a layer.
type File struct {
	// Path is written as is in the tar header ("etc/os-release", "/abs", "../escape" all allowed).
	Path    string
	Content []byte
	// Mode holds the permission and setuid/setgid/sticky bits; 0 means 0644 for files, 0755 for
	// directories, 0777 for symbolic links.
	Mode int64
	// Type is the tar type flag; 0 means tar.TypeSymlink when Symlink is set, tar.TypeLink when
	// Hardlink is set, tar.TypeDir when Path ends with "/", and tar.TypeReg otherwise.
	Type     byte
	Symlink  string
	Hardlink string
	UID, GID int
}

// Reg is a regular file.
func Reg(path, content string) File { return File{Path: path, Content: []byte(content)} }

// Exec is an executable file (mode 0755).
func Exec(path string, content []byte) File { return File{Path: path, Content: content, Mode: 0o755} }

// Dir is a directory.
func Dir(path string) File { return File{Path: strings.TrimSuffix(path, "/") + "/", Type: tar.TypeDir} }

// Symlink is a symbolic link to target.
func Symlink(path, target string) File { return File{Path: path, Symlink: target} }

// Hardlink is a hard link to target (a path of the same or a lower layer).
func Hardlink(path, target string) File { return File{Path: path, Hardlink: target} }

// Whiteout deletes path from the lower layers.
func Whiteout(path string) File {
	dir, base := filepath.Split(path)
	return File{Path: dir + ".wh." + base}
}

// OpaqueWhiteout hides everything the lower layers put in dir.
func OpaqueWhiteout(dir string) File {
	return File{Path: strings.TrimSuffix(dir, "/") + "/.wh..wh..opq"}
}

// Tar returns the files as an uncompressed tar stream.
func Tar(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.Path, Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		switch {
		case f.Type != 0:
			hdr.Typeflag = f.Type
		case f.Symlink != "":
			hdr.Typeflag = tar.TypeSymlink
		case f.Hardlink != "":
			hdr.Typeflag = tar.TypeLink
		case strings.HasSuffix(f.Path, "/"):
			hdr.Typeflag = tar.TypeDir
		default:
			hdr.Typeflag = tar.TypeReg
		}
		hdr.Linkname = f.Symlink + f.Hardlink
		if hdr.Mode == 0 {
			switch hdr.Typeflag {
			case tar.TypeDir:
				hdr.Mode = 0o755
			case tar.TypeSymlink:
				hdr.Mode = 0o777
			default:
				hdr.Mode = 0o644
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(f.Content))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("imagetest: tar header %q: %v", f.Path, err)
		}
		if hdr.Size > 0 {
			if _, err := tw.Write(f.Content); err != nil {
				t.Fatalf("imagetest: tar content %q: %v", f.Path, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("imagetest: tar: %v", err)
	}
	return buf.Bytes()
}

// Gzip compresses b.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Layer is a gzip-compressed layer holding the files.
func Layer(t testing.TB, files ...File) v1.Layer {
	t.Helper()
	return LayerFromBytes(t, Gzip(t, Tar(t, files...)))
}

// LayerFromBytes is a layer whose blob is b: gzip- or zstd-compressed, or an uncompressed tar
// (compressed with gzip when written out). The bytes are not checked: tests of bad input use it.
func LayerFromBytes(t testing.TB, b []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatalf("imagetest: layer: %v", err)
	}
	return l
}

// Config is what Image puts in the image configuration.
type Config struct {
	// Platform is os/arch[/variant] ("linux/amd64" when empty).
	Platform     string
	User         string
	Env          []string
	Labels       map[string]string
	Entrypoint   []string
	Cmd          []string
	ExposedPorts []string
	Created      time.Time
	// CreatedBy is the history entry of each layer, in order ("layer N" when missing).
	CreatedBy []string
	// History, when set, replaces the history entries Image writes.
	History []v1.History
}

// Image assembles an image from layers, in order (bottom first).
func Image(t testing.TB, cfg Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		by := fmt.Sprintf("layer %d", i+1)
		if i < len(cfg.CreatedBy) {
			by = cfg.CreatedBy[i]
		}
		adds[i] = mutate.Addendum{Layer: l, History: v1.History{CreatedBy: by, Created: v1.Time{Time: time.Unix(1700000000, 0).UTC()}}}
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		t.Fatalf("imagetest: image: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("imagetest: image config: %v", err)
	}
	cf = cf.DeepCopy()
	plat := cfg.Platform
	if plat == "" {
		plat = "linux/amd64"
	}
	p, err := v1.ParsePlatform(plat)
	if err != nil {
		t.Fatalf("imagetest: platform: %v", err)
	}
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.User = cfg.User
	cf.Config.Env = cfg.Env
	cf.Config.Labels = cfg.Labels
	cf.Config.Entrypoint = cfg.Entrypoint
	cf.Config.Cmd = cfg.Cmd
	if len(cfg.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, port := range cfg.ExposedPorts {
			cf.Config.ExposedPorts[port] = struct{}{}
		}
	}
	if !cfg.Created.IsZero() {
		cf.Created = v1.Time{Time: cfg.Created}
	}
	if cfg.History != nil {
		cf.History = cfg.History
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatalf("imagetest: image config: %v", err)
	}
	return img
}

// Index is a multi-platform index of the images (each with its configuration's platform).
func Index(t testing.TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("imagetest: index: %v", err)
		}
		p := cf.Platform()
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	return idx
}

func layoutPath(t testing.TB, dir string) layout.Path {
	t.Helper()
	if p, err := layout.FromPath(dir); err == nil {
		return p
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatalf("imagetest: layout %s: %v", dir, err)
	}
	return p
}

// WriteLayout adds the image to the OCI layout in dir (created when missing) with the
// descriptor annotations (e.g. org.opencontainers.image.ref.name) and the image's platform.
func WriteLayout(t testing.TB, dir string, img v1.Image, annotations map[string]string) {
	t.Helper()
	p := layoutPath(t, dir)
	opts := []layout.Option{}
	if len(annotations) > 0 {
		opts = append(opts, layout.WithAnnotations(annotations))
	}
	if cf, err := img.ConfigFile(); err == nil && cf.OS != "" {
		opts = append(opts, layout.WithPlatform(*cf.Platform()))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		t.Fatalf("imagetest: layout %s: %v", dir, err)
	}
}

// WriteLayoutIndex adds a multi-platform index to the OCI layout in dir.
func WriteLayoutIndex(t testing.TB, dir string, idx v1.ImageIndex, annotations map[string]string) {
	t.Helper()
	p := layoutPath(t, dir)
	opts := []layout.Option{}
	if len(annotations) > 0 {
		opts = append(opts, layout.WithAnnotations(annotations))
	}
	if err := p.AppendIndex(idx, opts...); err != nil {
		t.Fatalf("imagetest: layout %s: %v", dir, err)
	}
}

// WriteArchive writes the image as a `docker save` archive tagged tag (e.g. "app:1.0").
func WriteArchive(t testing.TB, path, tag string, img v1.Image) {
	t.Helper()
	WriteArchiveMulti(t, path, map[string]v1.Image{tag: img})
}

// WriteArchiveMulti writes several tagged images in one `docker save` archive.
func WriteArchiveMulti(t testing.TB, path string, images map[string]v1.Image) {
	t.Helper()
	m := map[name.Tag]v1.Image{}
	for tag, img := range images {
		tt, err := name.NewTag(tag)
		if err != nil {
			t.Fatalf("imagetest: tag %q: %v", tag, err)
		}
		m[tt] = img
	}
	if err := tarball.MultiWriteToFile(path, m); err != nil {
		t.Fatalf("imagetest: archive %s: %v", path, err)
	}
}

// WriteDockerSave writes the tagged images as `docker save` (before Docker 25) does: the
// configuration as <id>.json, each layer uncompressed as <diff id>/layer.tar, and manifest.json.
// (WriteArchive writes go-containerregistry's variant, with gzip-compressed layers.)
func WriteDockerSave(t testing.TB, path string, images map[string]v1.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, r io.Reader, size int64) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, r); err != nil {
			t.Fatal(err)
		}
	}
	type entry struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	var manifest []entry
	written := map[string]bool{}
	tags := make([]string, 0, len(images))
	for tag := range images {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	for _, tag := range tags {
		img := images[tag]
		cfgName, err := img.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := img.RawConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		e := entry{Config: cfgName.Hex + ".json", RepoTags: []string{tag}}
		if !written[e.Config] {
			add(e.Config, bytes.NewReader(raw), int64(len(raw)))
			written[e.Config] = true
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			diff, err := l.DiffID()
			if err != nil {
				t.Fatal(err)
			}
			name := diff.Hex + "/layer.tar"
			e.Layers = append(e.Layers, name)
			if written[name] {
				continue
			}
			written[name] = true
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			add(name, bytes.NewReader(b), int64(len(b)))
		}
		manifest = append(manifest, e)
	}
	m, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	add("manifest.json", bytes.NewReader(m), int64(len(m)))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// DiffIDs are the diff IDs (uncompressed digests) of the image's layers.
func DiffIDs(t testing.TB, img v1.Image) []string {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cf.RootFS.DiffIDs))
	for i, d := range cf.RootFS.DiffIDs {
		out[i] = d.String()
	}
	return out
}

// Registry serves an in-memory registry on the loopback interface for the test and returns its
// host:port (plain HTTP).
func Registry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Push writes the image to ref (a plain-HTTP registry, e.g. Registry(t)+"/app:1").
func Push(t testing.TB, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatalf("imagetest: reference %q: %v", ref, err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("imagetest: push %s: %v", ref, err)
	}
}

// PushIndex writes the index and its images to ref.
func PushIndex(t testing.TB, ref string, idx v1.ImageIndex) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatalf("imagetest: reference %q: %v", ref, err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("imagetest: push %s: %v", ref, err)
	}
}

// Digest is the manifest digest of the image.
func Digest(t testing.TB, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// LayerDigests are the (compressed) digests of the image's layers.
func LayerDigests(t testing.TB, img v1.Image) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d.String()
	}
	return out
}

// WriteRootFS writes the files under dir as an unpacked root file system (directories,
// regular files with their modes, symbolic links; hard links and devices are not supported).
func WriteRootFS(t testing.TB, dir string, files ...File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(f.Path, "/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case f.Symlink != "":
			if err := os.Symlink(f.Symlink, p); err != nil {
				t.Fatal(err)
			}
		case f.Type == tar.TypeDir || strings.HasSuffix(f.Path, "/"):
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case f.Hardlink != "" || (f.Type != 0 && f.Type != tar.TypeReg):
			t.Fatalf("imagetest: WriteRootFS: %q: only files, directories and symbolic links", f.Path)
		default:
			mode := os.FileMode(f.Mode & 0o777)
			if mode == 0 {
				mode = 0o644
			}
			if err := os.WriteFile(p, f.Content, mode); err != nil {
				t.Fatal(err)
			}
			special := os.FileMode(0)
			if f.Mode&0o4000 != 0 {
				special |= os.ModeSetuid
			}
			if f.Mode&0o2000 != 0 {
				special |= os.ModeSetgid
			}
			if special != 0 {
				if err := os.Chmod(p, mode|special); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
