// Package image reads a container image — from a registry, a `docker save` archive, an OCI image
// layout, or an unpacked root file system — into an image.Image: its configuration, its layers,
// its distribution (os-release), the packages installed in it (internal/packages), and the
// hygiene facts analyzers judge (setuid files, files holding secrets, shells, package managers).
//
// The image is never unpacked to disk. Layers are streamed through tar readers (a few at a time,
// decompression being the cost) and applied in order to a map of the final file system
// (whiteouts and opaque directories applied); only the content of the files the package
// extractors and the checks read is kept, files over 1 MiB in a temporary directory that is
// removed when Read returns. Entry names are normalised; an entry
// whose path leaves the root is refused with a problem; symbolic links are resolved inside the
// image root, never on the host. Limits bound the uncompressed size, the kept file size and the
// number of entries (decompression bombs fail with a LimitError, not with an exhausted memory).
package image

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/packages"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultPlatform is the platform picked from multi-platform images.
const DefaultPlatform = "linux/amd64"

// RefNameAnnotation names an image in an OCI layout's index.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// containerdNameAnnotation is the full reference containerd writes in the layouts it exports.
const containerdNameAnnotation = "io.containerd.image.name"

// Spec says which image to read. Exactly one of Archive, Layout and RootFS may be set; without
// them Ref is pulled from its registry. With Archive or Layout, Ref selects one image of several
// (a tag of the archive, or the org.opencontainers.image.ref.name of the layout).
type Spec struct {
	// Ref is an image reference ("nginx:1.27", "ghcr.io/a/b@sha256:...").
	Ref string
	// Archive is a `docker save` tarball.
	Archive string
	// Layout is an OCI image layout directory.
	Layout string
	// RootFS is an unpacked root file system directory.
	RootFS string
}

// Options control reading.
type Options struct {
	// Platform is picked from multi-platform images: os/arch[/variant] (DefaultPlatform when empty).
	Platform string
	// Insecure allows plain HTTP registries and registries with certificates that do not verify
	// (a loopback test registry, --insecure-registry).
	Insecure bool
	// Keychain finds registry credentials (authn.DefaultKeychain when nil, so `docker login`
	// and Docker credential helpers work).
	Keychain authn.Keychain
	Limits   Limits
	// TempDir holds the temporary files of kept files over 1 MiB (the system's when empty).
	TempDir string
	// Transport, when set, is the HTTP transport to registries (tests).
	Transport http.RoundTripper
}

func (o Options) platform() (v1.Platform, error) {
	s := o.Platform
	if s == "" {
		s = DefaultPlatform
	}
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return v1.Platform{}, fmt.Errorf("platform %q: %w", s, err)
	}
	return *p, nil
}

func (o Options) nameOptions() []name.Option {
	if o.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (o Options) remoteOptions(ctx context.Context, p v1.Platform) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithPlatform(p)}
	switch {
	case o.Transport != nil:
		opts = append(opts, remote.WithTransport(o.Transport))
	case o.Insecure:
		if t, ok := remote.DefaultTransport.(*http.Transport); ok {
			t = t.Clone()
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with Insecure
			opts = append(opts, remote.WithTransport(t))
		}
	}
	return opts
}

// Resolve returns the manifest digest a registry reference names, without pulling the image:
// for a multi-platform index, the digest of the platform's manifest. Scans use it to read each
// distinct image once.
func Resolve(ctx context.Context, ref string, opts Options) (string, error) {
	plat, err := opts.platform()
	if err != nil {
		return "", err
	}
	r, err := name.ParseReference(ref, opts.nameOptions()...)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	ropts := opts.remoteOptions(ctx, plat)
	if d, err := remote.Head(r, ropts...); err == nil && d.MediaType.IsImage() {
		return d.Digest.String(), nil
	}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return "", registryError(ref, err)
	}
	if !desc.MediaType.IsIndex() {
		return desc.Digest.String(), nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return "", registryError(ref, err)
	}
	d, err := pickPlatform(idx, plat, 0)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", ref, err)
	}
	return d.Digest.String(), nil
}

// pickPlatform finds the image manifest of the platform in an index (nested indexes followed).
func pickPlatform(idx v1.ImageIndex, plat v1.Platform, depth int) (v1.Descriptor, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	var have []string
	for _, m := range im.Manifests {
		if m.Platform != nil {
			have = append(have, m.Platform.String())
		}
		if m.Platform == nil || !m.Platform.Satisfies(plat) {
			continue
		}
		if m.MediaType.IsImage() {
			return m, nil
		}
		if m.MediaType.IsIndex() && depth < 4 {
			child, err := idx.ImageIndex(m.Digest)
			if err != nil {
				return v1.Descriptor{}, err
			}
			return pickPlatform(child, plat, depth+1)
		}
	}
	return v1.Descriptor{}, fmt.Errorf("no image for platform %s in the index (it has: %s)", plat.String(), strings.Join(have, ", "))
}

// registryError explains a registry failure.
func registryError(ref string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("image %s: the registry refused access (%d): %w; log in with `docker login` or check the credentials", ref, te.StatusCode, err)
		case http.StatusNotFound:
			return fmt.Errorf("image %s: not found in the registry: %w", ref, err)
		}
	}
	return fmt.Errorf("image %s: %w", ref, err)
}

// Read reads an image. Problems are non-fatal: entries refused for leaving the image root,
// foreign layers, files too large to read, package databases that could not be parsed. The error
// is fatal: the image could not be found or read, or it exceeds the Limits.
func Read(ctx context.Context, spec Spec, opts Options) (*image.Image, []inventory.Problem, error) {
	plat, err := opts.platform()
	if err != nil {
		return nil, nil, err
	}
	n := 0
	for _, s := range []string{spec.Archive, spec.Layout, spec.RootFS} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return nil, nil, errors.New("read one image at a time: set only one of archive, layout and root file system")
	}
	var (
		img  v1.Image
		name string
	)
	switch {
	case spec.RootFS != "":
		return readRootFS(ctx, spec.RootFS, opts)
	case spec.Archive != "":
		name = spec.Archive
		img, err = openArchive(spec.Archive, spec.Ref)
	case spec.Layout != "":
		name = spec.Layout
		img, err = openLayout(spec.Layout, spec.Ref, plat)
	case spec.Ref != "":
		name = spec.Ref
		img, err = openRemote(ctx, spec.Ref, opts, plat)
	default:
		return nil, nil, errors.New("no image to read: give a reference, an archive, a layout or a root file system")
	}
	if err != nil {
		return nil, nil, err
	}
	return readImage(ctx, name, img, opts, spec.Archive != "")
}

func openRemote(ctx context.Context, ref string, opts Options, plat v1.Platform) (v1.Image, error) {
	r, err := name.ParseReference(ref, opts.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	desc, err := remote.Get(r, opts.remoteOptions(ctx, plat)...)
	if err != nil {
		return nil, registryError(ref, err)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, registryError(ref, err)
	}
	return img, nil
}

func openArchive(p, ref string) (v1.Image, error) {
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("docker archive: %w", err)
	}
	opener := func() (io.ReadCloser, error) { return os.Open(p) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("docker archive %s: not a `docker save` archive (reading manifest.json: %v)", p, err)
	}
	var tags []string
	for _, d := range m {
		tags = append(tags, d.RepoTags...)
	}
	if ref == "" {
		if len(m) != 1 {
			return nil, fmt.Errorf("docker archive %s holds %d images; choose one by tag: %s", p, len(m), strings.Join(tags, ", "))
		}
		img, err := tarball.Image(opener, nil)
		if err != nil {
			return nil, fmt.Errorf("docker archive %s: %w", p, err)
		}
		return img, nil
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return nil, fmt.Errorf("docker archive %s: tag %q: %w", p, ref, err)
	}
	found := false
	for _, t := range tags {
		if tt, err := name.NewTag(t); err == nil && tt.Name() == tag.Name() {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("docker archive %s has no image tagged %s (it has: %s)", p, ref, strings.Join(tags, ", "))
	}
	img, err := tarball.Image(opener, &tag)
	if err != nil {
		return nil, fmt.Errorf("docker archive %s: %w", p, err)
	}
	return img, nil
}

// layoutImage is one image of an OCI layout.
type layoutImage struct {
	digest   v1.Hash
	names    []string // ref.name and containerd name annotations
	platform *v1.Platform
	open     func() (v1.Image, error)
}

func (c layoutImage) String() string {
	s := c.digest.String()
	if len(c.names) > 0 {
		s = c.names[0] + " (" + s + ")"
	}
	if c.platform != nil {
		s += " " + c.platform.String()
	}
	return s
}

func openLayout(dir, ref string, plat v1.Platform) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("OCI layout %s: no index.json: %w", dir, err)
		}
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	cands, err := layoutImages(idx, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("OCI layout %s holds no image", dir)
	}
	if ref != "" {
		var keep []layoutImage
		for _, c := range cands {
			if slices.ContainsFunc(c.names, func(n string) bool { return refMatches(n, ref) }) {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("OCI layout %s has no image named %s (it has: %s)", dir, ref, describe(cands))
		}
		cands = keep
	}
	if len(cands) > 1 {
		var keep []layoutImage
		for _, c := range cands {
			p := c.platform
			if p == nil {
				if img, err := c.open(); err == nil {
					if cf, err := img.ConfigFile(); err == nil {
						p = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
					}
				}
			}
			if p != nil && p.Satisfies(plat) {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("OCI layout %s has no image for platform %s (it has: %s)", dir, plat.String(), describe(cands))
		}
		if len(keep) > 1 {
			return nil, fmt.Errorf("OCI layout %s holds %d images for platform %s; choose one by name (%s): %s",
				dir, len(keep), plat.String(), RefNameAnnotation, describe(keep))
		}
		cands = keep
	}
	img, err := cands[0].open()
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	return img, nil
}

func describe(cands []layoutImage) string {
	s := make([]string, len(cands))
	for i, c := range cands {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
}

// refMatches reports whether an annotated name selects ref: the same string, or the tag of ref
// (containerd writes the tag alone in ref.name).
func refMatches(annotated, ref string) bool {
	if annotated == ref {
		return true
	}
	if t, err := name.NewTag(ref); err == nil {
		if annotated == t.TagStr() && strings.HasSuffix(ref, ":"+annotated) {
			return true
		}
		if a, err := name.NewTag(annotated); err == nil && a.Name() == t.Name() {
			return true
		}
	}
	return false
}

func layoutImages(idx v1.ImageIndex, names []string, depth int) ([]layoutImage, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []layoutImage
	for _, m := range im.Manifests {
		ns := slices.Clone(names)
		for _, k := range []string{RefNameAnnotation, containerdNameAnnotation} {
			if v := m.Annotations[k]; v != "" {
				ns = append(ns, v)
			}
		}
		switch {
		case m.MediaType.IsImage():
			d := m.Digest
			out = append(out, layoutImage{digest: d, names: ns, platform: m.Platform,
				open: func() (v1.Image, error) { return idx.Image(d) }})
		case m.MediaType.IsIndex() && depth < 4:
			child, err := idx.ImageIndex(m.Digest)
			if err != nil {
				return nil, err
			}
			sub, err := layoutImages(child, ns, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}

// readImage reads a v1.Image. A `docker save` archive (archive true) holds no registry manifest:
// go-containerregistry would compress every layer to compute one, so the image's Digest is
// its ID (the configuration's digest, as `docker images --no-trunc` shows it) and the layers'
// digests are their diff IDs (the digests of the layer tarballs the archive stores).
func readImage(ctx context.Context, name string, img v1.Image, opts Options, archive bool) (*image.Image, []inventory.Problem, error) {
	fail := func(err error) (*image.Image, []inventory.Problem, error) {
		return nil, nil, fmt.Errorf("image %s: %w", name, err)
	}
	out := newImage(name)
	var (
		d   v1.Hash
		err error
	)
	if archive {
		d, err = img.ConfigName()
	} else {
		d, err = img.Digest()
	}
	if err != nil {
		return fail(fmt.Errorf("manifest: %w", err))
	}
	out.Digest = d.String()
	cf, err := img.ConfigFile()
	if err != nil {
		return fail(fmt.Errorf("configuration: %w", err))
	}
	if archive && len(cf.RootFS.DiffIDs) == 0 {
		return fail(errors.New("the configuration lists no layers"))
	}
	out.Platform = cf.Platform().String()
	if cf.OS == "" && cf.Architecture == "" {
		out.Platform = ""
	}
	out.Config = config(cf)
	layers, err := img.Layers()
	if err != nil {
		return fail(fmt.Errorf("layers: %w", err))
	}
	var createdBy []string
	for _, h := range cf.History {
		if !h.EmptyLayer {
			createdBy = append(createdBy, h.CreatedBy)
		}
	}
	w := newWalker(name, opts.Limits, opts.TempDir)
	defer w.close()
	srcs := make([]layerSource, 0, len(layers))
	for i, l := range layers {
		var layer image.Layer
		// The configuration lists the diff IDs; asking the layer may decompress it to hash it.
		if len(cf.RootFS.DiffIDs) == len(layers) {
			layer.DiffID = cf.RootFS.DiffIDs[i].String()
		}
		if archive {
			if layer.DiffID == "" {
				return fail(fmt.Errorf("the configuration lists %d layers, the archive %d", len(cf.RootFS.DiffIDs), len(layers)))
			}
			layer.Digest = layer.DiffID
		} else {
			ld, err := l.Digest()
			if err != nil {
				return fail(fmt.Errorf("layer %d: %w", i+1, err))
			}
			layer.Digest = ld.String()
			if size, err := l.Size(); err == nil {
				layer.Size = size
			}
		}
		if len(createdBy) == len(layers) {
			layer.CreatedBy = createdBy[i]
		}
		out.Layers = append(out.Layers, layer)
		src := layerSource{digest: layer.Digest, open: l.Uncompressed}
		if mt, err := l.MediaType(); err == nil && !mt.IsDistributable() {
			src = layerSource{digest: layer.Digest, skip: fmt.Sprintf("foreign layer (%s) not read", mt)}
		}
		srcs = append(srcs, src)
	}
	if err := w.readLayers(ctx, srcs); err != nil {
		return nil, w.problems, fmt.Errorf("image %s: %w", name, err)
	}
	if err := w.finish(ctx, out); err != nil {
		return nil, w.problems, fmt.Errorf("image %s: %w", name, err)
	}
	return out, w.problems, nil
}

func newImage(name string) *image.Image {
	return &image.Image{TypeMeta: metav1.TypeMeta{APIVersion: image.APIVersion, Kind: image.Kind}, Name: name}
}

func config(cf *v1.ConfigFile) image.Config {
	c := image.Config{
		User:       cf.Config.User,
		Entrypoint: slices.Clone(cf.Config.Entrypoint),
		Cmd:        slices.Clone(cf.Config.Cmd),
	}
	if len(cf.Config.Labels) > 0 {
		c.Labels = make(map[string]string, len(cf.Config.Labels))
		for k, v := range cf.Config.Labels {
			c.Labels[k] = v
		}
	}
	for _, e := range cf.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		c.Env = append(c.Env, image.EnvVar{Name: k, Value: v})
	}
	for p := range cf.Config.ExposedPorts {
		c.ExposedPorts = append(c.ExposedPorts, p)
	}
	slices.Sort(c.ExposedPorts)
	if !cf.Created.IsZero() {
		c.Created = cf.Created.UTC().Format(time.RFC3339)
	}
	for _, h := range cf.History {
		c.History = append(c.History, image.History{CreatedBy: h.CreatedBy, EmptyLayer: h.EmptyLayer})
	}
	return c
}

// finish fills what is read from the final file system: os-release, packages and hygiene facts.
func (w *walker) finish(ctx context.Context, out *image.Image) error {
	out.OS = w.t.osRelease()
	out.SetuidFiles = w.t.setuidFiles(w.layers)
	out.Secrets = w.secretFiles()
	out.Shells = w.t.shells()
	out.PackageManagers = w.t.packageManagers()
	pkgs, err := w.packages(ctx)
	if err != nil {
		return err
	}
	out.Packages = pkgs
	return nil
}

// packages runs the extractors on the kept files of the final file system, then attributes the
// packages of OS package databases to the layer that introduced them.
func (w *walker) packages(ctx context.Context) ([]packages.Package, error) {
	paths := []string{} // not nil: Extract walks the file system when Paths is nil
	var walk func(n *node, p string)
	walk = func(n *node, p string) {
		for name, c := range n.children {
			cp := path.Join(p, name)
			switch {
			case c.kind == kindDir:
				walk(c, cp)
			case c.kind == kindReg && c.want && c.blob != nil:
				paths = append(paths, cp)
			}
		}
	}
	walk(w.t.root, "")
	slices.Sort(paths)
	opts := packages.Options{
		Paths:        paths,
		Absolute:     true,
		MaxFileBytes: w.limits.MaxFileBytes,
		Layer: func(p string) string {
			if n := w.t.lookup(p); n != nil {
				return layerDigest(w.layers, n.layer)
			}
			return ""
		},
	}
	pkgs, probs, err := packages.Extract(ctx, w.t, opts)
	w.addProblems(probs)
	if err != nil {
		return nil, err
	}
	dbs := make([]string, 0, len(w.dbs))
	for p := range w.dbs {
		dbs = append(dbs, p)
	}
	slices.Sort(dbs)
	for _, p := range dbs {
		versions := w.dbs[p]
		if len(versions) < 2 {
			continue // one version: the file's layer is right
		}
		lv := make([]packages.LayerVersion, 0, len(versions))
		for _, v := range versions {
			version := packages.LayerVersion{Layer: layerDigest(w.layers, int32(v.layer))}
			if v.n != nil {
				vp, _, err := packages.ExtractFile(ctx, overlay{tree: w.t, path: p, n: v.n}, p, opts)
				if err != nil {
					return nil, err
				}
				version.Packages = vp
			}
			lv = append(lv, version)
		}
		packages.AttributeLayers(pkgs, "/"+p, lv)
	}
	return pkgs, nil
}

// addProblems records the extractors' problems as problems of the image, naming the file.
func (w *walker) addProblems(probs []inventory.Problem) {
	for _, p := range probs {
		p.Resource, p.File = p.File, w.name
		w.problems = append(w.problems, p)
	}
}

// readRootFS reads an unpacked root file system directory as an image of one pseudo-layer
// (digest empty). Symbolic links are recorded, never followed on the host.
func readRootFS(ctx context.Context, dir string, opts Options) (*image.Image, []inventory.Problem, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("root file system: %w", err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("root file system %s: not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("root file system: %w", err)
	}
	defer root.Close()
	out := newImage(dir)
	w := newWalker(dir, opts.Limits, opts.TempDir)
	defer w.close()
	scan := &layerScan{}
	var buf []byte
	var total int64
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			w.problem(layerResource(""), fmt.Sprintf("%s: %v", p, err))
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if p == "." {
			return nil
		}
		if w.entries.Add(1) > int64(w.limits.MaxEntries) {
			return &LimitError{Limit: "MaxEntries", Value: int64(w.limits.MaxEntries), Layer: dir}
		}
		info, err := d.Info()
		if err != nil {
			w.problem(layerResource(""), fmt.Sprintf("%s: %v", p, err))
			return nil
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = root.Readlink(p); err != nil {
				w.problem(layerResource(""), fmt.Sprintf("%s: %v", p, err))
				return nil
			}
		}
		if info.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		hdr, err := fileHeader(filepath.ToSlash(p), info, link)
		if err != nil {
			w.problem(layerResource(""), fmt.Sprintf("%s: %v", p, err))
			return nil
		}
		if info.Mode().IsRegular() {
			total += info.Size()
		}
		lf := &lazyFile{root: root, name: p}
		err = w.scanEntry(scan, hdr, lf, &buf)
		lf.close()
		if err != nil {
			w.problem(layerResource(""), fmt.Sprintf("%s: %v", p, err))
		}
		return nil
	})
	if err != nil {
		return nil, w.problems, fmt.Errorf("root file system %s: %w", dir, err)
	}
	w.apply(0, scan)
	out.Layers = []image.Layer{{Size: total}}
	if err := w.finish(ctx, out); err != nil {
		return nil, w.problems, fmt.Errorf("root file system %s: %w", dir, err)
	}
	return out, w.problems, nil
}

// lazyFile opens a file of a root file system on its first read.
type lazyFile struct {
	root *os.Root
	name string
	f    *os.File
	err  error
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		f, err := l.root.Open(l.name)
		if err != nil {
			l.err = err
		} else if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			f.Close()
			l.err = fmt.Errorf("%s: not a regular file any more", l.name)
		} else {
			l.f = f
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Read(p)
}

func (l *lazyFile) close() {
	if l.f != nil {
		l.f.Close()
	}
}

// Object wraps an image read by Read for the inventory.
func Object(img *image.Image) *inventory.Object {
	return &inventory.Object{
		APIVersion: image.APIVersion,
		Kind:       image.Kind,
		Name:       img.Name,
		Object:     img,
		Source:     inventory.Source{Origin: inventory.FromImage, Context: img.Name},
	}
}
