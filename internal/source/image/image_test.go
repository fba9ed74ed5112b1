package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/image/imagetest"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/packages"
)

// debianImage is a Debian 12 image of two layers: the base system, then `apt-get install curl`
// and a Go binary built against golang.org/x/text v0.3.7.
func debianImage(t *testing.T) v1.Image {
	t.Helper()
	base := imagetest.Layer(t, imagetest.Debian12Files(imagetest.Debian12Packages...)...)
	app := imagetest.Layer(t,
		imagetest.File{Path: "var/lib/dpkg/status", Content: imagetest.DpkgStatus(append(slices.Clone(imagetest.Debian12Packages), imagetest.DebianCurlPackages...)...)},
		imagetest.Exec("usr/local/bin/app", imagetest.GoBinary(t)),
	)
	return imagetest.Image(t, imagetest.Config{
		User:         "10001",
		Env:          []string{"PATH=/usr/local/bin:/usr/bin", "API_TOKEN=s3cr3t-value"},
		Labels:       map[string]string{"org.opencontainers.image.source": "https://example.com/app"},
		Entrypoint:   []string{"/usr/local/bin/app"},
		Cmd:          []string{"en"},
		ExposedPorts: []string{"8080/tcp", "443/tcp"},
		Created:      time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
		CreatedBy:    []string{"ADD rootfs.tar /", "RUN apt-get install -y curl && COPY app /usr/local/bin/app"},
	}, base, app)
}

func read(t *testing.T, spec Spec, opts Options) (*image.Image, []inventory.Problem) {
	t.Helper()
	img, probs, err := Read(context.Background(), spec, opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return img, probs
}

func writeLayout(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	imagetest.WriteLayout(t, dir, img, nil)
	return dir
}

func pkg(img *image.Image, typ, name string) *packages.Package {
	for i, p := range img.Packages {
		if p.Type == typ && p.Name == name {
			return &img.Packages[i]
		}
	}
	return nil
}

// checkDebian checks what the tests read from debianImage, whatever its source; layers are the
// expected layer digests.
func checkDebian(t *testing.T, got *image.Image, layers []string) {
	t.Helper()
	if got.APIVersion != image.APIVersion || got.Kind != image.Kind {
		t.Errorf("type meta %q %q", got.APIVersion, got.Kind)
	}
	if got.Platform != "linux/amd64" {
		t.Errorf("platform %q", got.Platform)
	}
	wantCfg := image.Config{
		User:         "10001",
		Env:          []image.EnvVar{{Name: "PATH", Value: "/usr/local/bin:/usr/bin"}, {Name: "API_TOKEN", Value: "s3cr3t-value"}},
		Labels:       map[string]string{"org.opencontainers.image.source": "https://example.com/app"},
		Entrypoint:   []string{"/usr/local/bin/app"},
		Cmd:          []string{"en"},
		ExposedPorts: []string{"443/tcp", "8080/tcp"},
		Created:      "2026-11-01T12:00:00Z",
		History: []image.History{{CreatedBy: "ADD rootfs.tar /"},
			{CreatedBy: "RUN apt-get install -y curl && COPY app /usr/local/bin/app"}},
	}
	if b1, b2 := jsonOf(t, got.Config), jsonOf(t, wantCfg); b1 != b2 || got.Config.Env[1].Value != "s3cr3t-value" {
		t.Errorf("config\n got %s\nwant %s", b1, b2)
	}
	if len(got.Layers) != 2 || got.Layers[0].Digest != layers[0] || got.Layers[1].Digest != layers[1] ||
		got.Layers[1].CreatedBy != wantCfg.History[1].CreatedBy || !strings.HasPrefix(got.Layers[0].DiffID, "sha256:") {
		t.Errorf("layers %+v, want digests %v", got.Layers, layers)
	}
	if got.OS == nil || got.OS.ID != "debian" || got.OS.VersionID != "12" || got.OS.VersionCodename != "bookworm" ||
		got.OS.PrettyName != "Debian GNU/Linux 12 (bookworm)" || got.OS.Path != "/etc/os-release" {
		t.Errorf("os %+v", got.OS)
	}
	// OS packages: the layer that introduced each one.
	for _, p := range imagetest.Debian12Packages {
		gp := pkg(got, packages.TypeDpkg, p.Name)
		if gp == nil || gp.Version != p.Version || gp.Layer != layers[0] || gp.Ecosystem != "Debian:12" || gp.Location != "/var/lib/dpkg/status" {
			t.Errorf("%s: %+v, want version %s in layer 1", p.Name, gp, p.Version)
		}
	}
	for _, p := range imagetest.DebianCurlPackages {
		if gp := pkg(got, packages.TypeDpkg, p.Name); gp == nil || gp.Layer != layers[1] {
			t.Errorf("%s: %+v, want layer 2", p.Name, gp)
		}
	}
	if gp := pkg(got, packages.TypeDpkg, "libssl3"); gp == nil || gp.SourceName != "openssl" {
		t.Errorf("libssl3: %+v, want source openssl", gp)
	}
	// The Go binary's modules and toolchain.
	text := pkg(got, packages.TypeGoBinary, imagetest.GoBinaryModule)
	if text == nil || text.Version != "0.3.7" || text.Ecosystem != "Go" || text.Location != "/usr/local/bin/app" || text.Layer != layers[1] {
		t.Errorf("golang.org/x/text: %+v", text)
	}
	if std := pkg(got, packages.TypeGoBinary, "stdlib"); std == nil || !strings.HasPrefix(std.Version, "1.") || std.Layer != layers[1] {
		t.Errorf("stdlib: %+v", std)
	}
	wantSetuid := []image.File{{Path: "/usr/bin/passwd", Mode: 0o4755, Layer: layers[0]}}
	if !slices.Equal(got.SetuidFiles, wantSetuid) {
		t.Errorf("setuid files %+v, want %+v", got.SetuidFiles, wantSetuid)
	}
	// /bin is a link to usr/bin: each executable is listed once.
	if want := []string{"/bin/sh", "/bin/bash", "/bin/dash"}; !slices.Equal(got.Shells, want) {
		t.Errorf("shells %v, want %v", got.Shells, want)
	}
	if want := []string{"/bin/apt-get", "/bin/dpkg"}; !slices.Equal(got.PackageManagers, want) {
		t.Errorf("package managers %v, want %v", got.PackageManagers, want)
	}
	if len(got.Secrets) != 0 {
		t.Errorf("secrets %+v", got.Secrets)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadLayout(t *testing.T) {
	src := debianImage(t)
	dir := writeLayout(t, src)
	got, probs := read(t, Spec{Layout: dir}, Options{})
	if len(probs) > 0 {
		t.Errorf("problems %v", probs)
	}
	if got.Name != dir || got.Digest != imagetest.Digest(t, src) {
		t.Errorf("name %q digest %q, want %q %q", got.Name, got.Digest, dir, imagetest.Digest(t, src))
	}
	checkDebian(t, got, imagetest.LayerDigests(t, src))
	diffs := imagetest.DiffIDs(t, src)
	if got.Layers[0].DiffID != diffs[0] || got.Layers[1].DiffID != diffs[1] || got.Layers[0].Size == 0 {
		t.Errorf("layers %+v, want diff IDs %v", got.Layers, diffs)
	}
	if strings.Contains(jsonOf(t, got), "s3cr3t-value") {
		t.Error("an environment value is in the image's JSON")
	}
}

func TestReadArchive(t *testing.T) {
	src := debianImage(t)
	id, err := src.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// `docker save` stores layers uncompressed; go-containerregistry's archives compress them.
	save, ggcr := filepath.Join(dir, "save.tar"), filepath.Join(dir, "ggcr.tar")
	imagetest.WriteDockerSave(t, save, map[string]v1.Image{"registry.example/app:1.0": src})
	imagetest.WriteArchive(t, ggcr, "registry.example/app:1.0", src)
	for _, p := range []string{save, ggcr} {
		got, probs := read(t, Spec{Archive: p}, Options{})
		if len(probs) > 0 {
			t.Errorf("problems %v", probs)
		}
		// An archive has no registry manifest: its digest is the image ID, its layers' the diff IDs.
		if got.Name != p || got.Digest != id.String() {
			t.Errorf("name %q digest %q, want %q", got.Name, got.Digest, id)
		}
		checkDebian(t, got, imagetest.DiffIDs(t, src))
	}
}

func TestReadArchiveSeveralImages(t *testing.T) {
	alpine := imagetest.Image(t, imagetest.Config{}, imagetest.Layer(t, imagetest.Alpine320Files()...))
	p := filepath.Join(t.TempDir(), "two.tar")
	imagetest.WriteDockerSave(t, p, map[string]v1.Image{"app:1": debianImage(t), "alpine:3.20": alpine})
	_, _, err := Read(context.Background(), Spec{Archive: p}, Options{})
	if err == nil || !strings.Contains(err.Error(), "holds 2 images") || !strings.Contains(err.Error(), "alpine:3.20") || !strings.Contains(err.Error(), "app:1") {
		t.Errorf("no tag: %v", err)
	}
	got, _ := read(t, Spec{Archive: p, Ref: "alpine:3.20"}, Options{})
	if got.OS == nil || got.OS.ID != "alpine" {
		t.Errorf("os %+v, want alpine", got.OS)
	}
	_, _, err = Read(context.Background(), Spec{Archive: p, Ref: "nginx:1"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "no image tagged nginx:1") {
		t.Errorf("unknown tag: %v", err)
	}
}

func TestReadRegistry(t *testing.T) {
	src := debianImage(t)
	ref := imagetest.Registry(t) + "/team/app:1.0"
	imagetest.Push(t, ref, src)
	opts := Options{Insecure: true}
	got, probs := read(t, Spec{Ref: ref}, opts)
	if len(probs) > 0 {
		t.Errorf("problems %v", probs)
	}
	if got.Name != ref || got.Digest != imagetest.Digest(t, src) {
		t.Errorf("name %q digest %q", got.Name, got.Digest)
	}
	checkDebian(t, got, imagetest.LayerDigests(t, src))
	d, err := Resolve(context.Background(), ref, opts)
	if err != nil || d != got.Digest {
		t.Errorf("Resolve = %q, %v; want %q", d, err, got.Digest)
	}
}

func platformImage(t *testing.T, plat, marker string) v1.Image {
	return imagetest.Image(t, imagetest.Config{Platform: plat},
		imagetest.Layer(t, imagetest.Reg("etc/os-release", imagetest.Alpine320OSRelease), imagetest.Reg("etc/marker", marker)))
}

func TestResolveIndex(t *testing.T) {
	amd, arm := platformImage(t, "linux/amd64", "amd64"), platformImage(t, "linux/arm64/v8", "arm64")
	ref := imagetest.Registry(t) + "/multi:latest"
	imagetest.PushIndex(t, ref, imagetest.Index(t, amd, arm))
	for _, tc := range []struct{ platform, want string }{
		{"", imagetest.Digest(t, amd)},
		{"linux/arm64", imagetest.Digest(t, arm)},
		{"linux/arm64/v8", imagetest.Digest(t, arm)},
	} {
		d, err := Resolve(context.Background(), ref, Options{Platform: tc.platform, Insecure: true})
		if err != nil || d != tc.want {
			t.Errorf("platform %q: Resolve = %q, %v; want %q", tc.platform, d, err, tc.want)
		}
	}
	got, _ := read(t, Spec{Ref: ref}, Options{Platform: "linux/arm64", Insecure: true})
	if got.Platform != "linux/arm64/v8" || got.Digest != imagetest.Digest(t, arm) {
		t.Errorf("read platform %q digest %q", got.Platform, got.Digest)
	}
	_, err := Resolve(context.Background(), ref, Options{Platform: "windows/amd64", Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "no image for platform windows/amd64") || !strings.Contains(err.Error(), "linux/arm64/v8") {
		t.Errorf("missing platform: %v", err)
	}
}

func TestReadLayoutSelection(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	a, b := platformImage(t, "linux/amd64", "a"), platformImage(t, "linux/amd64", "b")
	imagetest.WriteLayout(t, dir, a, map[string]string{RefNameAnnotation: "app:a"})
	imagetest.WriteLayout(t, dir, b, map[string]string{RefNameAnnotation: "b"})
	_, _, err := Read(context.Background(), Spec{Layout: dir}, Options{})
	if err == nil || !strings.Contains(err.Error(), "holds 2 images") || !strings.Contains(err.Error(), "app:a") {
		t.Errorf("no name: %v", err)
	}
	for _, ref := range []string{"app:a", "b", "example.com/team/app:b"} {
		want := a
		if strings.HasSuffix(ref, "b") {
			want = b
		}
		got, _ := read(t, Spec{Layout: dir, Ref: ref}, Options{})
		if got.Digest != imagetest.Digest(t, want) {
			t.Errorf("ref %s: digest %s", ref, got.Digest)
		}
	}
	_, _, err = Read(context.Background(), Spec{Layout: dir, Ref: "c"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "no image named c") {
		t.Errorf("unknown name: %v", err)
	}

	// A multi-platform index in a layout: the platform picks.
	idxDir := filepath.Join(t.TempDir(), "index")
	amd, arm := platformImage(t, "linux/amd64", "amd64"), platformImage(t, "linux/arm64/v8", "arm64")
	imagetest.WriteLayoutIndex(t, idxDir, imagetest.Index(t, amd, arm), map[string]string{RefNameAnnotation: "multi"})
	for plat, want := range map[string]v1.Image{"": amd, "linux/arm64": arm} {
		got, _ := read(t, Spec{Layout: idxDir}, Options{Platform: plat})
		if got.Digest != imagetest.Digest(t, want) {
			t.Errorf("platform %q: digest %s", plat, got.Digest)
		}
	}
	_, _, err = Read(context.Background(), Spec{Layout: idxDir}, Options{Platform: "linux/s390x"})
	if err == nil || !strings.Contains(err.Error(), "no image for platform linux/s390x") {
		t.Errorf("missing platform: %v", err)
	}
}

func TestReadAlpine(t *testing.T) {
	src := imagetest.Image(t, imagetest.Config{}, imagetest.Layer(t, imagetest.Alpine320Files()...))
	got, _ := read(t, Spec{Layout: writeLayout(t, src)}, Options{})
	if got.OS == nil || got.OS.ID != "alpine" || got.OS.VersionID != "3.20.3" {
		t.Errorf("os %+v", got.OS)
	}
	if len(got.Packages) != 5 {
		t.Errorf("%d packages", len(got.Packages))
	}
	p := pkg(got, packages.TypeAPK, "libcrypto3")
	if p == nil || p.Ecosystem != "Alpine:v3.20" || p.SourceName != "openssl" || p.Layer != imagetest.LayerDigests(t, src)[0] {
		t.Errorf("libcrypto3 %+v", p)
	}
	if want := []string{"/bin/sh", "/bin/busybox"}; !slices.Equal(got.Shells, want) {
		t.Errorf("shells %v, want %v", got.Shells, want)
	}
	if want := []string{"/sbin/apk"}; !slices.Equal(got.PackageManagers, want) {
		t.Errorf("package managers %v, want %v", got.PackageManagers, want)
	}
}

func TestWhiteouts(t *testing.T) {
	pj := func(name string) string { return `{"name": "` + name + `", "version": "1.0.0"}` }
	l1 := imagetest.Layer(t,
		imagetest.Reg("app/node_modules/a/package.json", pj("a")),
		imagetest.Reg("app/node_modules/keep/package.json", pj("keep")),
		imagetest.Reg("app/node_modules/gone/package.json", pj("gone")),
		imagetest.File{Path: "usr/bin/su", Content: []byte("su"), Mode: 0o4755},
	)
	l2 := imagetest.Layer(t,
		// rm -rf app/node_modules/a && mkdir a && add b: an opaque directory.
		imagetest.Dir("app/node_modules/a"),
		imagetest.OpaqueWhiteout("app/node_modules/a"),
		imagetest.Reg("app/node_modules/a/b/package.json", pj("b")),
		imagetest.Whiteout("app/node_modules/gone"),
		imagetest.Whiteout("usr/bin/su"),
	)
	// The opaque marker may come after the directory's new entries too.
	l3 := imagetest.Layer(t,
		imagetest.Reg("srv/node_modules/c/package.json", pj("c")),
	)
	l4 := imagetest.Layer(t,
		imagetest.Reg("srv/node_modules/d/package.json", pj("d")),
		imagetest.OpaqueWhiteout("srv/node_modules"),
	)
	got, _ := read(t, Spec{Layout: writeLayout(t, imagetest.Image(t, imagetest.Config{}, l1, l2, l3, l4))}, Options{})
	var names []string
	for _, p := range got.Packages {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	if want := []string{"b", "d", "keep"}; !slices.Equal(names, want) {
		t.Errorf("packages %v, want %v", names, want)
	}
	if len(got.SetuidFiles) != 0 {
		t.Errorf("setuid files %+v: the whiteout deleted su", got.SetuidFiles)
	}
}

func TestWalkerOpaqueDirectory(t *testing.T) {
	// The regression of go-containerregistry before v0.21.9: layer 1 has dir/a, layer 2 has the
	// opaque marker in dir and dir/b; the final file system has only dir/b.
	w := newWalker("test", Limits{}, t.TempDir())
	defer w.close()
	layers := [][]imagetest.File{
		{imagetest.Dir("dir"), imagetest.Reg("dir/a", "a"), imagetest.Reg("dir/sub/x", "x")},
		{imagetest.Dir("dir"), imagetest.OpaqueWhiteout("dir"), imagetest.Reg("dir/b", "b")},
	}
	var srcs []layerSource
	for i, files := range layers {
		b := imagetest.Tar(t, files...)
		srcs = append(srcs, layerSource{digest: "sha256:" + string(rune('1'+i)), open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }})
	}
	if err := w.readLayers(context.Background(), srcs); err != nil {
		t.Fatal(err)
	}
	entries, err := w.t.ReadDir("dir")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "b" {
		t.Errorf("dir holds %v, want only b", entries)
	}
}

func TestTraversalRefused(t *testing.T) {
	evil := imagetest.Layer(t,
		imagetest.Reg("../../../tmp/kube4c-escape", "x"),
		imagetest.Reg("/../etc/escape", "x"),
		imagetest.Reg("ok/../fine", "inside"),
		imagetest.Hardlink("usr/bin/steal", "../../etc/passwd"),
		// An absolute link that climbs: resolved inside the image, to its /usr/lib/os-release.
		imagetest.Reg("usr/lib/os-release", imagetest.Alpine320OSRelease),
		imagetest.Symlink("etc/os-release", "/../../../../../usr/lib/os-release"),
		// A directory link to the host's /etc: entries through it stay in the image.
		imagetest.Symlink("hostetc", "/etc"),
		imagetest.Reg("hostetc/through-link", "x"),
		// A loop.
		imagetest.Symlink("loop/a", "b"),
		imagetest.Symlink("loop/b", "a"),
		imagetest.Reg("loop/a/x", "x"),
	)
	src := imagetest.Image(t, imagetest.Config{}, evil)
	digest := imagetest.LayerDigests(t, src)[0]
	got, probs := read(t, Spec{Layout: writeLayout(t, src)}, Options{})
	if got.OS == nil || got.OS.ID != "alpine" {
		t.Errorf("os %+v: the absolute link must resolve inside the image", got.OS)
	}
	var msgs []string
	for _, p := range probs {
		if p.Resource != "layer "+digest {
			t.Errorf("problem %v does not name the layer", p)
		}
		msgs = append(msgs, p.Message)
	}
	for _, want := range []string{
		`entry "../../../tmp/kube4c-escape" refused: its path leaves the image root`,
		`entry "/../etc/escape" refused: its path leaves the image root`,
		`hard link "usr/bin/steal" refused: its target "../../etc/passwd" leaves the image root`,
		`entry "loop/a/x" skipped: too many levels of symbolic links`,
	} {
		if !slices.Contains(msgs, want) {
			t.Errorf("no problem %q in %q", want, msgs)
		}
	}
	if _, err := os.Stat("/tmp/kube4c-escape"); err == nil {
		t.Error("a file was written outside the image")
	}
}

func TestHardlinks(t *testing.T) {
	bin := imagetest.GoBinary(t)
	src := imagetest.Image(t, imagetest.Config{},
		imagetest.Layer(t, imagetest.Exec("usr/bin/app", bin)),
		imagetest.Layer(t, imagetest.Hardlink("opt/app", "usr/bin/app"), imagetest.Hardlink("opt/missing", "usr/bin/nothing")),
	)
	got, probs := read(t, Spec{Layout: writeLayout(t, src)}, Options{TempDir: t.TempDir()})
	layers := imagetest.LayerDigests(t, src)
	var at []string
	for _, p := range got.Packages {
		if p.Name == imagetest.GoBinaryModule {
			at = append(at, p.Location+"@"+p.Layer)
		}
	}
	if want := []string{"/opt/app@" + layers[1], "/usr/bin/app@" + layers[0]}; !slices.Equal(at, want) {
		t.Errorf("x/text found at %v, want %v", at, want)
	}
	if len(probs) != 1 || !strings.Contains(probs[0].Message, `hard link "opt/missing" skipped`) {
		t.Errorf("problems %v", probs)
	}
}

func TestTempFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	src := imagetest.Image(t, imagetest.Config{}, imagetest.Layer(t, imagetest.Exec("usr/bin/app", imagetest.GoBinary(t))))
	if len(imagetest.GoBinary(t)) <= spillBytes {
		t.Fatal("the Go binary is not large enough to be spilled")
	}
	got, _ := read(t, Spec{Layout: writeLayout(t, src)}, Options{TempDir: tmp})
	if pkg(got, packages.TypeGoBinary, imagetest.GoBinaryModule) == nil {
		t.Error("no Go module")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestReadRootFS(t *testing.T) {
	dir := t.TempDir()
	files := append(imagetest.Debian12Files(imagetest.Debian12Packages...),
		imagetest.Exec("usr/local/bin/app", imagetest.GoBinary(t)),
		imagetest.Symlink("lib", "/usr/lib"),
		imagetest.Symlink("hostetc", "/etc"),
		imagetest.Reg("root/.ssh/id_ed25519", opensshKey),
	)
	imagetest.WriteRootFS(t, dir, files...)
	got, probs := read(t, Spec{RootFS: dir}, Options{})
	if len(probs) > 0 {
		t.Errorf("problems %v", probs)
	}
	if got.Name != dir || got.Digest != "" || len(got.Layers) != 1 || got.Layers[0].Digest != "" {
		t.Errorf("name %q digest %q layers %+v", got.Name, got.Digest, got.Layers)
	}
	if got.OS == nil || got.OS.ID != "debian" {
		t.Errorf("os %+v", got.OS)
	}
	if p := pkg(got, packages.TypeDpkg, "libssl3"); p == nil || p.Ecosystem != "Debian:12" || p.Layer != "" {
		t.Errorf("libssl3 %+v", p)
	}
	if pkg(got, packages.TypeGoBinary, imagetest.GoBinaryModule) == nil {
		t.Error("no Go module")
	}
	if len(got.SetuidFiles) != 1 || got.SetuidFiles[0].Path != "/usr/bin/passwd" {
		t.Errorf("setuid %+v", got.SetuidFiles)
	}
	if len(got.Secrets) != 1 || got.Secrets[0].Kind != KindOpenSSHPrivateKey {
		t.Errorf("secrets %+v", got.Secrets)
	}
	if !slices.Contains(got.Shells, "/bin/sh") {
		t.Errorf("shells %v", got.Shells)
	}
}

func TestObject(t *testing.T) {
	img := &image.Image{Name: "nginx:1.27"}
	o := Object(img)
	if o.APIVersion != image.APIVersion || o.Kind != image.Kind || o.Name != "nginx:1.27" || o.Object != img ||
		o.Source.Origin != inventory.FromImage || o.Source.Context != "nginx:1.27" {
		t.Errorf("object %+v", o)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	notTar := filepath.Join(tmp, "not.tar")
	os.WriteFile(notTar, []byte("this is not a tar archive at all"), 0o644)

	// A layout whose layer blob is cut in half.
	truncated := writeLayout(t, debianImage(t))
	layer := imagetest.LayerDigests(t, debianImage(t))[1]
	blob := filepath.Join(truncated, "blobs", "sha256", strings.TrimPrefix(layer, "sha256:"))
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(blob, b[:len(b)/2], 0o644)

	// A gzip stream that is not a tar.
	garbage := imagetest.Image(t, imagetest.Config{}, imagetest.LayerFromBytes(t, imagetest.Gzip(t, bytes.Repeat([]byte("garbage!"), 200))))
	garbageLayer := imagetest.LayerDigests(t, garbage)[0]

	host := imagetest.Registry(t)
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
	}))
	defer denied.Close()
	deniedRef := strings.TrimPrefix(denied.URL, "http://") + "/private/app:1"

	for _, tc := range []struct {
		name string
		spec Spec
		want []string
	}{
		{"missing archive", Spec{Archive: filepath.Join(tmp, "nope.tar")}, []string{"docker archive", "nope.tar", "no such file"}},
		{"missing layout", Spec{Layout: filepath.Join(tmp, "nope")}, []string{"OCI layout", "no index.json"}},
		{"missing root", Spec{RootFS: filepath.Join(tmp, "nope")}, []string{"root file system", "no such file"}},
		{"not a tar", Spec{Archive: notTar}, []string{"not.tar", "not a `docker save` archive"}},
		{"truncated layer", Spec{Layout: truncated}, []string{"layer " + layer, "truncated or corrupt layer"}},
		{"not a tar layer", Spec{Layout: writeLayout(t, garbage)}, []string{"layer " + garbageLayer, "not a valid tar stream"}},
		{"not found", Spec{Ref: host + "/missing:1"}, []string{"missing:1", "not found in the registry"}},
		{"unauthorized", Spec{Ref: deniedRef}, []string{"private/app:1", "refused access (401)", "docker login"}},
		{"two sources", Spec{Archive: "a", Layout: "b"}, []string{"only one of"}},
		{"nothing", Spec{}, []string{"no image to read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(ctx, tc.spec, Options{Insecure: true})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := Resolve(ctx, deniedRef, Options{Insecure: true}); err == nil || !strings.Contains(err.Error(), "refused access") {
		t.Errorf("Resolve unauthorized: %v", err)
	}
	if _, err := Resolve(ctx, host+"/missing:1", Options{Insecure: true}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Resolve missing: %v", err)
	}
	if _, err := Resolve(ctx, "UPPER/case:1", Options{}); err == nil || !strings.Contains(err.Error(), "image reference") {
		t.Errorf("Resolve bad reference: %v", err)
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	// A gzip bomb: 64 MiB of zeros in a file, compressed to about 64 KiB.
	bomb := imagetest.Gzip(t, imagetest.Tar(t, imagetest.File{Path: "zeros", Content: make([]byte, 64<<20)}))
	bombImg := imagetest.Image(t, imagetest.Config{}, imagetest.LayerFromBytes(t, bomb))
	bombDir := writeLayout(t, bombImg)
	_, _, err := Read(ctx, Spec{Layout: bombDir}, Options{Limits: Limits{MaxLayerBytes: 8 << 20}})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxLayerBytes" || !strings.Contains(err.Error(), "more than 8 MiB") ||
		!strings.Contains(err.Error(), imagetest.LayerDigests(t, bombImg)[0]) {
		t.Errorf("layer limit: %v", err)
	}

	two := imagetest.Image(t, imagetest.Config{},
		imagetest.Layer(t, imagetest.Reg("a", strings.Repeat("a", 600<<10))),
		imagetest.Layer(t, imagetest.Reg("b", strings.Repeat("b", 600<<10))))
	twoDir := writeLayout(t, two)
	_, _, err = Read(ctx, Spec{Layout: twoDir}, Options{Limits: Limits{MaxImageBytes: 1 << 20}})
	if !errors.As(err, &le) || le.Limit != "MaxImageBytes" {
		t.Errorf("image limit: %v", err)
	}
	_, _, err = Read(ctx, Spec{Layout: writeLayout(t, debianImage(t))}, Options{Limits: Limits{MaxEntries: 5}})
	if !errors.As(err, &le) || le.Limit != "MaxEntries" {
		t.Errorf("entries limit: %v", err)
	}
	// A file over MaxFileBytes is not read for packages: a warning, not a failure.
	got, probs, err := Read(ctx, Spec{Layout: writeLayout(t, debianImage(t))}, Options{Limits: Limits{MaxFileBytes: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	if pkg(got, packages.TypeGoBinary, imagetest.GoBinaryModule) != nil || len(probs) != 1 ||
		!strings.Contains(probs[0].Message, "/usr/local/bin/app not read for packages") {
		t.Errorf("file limit: packages %d, problems %v", len(got.Packages), probs)
	}
	if pkg(got, packages.TypeDpkg, "libssl3") == nil {
		t.Error("the dpkg status is under the limit and must be read")
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Read(cancelled, Spec{Layout: bombDir}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestOSReleaseFallback(t *testing.T) {
	src := imagetest.Image(t, imagetest.Config{}, imagetest.Layer(t,
		imagetest.Reg("usr/lib/os-release", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n"),
		imagetest.File{Path: "bin/", Type: tar.TypeDir},
	))
	got, _ := read(t, Spec{Layout: writeLayout(t, src)}, Options{})
	want := &image.OSRelease{ID: "rocky", IDLike: []string{"rhel", "centos", "fedora"}, VersionID: "9.3",
		PrettyName: "Rocky Linux 9.3 (Blue Onyx)", Path: "/usr/lib/os-release"}
	if jsonOf(t, got.OS) != jsonOf(t, want) {
		t.Errorf("os %s, want %s", jsonOf(t, got.OS), jsonOf(t, want))
	}
	scratch := imagetest.Image(t, imagetest.Config{}, imagetest.Layer(t, imagetest.Exec("app", []byte("#!x"))))
	if got, _ := read(t, Spec{Layout: writeLayout(t, scratch)}, Options{}); got.OS != nil || len(got.Shells) != 0 {
		t.Errorf("scratch: os %+v shells %v", got.OS, got.Shells)
	}
}
