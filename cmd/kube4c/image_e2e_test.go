package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kube4c/kube4c/internal/image/imagetest"
	"github.com/kube4c/kube4c/internal/signature/signaturetest"
)

// fakeKey is PEM-shaped key material planted in a test image; it must never reach output.
const fakeKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBkZXBsb3kta2V5LWZvci1rdWJlNGMtZTJlLXRlc3RzAAAAAAAAAAAAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"

const fakeToken = "ghp_kube4cE2ETestTokenValue0123456789abcd"

// shopImage is a Debian 12 image (openssl below Debian's fix of CVE-2024-0727, a setuid passwd)
// with a second layer holding a Go binary built against golang.org/x/text v0.3.7
// (GO-2022-1059) and a private SSH key; it runs as root with a token in its environment.
func shopImage(t *testing.T) v1.Image {
	t.Helper()
	base := imagetest.Layer(t, imagetest.Debian12Files(imagetest.Debian12Packages...)...)
	app := imagetest.Layer(t,
		imagetest.Exec("usr/local/bin/shop", imagetest.GoBinary(t)),
		imagetest.Reg("root/.ssh/id_ed25519", fakeKey))
	return imagetest.Image(t, imagetest.Config{Env: []string{"PATH=/usr/local/bin:/usr/bin", "GITHUB_TOKEN=" + fakeToken},
		CreatedBy: []string{"debian:12", "COPY shop /usr/local/bin/"}}, base, app)
}

// testVulnDB imports the vulndb package's OSV fixtures with the CLI and returns the database.
func testVulnDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "osv.db")
	r := kube4c(t, ".", nil, "db", "import", "--db", db, filepath.Join(repoRoot(t), "internal/vulndb/testdata/osv"))
	wantCode(t, r, 0, "db import")
	if !strings.Contains(r.stdout, "imported 8 records") || !strings.Contains(r.stderr, "junk.json: not an OSV record") {
		t.Fatalf("db import output:\n%s", r)
	}
	r = kube4c(t, ".", nil, "db", "status", "--db", db, "-o", "json")
	wantCode(t, r, 0, "db status")
	var st struct {
		Advisories int            `json:"advisories"`
		Ecosystems map[string]int `json:"ecosystems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Advisories != 8 || st.Ecosystems["Debian"] != 2 {
		t.Fatalf("db status: %+v %v\n%s", st, err, r)
	}
	return db
}

type imageFinding struct {
	e2eFinding
	Vulnerability *struct {
		ID        string   `json:"id"`
		Aliases   []string `json:"aliases"`
		Package   string   `json:"package"`
		Path      string   `json:"path"`
		Layer     string   `json:"layer"`
		Installed string   `json:"installedVersion"`
		Fixed     string   `json:"fixedVersion"`
	} `json:"vulnerability"`
}

func imageFindings(t *testing.T, r runResult) (map[string][]imageFinding, []string) {
	t.Helper()
	var rep struct {
		Findings     []imageFinding `json:"findings"`
		NotEvaluated []struct {
			ControlID string `json:"controlId"`
		} `json:"notEvaluated"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, r)
	}
	out := map[string][]imageFinding{}
	for _, f := range rep.Findings {
		out[f.ControlID] = append(out[f.ControlID], f)
	}
	var ne []string
	for _, n := range rep.NotEvaluated {
		ne = append(ne, n.ControlID)
	}
	return out, ne
}

func TestE2EImage(t *testing.T) {
	img := shopImage(t)
	layers := imagetest.LayerDigests(t, img)
	diffIDs := imagetest.DiffIDs(t, img) // a docker archive's layers are uncompressed: their digests are the diff IDs
	layerIs := func(got string, i int) bool { return got == layers[i] || got == diffIDs[i] }
	db := testVulnDB(t)
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	imagetest.WriteLayout(t, layout, img, nil)
	archive := filepath.Join(dir, "shop.tar")
	imagetest.WriteArchive(t, archive, "registry.example/shop:1", img)
	reg := imagetest.Registry(t)
	imagetest.Push(t, reg+"/shop/api:1", img)

	for name, args := range map[string][]string{
		"oci layout": {"--oci-layout", layout},
		"archive":    {"--input", archive},
		"registry":   {reg + "/shop/api:1", "--insecure-registry"},
	} {
		t.Run(name, func(t *testing.T) {
			r := kube4c(t, dir, nil, append([]string{"image", "--db", db, "-o", "json"}, args...)...)
			wantCode(t, r, 1, "image")
			fs, ne := imageFindings(t, r)
			if len(ne) != 0 {
				t.Errorf("not evaluated with a database: %v", ne)
			}
			vulns := map[string]imageFinding{}
			for _, f := range fs["container/image-vulnerable-package"] {
				vulns[f.Vulnerability.ID+" "+f.Vulnerability.Package] = f
			}
			ssl, ok := vulns["DEBIAN-CVE-2024-0727 libssl3"]
			if !ok || ssl.Vulnerability.Fixed != "3.0.13-1~deb12u1" || !layerIs(ssl.Vulnerability.Layer, 0) || ssl.Severity != "medium" || ssl.Vulnerability.Aliases[0] != "CVE-2024-0727" {
				t.Errorf("openssl advisory = %+v (layers %v); all: %v", ssl, layers, keys(vulns))
			}
			text, ok := vulns["GO-2022-1059 golang.org/x/text"]
			if !ok || !layerIs(text.Vulnerability.Layer, 1) || text.Vulnerability.Path != "/usr/local/bin/shop" || text.Severity != "high" || text.Vulnerability.Fixed != "0.3.8" {
				t.Errorf("x/text advisory = %+v; all: %v", text, keys(vulns))
			}
			for _, ctl := range []string{"container/image-runs-as-root", "container/image-secret-in-config", "container/image-secret-in-layer", "container/image-setuid-binaries"} {
				if len(fs[ctl]) == 0 {
					t.Errorf("no %s finding", ctl)
				}
			}
			for _, secret := range []string{fakeToken, "b3BlbnNzaC1rZXkt", "ZGVwbG95LWtleS"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("output contains secret material %q", secret)
				}
			}
		})
	}

	// --ignore-unfixed keeps fixed advisories; --severity high leaves out the medium openssl one.
	r := kube4c(t, dir, nil, "image", "--db", db, "-o", "json", "--oci-layout", layout, "--severity", "high")
	fs, _ := imageFindings(t, r)
	for _, f := range fs["container/image-vulnerable-package"] {
		if f.Severity != "high" && f.Severity != "critical" {
			t.Errorf("--severity high reported %s %s", f.Severity, f.Vulnerability.ID)
		}
	}

	// A VEX-style exception suppresses one advisory in one image, by its CVE alias.
	ex := filepath.Join(dir, "exceptions.yaml")
	os.WriteFile(ex, []byte(`apiVersion: kube4c.io/v1alpha1
kind: Exceptions
exceptions:
  - controls: [container/image-vulnerable-package]
    match: {vulnerabilities: [CVE-2022-32149], packages: [golang.org/x/text]}
    vexJustification: vulnerable_code_not_in_execute_path
    justification: shop never parses Accept-Language
`), 0o600)
	r = kube4c(t, dir, nil, "image", "--db", db, "-o", "json", "--oci-layout", layout, "--exceptions", ex)
	fs, _ = imageFindings(t, r)
	suppressed := 0
	for _, f := range fs["container/image-vulnerable-package"] {
		if f.Vulnerability.Package == "golang.org/x/text" && !f.Suppressed {
			t.Errorf("%s not suppressed", f.Vulnerability.ID)
		}
		if f.Suppressed {
			suppressed++
		}
	}
	if suppressed != 2 {
		t.Errorf("%d advisories suppressed, want GO-2022-1059 and its GHSA", suppressed)
	}

	// Without a database: a warning, and the control is not evaluated (never a clean pass).
	r = kube4c(t, dir, nil, "image", "--db", filepath.Join(dir, "none.db"), "-o", "json", "--oci-layout", layout)
	wantCode(t, r, 2, "image with a missing --db")
	t.Setenv("KUBE4C_DB", filepath.Join(dir, "none.db"))
	r = kube4c(t, dir, nil, "image", "-o", "json", "--oci-layout", layout)
	fs, ne := imageFindings(t, r)
	if len(fs["container/image-vulnerable-package"]) != 0 || len(ne) != 1 || ne[0] != "container/image-vulnerable-package" || !strings.Contains(r.stderr, "kube4c db update") {
		t.Errorf("without a database: findings %d, not evaluated %v\n%s", len(fs["container/image-vulnerable-package"]), ne, r)
	}

	// SBOMs.
	r = kube4c(t, dir, nil, "image", "--oci-layout", layout, "-o", "cyclonedx")
	wantCode(t, r, 0, "image -o cyclonedx")
	var bom struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct {
			Name string `json:"name"`
			PURL string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &bom); err != nil || bom.BOMFormat != "CycloneDX" {
		t.Fatalf("cyclonedx: %v\n%s", err, r)
	}
	var purls []string
	for _, c := range bom.Components {
		purls = append(purls, c.PURL)
	}
	if all := strings.Join(purls, " "); !strings.Contains(all, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2") || !strings.Contains(all, "pkg:golang/golang.org/x/text@0.3.7") {
		t.Errorf("cyclonedx purls: %v", purls)
	}
	r = kube4c(t, dir, nil, "image", "--input", archive, "-o", "spdx-json")
	wantCode(t, r, 0, "image -o spdx-json")
	if !strings.Contains(r.stdout, `"spdxVersion": "SPDX-2.3"`) || !strings.Contains(r.stdout, "libssl3") {
		t.Errorf("spdx:\n%s", clip(r.stdout))
	}
	rootfs := filepath.Join(dir, "rootfs")
	imagetest.WriteRootFS(t, rootfs, imagetest.Debian12Files(imagetest.Debian12Packages...)...)
	r = kube4c(t, dir, nil, "image", "--rootfs", rootfs, "-o", "cyclonedx")
	wantCode(t, r, 0, "image --rootfs -o cyclonedx")
	if !strings.Contains(r.stdout, "libssl3") {
		t.Errorf("rootfs SBOM lacks dpkg packages:\n%s", clip(r.stdout))
	}

	// Bad input.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"image"}, "name an image"},
		{[]string{"image", "--input", archive, "--oci-layout", layout}, "one of"},
		{[]string{"image", "--input", filepath.Join(dir, "missing.tar")}, "missing.tar"},
		{[]string{"image", "--oci-layout", dir}, dir},
		{[]string{"image", reg + "/shop/missing:1", "--insecure-registry"}, "shop/missing"},
	} {
		r := kube4c(t, dir, nil, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("kube4c %v: want exit 2 naming %q\n%s", c.args, c.want, r)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestE2EScanImages scans manifests whose workloads reference images of a loopback registry:
// each digest is read once, findings point at the manifest, unsigned images are flagged on the
// workload when a key is given, and an image that cannot be pulled is a problem naming it.
func TestE2EScanImages(t *testing.T) {
	img := shopImage(t)
	db := testVulnDB(t)
	reg := signaturetest.Registry(t, false)
	imagetest.Push(t, reg+"/shop/api:1", img)
	digest := imagetest.Digest(t, img)
	priv, pub := signaturetest.GenerateKey(t)
	h, _ := v1.NewHash(digest)
	signaturetest.SignTag(t, reg+"/shop/api", h, priv)
	imagetest.Push(t, reg+"/shop/unsigned:1", imagetest.Image(t, imagetest.Config{User: "1000"}, imagetest.Layer(t, imagetest.Reg("etc/motd", "hi\n"))))

	dir := t.TempDir()
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: REG/shop/api:1
      - name: api-pinned
        image: REG/shop/api@DIGEST
      - name: sidecar
        image: REG/shop/unsigned:1
      - name: gone
        image: REG/shop/gone:1
`
	manifest = strings.NewReplacer("REG", reg, "DIGEST", digest).Replace(manifest)
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(manifest), 0o600)
	t.Setenv("KUBE4C_CACHE_DIR", filepath.Join(dir, "cache"))

	args := []string{"scan", "api.yaml", "--images", "--insecure-registry", "--db", db, "--verify-key", pub, "-o", "json"}
	r := kube4c(t, dir, nil, args...)
	wantCode(t, r, 2, "scan --images with an image that cannot be pulled")
	rep := parseReport(t, r)
	var gone bool
	for _, p := range rep.Problems {
		if strings.Contains(p.Message, "shop/gone:1") && p.File == "api.yaml" && p.Line == lineOf(t, filepath.Join(dir, "api.yaml"), "shop/gone:1") {
			gone = true
		}
	}
	if !gone {
		t.Errorf("no problem naming shop/gone:1 at its line: %+v", rep.Problems)
	}
	fs, _ := imageFindings(t, r)
	images := map[string]bool{}
	for _, f := range fs["container/image-vulnerable-package"] {
		images[f.Resource.Name] = true
		if f.Location.File != "api.yaml" || f.Location.Line != lineOf(t, filepath.Join(dir, "api.yaml"), "shop/api:1") {
			t.Errorf("vulnerability located at %+v, want the image field of api.yaml", f.Location)
		}
	}
	if len(images) != 1 {
		t.Errorf("the tag and the digest of one image gave findings about %v: want one image", keys(images))
	}
	sig := fs["container/image-signature"]
	if len(sig) != 1 || !strings.Contains(sig[0].Path, "containers[2].image") || sig[0].ref() != "Deployment/shop/api" {
		t.Errorf("signature findings = %+v, want one for the unsigned sidecar", sig)
	}

	// Second scan: served from the cache by digest (the same findings).
	r2 := kube4c(t, dir, nil, args...)
	fs2, _ := imageFindings(t, r2)
	if len(fs2["container/image-vulnerable-package"]) != len(fs["container/image-vulnerable-package"]) {
		t.Errorf("cached scan differs: %d vs %d advisories", len(fs2["container/image-vulnerable-package"]), len(fs["container/image-vulnerable-package"]))
	}
	if _, err := os.Stat(filepath.Join(dir, "cache", "images", "sha256", strings.TrimPrefix(digest, "sha256:")+".json")); err != nil {
		t.Errorf("no cache entry for the image: %v", err)
	}

	// Image flags need --images.
	r = kube4c(t, dir, nil, "scan", "api.yaml", "--ignore-unfixed")
	if r.code != 2 || !strings.Contains(r.stderr, "--ignore-unfixed needs --images") {
		t.Errorf("--ignore-unfixed without --images:\n%s", r)
	}
}
