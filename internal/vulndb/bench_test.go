package vulndb

import (
	"archive/zip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/packages"
)

// The benchmarks run on generated data shaped like OSV's:
//
//	go test ./internal/vulndb -run '^$' -bench . -benchmem -benchtime 3x
//
// benchAdvisories advisories: 60% DEBIAN-CVE records over benchSources source packages (each with
// entries for Debian 11, 12 and 13, an urgency, and NVD's CVSS vector on 80%; the kernel, "linux",
// has 3,000 of them, as in Debian's data), the rest GHSA records of npm, PyPI, Go and Maven
// packages (SEMVER or ECOSYSTEM ranges, a vector, references, and a versions list for PyPI).
const (
	benchAdvisories = 100_000
	benchSources    = 20_000
	benchLanguage   = 10_000 // packages per language ecosystem
)

var benchLangs = []string{"npm", "PyPI", "Go", "Maven"}

func benchCorpus(b *testing.B) (path string, size int64) {
	path, size, _ = benchCorpusJSON(b)
	return path, size
}

// benchCorpusJSON also returns the size of the JSON records (uncompressed).
func benchCorpusJSON(b *testing.B) (path string, size, jsonBytes int64) {
	b.Helper()
	path = filepath.Join(b.TempDir(), "all.zip")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	rnd := rand.New(rand.NewPCG(1, 2))
	details := strings.Repeat("A flaw was found in the parser that allows a remote attacker to cause a denial of service. ", 4)
	vectors := []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:L"}
	urgencies := []string{"low", "medium", "high", "unimportant", "not yet assigned"}
	for i := range benchAdvisories {
		var rec string
		if i%10 < 6 {
			src := fmt.Sprintf("src%d", rnd.IntN(benchSources))
			if i%20 == 0 {
				src = "linux"
			}
			sev := ""
			if i%5 != 0 {
				sev = fmt.Sprintf(`"severity": [{"type": "CVSS_V3", "score": %q}],`, vectors[i%3])
			}
			var entries []string
			for j, rel := range []string{"11", "12", "13"} {
				fixed := fmt.Sprintf(`, {"fixed": "%d:%d.%d-%d+deb%su1"}`, i%2, 1+i%7, i%30, 1+j, rel)
				if i%4 == 0 {
					fixed = "" // not fixed yet
				}
				entries = append(entries, fmt.Sprintf(`{"package": {"ecosystem": "Debian:%s", "name": %q, "purl": "pkg:deb/debian/%s?arch=source"},
 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}%s]}], "ecosystem_specific": {"urgency": %q}}`, rel, src, src, fixed, urgencies[i%5]))
			}
			rec = fmt.Sprintf(`{"id": "DEBIAN-CVE-2026-%d", "modified": "2026-06-01T00:00:00Z", "upstream": ["CVE-2026-%d"], "details": %q, %s
 "references": [{"type": "ADVISORY", "url": "https://security-tracker.debian.org/tracker/CVE-2026-%d"}],
 "affected": [%s], "schema_version": "1.7.0"}`, i, i, details, sev, i, strings.Join(entries, ",\n"))
		} else {
			eco := benchLangs[i%4]
			name := fmt.Sprintf("lib%d", rnd.IntN(benchLanguage))
			typ := "ECOSYSTEM"
			if eco == "npm" || eco == "Go" {
				typ = "SEMVER"
			}
			versions := ""
			if eco == "PyPI" {
				var vs []string
				for k := range 10 {
					vs = append(vs, fmt.Sprintf("%q", fmt.Sprintf("1.%d.%d", i%40, k)))
				}
				versions = `, "versions": [` + strings.Join(vs, ", ") + "]"
			}
			rec = fmt.Sprintf(`{"id": "GHSA-%d", "modified": "2026-06-01T00:00:00Z", "published": "2026-05-01T00:00:00Z", "aliases": ["CVE-2025-%d"],
 "summary": "Denial of service in %s", "details": %q,
 "severity": [{"type": "CVSS_V3", "score": %q}],
 "affected": [{"package": {"ecosystem": %q, "name": %q}, "ranges": [{"type": %q, "events": [{"introduced": "1.%d.0"}, {"fixed": "1.%d.10"}]}]%s,
   "database_specific": {"source": "https://github.com/github/advisory-database"}}],
 "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2025-%d"}, {"type": "WEB", "url": "https://github.com/example/%s/issues/%d"}, {"type": "PACKAGE", "url": "https://example.com/%s"}],
 "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-400"], "github_reviewed": true}}`,
				i, i, name, details, vectors[i%3], eco, name, typ, i%40, i%40, versions, i, name, i, name)
		}
		w, err := zw.Create(fmt.Sprintf("ADV-%d.json", i))
		if err != nil {
			b.Fatal(err)
		}
		w.Write([]byte(rec))
		jsonBytes += int64(len(rec))
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, fi.Size(), jsonBytes
}

// benchPackages are 2,000 packages of a large image: 1,200 Debian 12 packages (binary names,
// sources from the corpus, linux-libc-dev among them) and 800 language packages.
func benchPackages() []packages.Package {
	rnd := rand.New(rand.NewPCG(3, 4))
	var pkgs []packages.Package
	for i := range 2000 {
		var p packages.Package
		if i < 1200 {
			src := fmt.Sprintf("src%d", rnd.IntN(benchSources))
			if i == 0 {
				src = "linux"
			}
			p = packages.Package{Name: "bin-" + src, SourceName: src, Version: fmt.Sprintf("%d:%d.%d-1+deb12u1", i%2, 1+i%7, i%30), Ecosystem: "Debian:12", Type: "dpkg"}
		} else {
			eco := benchLangs[i%4]
			v := fmt.Sprintf("1.%d.%d", i%40, i%12)
			if eco == "Go" {
				v = "v" + v
			}
			p = packages.Package{Name: fmt.Sprintf("lib%d", rnd.IntN(benchLanguage)), Version: v, Ecosystem: eco}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// BenchmarkImport imports the corpus into a new database (parse, store, compact, rename).
func BenchmarkImport(b *testing.B) {
	src, size, jsonBytes := benchCorpusJSON(b)
	b.SetBytes(size) // MB/s of the zip file
	b.ResetTimer()
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "osv.db")
		st, err := Import(context.Background(), path, []string{src}, ImportOptions{})
		if err != nil || st.Records != benchAdvisories {
			b.Fatal(st, err)
		}
		if fi, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "dbMiB")
		}
	}
	b.ReportMetric(float64(benchAdvisories)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(size)/(1<<20), "zipMiB")
	b.ReportMetric(float64(jsonBytes)*float64(b.N)/b.Elapsed().Seconds()/1e6, "jsonMB/s")
}

// BenchmarkMatch matches 2,000 packages against the corpus's database, opened once (warm).
func BenchmarkMatch(b *testing.B) {
	src, _ := benchCorpus(b)
	path := filepath.Join(b.TempDir(), "osv.db")
	if _, err := Import(context.Background(), path, []string{src}, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	pkgs := benchPackages()
	var n int
	b.ResetTimer()
	for b.Loop() {
		ms, err := db.Match(pkgs)
		if err != nil {
			b.Fatal(err)
		}
		n = len(ms)
	}
	b.ReportMetric(float64(n), "matches")
}

// BenchmarkOpen opens the corpus's database and matches one language package (a scan's fixed
// cost).
func BenchmarkOpen(b *testing.B) {
	src, _ := benchCorpus(b)
	path := filepath.Join(b.TempDir(), "osv.db")
	if _, err := Import(context.Background(), path, []string{src}, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	pkgs := benchPackages()[1999:]
	b.ResetTimer()
	for b.Loop() {
		db, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Match(pkgs); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
