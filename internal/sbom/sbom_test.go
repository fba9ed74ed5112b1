package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/packages"
	"github.com/package-url/packageurl-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the current output")

const (
	layer1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	layer2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// testImage is a Debian image with an application: dpkg packages (one with a source package, one
// with a non-SPDX license), a Go binary's modules, npm packages (one at two locations), a crate
// with a compound expression and an identifier newer than CycloneDX's list.
func testImage() *image.Image {
	return &image.Image{
		Name:     "ghcr.io/kube4c/demo-app:1.4.2",
		Digest:   digest,
		Platform: "linux/amd64",
		OS: &image.OSRelease{
			ID: "debian", VersionID: "12", VersionCodename: "bookworm",
			PrettyName: "Debian GNU/Linux 12 (bookworm)", Path: "/etc/os-release",
		},
		Layers: []image.Layer{
			{Digest: layer1, DiffID: "sha256:aaaa111111111111111111111111111111111111111111111111111111111111"},
			{Digest: layer2, DiffID: "sha256:bbbb222222222222222222222222222222222222222222222222222222222222"},
		},
		// Deliberately unsorted.
		Packages: []packages.Package{
			{Name: "ms", Version: "2.1.3", Ecosystem: "npm", PURL: "pkg:npm/ms@2.1.3", Type: "npm",
				Location: "/app/node_modules/ms/package.json", Layer: layer2, Licenses: []string{"MIT"}},
			{Name: "libssl3", Version: "3.0.15-1~deb12u1", Ecosystem: "Debian:12", SourceName: "openssl",
				PURL: "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12", Type: "dpkg",
				Location: "/var/lib/dpkg/status", Layer: layer1, Licenses: []string{"Apache-2.0"}},
			{Name: "github.com/spf13/cobra", Version: "v1.8.1", Ecosystem: "Go",
				PURL: "pkg:golang/github.com/spf13/cobra@v1.8.1", Type: "go-binary",
				Location: "/usr/local/bin/demo", Layer: layer2, Licenses: []string{"apache-2.0"}},
			{Name: "bash", Version: "5.2.15-2+b7", Ecosystem: "Debian:12",
				PURL: "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12", Type: "dpkg",
				Location: "/var/lib/dpkg/status", Layer: layer1, Licenses: []string{"GPL-3+", "BSD-4-Clause-UC"}},
			{Name: "lodash", Version: "4.17.21", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.21", Type: "npm",
				Location: "/app/node_modules/lodash/package.json", Layer: layer2, Licenses: []string{"MIT"}},
			{Name: "ms", Version: "2.1.3", Ecosystem: "npm", PURL: "pkg:npm/ms@2.1.3", Type: "npm",
				Location: "/app/node_modules/debug/node_modules/ms/package.json", Layer: layer2, Licenses: []string{"MIT"}},
			{Name: "stdlib", Version: "go1.22.5", Ecosystem: "Go", PURL: "pkg:golang/stdlib@go1.22.5",
				Type: "go-binary", Location: "/usr/local/bin/demo", Layer: layer2, Licenses: []string{"BSD-3-Clause"}},
			{Name: "unicode-ident", Version: "1.0.13", Ecosystem: "crates.io", PURL: "pkg:cargo/unicode-ident@1.0.13",
				Type: "cargo", Location: "/app/Cargo.lock", Layer: layer2,
				Licenses: []string{"(mit or Apache-2.0) and Unicode-3.0"}},
		},
	}
}

// testDirectory is a source tree: relative locations, no OS, a package without a purl, odd names.
func testDirectory() (Subject, []packages.Package) {
	return DirectorySubject("./démo app"), []packages.Package{
		{Name: "golang.org/x/net", Version: "v0.60.0", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/net@v0.60.0",
			Type: "go-module", Location: "go.mod", Licenses: []string{"BSD-3-Clause"}},
		{Name: "café utils", Version: "1.0.0", Ecosystem: "PyPI", PURL: "pkg:pypi/caf%C3%A9-utils@1.0.0",
			Type: "python", Location: "requirements.txt", Licenses: []string{"Apache Software License", "MIT"}},
		{Name: "@scope/ünïcode", Version: "0.1.0", Ecosystem: "npm", PURL: "pkg:npm/%40scope/%C3%BCn%C3%AFcode@0.1.0",
			Type: "npm", Location: "web/package-lock.json", Licenses: []string{"MIT OR Custom"}},
		{Name: "internal-tool", Version: "", Type: "java-archive", Location: "lib/internal tool.jar",
			Licenses: []string{"LicenseRef-Acme-Proprietary", "NOASSERTION", ""}},
	}
}

var testOptions = Options{
	ToolName:    "kube4c",
	ToolVersion: "0.9.0",
	Now:         time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600)),
	UUID:        "3f9a1c0e-7b5d-4e2a-9c1f-8d6e5b4a3c21",
}

type testCase struct {
	name    string
	subject Subject
	pkgs    []packages.Package
}

func testCases() []testCase {
	img := testImage()
	dir, dirPkgs := testDirectory()
	scratch := &image.Image{Name: "out/build/app.tar", Digest: digest, Platform: "linux/arm64/v8"}
	return []testCase{
		{"image", ImageSubject(img), img.Packages},
		{"directory", dir, dirPkgs},
		{"empty", ImageArchiveSubject(scratch), nil},
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range testCases() {
		for _, f := range formats {
			t.Run(tc.name+"."+f.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := f.write(&buf, tc.subject, tc.pkgs, testOptions); err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", tc.name+"."+f.ext+".json")
				if *update {
					if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if got := buf.String(); got != string(want) {
					t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", golden, firstDiff(string(want), got))
				}
			})
		}
	}
}

var formats = []struct {
	ext   string
	write func(w *bytes.Buffer, s Subject, p []packages.Package, o Options) error
}{
	{"cdx", func(w *bytes.Buffer, s Subject, p []packages.Package, o Options) error {
		return WriteCycloneDX(w, s, p, o)
	}},
	{"spdx", func(w *bytes.Buffer, s Subject, p []packages.Package, o Options) error { return WriteSPDX(w, s, p, o) }},
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(no line differs)"
}

// The output does not depend on the order of the input, and the input is not modified.
func TestDeterministic(t *testing.T) {
	for _, tc := range testCases() {
		for _, f := range formats {
			orig := slices.Clone(tc.pkgs)
			var a, b bytes.Buffer
			if err := f.write(&a, tc.subject, tc.pkgs, testOptions); err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(orig, tc.pkgs, func(x, y packages.Package) bool {
				return x.Name == y.Name && x.Location == y.Location
			}) {
				t.Fatalf("%s.%s: the input slice was reordered", tc.name, f.ext)
			}
			rev := slices.Clone(tc.pkgs)
			slices.Reverse(rev)
			if err := f.write(&b, tc.subject, rev, testOptions); err != nil {
				t.Fatal(err)
			}
			if a.String() != b.String() {
				t.Errorf("%s.%s: output depends on the input order:\n%s", tc.name, f.ext, firstDiff(a.String(), b.String()))
			}
		}
	}
}

var (
	uuidRe     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	spdxIDRe   = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	propertyRe = regexp.MustCompile(`^([A-Za-z0-9_ -]+:)+[A-Za-z0-9_ -]+$`)
	createdRe  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

// Default options: a fresh random UUID and the current time for every document.
func TestDefaultOptions(t *testing.T) {
	img := testImage()
	serials := map[string]bool{}
	for range 2 {
		var buf bytes.Buffer
		before := time.Now().UTC().Truncate(time.Second)
		if err := WriteCycloneDX(&buf, ImageSubject(img), img.Packages, Options{}); err != nil {
			t.Fatal(err)
		}
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(&buf, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
			t.Fatal(err)
		}
		serial, ok := strings.CutPrefix(bom.SerialNumber, "urn:uuid:")
		if !ok || !uuidRe.MatchString(serial) || serial[14] != '4' {
			t.Errorf("serialNumber %q: want urn:uuid: and a version 4 UUID", bom.SerialNumber)
		}
		serials[serial] = true
		ts, err := time.Parse(time.RFC3339, bom.Metadata.Timestamp)
		if err != nil || ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
			t.Errorf("timestamp %q is not now (%v)", bom.Metadata.Timestamp, err)
		}
		tools := *bom.Metadata.Tools.Components
		if len(tools) != 1 || tools[0].Name != "kube4c" || tools[0].Version != "" {
			t.Errorf("tools = %+v, want kube4c without version", tools)
		}
	}
	if len(serials) != 2 {
		t.Error("two documents got the same serial number")
	}
}

func TestErrors(t *testing.T) {
	img := testImage()
	for _, f := range formats {
		var buf bytes.Buffer
		if err := f.write(&buf, ImageSubject(img), img.Packages, Options{UUID: "not-a-uuid"}); err == nil {
			t.Errorf("%s: invalid UUID accepted", f.ext)
		}
		if err := f.write(&buf, Subject{Kind: "cluster", Name: "x"}, nil, testOptions); err == nil {
			t.Errorf("%s: unknown subject kind accepted", f.ext)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", f.ext, buf.Len())
		}
	}
}

// cycloneDXSchema compiles the CycloneDX 1.6 JSON schema shipped with cyclonedx-go (the version
// go.mod requires), offline.
var cycloneDXSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	c := jsonschema.NewCompiler()
	for file, id := range map[string]string{
		"bom-1.6.schema.json":   "http://cyclonedx.org/schema/bom-1.6.schema.json",
		"spdx.schema.json":      "http://cyclonedx.org/schema/spdx.schema.json",
		"jsf-0.82.schemax.json": "http://cyclonedx.org/schema/jsf-0.82.schema.json",
	} {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, err
		}
	}
	return c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
})

func TestCycloneDXValid(t *testing.T) {
	schema, err := cycloneDXSchema()
	if err != nil {
		t.Fatalf("CycloneDX schema: %v", err)
	}
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteCycloneDX(&buf, tc.subject, tc.pkgs, testOptions); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("not valid CycloneDX 1.6: %v", err)
			}
			var bom cdx.BOM
			if err := cdx.NewBOMDecoder(bytes.NewReader(buf.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
				t.Fatal(err)
			}
			checkCycloneDX(t, &bom, tc)
		})
	}
}

func checkCycloneDX(t *testing.T, bom *cdx.BOM, tc testCase) {
	t.Helper()
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.BOMFormat != "CycloneDX" {
		t.Errorf("bomFormat %q specVersion %v", bom.BOMFormat, bom.SpecVersion)
	}
	if bom.SerialNumber != "urn:uuid:"+testOptions.UUID {
		t.Errorf("serialNumber %q", bom.SerialNumber)
	}
	if bom.Metadata.Timestamp != "2026-03-14T14:09:26Z" {
		t.Errorf("timestamp %q, want the injected time in UTC, to the second", bom.Metadata.Timestamp)
	}
	root := bom.Metadata.Component
	wantType := map[Kind]cdx.ComponentType{KindImage: cdx.ComponentTypeContainer, KindDirectory: cdx.ComponentTypeApplication}[tc.subject.Kind]
	if root == nil || root.Type != wantType || root.Name != tc.subject.Name {
		t.Fatalf("metadata.component = %+v", root)
	}
	all := []cdx.Component{*root}
	if bom.Components != nil {
		all = append(all, *bom.Components...)
	}
	refs := map[string]bool{}
	for _, c := range all {
		if c.BOMRef == "" || refs[c.BOMRef] {
			t.Errorf("bom-ref %q of %s is empty or not unique", c.BOMRef, c.Name)
		}
		refs[c.BOMRef] = true
		if c.PackageURL != "" {
			if _, err := packageurl.FromString(c.PackageURL); err != nil {
				t.Errorf("purl of %s: %v", c.Name, err)
			}
		}
		if c.Properties != nil {
			for _, p := range *c.Properties {
				if !propertyRe.MatchString(p.Name) || !strings.HasPrefix(p.Name, "kube4c:") || p.Value == "" {
					t.Errorf("property %q=%q of %s", p.Name, p.Value, c.Name)
				}
			}
		}
		if c.Licenses != nil {
			for _, l := range *c.Licenses {
				if l.Expression != "" {
					if d := classifyLicense(l.Expression); d.class != licenseExpression && d.class != licenseID {
						t.Errorf("%s: license expression %q does not parse", c.Name, l.Expression)
					}
				}
			}
		}
	}
	wantComponents := len(tc.pkgs)
	if tc.subject.OS != nil {
		wantComponents++
	}
	if len(all)-1 != wantComponents {
		t.Errorf("%d components, want %d", len(all)-1, wantComponents)
	}
	if bom.Dependencies == nil || len(*bom.Dependencies) != 1 {
		t.Fatalf("dependencies = %+v, want the root's only", bom.Dependencies)
	}
	for _, d := range *bom.Dependencies {
		if !refs[d.Ref] {
			t.Errorf("dependency ref %q is no component", d.Ref)
		}
		if d.Dependencies != nil {
			for _, r := range *d.Dependencies {
				if !refs[r] {
					t.Errorf("dependsOn %q is no component", r)
				}
			}
		}
	}
	root0 := (*bom.Dependencies)[0]
	if root0.Ref != root.BOMRef {
		t.Errorf("dependency graph root %q, want %q", root0.Ref, root.BOMRef)
	}
	var deps []string
	if root0.Dependencies != nil {
		deps = *root0.Dependencies
	}
	if len(deps) != wantComponents {
		t.Errorf("root depends on %d components, want %d", len(deps), wantComponents)
	}
}

func TestSPDXValid(t *testing.T) {
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSPDX(&buf, tc.subject, tc.pkgs, testOptions); err != nil {
				t.Fatal(err)
			}
			checkSPDXRaw(t, buf.Bytes())
			doc, err := spdxjson.Read(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("tools-golang cannot read it: %v", err)
			}
			if err := spdxlib.ValidateDocument(doc); err != nil {
				t.Error(err)
			}
			if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.DocumentName != tc.subject.Name {
				t.Errorf("spdxVersion %q dataLicense %q name %q", doc.SPDXVersion, doc.DataLicense, doc.DocumentName)
			}
			if !strings.HasPrefix(doc.DocumentNamespace, SPDXNamespacePrefix) || !strings.HasSuffix(doc.DocumentNamespace, "-"+testOptions.UUID) ||
				strings.ContainsAny(doc.DocumentNamespace, " #") {
				t.Errorf("documentNamespace %q", doc.DocumentNamespace)
			}
			if doc.CreationInfo.Created != "2026-03-14T14:09:26Z" || len(doc.CreationInfo.Creators) != 1 ||
				doc.CreationInfo.Creators[0].CreatorType != "Tool" || doc.CreationInfo.Creators[0].Creator != "kube4c-0.9.0" {
				t.Errorf("creationInfo %+v", doc.CreationInfo)
			}

			wantPkgs := len(tc.pkgs) + 1
			if tc.subject.OS != nil {
				wantPkgs++
			}
			if len(doc.Packages) != wantPkgs {
				t.Fatalf("%d packages, want %d", len(doc.Packages), wantPkgs)
			}
			root := doc.Packages[0].PackageSPDXIdentifier
			ids := map[string]bool{}
			extracted := map[string]bool{}
			for _, ol := range doc.OtherLicenses {
				if !regexp.MustCompile(`^LicenseRef-[A-Za-z0-9.-]+$`).MatchString(ol.LicenseIdentifier) || ol.ExtractedText == "" {
					t.Errorf("hasExtractedLicensingInfos %+v", ol)
				}
				extracted[ol.LicenseIdentifier] = true
			}
			usedRefs := map[string]bool{}
			for _, p := range doc.Packages {
				id := string(p.PackageSPDXIdentifier)
				if ids[id] {
					t.Errorf("SPDXID %s not unique", id)
				}
				ids[id] = true
				if p.FilesAnalyzed || p.PackageDownloadLocation != "NOASSERTION" || p.PackageSupplier == nil ||
					p.PackageSupplier.Supplier != "NOASSERTION" || p.PackageName == "" {
					t.Errorf("package %s: filesAnalyzed %v downloadLocation %q supplier %+v", p.PackageName,
						p.FilesAnalyzed, p.PackageDownloadLocation, p.PackageSupplier)
				}
				for _, r := range p.PackageExternalReferences {
					if r.Category != "PACKAGE-MANAGER" || r.RefType != "purl" {
						t.Errorf("%s: externalRef %+v", p.PackageName, r)
					}
					if _, err := packageurl.FromString(r.Locator); err != nil {
						t.Errorf("%s: purl %v", p.PackageName, err)
					}
				}
				for _, l := range []string{p.PackageLicenseDeclared, p.PackageLicenseConcluded} {
					if l == "NOASSERTION" {
						continue
					}
					d := classifyLicense(l)
					if d.class != licenseID && d.class != licenseExpression {
						t.Errorf("%s: license %q is no valid SPDX expression", p.PackageName, l)
					}
					for _, r := range d.refs {
						usedRefs[r] = true
						if !extracted[r] {
							t.Errorf("%s: %s is not in hasExtractedLicensingInfos", p.PackageName, r)
						}
					}
				}
			}
			for r := range extracted {
				if !usedRefs[r] {
					t.Errorf("hasExtractedLicensingInfos %s is used by no package", r)
				}
			}
			describes, contains := 0, map[string]bool{}
			for _, r := range doc.Relationships {
				a, b := string(r.RefA.ElementRefID), string(r.RefB.ElementRefID)
				if (a != "DOCUMENT" && !ids[a]) || !ids[b] {
					t.Errorf("relationship %s %s %s: unknown element", a, r.Relationship, b)
				}
				switch {
				case r.Relationship == "DESCRIBES" && a == "DOCUMENT" && b == string(root):
					describes++
				case r.Relationship == "CONTAINS" && a == string(root):
					contains[b] = true
				default:
					t.Errorf("unexpected relationship %s %s %s", a, r.Relationship, b)
				}
			}
			if describes != 1 || len(contains) != wantPkgs-1 {
				t.Errorf("%d DESCRIBES (want 1), root CONTAINS %d (want %d)", describes, len(contains), wantPkgs-1)
			}
			if tc.subject.OS != nil && doc.Packages[1].PrimaryPackagePurpose != "OPERATING-SYSTEM" {
				t.Errorf("second package %+v is not the operating system", doc.Packages[1])
			}
		})
	}
}

// checkSPDXRaw checks the JSON as written (tools-golang strips the SPDXRef- prefixes on reading).
func checkSPDXRaw(t *testing.T, b []byte) {
	t.Helper()
	var raw struct {
		SPDXID       string `json:"SPDXID"`
		CreationInfo struct {
			Created string `json:"created"`
		} `json:"creationInfo"`
		Packages []struct {
			SPDXID        string `json:"SPDXID"`
			FilesAnalyzed *bool  `json:"filesAnalyzed"`
		} `json:"packages"`
		Relationships []struct {
			A string `json:"spdxElementId"`
			B string `json:"relatedSpdxElement"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.SPDXID != "SPDXRef-DOCUMENT" || !createdRe.MatchString(raw.CreationInfo.Created) {
		t.Errorf("SPDXID %q created %q", raw.SPDXID, raw.CreationInfo.Created)
	}
	for _, p := range raw.Packages {
		if !spdxIDRe.MatchString(p.SPDXID) {
			t.Errorf("SPDXID %q does not match %s", p.SPDXID, spdxIDRe)
		}
		if p.FilesAnalyzed == nil || *p.FilesAnalyzed {
			t.Errorf("%s: filesAnalyzed must be written, false", p.SPDXID)
		}
	}
	for _, r := range raw.Relationships {
		if !spdxIDRe.MatchString(r.A) || !spdxIDRe.MatchString(r.B) {
			t.Errorf("relationship %q -> %q: malformed SPDXID", r.A, r.B)
		}
	}
}
