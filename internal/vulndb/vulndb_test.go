package vulndb

import (
	"archive/zip"
	"context"
	"crypto/md5" //nolint:gosec // as in update.go
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/packages"
)

func testDB(t *testing.T) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "osv.db")
	st, err := Import(context.Background(), path, []string{"testdata/osv"}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 8 || st.Withdrawn != 1 || len(st.Problems) != 2 {
		t.Fatalf("import stats = %+v, want 8 records, 1 withdrawn and 2 problems (junk.json, broken.json)", st)
	}
	for _, p := range st.Problems {
		if !strings.Contains(p, "junk.json: not an OSV record") && !strings.Contains(p, "broken.json: not an OSV record") {
			t.Errorf("problem %q does not name the file", p)
		}
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type hit struct {
	pkg, id, fixed string
	sev            catalog.Severity
}

func match(t *testing.T, db *DB, pkgs ...packages.Package) []hit {
	t.Helper()
	ms, err := db.Match(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	var out []hit
	for _, m := range ms {
		out = append(out, hit{pkgs[m.Package].Name + "@" + pkgs[m.Package].Version, m.Advisory.ID, m.Fixed, m.Advisory.Severity})
	}
	slices.SortFunc(out, func(a, b hit) int { return strings.Compare(a.pkg+a.id, b.pkg+b.id) })
	return out
}

func TestMatchBoundaries(t *testing.T) {
	db := testDB(t)
	deb := func(name, src, v string) packages.Package {
		return packages.Package{Name: name, SourceName: src, Version: v, Ecosystem: "Debian:12", Type: "dpkg"}
	}
	for name, c := range map[string]struct {
		p    packages.Package
		want []hit
	}{
		"debian by source package": {deb("libssl3", "openssl", "3.0.11-1~deb12u1"),
			[]hit{{"libssl3@3.0.11-1~deb12u1", "DEBIAN-CVE-2024-0727", "3.0.13-1~deb12u1", catalog.Medium}}},
		"debian at the fixed version":   {deb("libssl3", "openssl", "3.0.13-1~deb12u1"), nil},
		"debian above the fix":          {deb("openssl", "", "3.0.15-1~deb12u1"), nil},
		"debian other release":          {packages.Package{Name: "openssl", Version: "3.0.11-1~deb12u1", Ecosystem: "Debian:13"}, nil},
		"debian epoch below the fix":    {deb("zlib1g", "zlib", "1:1.2.13.dfsg-1"), []hit{{"zlib1g@1:1.2.13.dfsg-1", "DEBIAN-CVE-2026-2", "1:1.2.13.dfsg-2", catalog.Low}}},
		"debian no epoch is epoch 0":    {deb("zlib1g", "zlib", "1.2.99"), []hit{{"zlib1g@1.2.99", "DEBIAN-CVE-2026-2", "1:1.2.13.dfsg-2", catalog.Low}}},
		"alpine revision below":         {packages.Package{Name: "libcrypto3", SourceName: "openssl", Version: "3.3.0-r1", Ecosystem: "Alpine:v3.20"}, []hit{{"libcrypto3@3.3.0-r1", "ALPINE-CVE-2024-2511", "3.3.0-r2", catalog.Medium}}},
		"alpine revision fixed":         {packages.Package{Name: "openssl", Version: "3.3.0-r2", Ecosystem: "Alpine:v3.20"}, nil},
		"go module with v prefix":       {packages.Package{Name: "golang.org/x/text", Version: "v0.3.7", Ecosystem: "Go"}, []hit{{"golang.org/x/text@v0.3.7", "GHSA-69ch-w2m2-3vjp", "0.3.8", catalog.High}, {"golang.org/x/text@v0.3.7", "GO-2022-1059", "0.3.8", catalog.High}}},
		"go module fixed":               {packages.Package{Name: "golang.org/x/text", Version: "v0.3.8", Ecosystem: "Go"}, nil},
		"npm at introduced":             {packages.Package{Name: "left-pad", Version: "1.1.0", Ecosystem: "npm"}, []hit{{"left-pad@1.1.0", "GHSA-aaaa-bbbb-cccc", "", catalog.Medium}}},
		"npm at last_affected":          {packages.Package{Name: "left-pad", Version: "1.3.0", Ecosystem: "npm"}, []hit{{"left-pad@1.3.0", "GHSA-aaaa-bbbb-cccc", "", catalog.Medium}}},
		"npm above last_affected":       {packages.Package{Name: "left-pad", Version: "1.3.1", Ecosystem: "npm"}, nil},
		"npm below introduced":          {packages.Package{Name: "left-pad", Version: "1.0.9", Ecosystem: "npm"}, nil},
		"pypi in the versions list":     {packages.Package{Name: "example-lib", Version: "2.0.1", Ecosystem: "PyPI"}, []hit{{"example-lib@2.0.1", "PYSEC-2026-1", "", catalog.Critical}}},
		"pypi not in the versions list": {packages.Package{Name: "example-lib", Version: "2.0.2", Ecosystem: "PyPI"}, nil},
		"no ecosystem":                  {packages.Package{Name: "openssl", Version: "1.0"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			got := match(t, db, c.p)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("matches = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAdvisorySeverityAndAliases(t *testing.T) {
	db := testDB(t)
	ms, err := db.Match([]packages.Package{
		{Name: "openssl", Version: "3.0.0-1", Ecosystem: "Debian:12"},
		{Name: "golang.org/x/text", Version: "v0.3.0", Ecosystem: "Go"},
		{Name: "left-pad", Version: "1.2.0", Ecosystem: "npm"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Match{}
	for _, m := range ms {
		got[m.Advisory.ID] = m
	}
	// No vector of its own: the upstream CVE record's vector decides (CVSS 3.1 base 6.5).
	if a := got["DEBIAN-CVE-2024-0727"].Advisory; a.Severity != catalog.Medium || a.Score != 6.5 || !strings.HasPrefix(a.SeverityFrom, "CVSS:3.1/") || a.Aliases[0] != "CVE-2024-0727" {
		t.Errorf("debian advisory = %+v", a)
	}
	// No vector: the GHSA that aliases the same CVE has one (7.5).
	if a := got["GO-2022-1059"].Advisory; a.Severity != catalog.High || a.Score != 7.5 || a.Aliases[0] != "CVE-2022-32149" || a.URL != "https://nvd.nist.gov/vuln/detail/CVE-2022-32149" {
		t.Errorf("go advisory = %+v", a)
	}
	// No vector anywhere: GitHub's qualitative severity.
	if a := got["GHSA-aaaa-bbbb-cccc"].Advisory; a.Severity != catalog.Medium || a.SeverityFrom != "database_specific: MODERATE" {
		t.Errorf("npm advisory = %+v", a)
	}
	if _, ok := got["GHSA-wwww-wwww-wwww"]; ok {
		t.Error("a withdrawn advisory matched")
	}
}

func TestCVSSScores(t *testing.T) {
	for vec, want := range map[string]catalog.Severity{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H":                    catalog.Critical,
		"CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N":                    catalog.Low,
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": catalog.Critical,
		"AV:N/AC:L/Au:N/C:C/I:C/A:C":                                      catalog.High, // v2 10.0: no critical in v2
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N":                    catalog.Info,
	} {
		score, v2, ok := cvssScore("", vec)
		if !ok || scoreSeverity(score, v2) != want {
			t.Errorf("%s: score %v ok %v → %v, want %v", vec, score, ok, scoreSeverity(score, v2), want)
		}
	}
	for _, bad := range []string{"", "CVSS:3.1/", "CVSS:3.1/AV:X", "CVSS:4.0/garbage", "AV:N"} {
		if _, _, ok := cvssScore("CVSS_V3", bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// zipOf writes the records of testdata/osv into a zip, as OSV's all.zip.
func zipOf(t *testing.T, names ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata/osv", n))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(n)
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestImportZipMergeAndReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "osv.db")
	ctx := context.Background()
	if _, err := Import(ctx, path, []string{zipOf(t, "GO-2022-1059.json", "GHSA-69ch-w2m2-3vjp.json")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := Import(ctx, path, []string{zipOf(t, "DEBIAN-CVE-2024-0727.json", "junk.json")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Advisories != 3 || len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "all.zip: junk.json") {
		t.Errorf("merge: %+v, want 3 advisories and the junk entry named", st)
	}
	st, err = Import(ctx, path, []string{zipOf(t, "PYSEC-versions.json")}, ImportOptions{Replace: true})
	if err != nil || st.Advisories != 1 {
		t.Errorf("replace: %+v %v, want 1 advisory", st, err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Status()
	if err != nil || s.Advisories != 1 || s.Ecosystems["PyPI"] != 1 || s.Schema != SchemaVersion || s.Built.IsZero() {
		t.Errorf("status = %+v, %v", s, err)
	}
	if len(s.Sources) != 1 || s.Sources[0].SHA256 == "" || s.Sources[0].Records != 1 {
		t.Errorf("sources = %+v: --replace starts over: only the last import is recorded, with its checksum", s.Sources)
	}
}

func TestImportRefusesBombs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bomb.zip")
	f, _ := os.Create(p)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("huge.json")
	chunk := make([]byte, 1<<20)
	for range MaxRecordSize>>20 + 2 {
		w.Write(chunk)
	}
	zw.Close()
	f.Close()
	st, err := Import(context.Background(), filepath.Join(t.TempDir(), "osv.db"), []string{p}, ImportOptions{})
	if err != nil || len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "huge.json") || !strings.Contains(st.Problems[0], "limit") {
		t.Errorf("stats %+v, err %v: an oversized entry is skipped by name", st, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "none.db"))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "kube4c db update") {
		t.Errorf("missing db: %v", err)
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database"), 0o644)
	if _, err := Open(junk); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk db: %v", err)
	}
}

func TestUpdate(t *testing.T) {
	zipPath := zipOf(t, "GO-2022-1059.json", "GHSA-69ch-w2m2-3vjp.json")
	data, _ := os.ReadFile(zipPath)
	md := md5.Sum(data) //nolint:gosec // as in update.go
	sum := sha256.Sum256(data)
	var goodMD5 = base64.StdEncoding.EncodeToString(md[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good/all.zip":
			w.Header().Set("X-Goog-Hash", "crc32c=AAAAAA==,md5="+goodMD5)
			w.Write(data)
		case "/bad/all.zip":
			w.Header().Set("X-Goog-Hash", "md5=AAAAAAAAAAAAAAAAAAAAAA==")
			w.Write(data)
		case "/side/all.zip", "/badside/all.zip":
			w.Write(data)
		case "/side/all.zip.sha256":
			fmt.Fprintf(w, "%s  all.zip\n", hex.EncodeToString(sum[:]))
		case "/badside/all.zip.sha256":
			fmt.Fprintf(w, "%s  all.zip\n", strings.Repeat("0", 64))
		case "/short/all.zip":
			w.Header().Set("Content-Length", fmt.Sprint(len(data)+100))
			w.Write(data)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "osv.db")
	st, err := Update(ctx, path, UpdateOptions{URLs: []string{srv.URL + "/good/all.zip"}})
	if err != nil || st.Advisories != 2 {
		t.Fatalf("good update: %+v %v", st, err)
	}
	before, _ := os.ReadFile(path)
	for name, c := range map[string]struct {
		url, sha, want string
	}{
		"x-goog-hash mismatch": {"/bad/all.zip", "", "x-goog-hash"},
		"sidecar mismatch":     {"/badside/all.zip", "", "does not match"},
		"--sha256 mismatch":    {"/good/all.zip", strings.Repeat("a", 64), "--sha256"},
		"truncated download":   {"/short/all.zip", "", "unexpected EOF"},
		"not found":            {"/missing/all.zip", "", "404"},
	} {
		_, err := Update(ctx, path, UpdateOptions{URLs: []string{srv.URL + c.url}, SHA256: c.sha})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
		after, _ := os.ReadFile(path)
		if string(after) != string(before) {
			t.Errorf("%s: a failed update changed the database", name)
		}
	}
	if _, err := Update(ctx, path, UpdateOptions{URLs: []string{srv.URL + "/side/all.zip"}, SHA256: hex.EncodeToString(sum[:])}); err != nil {
		t.Errorf("sidecar and --sha256: %v", err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, _ := db.Status()
	if len(s.Sources) != 1 || s.Sources[0].Verified != "sha256 sidecar, --sha256" {
		t.Errorf("sources = %+v", s.Sources)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left in the database directory: %v", names)
	}
	if u := URLsFor([]string{"Red Hat"}); u[0] != OSVBucket+"/Red%20Hat/all.zip" {
		t.Errorf("URLsFor = %v", u)
	}
}

// FuzzImportRecord feeds arbitrary bytes to the record parser and, for records that parse, the
// version matching and severity computation an import and a scan run on them. (The bbolt writes
// are covered by the tests above; a database per input would make the fuzzer crawl.)
func FuzzImportRecord(f *testing.F) {
	ents, _ := os.ReadDir("testdata/osv")
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join("testdata/osv", e.Name()))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRecord(b)
		if err != nil {
			return
		}
		textSeverity(r.DatabaseSpecific)
		best(r.Severity)
		for _, a := range r.Affected {
			textSeverity(a.EcosystemSpecific, a.DatabaseSpecific)
			best(a.Severity)
			e := storedAffected{Ecosystem: a.Package.Ecosystem, Ranges: a.Ranges, Versions: a.Versions}
			base := ecosystemBase(a.Package.Ecosystem)
			for _, v := range append(slices.Clone(a.Versions), "0", "1.0.0", "v0.3.7", "1:2.3-4", "3.3.0-r1") {
				if hit, fixed := affects(v, base, e); !hit && fixed != "" {
					t.Fatalf("%s: not affected but fixed in %q", v, fixed)
				}
			}
		}
	})
}
