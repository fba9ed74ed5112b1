package main

import (
	"archive/zip"
	"bytes"
	"crypto/md5" //nolint:gosec // what Google Cloud Storage sends; the test server imitates it
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/vulndb"
	"github.com/spf13/cobra"
)

// fixtureZip writes OSV records of internal/vulndb/testdata/osv into an all.zip.
func fixtureZip(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), "internal/vulndb/testdata/osv", n))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(n)
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type dbStatus struct {
	Path       string         `json:"path"`
	Schema     string         `json:"schema"`
	Built      time.Time      `json:"built"`
	Advisories int            `json:"advisories"`
	Ecosystems map[string]int `json:"ecosystems"`
	Sources    []struct {
		Name     string `json:"name"`
		SHA256   string `json:"sha256"`
		Records  int    `json:"records"`
		Verified string `json:"verified"`
	} `json:"sources"`
}

func dbStatusJSON(t *testing.T, args ...string) dbStatus {
	t.Helper()
	r := kube4c(t, ".", nil, append([]string{"db", "status", "-o", "json"}, args...)...)
	wantCode(t, r, 0, "db status -o json")
	var s dbStatus
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("db status -o json: %v\n%s", err, r)
	}
	return s
}

func TestE2EDBImportStatus(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sub", "osv.db")
	fixtures := filepath.Join(repoRoot(t), "internal/vulndb/testdata/osv")

	// No database yet: status says how to get one, and exits 2.
	r := kube4c(t, ".", nil, "db", "status", "--db", db)
	wantCode(t, r, 2, "db status without a database")
	if !strings.Contains(r.stderr, "no vulnerability database at "+db) || !strings.Contains(r.stderr, "kube4c db update") || !strings.Contains(r.stderr, "kube4c db import") {
		t.Errorf("db status without a database:\n%s", r)
	}

	r = kube4c(t, ".", nil, "db", "import", "--db", db, fixtures)
	wantCode(t, r, 0, "db import")
	if !strings.Contains(r.stdout, "imported 8 records (1 withdrawn, 2 skipped); the database holds 8 advisories") {
		t.Errorf("db import stdout:\n%s", r)
	}
	for _, f := range []string{"junk.json: not an OSV record", "broken.json: not an OSV record"} {
		if !strings.Contains(r.stderr, "warning: "+filepath.Join(fixtures, f)) {
			t.Errorf("db import: no warning about %s:\n%s", f, r)
		}
	}

	s := dbStatusJSON(t, "--db", db)
	if s.Path != db || s.Schema != vulndb.SchemaVersion || s.Advisories != 8 || s.Ecosystems["Debian"] != 2 || s.Ecosystems["Go"] != 2 ||
		time.Since(s.Built) > time.Hour || len(s.Sources) != 1 || s.Sources[0].Name != fixtures || s.Sources[0].Records != 9 {
		t.Errorf("db status = %+v", s)
	}
	r = kube4c(t, ".", nil, "db", "status", "--db", db)
	wantCode(t, r, 0, "db status")
	for _, want := range []string{"Database: " + db, "(schema " + vulndb.SchemaVersion + ")", "Advisories: 8", "ago)",
		"ECOSYSTEM ADVISORIES", "Debian 2", "PyPI 1", "SOURCE RECORDS IMPORTED SHA-256 VERIFIED", fixtures + " 9"} {
		if !slices.ContainsFunc(strings.Split(r.stdout, "\n"), func(l string) bool { return strings.Contains(strings.Join(strings.Fields(l), " "), want) }) {
			t.Errorf("db status: no %q:\n%s", want, r)
		}
	}
	if r.stderr != "" {
		t.Errorf("db status of a new database warns:\n%s", r)
	}

	// $KUBE4C_DB is the default; a zip merges; --replace starts over.
	t.Setenv("KUBE4C_DB", db)
	zipPath := filepath.Join(dir, "all.zip")
	os.WriteFile(zipPath, fixtureZip(t, "GO-2022-1059.json"), 0o644)
	r = kube4c(t, ".", nil, "db", "import", zipPath)
	wantCode(t, r, 0, "db import all.zip")
	if !strings.Contains(r.stdout, "imported 1 records (0 withdrawn, 0 skipped); the database holds 8 advisories") {
		t.Errorf("merge:\n%s", r)
	}
	if s := dbStatusJSON(t); len(s.Sources) != 2 || len(s.Sources[1].SHA256) != 64 {
		t.Errorf("sources after a merge: %+v", s.Sources)
	}
	r = kube4c(t, ".", nil, "db", "import", "--replace", zipPath)
	wantCode(t, r, 0, "db import --replace")
	if s := dbStatusJSON(t); s.Advisories != 1 || len(s.Sources) != 1 {
		t.Errorf("after --replace: %+v", s)
	}

	// Errors leave the database as it was.
	before, _ := os.ReadFile(db)
	notZip := filepath.Join(dir, "page.zip")
	os.WriteFile(notZip, []byte("<html>"), 0o644)
	for _, args := range [][]string{
		{"db", "import", notZip},
		{"db", "import", filepath.Join(dir, "missing.zip")},
		{"db", "import"},
		{"db", "status", "-o", "xml"},
		{"db", "update", "--url", "http://127.0.0.1:1/all.zip", "--ecosystem", "Go"},
		{"db", "update", "--sha256", strings.Repeat("a", 64)},
		{"db", "update", "--bogus"},
	} {
		r := kube4c(t, ".", nil, args...)
		wantCode(t, r, 2, strings.Join(args, " "))
		if r.stderr == "" {
			t.Errorf("%v: no message", args)
		}
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("a failed command changed the database")
	}
	if ents, _ := os.ReadDir(filepath.Dir(db)); len(ents) != 1 {
		t.Errorf("files left next to the database: %v", ents)
	}
}

func TestE2EDBUpdate(t *testing.T) {
	data := fixtureZip(t, "GO-2022-1059.json", "GHSA-69ch-w2m2-3vjp.json", "WITHDRAWN.json")
	md := md5.Sum(data) //nolint:gosec // as above
	sum := sha256.Sum256(data)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/osv/Go/all.zip":
			w.Header().Set("X-Goog-Hash", "crc32c=AAAAAA==,md5="+base64.StdEncoding.EncodeToString(md[:]))
			w.Write(data)
		case "/corrupt/all.zip":
			w.Header().Set("X-Goog-Hash", "md5="+base64.StdEncoding.EncodeToString(md[:]))
			w.Write(append([]byte{}, data[:len(data)-1]...))
			w.Write([]byte{data[len(data)-1] ^ 1})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "osv.db")
	good := srv.URL + "/osv/Go/all.zip"

	r := kube4c(t, ".", nil, "db", "update", "--db", db, "--url", good, "--sha256", hex.EncodeToString(sum[:]))
	wantCode(t, r, 0, "db update")
	if !strings.Contains(r.stdout, "updated 2 records (1 withdrawn, 0 skipped); the database holds 2 advisories") || !strings.Contains(r.stderr, "downloading "+good) {
		t.Errorf("db update:\n%s", r)
	}
	s := dbStatusJSON(t, "--db", db)
	if len(s.Sources) != 1 || s.Sources[0].Name != good || s.Sources[0].Verified != "x-goog-hash md5, --sha256" || s.Sources[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sources = %+v", s.Sources)
	}
	before, _ := os.ReadFile(db)
	for name, args := range map[string][]string{
		"corrupt download": {"--url", srv.URL + "/corrupt/all.zip"},
		"wrong --sha256":   {"--url", good, "--sha256", strings.Repeat("0", 64)},
		"not found":        {"--url", srv.URL + "/nothing/all.zip"},
		"timeout":          {"--url", good, "--timeout", "1ns"},
	} {
		r := kube4c(t, ".", nil, append([]string{"db", "update", "--db", db}, args...)...)
		wantCode(t, r, 2, name)
		if !strings.Contains(r.stderr, "kube4c: ") {
			t.Errorf("%s: no error message:\n%s", name, r)
		}
		if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
			t.Errorf("%s: the database changed", name)
		}
	}
	if ents, _ := os.ReadDir(filepath.Dir(db)); len(ents) != 1 {
		t.Errorf("files left next to the database: %v", ents)
	}
}

func TestDBStatusAge(t *testing.T) {
	var out, errb bytes.Buffer
	c := &cobra.Command{}
	c.SetOut(&out)
	c.SetErr(&errb)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	printStatus(c, vulndb.Status{Path: "/db/osv.db\x1b[31m", Schema: "2", Built: now.Add(-10 * 24 * time.Hour), Size: 3 << 20,
		Ecosystems: map[string]int{"Go": 3}, Sources: []vulndb.Source{{Name: "all.zip", Records: 3}}}, now)
	for _, want := range []string{"/db/osv.db [31m", "3.0 MiB", "(10d ago)", "Go 3", "all.zip 3 0001-01-01T00:00:00Z - -"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	if !strings.Contains(errb.String(), "warning: the database is 10d old") {
		t.Errorf("stderr = %q", errb.String())
	}
	for d, want := range map[time.Duration]string{-time.Hour: "0m", 5 * time.Minute: "5m", 3 * time.Hour: "3h", 47 * time.Hour: "47h", 72 * time.Hour: "3d"} {
		if got := humanAge(d); got != want {
			t.Errorf("humanAge(%v) = %s, want %s", d, got, want)
		}
	}
}
