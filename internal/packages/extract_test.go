package packages_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	scalibrfs "github.com/google/osv-scalibr/fs"
	"github.com/kube4c/kube4c/internal/image/imagetest"
	"github.com/kube4c/kube4c/internal/packages"
)

// writeTree writes files (slash paths) under a new directory.
func writeTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if bytes.HasPrefix(content, []byte("\x7fELF")) {
			mode = 0o755
		}
		if err := os.WriteFile(full, content, mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func extractDir(t *testing.T, dir string, opts packages.Options) []packages.Package {
	t.Helper()
	pkgs, probs, err := packages.Extract(context.Background(), scalibrfs.DirFS(dir), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) > 0 {
		t.Errorf("problems: %v", probs)
	}
	return pkgs
}

func find(pkgs []packages.Package, name string) *packages.Package {
	for i := range pkgs {
		if pkgs[i].Name == name {
			return &pkgs[i]
		}
	}
	return nil
}

func TestExtractDebianDirectory(t *testing.T) {
	dir := writeTree(t, map[string][]byte{
		"etc/os-release":      []byte(imagetest.Debian12OSRelease),
		"var/lib/dpkg/status": imagetest.DpkgStatus(imagetest.Debian12Packages...),
	})
	pkgs := extractDir(t, dir, packages.Options{})
	if len(pkgs) != len(imagetest.Debian12Packages) {
		t.Fatalf("got %d packages, want %d: %+v", len(pkgs), len(imagetest.Debian12Packages), pkgs)
	}
	ssl := find(pkgs, "libssl3")
	want := packages.Package{
		Name: "libssl3", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", SourceName: "openssl",
		PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=bookworm&source=openssl",
		Type: packages.TypeDpkg, Location: "var/lib/dpkg/status",
	}
	if ssl == nil || !equal(*ssl, want) {
		t.Errorf("libssl3 = %+v\nwant      %+v", ssl, want)
	}
	// "Source: util-linux (2.38.1-5)": the source name without its version.
	if p := find(pkgs, "libblkid1"); p == nil || p.SourceName != "util-linux" {
		t.Errorf("libblkid1 = %+v, want source util-linux", p)
	}
	// Packages named as their source have no SourceName.
	if p := find(pkgs, "openssl"); p == nil || p.SourceName != "" {
		t.Errorf("openssl = %+v, want no source name", p)
	}
}

func equal(a, b packages.Package) bool {
	return a.Name == b.Name && a.Version == b.Version && a.Ecosystem == b.Ecosystem && a.SourceName == b.SourceName &&
		a.PURL == b.PURL && a.Type == b.Type && a.Location == b.Location && a.Layer == b.Layer &&
		slices.Equal(a.Licenses, b.Licenses)
}

func TestExtractEcosystems(t *testing.T) {
	status := imagetest.DpkgStatus(imagetest.DpkgPackage{Name: "bash", Version: "5.1-6ubuntu1"})
	for _, tc := range []struct {
		name      string
		osRelease string
		want      string
	}{
		{"debian", imagetest.Debian12OSRelease, "Debian:12"},
		{"ubuntu LTS", imagetest.Ubuntu2204OSRelease, "Ubuntu:22.04:LTS"},
		{"ubuntu interim", "ID=ubuntu\nVERSION_ID=\"23.10\"\nVERSION_CODENAME=mantic\n", "Ubuntu:23.10"},
		{"no os-release", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{"var/lib/dpkg/status": status}
			if tc.osRelease != "" {
				files["etc/os-release"] = []byte(tc.osRelease)
			} else {
				files["etc/hostname"] = []byte("x\n")
			}
			pkgs := extractDir(t, writeTree(t, files), packages.Options{})
			if len(pkgs) != 1 || pkgs[0].Ecosystem != tc.want {
				t.Errorf("got %+v, want ecosystem %q", pkgs, tc.want)
			}
		})
	}
}

func TestExtractAlpine(t *testing.T) {
	dir := writeTree(t, map[string][]byte{
		"etc/os-release":       []byte(imagetest.Alpine320OSRelease),
		"lib/apk/db/installed": []byte(imagetest.Alpine320Installed),
	})
	pkgs := extractDir(t, dir, packages.Options{Absolute: true, Layer: func(string) string { return "sha256:abc" }})
	if len(pkgs) != 5 {
		t.Fatalf("got %d packages: %+v", len(pkgs), pkgs)
	}
	p := find(pkgs, "libcrypto3")
	want := packages.Package{
		Name: "libcrypto3", Version: "3.3.0-r2", Ecosystem: "Alpine:v3.20", SourceName: "openssl",
		PURL: "pkg:apk/alpine/libcrypto3@3.3.0-r2?arch=x86_64&distro=3.20.3&origin=openssl", Type: packages.TypeAPK,
		Location: "/lib/apk/db/installed", Layer: "sha256:abc", Licenses: []string{"Apache-2.0"},
	}
	if p == nil || !equal(*p, want) {
		t.Errorf("libcrypto3 = %+v\nwant         %+v", p, want)
	}
}

func TestExtractLanguages(t *testing.T) {
	var jar bytes.Buffer
	zw := zip.NewWriter(&jar)
	w, _ := zw.Create("META-INF/maven/org.example/demo/pom.properties")
	w.Write([]byte("groupId=org.example\nartifactId=demo\nversion=1.2.3\n"))
	zw.Close()
	dir := writeTree(t, map[string][]byte{
		"app/node_modules/lodash/package.json": []byte(`{"name": "lodash", "version": "4.17.20", "license": "MIT"}`),
		"app/package-lock.json": []byte(`{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
			"packages": {"": {"name": "app", "version": "1.0.0"}, "node_modules/minimist": {"version": "1.2.5"}}}`),
		"usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA": []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n"),
		"srv/requirements.txt":                               []byte("flask==2.0.0\n"),
		"srv/rust/Cargo.lock":                                []byte("version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.150\"\n"),
		"usr/local/bundle/specifications/rack-2.2.3.gemspec": []byte("Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\nend\n"),
		"opt/app/lib/demo.jar":                               jar.Bytes(),
		"srv/ruby/Gemfile.lock":                              []byte("GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.0)\n\nPLATFORMS\n  ruby\n"),
		"usr/local/bin/textapp":                              imagetest.GoBinary(t),
	})
	pkgs := extractDir(t, dir, packages.Options{})
	for _, want := range []struct{ typ, eco, name, version, loc string }{
		{packages.TypeNPM, "npm", "lodash", "4.17.20", "app/node_modules/lodash/package.json"},
		{packages.TypeNPMLockfile, "npm", "minimist", "1.2.5", "app/package-lock.json"},
		{packages.TypePython, "PyPI", "requests", "2.31.0", "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA"},
		{packages.TypePipRequirements, "PyPI", "flask", "2.0.0", "srv/requirements.txt"},
		{packages.TypeCargoLockfile, "crates.io", "serde", "1.0.150", "srv/rust/Cargo.lock"},
		{packages.TypeGem, "RubyGems", "rack", "2.2.3", "usr/local/bundle/specifications/rack-2.2.3.gemspec"},
		{packages.TypeGemLockfile, "RubyGems", "nokogiri", "1.13.0", "srv/ruby/Gemfile.lock"},
		{packages.TypeJavaArchive, "Maven", "org.example:demo", "1.2.3", "opt/app/lib/demo.jar"},
		{packages.TypeGoBinary, "Go", imagetest.GoBinaryModule, strings.TrimPrefix(imagetest.GoBinaryModuleVersion, "v"), "usr/local/bin/textapp"},
		{packages.TypeGoBinary, "Go", "stdlib", strings.TrimPrefix(goVersion(t), "go"), "usr/local/bin/textapp"},
	} {
		if !slices.ContainsFunc(pkgs, func(p packages.Package) bool {
			return p.Type == want.typ && p.Ecosystem == want.eco && p.Name == want.name && p.Version == want.version && p.Location == want.loc && p.PURL != ""
		}) {
			t.Errorf("no %+v in\n%+v", want, pkgs)
		}
	}
}

// goVersion is the version of the go command that builds the Go binary fixture ("go1.26.8").
func goVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// scalibrTestdata finds a file of osv-scalibr's own test data in the module cache.
func scalibrTestdata(t *testing.T, rel string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/google/osv-scalibr").Output()
	if err != nil {
		t.Skipf("osv-scalibr's module directory: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), filepath.FromSlash(rel)))
	if err != nil {
		t.Skipf("osv-scalibr test data: %v", err)
	}
	return b
}

func TestExtractRPM(t *testing.T) {
	// Packages_epoch is a Berkeley DB with one package, hello 1:0.0.1-rls.
	db := scalibrTestdata(t, "extractor/filesystem/os/rpm/testdata/Packages_epoch")
	dir := writeTree(t, map[string][]byte{
		"etc/os-release":       []byte("NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\n"),
		"var/lib/rpm/Packages": db,
	})
	pkgs := extractDir(t, dir, packages.Options{Absolute: true})
	want := packages.Package{Name: "hello", Version: "1:0.0.1-rls", Ecosystem: "Rocky Linux:9", Type: packages.TypeRPM,
		PURL:     "pkg:rpm/rocky/hello@0.0.1-rls?arch=x86_64&distro=rocky-9.3&epoch=1&sourcerpm=hello-0.0.1-rls.src.rpm",
		Location: "/var/lib/rpm/Packages", Licenses: []string{"GPL"}}
	if len(pkgs) != 1 || !equal(pkgs[0], want) {
		t.Errorf("got %+v\nwant %+v", pkgs, want)
	}
}

func TestExtractRPMSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 6 MB sqlite database")
	}
	db := scalibrTestdata(t, "extractor/filesystem/os/rpm/testdata/rpmdb.sqlite")
	dir := writeTree(t, map[string][]byte{
		"etc/os-release":                    []byte("NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"9.3\"\n"),
		"usr/lib/sysimage/rpm/rpmdb.sqlite": db,
	})
	pkgs := extractDir(t, dir, packages.Options{})
	p := find(pkgs, "alternatives")
	if len(pkgs) < 100 || p == nil || p.Ecosystem != "AlmaLinux:9" || p.Type != packages.TypeRPM {
		t.Errorf("got %d packages, alternatives = %+v", len(pkgs), p)
	}
}

func TestExtractBadDatabase(t *testing.T) {
	dir := writeTree(t, map[string][]byte{
		"etc/os-release":      []byte(imagetest.Debian12OSRelease),
		"var/lib/dpkg/status": []byte("Package: x\nStatus: garbage\nVersion: 1\n\n"),
	})
	pkgs, probs, err := packages.Extract(context.Background(), scalibrfs.DirFS(dir), packages.Options{Absolute: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 0 || len(probs) != 1 || probs[0].File != "/var/lib/dpkg/status" || !strings.Contains(probs[0].Message, "dpkg") {
		t.Errorf("packages %+v, problems %+v; want one warning naming the file", pkgs, probs)
	}
}

func TestExtractMaxFileBytes(t *testing.T) {
	dir := writeTree(t, map[string][]byte{
		"etc/os-release":      []byte(imagetest.Debian12OSRelease),
		"var/lib/dpkg/status": imagetest.DpkgStatus(imagetest.Debian12Packages...),
	})
	pkgs, probs, err := packages.Extract(context.Background(), scalibrfs.DirFS(dir), packages.Options{MaxFileBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 0 || len(probs) != 1 || !strings.Contains(probs[0].Message, "over the limit") {
		t.Errorf("packages %+v, problems %+v", pkgs, probs)
	}
}

func TestExtractCancelled(t *testing.T) {
	dir := writeTree(t, map[string][]byte{"var/lib/dpkg/status": imagetest.DpkgStatus(imagetest.Debian12Packages...)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := packages.Extract(ctx, scalibrfs.DirFS(dir), packages.Options{}); err == nil {
		t.Error("no error with a cancelled context")
	}
}

func TestAttributeLayers(t *testing.T) {
	const db = "/var/lib/dpkg/status"
	pkg := func(name, version string) packages.Package {
		return packages.Package{Name: name, Version: version, Location: db}
	}
	final := []packages.Package{pkg("a", "1"), pkg("b", "2"), pkg("c", "1"), pkg("d", "1"),
		{Name: "go", Version: "1", Location: "/usr/bin/app", Layer: "L3"}}
	packages.AttributeLayers(final, db, []packages.LayerVersion{
		{Layer: "L1", Packages: []packages.Package{pkg("a", "1"), pkg("b", "1"), pkg("c", "1"), pkg("d", "1")}},
		{Layer: "L2", Packages: []packages.Package{pkg("a", "1"), pkg("b", "2"), pkg("d", "1")}}, // b upgraded, c removed
		{Layer: "L3"}, // the database deleted
		{Layer: "L4", Packages: []packages.Package{pkg("a", "1"), pkg("b", "2"), pkg("c", "1"), pkg("d", "1")}},
	})
	got := map[string]string{}
	for _, p := range final {
		got[p.Name] = p.Layer
	}
	// Every package is in L4; none survives L3's deletion, so all come from L4; the Go package is
	// not read from the database and keeps its layer.
	want := map[string]string{"a": "L4", "b": "L4", "c": "L4", "d": "L4", "go": "L3"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: layer %q, want %q", k, got[k], v)
		}
	}
	final = []packages.Package{pkg("a", "1"), pkg("b", "2"), pkg("c", "1")}
	packages.AttributeLayers(final, db, []packages.LayerVersion{
		{Layer: "L1", Packages: []packages.Package{pkg("a", "1"), pkg("b", "1"), pkg("c", "1")}},
		{Layer: "L2", Packages: []packages.Package{pkg("a", "1"), pkg("b", "2")}},
		{Layer: "L3", Packages: []packages.Package{pkg("a", "1"), pkg("b", "2"), pkg("c", "1")}},
	})
	for i, want := range []string{"L1", "L2", "L3"} {
		if final[i].Layer != want {
			t.Errorf("%s: layer %q, want %q", final[i].Name, final[i].Layer, want)
		}
	}
}

func TestRequired(t *testing.T) {
	info := fakeInfo{size: 10, mode: 0o644}
	for _, tc := range []struct {
		path             string
		mode             os.FileMode
		required, binary bool
		os               bool
	}{
		{path: "var/lib/dpkg/status", required: true, os: true},
		{path: "lib/apk/db/installed", required: true, os: true},
		{path: "var/lib/rpm/rpmdb.sqlite", required: true, os: true},
		{path: "usr/local/bin/app", mode: 0o755, required: true, binary: true},
		{path: "app/node_modules/x/package.json", required: true},
		{path: "etc/passwd"},
	} {
		info.mode = tc.mode
		if info.mode == 0 {
			info.mode = 0o644
		}
		req, bin := packages.Required(tc.path, info)
		if req != tc.required || bin != tc.binary || packages.IsOSDatabase(tc.path) != tc.os {
			t.Errorf("%s: required %v binary %v os %v, want %v %v %v", tc.path, req, bin, packages.IsOSDatabase(tc.path), tc.required, tc.binary, tc.os)
		}
	}
}

type fakeInfo struct {
	size int64
	mode os.FileMode
}

func (f fakeInfo) Name() string       { return "f" }
func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) Mode() os.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return nil }
