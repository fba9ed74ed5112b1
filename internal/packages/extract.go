package packages

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	scalibrfs "github.com/google/osv-scalibr/fs"
	scalibrlog "github.com/google/osv-scalibr/log"
	"github.com/google/osv-scalibr/purl"
	purlecosystem "github.com/google/osv-scalibr/purl/ecosystem"
	"github.com/kube4c/kube4c/internal/inventory"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
)

// Package types (Package.Type) and the osv-scalibr v0.5.3 extractor behind each. These are the
// package kinds kube4c covers, in images (kube4c image) and in directories:
//
//	dpkg           os/dpkg: /var/lib/dpkg/status and /var/lib/dpkg/status.d/* (distroless)
//	apk            os/apk: /lib/apk/db/installed
//	rpm            os/rpm: /var/lib/rpm/{Packages,Packages.db,rpmdb.sqlite}, /usr/lib/sysimage/rpm/...
//	go-binary      go/binary: Go executables (build information: modules and the Go version as "stdlib")
//	npm            javascript/packagejson: package.json files (node_modules)
//	npm-lockfile   javascript/packagelockjson: package-lock.json, npm-shrinkwrap.json
//	python         python/wheelegg: installed distributions (*.dist-info/METADATA, *.egg-info/PKG-INFO, .egg)
//	pip-requirements python/requirements: *requirements*.txt
//	java-archive   java/archive: .jar, .war, .ear, .jmod, .par, .sar, .jpi, .hpi, .lpkg, .nar, nested archives included
//	rust-binary    rust/cargoauditable: Rust executables built with cargo-auditable
//	cargo-lockfile rust/cargolock: Cargo.lock
//	gem            ruby/gemspec: *.gemspec (installed gems' specifications)
//	gem-lockfile   ruby/gemfilelock: Gemfile.lock, gems.locked
const (
	TypeDpkg            = "dpkg"
	TypeAPK             = "apk"
	TypeRPM             = "rpm"
	TypeGoBinary        = "go-binary"
	TypeNPM             = "npm"
	TypeNPMLockfile     = "npm-lockfile"
	TypePython          = "python"
	TypePipRequirements = "pip-requirements"
	TypeJavaArchive     = "java-archive"
	TypeRustBinary      = "rust-binary"
	TypeCargoLockfile   = "cargo-lockfile"
	TypeGem             = "gem"
	TypeGemLockfile     = "gem-lockfile"
)

// DefaultMaxFileBytes is the largest file handed to an extractor (512 MiB).
const DefaultMaxFileBytes = 512 << 20

// rpmTimeoutSeconds bounds the reading of one rpm database.
const rpmTimeoutSeconds = 60

// Options control extraction.
type Options struct {
	// Paths, when not nil, are the only files offered to the extractors (slash-separated and
	// relative to the root of the file system); Extract does not walk the file system then. Image
	// sources pass the files whose content they kept.
	Paths []string
	// Absolute makes Package.Location absolute ("/usr/bin/app"), as inside an image; otherwise it
	// is relative to the root of the file system.
	Absolute bool
	// MaxFileBytes skips larger files with a warning (DefaultMaxFileBytes when 0).
	MaxFileBytes int64
	// Layer, when set, names the image layer (its digest) holding a file, for Package.Layer.
	Layer func(path string) string
}

// plugin is one configured extractor and the package type it yields.
type plugin struct {
	ex  filesystem.Extractor
	typ string
	// os extractors read a package database whose packages are attributed to image layers one
	// version of the database at a time.
	os bool
	// binary extractors want every executable; callers that must keep file contents (image
	// layers) first check for the build-information markers (BinaryMarkers).
	binary bool
}

var (
	pluginsOnce sync.Once
	plugins     []plugin
	pluginsErr  error
)

func loadPlugins() ([]plugin, error) {
	pluginsOnce.Do(func() {
		// scalibr logs through the standard logger (to stderr); kube4c reports what matters as
		// problems, so silence it.
		scalibrlog.SetLogger(quietLogger{})
		cfg := &cpb.PluginConfig{PluginSpecific: []*cpb.PluginSpecificConfig{
			// A corrupt Berkeley DB can keep the rpm parser busy: 5 minutes by default.
			{Config: &cpb.PluginSpecificConfig_Rpm{Rpm: &cpb.RpmConfig{TimeoutSeconds: rpmTimeoutSeconds}}},
		}}
		for _, c := range []struct {
			new    func(*cpb.PluginConfig) (filesystem.Extractor, error)
			typ    string
			os     bool
			binary bool
		}{
			{new: dpkg.New, typ: TypeDpkg, os: true},
			{new: apk.New, typ: TypeAPK, os: true},
			{new: rpm.New, typ: TypeRPM, os: true},
			{new: gobinary.New, typ: TypeGoBinary, binary: true},
			{new: cargoauditable.New, typ: TypeRustBinary, binary: true},
			{new: packagejson.New, typ: TypeNPM},
			{new: packagelockjson.New, typ: TypeNPMLockfile},
			{new: wheelegg.New, typ: TypePython},
			{new: requirements.New, typ: TypePipRequirements},
			{new: archive.New, typ: TypeJavaArchive},
			{new: cargolock.New, typ: TypeCargoLockfile},
			{new: gemspec.New, typ: TypeGem},
			{new: gemfilelock.New, typ: TypeGemLockfile},
		} {
			ex, err := c.new(cfg)
			if err != nil {
				pluginsErr = fmt.Errorf("package extractor for %s: %w", c.typ, err)
				return
			}
			plugins = append(plugins, plugin{ex: ex, typ: c.typ, os: c.os, binary: c.binary})
		}
	})
	return plugins, pluginsErr
}

// BinaryMarkers are byte strings one of which every executable the binary extractors read holds:
// the Go build information magic and the name of cargo-auditable's ELF section.
func BinaryMarkers() [][]byte {
	return [][]byte{[]byte("\xff Go buildinf:"), []byte(".dep-v0")}
}

// fileAPI is the path and file information extractors decide on.
type fileAPI struct {
	path string
	info fs.FileInfo
}

func (f fileAPI) Path() string               { return f.path }
func (f fileAPI) Stat() (fs.FileInfo, error) { return f.info, nil }

// Required reports whether an extractor reads the file at p (slash-separated, relative to the
// root), and whether only binary extractors do (binary): such an executable is only worth keeping
// when it holds one of the BinaryMarkers.
func Required(p string, info fs.FileInfo) (required, binary bool) {
	ps, err := loadPlugins()
	if err != nil {
		return false, false
	}
	api := fileAPI{path: p, info: info}
	binary = true
	for _, pl := range ps {
		if pl.ex.FileRequired(api) {
			required = true
			binary = binary && pl.binary
		}
	}
	return required, required && binary
}

// IsOSDatabase reports whether p (slash-separated, relative to the root) is an operating system
// package database (dpkg, apk, rpm). Image sources attribute its packages to layers by reading
// every layer's version of it (AttributeLayers).
func IsOSDatabase(p string) bool {
	ps, err := loadPlugins()
	if err != nil {
		return false
	}
	api := fileAPI{path: p, info: sizeInfo{name: path.Base(p)}}
	for _, pl := range ps {
		if pl.os && pl.ex.FileRequired(api) {
			return true
		}
	}
	return false
}

// sizeInfo is a minimal regular-file fs.FileInfo.
type sizeInfo struct {
	name string
	size int64
}

func (s sizeInfo) Name() string       { return s.name }
func (s sizeInfo) Size() int64        { return s.size }
func (s sizeInfo) Mode() fs.FileMode  { return 0o644 }
func (s sizeInfo) ModTime() time.Time { return time.Time{} }
func (s sizeInfo) IsDir() bool        { return false }
func (s sizeInfo) Sys() any           { return nil }

// Extract finds the packages installed in a file system: an image's (see internal/source/image)
// or a directory's (scalibrfs.DirFS). Files the extractors cannot read are reported as warnings;
// Extract fails only when ctx is done or the extractors cannot be set up.
func Extract(ctx context.Context, fsys scalibrfs.FS, opts Options) ([]Package, []inventory.Problem, error) {
	if _, err := loadPlugins(); err != nil {
		return nil, nil, err
	}
	var (
		out      []Package
		problems []inventory.Problem
	)
	run := func(p string) error {
		pkgs, probs, err := ExtractFile(ctx, fsys, p, opts)
		out = append(out, pkgs...)
		problems = append(problems, probs...)
		return err
	}
	if opts.Paths != nil {
		for _, p := range opts.Paths {
			if err := run(p); err != nil {
				return nil, problems, err
			}
		}
	} else {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == "." {
					return err
				}
				problems = append(problems, warning(display(p, opts), err.Error()))
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			return run(p)
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, problems, ctx.Err()
			}
			return nil, problems, fmt.Errorf("reading %s: %w", display(".", opts), err)
		}
	}
	return Dedupe(out), problems, nil
}

// ExtractFile runs the extractors that want the file at p (slash-separated, relative to the
// root of fsys) on it.
func ExtractFile(ctx context.Context, fsys scalibrfs.FS, p string, opts Options) ([]Package, []inventory.Problem, error) {
	ps, err := loadPlugins()
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	maxBytes := opts.MaxFileBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFileBytes
	}
	info, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, []inventory.Problem{warning(display(p, opts), err.Error())}, nil
	}
	if !info.Mode().IsRegular() {
		return nil, nil, nil
	}
	api := fileAPI{path: p, info: info}
	var (
		out      []Package
		problems []inventory.Problem
	)
	for _, pl := range ps {
		if !pl.ex.FileRequired(api) {
			continue
		}
		if info.Size() > maxBytes {
			problems = append(problems, warning(display(p, opts),
				fmt.Sprintf("not read for packages: %d bytes is over the limit of %d", info.Size(), maxBytes)))
			return out, problems, nil
		}
		pkgs, err := runOne(ctx, fsys, p, info, pl)
		if err != nil {
			if ctx.Err() != nil {
				return out, problems, ctx.Err()
			}
			problems = append(problems, warning(display(p, opts), fmt.Sprintf("reading %s packages: %v", pl.typ, err)))
		}
		for _, sp := range pkgs {
			out = append(out, convert(sp, pl.typ, p, opts))
		}
	}
	return out, problems, nil
}

// runOne runs one extractor on one file; a panic in the extractor (a parser bug met with hostile
// input) is turned into an error.
func runOne(ctx context.Context, fsys scalibrfs.FS, p string, info fs.FileInfo, pl plugin) (pkgs []*extractor.Package, err error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("extractor %s failed: %v", pl.ex.Name(), r)
		}
	}()
	inv, err := pl.ex.Extract(ctx, &filesystem.ScanInput{FS: fsys, Path: p, Info: info, Reader: f})
	return inv.Packages, err
}

func display(p string, opts Options) string {
	if opts.Absolute {
		if p == "." {
			return "/"
		}
		return "/" + p
	}
	return p
}

func warning(file, msg string) inventory.Problem {
	return inventory.Problem{Severity: "warning", File: file, Message: msg}
}

// convert maps a scalibr package found in file p to a Package.
func convert(sp *extractor.Package, typ, p string, opts Options) Package {
	if sp.PURLType == purl.TypeGolang && sp.Name == "go" {
		// The Go toolchain that built a binary: OSV's Go advisories name it "stdlib".
		sp.Name = "stdlib"
	}
	out := Package{
		Name:      sp.Name,
		Version:   sp.Version,
		Ecosystem: ecosystem(sp),
		Type:      typ,
	}
	loc := p
	if d := sp.Location.PathOrEmpty(); d != "" && d != p {
		// Packages inside an archive are located at "archive.jar:inner/path" by some extractors;
		// keep the file that was read as the location.
		if !strings.Contains(d, ":") {
			loc = d
		}
	}
	out.Location = display(path.Clean(loc), opts)
	switch m := sp.Metadata.(type) {
	case *dpkgmeta.Metadata:
		if m.SourceName != "" && m.SourceName != sp.Name {
			out.SourceName = m.SourceName
		}
	case *apkmeta.Metadata:
		if m.OriginName != "" && m.OriginName != sp.Name {
			out.SourceName = m.OriginName
		}
	case *rpmmeta.Metadata:
		if m.Epoch > 0 {
			// OSV's Red Hat, AlmaLinux and Rocky Linux records write the epoch in versions.
			out.Version = strconv.Itoa(m.Epoch) + ":" + sp.Version
		}
		if src := rpmSourceName(m.SourceRPM); src != "" && src != sp.Name {
			out.SourceName = src
		}
	}
	if u := sp.PURL(); u != nil {
		out.PURL = u.String()
	}
	for _, l := range sp.Licenses {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(out.Licenses, l) {
			out.Licenses = append(out.Licenses, l)
		}
	}
	if opts.Layer != nil {
		out.Layer = opts.Layer(p)
	}
	return out
}

// ecosystem is the OSV ecosystem of a scalibr package, with the distribution release for OS
// packages. OS packages of a root without os-release get none: they cannot be matched.
func ecosystem(sp *extractor.Package) string {
	switch m := sp.Metadata.(type) {
	case *dpkgmeta.Metadata:
		if m.OSID == "" {
			return ""
		}
		if m.OSID == "ubuntu" {
			// OSV writes LTS releases as "Ubuntu:22.04:LTS"; scalibr's PURL mapping knows which.
			distro := m.OSVersionID
			if distro == "" {
				distro = m.OSVersionCodename
			}
			q := map[string]string{}
			if distro != "" {
				q[purl.Distro] = distro
			}
			return purlecosystem.FromPURL(&purl.PackageURL{Type: purl.TypeDebian, Namespace: "ubuntu",
				Name: sp.Name, Version: sp.Version, Qualifiers: purl.QualifiersFromMap(q)}).String()
		}
	case *apkmeta.Metadata:
		if m.OSID == "" {
			return ""
		}
	case *rpmmeta.Metadata:
		if m.OSID == "" {
			return ""
		}
		if m.OSID == "rocky" && m.OSVersionID != "" {
			// OSV scopes Rocky Linux records by major release ("Rocky Linux:9").
			major, _, _ := strings.Cut(m.OSVersionID, ".")
			return "Rocky Linux:" + major
		}
	}
	return sp.Ecosystem().String()
}

// rpmSourceName is the name of the source package of an rpm: "openssl" for
// "openssl-3.0.7-24.el9.src.rpm".
func rpmSourceName(srpm string) string {
	s, ok := strings.CutSuffix(srpm, ".src.rpm")
	if !ok {
		s, ok = strings.CutSuffix(srpm, ".nosrc.rpm")
	}
	if !ok {
		return ""
	}
	for range 2 { // drop -release, then -version
		i := strings.LastIndexByte(s, '-')
		if i <= 0 {
			return ""
		}
		s = s[:i]
	}
	return s
}

// Dedupe drops repeated packages (same type, ecosystem, name, version and location), keeping the
// first, and sorts the rest by location, name and version.
func Dedupe(pkgs []Package) []Package {
	type key struct{ typ, eco, name, version, loc string }
	seen := make(map[key]bool, len(pkgs))
	out := pkgs[:0]
	for _, p := range pkgs {
		k := key{p.Type, p.Ecosystem, p.Name, p.Version, p.Location}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Package) int {
		if c := strings.Compare(a.Location, b.Location); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return out
}

// AttributeLayers sets the Layer of the packages read from an OS package database to the
// earliest layer whose version of the database lists the package (same name and version) when
// every later version does too. versions are the database's versions in layer order, each the
// layer digest and the packages of that version (nil when the layer deleted the database).
func AttributeLayers(pkgs []Package, dbPath string, versions []LayerVersion) {
	if len(versions) == 0 {
		return
	}
	type nv struct{ name, version string }
	present := make([]map[nv]bool, len(versions))
	for i, v := range versions {
		present[i] = make(map[nv]bool, len(v.Packages))
		for _, p := range v.Packages {
			present[i][nv{p.Name, p.Version}] = true
		}
	}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Location != dbPath {
			continue
		}
		k := nv{p.Name, p.Version}
		first := -1
		for j := len(versions) - 1; j >= 0 && present[j][k]; j-- {
			first = j
		}
		if first >= 0 {
			p.Layer = versions[first].Layer
		}
	}
}

// LayerVersion is one layer's version of an OS package database.
type LayerVersion struct {
	Layer    string
	Packages []Package
}

// quietLogger discards scalibr's log output.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Error(...any)          {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Warn(...any)           {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Info(...any)           {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Debug(...any)          {}
