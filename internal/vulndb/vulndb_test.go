package vulndb

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/packages"
	bolt "go.etcd.io/bbolt"
)

// testDB imports testdata/osv (the fixtures the CLI's end-to-end tests also use) and
// testdata/extra into a new database.
func testDB(t *testing.T) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "osv.db")
	st, err := Import(context.Background(), path, []string{"testdata/osv", "testdata/extra"}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 17 || st.Withdrawn != 1 || st.Skipped != 2 || len(st.Problems) != 2 || st.Advisories != 17 {
		t.Fatalf("import stats = %+v, want 17 records, 1 withdrawn and 2 problems (junk.json, broken.json)", st)
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

func (h hit) String() string { return fmt.Sprintf("%s %s fixed=%q %v", h.pkg, h.id, h.fixed, h.sev) }

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
	pkg := func(eco, name, v string) packages.Package {
		return packages.Package{Name: name, Version: v, Ecosystem: eco}
	}
	const (
		low, medium, high, critical = catalog.Low, catalog.Medium, catalog.High, catalog.Critical
	)
	for name, c := range map[string]struct {
		p    packages.Package
		want []hit
	}{
		"debian by source package": {deb("libssl3", "openssl", "3.0.11-1~deb12u1"),
			[]hit{{"libssl3@3.0.11-1~deb12u1", "DEBIAN-CVE-2024-0727", "3.0.13-1~deb12u1", medium}}},
		"debian just below the fix":                  {deb("libssl3", "openssl", "3.0.13-1~deb12u0"), []hit{{"libssl3@3.0.13-1~deb12u0", "DEBIAN-CVE-2024-0727", "3.0.13-1~deb12u1", medium}}},
		"debian at the fixed version":                {deb("libssl3", "openssl", "3.0.13-1~deb12u1"), nil},
		"debian above the fix":                       {deb("openssl", "", "3.0.15-1~deb12u1"), nil},
		"debian other release":                       {pkg("Debian:13", "openssl", "3.0.11-1~deb12u1"), nil},
		"debian 11 has its own fix":                  {pkg("Debian:11", "openssl", "1.1.1w-0+deb11u1"), []hit{{"openssl@1.1.1w-0+deb11u1", "DEBIAN-CVE-2024-0727", "1.1.1w-0+deb11u2", medium}}},
		"debian epoch below the fix":                 {deb("zlib1g", "zlib", "1:1.2.13.dfsg-1"), []hit{{"zlib1g@1:1.2.13.dfsg-1", "DEBIAN-CVE-2026-2", "1:1.2.13.dfsg-2", low}}},
		"debian epoch at the fix":                    {deb("zlib1g", "zlib", "1:1.2.13.dfsg-2"), nil},
		"debian no epoch is epoch 0":                 {deb("zlib1g", "zlib", "1.2.99"), []hit{{"zlib1g@1.2.99", "DEBIAN-CVE-2026-2", "1:1.2.13.dfsg-2", low}}},
		"debian binNMU of the fix":                   {deb("zlib1g", "zlib", "1:1.2.13.dfsg-2+b1"), nil},
		"debian unimportant is low":                  {deb("libtiff6", "tiff", "4.5.0-6"), []hit{{"libtiff6@4.5.0-6", "DEBIAN-CVE-2026-10", "", low}}},
		"debian 11 urgency with cvss":                {pkg("Debian:11", "tiff", "4.2.0-1+deb11u4"), []hit{{"tiff@4.2.0-1+deb11u4", "DEBIAN-CVE-2026-10", "4.2.0-1+deb11u5", critical}}},
		"binary name not looked up as source in npm": {packages.Package{Name: "x", SourceName: "left-pad", Version: "1.2.0", Ecosystem: "npm"}, nil},
		"alpine revision below":                      {packages.Package{Name: "libcrypto3", SourceName: "openssl", Version: "3.3.0-r1", Ecosystem: "Alpine:v3.20"}, []hit{{"libcrypto3@3.3.0-r1", "ALPINE-CVE-2024-2511", "3.3.0-r2", medium}}},
		"alpine revision fixed":                      {pkg("Alpine:v3.20", "openssl", "3.3.0-r2"), nil},
		"alpine other release":                       {pkg("Alpine:v3.19", "openssl", "3.3.0-r1"), nil},
		"alpine record without release":              {pkg("Alpine:v3.19", "musl", "1.2.5-r0"), []hit{{"musl@1.2.5-r0", "CGA-2026-0001", "1.2.5-r1", medium}}},
		"wolfi without release":                      {pkg("Wolfi", "glibc", "2.39-r4"), []hit{{"glibc@2.39-r4", "CGA-2026-0001", "2.39-r5", medium}}},
		"ubuntu lts":                                 {pkg("Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.14"), []hit{{"openssl@3.0.2-0ubuntu1.14", "UBUNTU-CVE-2026-11", "3.0.2-0ubuntu1.15", high}}},
		"ubuntu pro is another release":              {pkg("Ubuntu:18.04:LTS", "openssl", "1.1.1-1ubuntu2.1~18.04.23"), nil},
		"red hat 9 appstream record, baseos package": {packages.Package{Name: "openssl-libs", SourceName: "openssl", Version: "1:3.0.7-24.el9", Ecosystem: "Red Hat:enterprise_linux:9::baseos"},
			[]hit{{"openssl-libs@1:3.0.7-24.el9", "RHSA-2026:0001", "1:3.0.7-25.el9_3", critical}}},
		"red hat 8 is another release": {pkg("Red Hat:enterprise_linux:8::baseos", "openssl-libs", "1:3.0.7-24.el9"), []hit{}},
		"go module with v prefix": {pkg("Go", "golang.org/x/text", "v0.3.7"),
			[]hit{{"golang.org/x/text@v0.3.7", "GHSA-69ch-w2m2-3vjp", "0.3.8", high}, {"golang.org/x/text@v0.3.7", "GO-2022-1059", "0.3.8", high}}},
		"go module fixed":              {pkg("Go", "golang.org/x/text", "v0.3.8"), nil},
		"go pseudo-version below fix":  {pkg("Go", "golang.org/x/text", "v0.3.8-0.20220101000000-abcdefabcdef"), []hit{{"golang.org/x/text@v0.3.8-0.20220101000000-abcdefabcdef", "GHSA-69ch-w2m2-3vjp", "0.3.8", high}, {"golang.org/x/text@v0.3.8-0.20220101000000-abcdefabcdef", "GO-2022-1059", "0.3.8", high}}},
		"go stdlib first branch":       {pkg("Go", "stdlib", "go1.21.7"), []hit{{"stdlib@go1.21.7", "GO-2026-0001", "1.21.8", medium}}},
		"go stdlib between branches":   {pkg("Go", "stdlib", "go1.21.9"), nil},
		"go stdlib second branch":      {pkg("Go", "stdlib", "go1.22.0"), []hit{{"stdlib@go1.22.0", "GO-2026-0001", "1.22.1", medium}}},
		"go stdlib rc of 1.22":         {pkg("Go", "stdlib", "1.22.0-rc.1"), []hit{{"stdlib@1.22.0-rc.1", "GO-2026-0001", "1.22.1", medium}}},
		"go git range ignored":         {pkg("Go", "example.com/tool", "v1.1.0"), []hit{{"example.com/tool@v1.1.0", "GO-2026-0001", "1.2.0", medium}}},
		"npm at introduced":            {pkg("npm", "left-pad", "1.1.0"), []hit{{"left-pad@1.1.0", "GHSA-aaaa-bbbb-cccc", "", medium}}},
		"npm at last_affected":         {pkg("npm", "left-pad", "1.3.0"), []hit{{"left-pad@1.3.0", "GHSA-aaaa-bbbb-cccc", "", medium}}},
		"npm above last_affected":      {pkg("npm", "left-pad", "1.3.1"), nil},
		"npm prerelease of last":       {pkg("npm", "left-pad", "1.3.0-beta.1"), []hit{{"left-pad@1.3.0-beta.1", "GHSA-aaaa-bbbb-cccc", "", medium}}},
		"npm below introduced":         {pkg("npm", "left-pad", "1.0.9"), nil},
		"npm first range, unsorted":    {pkg("npm", "multi", "0.9.0"), []hit{{"multi@0.9.0", "GHSA-2222-3333-4444", "1.0.0", high}}},
		"npm at fixed":                 {pkg("npm", "multi", "1.0.0"), nil},
		"npm limited range":            {pkg("npm", "multi", "2.4.9"), []hit{{"multi@2.4.9", "GHSA-2222-3333-4444", "3.1.0", high}}},
		"npm at limit":                 {pkg("npm", "multi", "2.5.0"), nil},
		"npm third range":              {pkg("npm", "multi", "3.0.0"), []hit{{"multi@3.0.0", "GHSA-2222-3333-4444", "3.1.0", high}}},
		"npm reintroduced at the fix":  {pkg("npm", "tie", "5.0.0"), []hit{{"tie@5.0.0", "GHSA-2222-3333-4444", "5.1.0", high}}},
		"npm before the first fix":     {pkg("npm", "tie", "4.0.0"), []hit{{"tie@4.0.0", "GHSA-2222-3333-4444", "5.0.0", high}}},
		"pypi in the versions list":    {pkg("PyPI", "example-lib", "2.0.1"), []hit{{"example-lib@2.0.1", "PYSEC-2026-1", "", critical}}},
		"pypi not in the list":         {pkg("PyPI", "example-lib", "2.0.2"), nil},
		"maven at introduced":          {pkg("Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta9"), []hit{{"org.apache.logging.log4j:log4j-core@2.0-beta9", "GHSA-jfh8-c2jp-5v3q", "2.15.0", critical}}},
		"maven below introduced":       {pkg("Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta8"), nil},
		"maven two ranges, lowest fix": {pkg("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"), []hit{{"org.apache.logging.log4j:log4j-core@2.14.1", "GHSA-jfh8-c2jp-5v3q", "2.15.0", critical}}},
		"maven second range only":      {pkg("Maven", "org.apache.logging.log4j:log4j-core", "2.15.0"), []hit{{"org.apache.logging.log4j:log4j-core@2.15.0", "GHSA-jfh8-c2jp-5v3q", "2.16.0", critical}}},
		"no ecosystem":                 {packages.Package{Name: "openssl", Version: "1.0"}, nil},
		"unknown package":              {pkg("npm", "nothing-here", "1.0.0"), nil},
	} {
		t.Run(name, func(t *testing.T) {
			got := match(t, db, c.p)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("matches = %v, want %v", got, c.want)
			}
		})
	}
}

func TestMatchIndexesAndDetails(t *testing.T) {
	db := testDB(t)
	pkgs := []packages.Package{
		{Name: "libssl3", SourceName: "openssl", Version: "3.0.11-1~deb12u1", Ecosystem: "Debian:12"},
		{Name: "app", Version: "(devel)", Ecosystem: "Go"},
		{Name: "golang.org/x/text", Version: "(devel)", Ecosystem: "Go"},
		{Name: "openssl", Version: "x:1.0", Ecosystem: "Debian:12"},
		{Name: "zlib1g", Version: "1.0"},
		{Name: "left-pad", Ecosystem: "npm"},
		{Name: "golang.org/x/text", Version: "v0.3.7", Ecosystem: "Go"},
	}
	ms, skipped, err := db.MatchDetailed(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%d %s", m.Package, m.Advisory.ID))
	}
	slices.Sort(got)
	if want := []string{"0 DEBIAN-CVE-2024-0727", "6 GHSA-69ch-w2m2-3vjp", "6 GO-2022-1059"}; !slices.Equal(got, want) {
		t.Errorf("matches = %v, want %v", got, want)
	}
	var sk []string
	for _, s := range skipped {
		sk = append(sk, fmt.Sprintf("%d %s", s.Package, s.Reason))
	}
	// app has no advisory: its (devel) version does not matter.
	want := []string{`2 version "(devel)" is not a semantic version`, `3 version "x:1.0" cannot be ordered in Debian`, `4 no OSV ecosystem`, `5 no version`}
	if len(sk) != len(want) {
		t.Fatalf("skipped = %q, want %q", sk, want)
	}
	for i := range want {
		if !strings.HasPrefix(sk[i], want[i]) {
			t.Errorf("skipped[%d] = %q, want %q...", i, sk[i], want[i])
		}
	}
}

func TestAdvisorySeverityAndAliases(t *testing.T) {
	db := testDB(t)
	ms, err := db.Match([]packages.Package{
		{Name: "openssl", Version: "3.0.0-1", Ecosystem: "Debian:12"},
		{Name: "golang.org/x/text", Version: "v0.3.0", Ecosystem: "Go"},
		{Name: "left-pad", Version: "1.2.0", Ecosystem: "npm"},
		{Name: "busybox", Version: "1.36.1-r19", Ecosystem: "Alpine:v3.20"},
		{Name: "stdlib", Version: "go1.20.0", Ecosystem: "Go"},
		{Name: "glibc", Version: "2.0-r0", Ecosystem: "Wolfi"},
		{Name: "multi", Version: "0.1.0", Ecosystem: "npm"},
		{Name: "example-lib", Version: "2.0.0", Ecosystem: "PyPI"},
		{Name: "zlib", Version: "1.0-1", Ecosystem: "Debian:12"},
		{Name: "libtiff6", SourceName: "tiff", Version: "4.5.0-6", Ecosystem: "Debian:12"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Advisory{}
	for _, m := range ms {
		got[m.Advisory.ID] = m.Advisory
	}
	for id, want := range map[string]struct {
		sev   catalog.Severity
		score float64
		from  string
	}{
		// No vector of its own: the upstream CVE record's (CVSS 3.1, 6.5).
		"DEBIAN-CVE-2024-0727": {catalog.Medium, 6.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"},
		// No vector: the GHSA it names as an alias has one (7.5).
		"GO-2022-1059": {catalog.High, 7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
		// No vector anywhere: GitHub's qualitative severity.
		"GHSA-aaaa-bbbb-cccc": {catalog.Medium, 0, "database_specific: MODERATE"},
		// Related by its upstream CVE: Debian's record (3.3) and Red Hat's bundle advisory of two
		// CVEs (9.8); the bundle's rating is not this CVE's.
		"ALPINE-CVE-2026-12": {catalog.Low, 3.3, "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:L"},
		// Nothing at all.
		"GO-2026-0001": {catalog.Medium, 0, "unknown"},
		// An invalid vector is ignored.
		"CGA-2026-0001":       {catalog.Medium, 0, "unknown"},
		"GHSA-2222-3333-4444": {catalog.High, 10, "AV:N/AC:L/Au:N/C:C/I:C/A:C"}, // CVSS v2 10.0 is high
		"PYSEC-2026-1":        {catalog.Critical, 9.3, "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
		"DEBIAN-CVE-2026-2":   {catalog.Low, 0, "Debian urgency: low"},
		"DEBIAN-CVE-2026-10":  {catalog.Low, 0, "Debian urgency: unimportant"},
	} {
		a, ok := got[id]
		if !ok {
			t.Errorf("%s: no match", id)
			continue
		}
		if a.Severity != want.sev || a.Score != want.score || a.SeverityFrom != want.from {
			t.Errorf("%s: severity %v score %v from %q, want %v %v %q", id, a.Severity, a.Score, a.SeverityFrom, want.sev, want.score, want.from)
		}
	}
	if a := got["DEBIAN-CVE-2024-0727"]; !slices.Equal(a.Aliases, []string{"CVE-2024-0727"}) || a.URL != "https://osv.dev/vulnerability/DEBIAN-CVE-2024-0727" || a.Modified != "2026-01-10T00:00:00Z" || !strings.HasPrefix(a.Summary, "openssl: denial") {
		t.Errorf("debian advisory = %+v", a)
	}
	if a := got["GO-2022-1059"]; !slices.Equal(a.Aliases, []string{"CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"}) || a.URL != "https://nvd.nist.gov/vuln/detail/CVE-2022-32149" {
		t.Errorf("go advisory = %+v", a)
	}
	if a := got["GO-2026-0001"]; a.URL != "https://pkg.go.dev/vuln/GO-2026-0001" {
		t.Errorf("go advisory URL = %q, want database_specific.url", a.URL)
	}
	if a := got["DEBIAN-CVE-2026-10"]; a.Summary != "tiff: heap overflow in a tool Debian does not build" {
		t.Errorf("summary from details = %q", a.Summary)
	}
	if _, ok := got["GHSA-wwww-wwww-wwww"]; ok {
		t.Error("a withdrawn advisory matched")
	}
}

func TestCVSSScores(t *testing.T) {
	for vec, want := range map[string]catalog.Severity{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H":                    catalog.Critical,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N":                    catalog.Critical, // 9.1
		"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H":                    catalog.High,     // 8.8
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H":                    catalog.High,     // 7.5
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H":                    catalog.Medium,   // 6.5
		"CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N":                    catalog.Low,
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": catalog.Critical,
		"AV:N/AC:L/Au:N/C:C/I:C/A:C":                                      catalog.High, // v2 10.0: no critical in v2
		"(AV:N/AC:L/Au:N/C:P/I:N/A:N)":                                    catalog.Medium,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N":                    catalog.Info,
	} {
		score, v2, ok := cvssScore("", vec)
		if !ok || scoreSeverity(score, v2) != want {
			t.Errorf("%s: score %v ok %v → %v, want %v", vec, score, ok, scoreSeverity(score, v2), want)
		}
	}
	for _, bad := range []string{"", "CVSS:3.1/", "CVSS:3.1/AV:X", "CVSS:4.0/garbage", "AV:N", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Z"} {
		if _, _, ok := cvssScore("CVSS_V3", bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	for text, want := range map[string]catalog.Severity{"database_specific: MODERATE": catalog.Medium, "Ubuntu: negligible": catalog.Low,
		"Debian urgency: high**": catalog.High, "database_specific: important": catalog.High, "x: CRITICAL": catalog.Critical} {
		if got, ok := textToSeverity(text); !ok || got != want {
			t.Errorf("%q → %v %v, want %v", text, got, ok, want)
		}
	}
	if _, ok := textToSeverity("Debian urgency: not yet assigned"); ok {
		t.Error("'not yet assigned' rated")
	}
}

func TestCodec(t *testing.T) {
	in := []storedAffected{
		{Ecosystem: "Debian:12", Text: "Debian urgency: low", Ranges: []storedRange{{Events: []storedEvent{{evIntroduced, "0"}, {evFixed, "1:2.3-4"}}}}},
		{Ecosystem: "npm", Ranges: []storedRange{{Semver: true, Events: []storedEvent{{evIntroduced, "1.0.0"}, {evLastAffected, "1.2.0"}, {evLimit, "2"}}}}, Versions: []string{"1.0.0", "1.1.0", ""}},
		{Ecosystem: "PyPI"},
	}
	b := encodeAffected(in)
	out, err := decodeAffected(b)
	if err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
		t.Fatalf("round trip: %v %v", out, err)
	}
	for i := range len(b) {
		if _, err := decodeAffected(b[:i]); err == nil {
			t.Errorf("truncated at %d: decoded", i)
		}
	}
	if _, err := decodeAffected(append(b, 0)); err == nil {
		t.Error("trailing byte decoded")
	}
	if _, err := decodeAffected([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("huge count decoded")
	}
}

// writeZip writes entries (name → content) into a zip.
func writeZip(t testing.TB, path string, entries map[string][]byte) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, n := range slices.Sorted(mapsKeys(entries)) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(entries[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// zipOf writes fixtures of testdata/osv and testdata/extra into a zip, as OSV's all.zip.
func zipOf(t testing.TB, names ...string) string {
	t.Helper()
	entries := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata/osv", n))
		if errors.Is(err, os.ErrNotExist) {
			b, err = os.ReadFile(filepath.Join("testdata/extra", n))
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[n] = b
	}
	return writeZip(t, filepath.Join(t.TempDir(), "all.zip"), entries)
}

func status(t *testing.T, path string) Status {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImportMergeAndReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "osv.db")
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	goZip := zipOf(t, "GO-2022-1059.json", "GHSA-69ch-w2m2-3vjp.json")
	if _, err := Import(ctx, path, []string{goZip}, ImportOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	// Merge a directory and a single file.
	st, err := Import(ctx, path, []string{"testdata/extra", "testdata/osv/DEBIAN-CVE-2024-0727.json"}, ImportOptions{Now: now.Add(time.Hour)})
	if err != nil || st.Advisories != 12 || st.Records != 10 {
		t.Fatalf("merge: %+v %v, want 12 advisories", st, err)
	}
	s := status(t, path)
	if s.Advisories != 12 || s.Ecosystems["Go"] != 3 || s.Ecosystems["Debian"] != 3 || s.Ecosystems["Alpine"] != 2 || s.Ecosystems["Wolfi"] != 1 || s.Schema != SchemaVersion || !s.Built.Equal(now.Add(time.Hour)) {
		t.Errorf("status after merge = %+v", s)
	}
	if len(s.Sources) != 3 || s.Sources[0].Name != goZip || len(s.Sources[0].SHA256) != 64 || s.Sources[0].Records != 2 || s.Sources[1].SHA256 != "" || s.Sources[2].Records != 1 {
		t.Errorf("sources = %+v", s.Sources)
	}
	// A record with the same ID replaces the stored one: the fix moved, the package changed.
	newer := filepath.Join(dir, "GO-2022-1059.json")
	os.WriteFile(newer, []byte(`{"id": "GO-2022-1059", "modified": "2026-03-01T00:00:00Z", "aliases": ["CVE-2022-32149"],
		"affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/text"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.3.9"}]}]}]}`), 0o644)
	if _, err := Import(ctx, path, []string{newer}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got := match(t, db, packages.Package{Name: "golang.org/x/text", Version: "v0.3.8", Ecosystem: "Go"})
	db.Close()
	if want := "[golang.org/x/text@v0.3.8 GO-2022-1059 fixed=\"0.3.9\" high]"; fmt.Sprint(got) != want {
		t.Errorf("after replacing a record: %v, want %s", got, want)
	}
	// A withdrawn record removes the stored one.
	withdrawn := filepath.Join(dir, "w.json")
	os.WriteFile(withdrawn, []byte(`{"id": "GO-2022-1059", "withdrawn": "2026-03-02T00:00:00Z", "affected": []}`), 0o644)
	st, err = Import(ctx, path, []string{withdrawn}, ImportOptions{})
	if err != nil || st.Withdrawn != 1 || st.Advisories != 11 {
		t.Errorf("withdrawing: %+v %v", st, err)
	}
	if s := status(t, path); s.Ecosystems["Go"] != 2 {
		t.Errorf("Go advisories after withdrawal: %d, want 2", s.Ecosystems["Go"])
	}
	// --replace starts over: only the last import is recorded.
	st, err = Import(ctx, path, []string{zipOf(t, "PYSEC-versions.json")}, ImportOptions{Replace: true})
	if err != nil || st.Advisories != 1 {
		t.Errorf("replace: %+v %v, want 1 advisory", st, err)
	}
	s = status(t, path)
	if s.Advisories != 1 || len(s.Ecosystems) != 1 || s.Ecosystems["PyPI"] != 1 || len(s.Sources) != 1 {
		t.Errorf("status after replace = %+v", s)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestImportBadInput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "osv.db")
	good, _ := os.ReadFile("testdata/osv/GO-2022-1059.json")
	huge := make([]byte, MaxRecordSize+10)
	z := writeZip(t, filepath.Join(dir, "mixed.zip"), map[string][]byte{
		"a/GO-2022-1059.json": good,
		"b/junk.json":         []byte(`{"not":"osv"}`),
		"c/broken.json":       []byte(`{"id": "X-1", "affected": [`),
		"d/huge.json":         huge,
		"e/README.md":         []byte("not a record, not a .json name: ignored"),
		"f/bigname.json":      []byte(`{"id": "X-2", "affected": [{"package": {"ecosystem": "npm", "name": "` + strings.Repeat("a", 40000) + `"}, "versions": ["1"]}]}`),
		"g/nul.json":          []byte(`{"id": "X\u0000-3"}`),
		"../../evil.json":     []byte(`{"id": "X-4", "affected": [{"package": {"ecosystem": "npm", "name": "evil"}, "versions": ["1.0.0"]}]}`),
	})
	st, err := Import(ctx, path, []string{z}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 2 || st.Skipped != 5 {
		t.Errorf("stats = %+v, want 2 records (GO-2022-1059 and X-4) and 5 skipped", st)
	}
	for _, want := range []string{"mixed.zip: b/junk.json: not an OSV record: no id", "mixed.zip: c/broken.json: not an OSV record",
		"mixed.zip: d/huge.json: 16777226 bytes, larger than", "mixed.zip: f/bigname.json: X-2: affected[0]: invalid package", "mixed.zip: g/nul.json: not an OSV record: invalid id"} {
		if !slices.ContainsFunc(st.Problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("no problem %q in %q", want, st.Problems)
		}
	}

	// Not a zip, not JSON, not a directory: an error, and the database is unchanged.
	before, _ := os.ReadFile(path)
	notZip := filepath.Join(dir, "all.zip")
	os.WriteFile(notZip, []byte("<html>not found</html>"), 0o644)
	if _, err := Import(ctx, path, []string{notZip}, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "all.zip: not a zip file") {
		t.Errorf("not a zip: %v", err)
	}
	if _, err := Import(ctx, path, []string{filepath.Join(dir, "missing.zip")}, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "missing.zip") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Import(ctx, path, nil, ImportOptions{}); err == nil {
		t.Error("nothing to import: no error")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a failed import changed the database")
	}

	// A decompression bomb: entries that expand past the limit stop the file; what came before
	// is kept, other sources are imported.
	old := maxUncompressed
	maxUncompressed = 3 << 20
	defer func() { maxUncompressed = old }()
	zeros := make([]byte, 2<<20)
	bomb := writeZip(t, filepath.Join(dir, "bomb.zip"), map[string][]byte{"0.json": good, "1.json": zeros, "2.json": zeros, "3.json": zeros})
	if fi, _ := os.Stat(bomb); fi.Size() > 64<<10 {
		t.Fatalf("the bomb is %d bytes", fi.Size())
	}
	st, err = Import(ctx, path, []string{bomb, "testdata/osv/PYSEC-versions.json"}, ImportOptions{Replace: true})
	if err != nil || st.Records != 2 || !slices.ContainsFunc(st.Problems, func(p string) bool {
		return strings.Contains(p, "bomb.zip: 2.json: the entries expand to more than 3145728 bytes")
	}) {
		t.Errorf("bomb: %+v %v", st, err)
	}

	// Many bad entries: the problems are capped.
	many := map[string][]byte{}
	for i := range 250 {
		many[fmt.Sprintf("%03d.json", i)] = []byte("junk")
	}
	st, err = Import(ctx, path, []string{writeZip(t, filepath.Join(dir, "many.zip"), many)}, ImportOptions{})
	if err != nil || st.Skipped != 250 || len(st.Problems) != 101 || st.Problems[100] != "further problems are not listed" {
		t.Errorf("many problems: skipped %d, %d listed, %v", st.Skipped, len(st.Problems), err)
	}
}

func TestImportDirectory(t *testing.T) {
	dir := t.TempDir()
	recs := filepath.Join(dir, "records", "nested", "deeper")
	os.MkdirAll(recs, 0o755)
	b, _ := os.ReadFile("testdata/osv/GO-2022-1059.json")
	os.WriteFile(filepath.Join(recs, "GO-2022-1059.JSON"), b, 0o644)
	os.WriteFile(filepath.Join(recs, "notes.txt"), []byte("ignored"), 0o644)
	// A symbolic link out of the directory is not followed.
	if err := os.Symlink(filepath.Join(t.TempDir(), "elsewhere.json"), filepath.Join(recs, "link.json")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	st, err := Import(context.Background(), filepath.Join(dir, "db", "osv.db"), []string{filepath.Join(dir, "records")}, ImportOptions{})
	if err != nil || st.Records != 1 || st.Skipped != 0 {
		t.Errorf("directory import: %+v %v", st, err)
	}
}

func TestImportCanceled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "osv.db")
	if _, err := Import(context.Background(), path, []string{"testdata/osv"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Import(ctx, path, []string{zipOf(t, "GO-2026-0001.json")}, ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled import: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a canceled import changed the database")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "none.db"))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "kube4c db update") || !strings.Contains(err.Error(), "kube4c db import") {
		t.Errorf("missing db: %v", err)
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database", 1000)), 0o644)
	if _, err := Open(junk); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk db: %v", err)
	}
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty db: %v", err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	// Another bbolt file, and an older schema.
	other := filepath.Join(dir, "other.db")
	bdb, err := bolt.Open(other, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	bdb.Close()
	if _, err := Open(other); err == nil || !strings.Contains(err.Error(), "not a kube4c vulnerability database") {
		t.Errorf("other bbolt file: %v", err)
	}
	oldSchema := filepath.Join(dir, "old.db")
	if _, err := Import(context.Background(), oldSchema, []string{"testdata/osv/GO-2022-1059.json"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	bdb, _ = bolt.Open(oldSchema, 0o644, nil)
	bdb.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("1")) })
	bdb.Close()
	if _, err := Open(oldSchema); err == nil || !strings.Contains(err.Error(), `schema "1"`) || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("old schema: %v", err)
	}
	if _, err := Import(context.Background(), oldSchema, []string{"testdata/osv/GO-2022-1059.json"}, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("merging into an old schema: %v", err)
	}
	if _, err := Import(context.Background(), oldSchema, []string{"testdata/osv/GO-2022-1059.json"}, ImportOptions{Replace: true}); err != nil {
		t.Errorf("replacing an old schema: %v", err)
	}
	// Merging into a file that is not a database.
	if _, err := Import(context.Background(), junk, []string{"testdata/osv/GO-2022-1059.json"}, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("merging into junk: %v", err)
	}
}

func TestCorruptValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "osv.db")
	if _, err := Import(context.Background(), path, []string{"testdata/osv"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	bdb, _ := bolt.Open(path, 0o644, nil)
	bdb.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPkg).Put([]byte("Go\x00golang.org/x/text\x00GO-2022-1059"), []byte{1, 9}); err != nil {
			return err
		}
		return tx.Bucket(bucketAdv).Put([]byte("GHSA-69ch-w2m2-3vjp"), []byte("{"))
	})
	bdb.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Match([]packages.Package{{Name: "golang.org/x/text", Version: "v0.1.0", Ecosystem: "Go"}}); err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt value: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("KUBE4C_DB", "/somewhere/osv.db")
	if p := DefaultPath(); p != "/somewhere/osv.db" {
		t.Errorf("DefaultPath with KUBE4C_DB = %q", p)
	}
	t.Setenv("KUBE4C_DB", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	t.Setenv("HOME", "/home/u")
	if p := DefaultPath(); !strings.HasSuffix(p, filepath.Join("kube4c", "vulndb", "osv.db")) {
		t.Errorf("DefaultPath = %q", p)
	}
}

func TestStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "osv.db")
	old := filepath.Join(dir, ".osv.db.work-123")
	young := filepath.Join(dir, ".osv.db.download-456.zip")
	other := filepath.Join(dir, ".osv.db.keep")
	for _, p := range []string{old, young, other} {
		os.WriteFile(p, []byte("x"), 0o644)
	}
	long := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, long, long)
	os.Chtimes(other, long, long)
	if _, err := Import(context.Background(), path, []string{"testdata/osv/GO-2022-1059.json"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{old: false, young: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// TestWriteFailure makes every transaction fail: the error comes back, whichever batch it hits,
// and nothing hangs.
func TestWriteFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	if _, err := Import(context.Background(), path, []string{"testdata/osv/GO-2022-1059.json"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ro, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	old := batchRecords
	batchRecords = 1
	defer func() { batchRecords = old }()
	rec, _ := os.ReadFile("testdata/osv/GO-2022-1059.json")
	for n := range 6 {
		done := make(chan error, 1)
		go func() {
			w := &writer{db: ro, b: &builder{counts: metaCounts{Ecosystems: map[string]int{}}}, st: &Stats{}}
			var err error
			for range n {
				if err = w.add("x.json", rec); err != nil {
					break
				}
			}
			done <- errors.Join(err, w.flush())
		}()
		select {
		case err := <-done:
			if n > 0 && (err == nil || !strings.Contains(err.Error(), "read-only")) {
				t.Errorf("%d records: %v, want the write error", n, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d records: hangs", n)
		}
	}
}

func TestCodecAdvisory(t *testing.T) {
	in := &storedAdvisory{ID: "GHSA-1", Aliases: []string{"CVE-1", "GO-1"}, Summary: "s", Modified: "m", URL: "https://x",
		Vectors: []severity{{"CVSS_V3", "CVSS:3.1/AV:N"}}, Text: "database_specific: HIGH", Keys: []string{"npm\x00a\x00GHSA-1"}, Ecosystems: []string{"npm"}}
	b := encodeAdvisory(in)
	out, err := decodeAdvisory(b)
	if err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
		t.Fatalf("round trip: %+v %v", out, err)
	}
	for i := range len(b) {
		if _, err := decodeAdvisory(b[:i]); err == nil {
			t.Errorf("truncated at %d: decoded", i)
		}
	}
	if _, err := decodeAdvisory(append([]byte{2}, b[1:]...)); err == nil {
		t.Error("another codec version decoded")
	}
}
