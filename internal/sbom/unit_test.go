package sbom

import (
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/packages"
)

func TestClassifyLicense(t *testing.T) {
	tests := []struct {
		in       string
		class    licenseClass
		text     string
		cdxID    bool
		compound bool
	}{
		{"", licenseNone, "", false, false},
		{"  NOASSERTION ", licenseNone, "", false, false},
		{"NONE", licenseNone, "", false, false},
		{"MIT", licenseID, "MIT", true, false},
		{"mit", licenseID, "MIT", true, false},
		{"apache-2.0", licenseID, "Apache-2.0", true, false},
		{"GPL-2.0+", licenseID, "GPL-2.0+", true, false}, // a deprecated identifier of its own
		{"Unicode-3.0", licenseID, "Unicode-3.0", false, false},
		{"LGPL-2.1-only+", licenseExpression, "LGPL-2.1-only+", false, false},
		{"MIT OR Apache-2.0", licenseExpression, "MIT OR Apache-2.0", false, true},
		{"(mit or apache-2.0) and unicode-3.0", licenseExpression, "(MIT OR Apache-2.0) AND Unicode-3.0", false, true},
		{"( MIT )", licenseExpression, "(MIT)", false, false},
		// WITH binds tighter than AND: no parentheses needed.
		{"GPL-2.0-only WITH Classpath-exception-2.0", licenseExpression, "GPL-2.0-only WITH Classpath-exception-2.0", false, false},
		{"Apache-2.0 with llvm-exception", licenseExpression, "Apache-2.0 WITH LLVM-exception", false, false},
		{"LicenseRef-Acme", licenseExpression, "LicenseRef-Acme", false, false},
		{"MIT AND LicenseRef-acme.1", licenseExpression, "MIT AND LicenseRef-acme.1", false, true},
		// Not SPDX.
		{"GPL-3+", licenseOther, "GPL-3+", false, false},
		{"Apache 2.0", licenseOther, "Apache 2.0", false, false},
		{"BSD License", licenseOther, "BSD License", false, false},
		{"SEE LICENSE IN LICENSE.md", licenseOther, "SEE LICENSE IN LICENSE.md", false, false},
		{"MIT OR", licenseOther, "MIT OR", false, false},
		{"(MIT", licenseOther, "(MIT", false, false},
		{"MIT)", licenseOther, "MIT)", false, false},
		{"MIT MIT", licenseOther, "MIT MIT", false, false},
		{"MIT WITH Apache-2.0", licenseOther, "MIT WITH Apache-2.0", false, false},
		{"Classpath-exception-2.0", licenseOther, "Classpath-exception-2.0", false, false},
		{"LicenseRef-", licenseOther, "LicenseRef-", false, false},
		{"LicenseRef-a_b", licenseOther, "LicenseRef-a_b", false, false},
		{"DocumentRef-x:LicenseRef-y", licenseOther, "DocumentRef-x:LicenseRef-y", false, false},
		{"AND", licenseOther, "AND", false, false},
		{"()", licenseOther, "()", false, false},
	}
	for _, tt := range tests {
		d := classifyLicense(tt.in)
		if d.class != tt.class || d.text != tt.text || d.cyclonedxID != tt.cdxID || d.compound != tt.compound {
			t.Errorf("classifyLicense(%q) = %+v, want class %d text %q cdxID %v compound %v",
				tt.in, d, tt.class, tt.text, tt.cdxID, tt.compound)
		}
	}
}

func TestCycloneDXLicenses(t *testing.T) {
	render := func(ls []string) string {
		l := cycloneDXLicenses(classifyLicenses(ls))
		if l == nil {
			return "nil"
		}
		var parts []string
		for _, c := range *l {
			switch {
			case c.Expression != "":
				parts = append(parts, "expr:"+c.Expression)
			case c.License.ID != "":
				parts = append(parts, "id:"+c.License.ID)
			default:
				parts = append(parts, "name:"+c.License.Name)
			}
		}
		return strings.Join(parts, ", ")
	}
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "nil"},
		{[]string{"", "NOASSERTION"}, "nil"},
		{[]string{"MIT"}, "id:MIT"},
		{[]string{"MIT", "mit", "BSD-3-Clause"}, "id:MIT, id:BSD-3-Clause"},
		{[]string{"MIT", "Custom"}, "id:MIT, name:Custom"},
		{[]string{"Unicode-3.0"}, "expr:Unicode-3.0"},
		{[]string{"MIT OR Apache-2.0", "Zlib"}, "expr:(MIT OR Apache-2.0) AND Zlib"},
		{[]string{"MIT OR Apache-2.0", "Custom"}, "name:MIT OR Apache-2.0, name:Custom"},
	}
	for _, tt := range tests {
		if got := render(tt.in); got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSPDXLicenseRefs(t *testing.T) {
	r := newLicenseRefs()
	r.declare("LicenseRef-GPL-2")
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "NOASSERTION"},
		{[]string{"MIT"}, "MIT"},
		{[]string{"MIT OR Apache-2.0", "Zlib"}, "(MIT OR Apache-2.0) AND Zlib"},
		{[]string{"Public Domain"}, "LicenseRef-Public-Domain"},
		{[]string{"public domain"}, "LicenseRef-public-domain"},
		{[]string{"Public Domain", "MIT"}, "LicenseRef-Public-Domain AND MIT"},
		// "GPL-2+" reduces to GPL-2, whose LicenseRef a package declared: a hash is appended.
		{[]string{"GPL-2+"}, "LicenseRef-GPL-2-" + shortHash("GPL-2+")},
		{[]string{"Public-Domain"}, "LicenseRef-Public-Domain-" + shortHash("Public-Domain")},
		{[]string{" Public Domain "}, "LicenseRef-Public-Domain"},
		{[]string{"日本"}, "LicenseRef-" + shortHash("日本")},
	}
	for _, tt := range tests {
		if got := r.expression(classifyLicenses(tt.in)); got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.in, got, tt.want)
		}
	}
	ids := map[string]string{}
	for _, ol := range r.others() {
		if prev, dup := ids[ol.LicenseIdentifier]; dup {
			t.Errorf("%s declared twice (%q, %q)", ol.LicenseIdentifier, prev, ol.ExtractedText)
		}
		ids[ol.LicenseIdentifier] = ol.ExtractedText
	}
	if len(ids) != 6 || ids["LicenseRef-Public-Domain"] != "Public Domain" || ids["LicenseRef-GPL-2"] != "LicenseRef-GPL-2" {
		t.Errorf("hasExtractedLicensingInfos = %v", ids)
	}
}

func TestPackageRefs(t *testing.T) {
	pkgs := []packages.Package{
		{Name: "a", PURL: "pkg:npm/a@1", Location: "x"},
		{Name: "b", PURL: "pkg:npm/b@1", Location: "x"},
		{Name: "b", PURL: "pkg:npm/b@1", Location: "y"},
		{Name: "c", PURL: "pkg:npm/c@1", Location: "x"},
		{Name: "c", PURL: "pkg:npm/c@1", Location: "x"},
		{Name: "d", Type: "java-archive", Version: "2", Location: "x"},
		{Name: "e", PURL: "pkg:oci/root@sha256:1", Location: "x"},
	}
	got := packageRefs(pkgs, []string{"pkg:oci/root@sha256:1"})
	want := []string{"pkg:npm/a@1", "pkg:npm/b@1|x", "pkg:npm/b@1|y", "pkg:npm/c@1|x|1", "pkg:npm/c@1|x|2",
		"kube4c:package:java-archive/d@2", "pkg:oci/root@sha256:1|2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("packageRefs:\n got %q\nwant %q", got, want)
	}
}

func TestImagePURL(t *testing.T) {
	const d = "sha256:abc"
	tests := []struct {
		subject Subject
		want    string
	}{
		{ImageSubject(&image.Image{Name: "nginx:1.27", Digest: d, Platform: "linux/amd64"}),
			"pkg:oci/nginx@sha256:abc?arch=amd64&repository_url=docker.io%2Flibrary%2Fnginx&tag=1.27"},
		{ImageSubject(&image.Image{Name: "nginx", Digest: d}),
			"pkg:oci/nginx@sha256:abc?repository_url=docker.io%2Flibrary%2Fnginx&tag=latest"},
		{ImageSubject(&image.Image{Name: "ghcr.io/org/app@sha256:" + strings.Repeat("a", 64), Digest: d}),
			"pkg:oci/app@sha256:abc?repository_url=ghcr.io%2Forg%2Fapp"},
		// Not a valid reference (upper case): no repository, the name from the last path segment.
		{ImageSubject(&image.Image{Name: "ghcr.io/Org/App:v1@sha256:" + strings.Repeat("a", 64), Digest: d}),
			"pkg:oci/app@sha256:abc"},
		{ImageSubject(&image.Image{Name: "localhost:5000/team/app:v2@sha256:" + strings.Repeat("b", 64), Digest: d, Platform: "linux/arm64/v8"}),
			"pkg:oci/app@sha256:abc?arch=arm64&repository_url=localhost:5000%2Fteam%2Fapp&tag=v2"},
		{ImageSubject(&image.Image{Name: "Not A Reference", Digest: d}), "pkg:oci/not%20a%20reference@sha256:abc"},
		{ImageArchiveSubject(&image.Image{Name: "build/My-App.tar.gz", Digest: d}), "pkg:oci/my-app@sha256:abc"},
		{ImageArchiveSubject(&image.Image{Name: `C:\images\app.tar`, Digest: d}), "pkg:oci/app@sha256:abc"},
		{ImageArchiveSubject(&image.Image{Name: "/", Digest: d}), "pkg:oci/image@sha256:abc"},
		{ImageArchiveSubject(&image.Image{Name: "layout"}), "pkg:oci/layout"},
	}
	for _, tt := range tests {
		if got := tt.subject.imagePURL(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.subject.Name, got, tt.want)
		}
	}
}

func TestSPDXIDs(t *testing.T) {
	g := newSPDXIDs()
	var got []string
	for _, n := range []string{"foo", "foo", "foo-1", "foo 1", "", "日本", "a/b@c:d"} {
		got = append(got, string(g.next("Package", n)))
	}
	want := "Package-foo-1 Package-foo-2 Package-foo-1-1 Package-foo-1-2 Package-unnamed-1 Package-unnamed-2 Package-a-b-c-d-1"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestSanitizeID(t *testing.T) {
	for in, want := range map[string]string{
		"nginx:1.27":         "nginx-1.27",
		"./démo app":         "demo-app",
		"@scope/ünïcode":     "scope-unicode",
		"a -- b":             "a-b",
		"..x..":              "x",
		"日本":                 "",
		"GPL-2+":             "GPL-2",
		"Ångström 2.0 (c)":   "Angstrom-2.0-c",
		"ghcr.io/a/b@sha256": "ghcr.io-a-b-sha256",
	} {
		if got := sanitizeID(in); got != want {
			t.Errorf("sanitizeID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPackageRefWithoutVersion(t *testing.T) {
	got := packageRefs([]packages.Package{{Name: "x", Type: "java-archive"}}, nil)
	if got[0] != "kube4c:package:java-archive/x" {
		t.Errorf("got %q", got[0])
	}
}
