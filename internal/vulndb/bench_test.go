package vulndb

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kube4c/kube4c/internal/packages"
)

// benchCorpus writes an all.zip of n generated advisories: 60% Debian 12 over n/5 source
// packages, the rest npm, PyPI, Go and Maven, each with one range and a CVSS vector on a third.
func benchCorpus(b *testing.B, n int) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "all.zip")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	ecos := []string{"npm", "PyPI", "Go", "Maven"}
	for i := range n {
		eco, name, fixed := "Debian:12", fmt.Sprintf("src%d", i%(n/5)), fmt.Sprintf("1.%d.0-1", i%50)
		if i%10 >= 6 {
			eco = ecos[i%4]
			name = fmt.Sprintf("lib%d", i%(n/4))
			fixed = fmt.Sprintf("1.%d.0", i%50)
		}
		sev := ""
		if i%3 == 0 {
			sev = `"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],`
		}
		w, _ := zw.Create(fmt.Sprintf("ADV-%d.json", i))
		fmt.Fprintf(w, `{"id":"ADV-%d","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2026-%d"],"summary":"generated advisory %d",%s
"affected":[{"package":{"ecosystem":%q,"name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`,
			i, i, i, sev, eco, name, fixed)
	}
	zw.Close()
	f.Close()
	return p
}

// BenchmarkImport imports 100,000 advisories into a new database.
func BenchmarkImport(b *testing.B) {
	src := benchCorpus(b, 100_000)
	fi, _ := os.Stat(src)
	b.SetBytes(fi.Size())
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "osv.db")
		st, err := Import(context.Background(), path, []string{src}, ImportOptions{})
		if err != nil || st.Records != 100_000 {
			b.Fatal(st, err)
		}
		if fi, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "dbMiB")
		}
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkMatch matches 2,000 packages (1,200 Debian, 800 language packages) against a
// database of 100,000 advisories, opened once (a warm scan).
func BenchmarkMatch(b *testing.B) {
	src := benchCorpus(b, 100_000)
	path := filepath.Join(b.TempDir(), "osv.db")
	if _, err := Import(context.Background(), path, []string{src}, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var pkgs []packages.Package
	for i := range 2000 {
		p := packages.Package{Name: fmt.Sprintf("bin%d", i), SourceName: fmt.Sprintf("src%d", i*7%20000), Version: "1.10.0-1", Ecosystem: "Debian:12"}
		if i%5 >= 3 {
			p = packages.Package{Name: fmt.Sprintf("lib%d", i*11%25000), Version: "1.10.0", Ecosystem: []string{"npm", "PyPI", "Go", "Maven"}[i%4]}
		}
		pkgs = append(pkgs, p)
	}
	var n int
	for b.Loop() {
		ms, err := db.Match(pkgs)
		if err != nil {
			b.Fatal(err)
		}
		n = len(ms)
	}
	b.ReportMetric(float64(n), "matches")
}
