package vulndb

import (
	"context"
	"crypto/md5" //nolint:gosec // as in update.go
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kube4c/kube4c/internal/packages"
)

// zipServer serves data at paths whose first element says how:
//
//	/good/all.zip     x-goog-hash with the right MD5 (and a crc32c)
//	/bad/all.zip      x-goog-hash with a wrong MD5
//	/side/all.zip     no header; all.zip.sha256 right
//	/badside/all.zip  no header; all.zip.sha256 wrong
//	/junkside/all.zip no header; all.zip.sha256 is not a checksum
//	/plain/all.zip    no checksum at all
//	/short/all.zip    Content-Length larger than the body
//	/die/all.zip      half the body, then the connection is closed
func zipServer(t *testing.T, data []byte) *httptest.Server {
	t.Helper()
	md := md5.Sum(data) //nolint:gosec // as in update.go
	sum := sha256.Sum256(data)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "identity" && !strings.HasSuffix(r.URL.Path, ".sha256") {
			http.Error(w, "want the identity encoding", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/good/all.zip":
			w.Header().Add("X-Goog-Hash", "crc32c=AAAAAA==")
			w.Header().Add("X-Goog-Hash", "md5="+base64.StdEncoding.EncodeToString(md[:]))
			w.Write(data)
		case "/bad/all.zip":
			w.Header().Set("X-Goog-Hash", "crc32c=AAAAAA==,md5=AAAAAAAAAAAAAAAAAAAAAA==")
			w.Write(data)
		case "/side/all.zip", "/badside/all.zip", "/junkside/all.zip", "/plain/all.zip":
			w.Write(data)
		case "/side/all.zip.sha256":
			fmt.Fprintf(w, "%s  all.zip\n", hex.EncodeToString(sum[:]))
		case "/badside/all.zip.sha256":
			fmt.Fprintf(w, "%s  all.zip\n", strings.Repeat("0", 64))
		case "/junkside/all.zip.sha256":
			fmt.Fprint(w, "<html>")
		case "/short/all.zip":
			w.Header().Set("Content-Length", fmt.Sprint(len(data)+100))
			w.Write(data)
		case "/die/all.zip":
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUpdate(t *testing.T) {
	data, _ := os.ReadFile(zipOf(t, "GO-2022-1059.json", "GHSA-69ch-w2m2-3vjp.json"))
	sum := sha256.Sum256(data)
	srv := zipServer(t, data)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "osv.db")
	var progress []string
	st, err := Update(ctx, path, UpdateOptions{URLs: []string{srv.URL + "/good/all.zip"}, Progress: func(s string) { progress = append(progress, s) }})
	if err != nil || st.Advisories != 2 || len(st.Problems) != 0 {
		t.Fatalf("good update: %+v %v", st, err)
	}
	if len(progress) != 2 || progress[0] != "downloading "+srv.URL+"/good/all.zip" {
		t.Errorf("progress = %q", progress)
	}
	if s := status(t, path); len(s.Sources) != 1 || s.Sources[0].Verified != "x-goog-hash md5" || s.Sources[0].SHA256 != hex.EncodeToString(sum[:]) || s.Sources[0].Name != srv.URL+"/good/all.zip" {
		t.Errorf("sources = %+v", s.Sources)
	}
	before, _ := os.ReadFile(path)
	for name, c := range map[string]struct {
		url, sha, want string
	}{
		"x-goog-hash mismatch":  {"/bad/all.zip", "", "does not match the server's x-goog-hash"},
		"sidecar mismatch":      {"/badside/all.zip", "", "does not match " + srv.URL + "/badside/all.zip.sha256"},
		"sidecar not a sum":     {"/junkside/all.zip", "", "not a SHA-256 checksum file"},
		"--sha256 mismatch":     {"/good/all.zip", strings.Repeat("a", 64), "want " + strings.Repeat("a", 64) + " (--sha256)"},
		"--sha256 not a sum":    {"/good/all.zip", "abc", "64 hex digits"},
		"truncated download":    {"/short/all.zip", "", "unexpected EOF"},
		"server dies mid-body":  {"/die/all.zip", "", "downloading " + srv.URL + "/die/all.zip"},
		"not found":             {"/missing/all.zip", "", "404 Not Found"},
		"not http":              {"", "", "not an http(s) URL"},
		"server not listening":  {"http://127.0.0.1:1/all.zip", "", "connection refused"},
		"two URLs and --sha256": {"", strings.Repeat("a", 64), "single --url"},
	} {
		t.Run(name, func(t *testing.T) {
			urls := []string{srv.URL + c.url}
			switch name {
			case "not http":
				urls = []string{"file:///etc/passwd"}
			case "server not listening":
				urls = []string{c.url}
			case "two URLs and --sha256":
				urls = []string{srv.URL + "/good/all.zip", srv.URL + "/side/all.zip"}
			}
			_, err := Update(ctx, path, UpdateOptions{URLs: urls, SHA256: c.sha})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("a failed update changed the database")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("files left in the database directory: %v", ents)
			}
		})
	}

	// Too large: refused before (Content-Length) or while reading.
	old := maxDownload
	maxDownload = int64(len(data) - 1)
	_, err = Update(ctx, path, UpdateOptions{URLs: []string{srv.URL + "/good/all.zip"}})
	maxDownload = old
	if err == nil || !strings.Contains(err.Error(), "larger than the") {
		t.Errorf("too large: %v", err)
	}

	// A sidecar and --sha256 together; the merge keeps the earlier source.
	if _, err := Update(ctx, path, UpdateOptions{URLs: []string{srv.URL + "/side/all.zip"}, SHA256: strings.ToUpper(hex.EncodeToString(sum[:]))}); err != nil {
		t.Errorf("sidecar and --sha256: %v", err)
	}
	s := status(t, path)
	if len(s.Sources) != 2 || s.Sources[1].Verified != "sha256 sidecar, --sha256" || s.Advisories != 2 {
		t.Errorf("status = %+v", s)
	}
	// Nothing to check against: imported, with a warning.
	st, err = Update(ctx, path, UpdateOptions{URLs: []string{srv.URL + "/plain/all.zip"}, Replace: true})
	if err != nil || len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "not verified") {
		t.Errorf("unverified download: %+v %v", st, err)
	}
	if s := status(t, path); len(s.Sources) != 1 || !strings.HasPrefix(s.Sources[0].Verified, "none") {
		t.Errorf("--replace sources = %+v", s.Sources)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left in the database directory: %v", ents)
	}
}

// bucketTransport sends requests for OSV's bucket to a test server.
type bucketTransport struct{ srv *url.URL }

func (b bucketTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.URL.Host != "osv-vulnerabilities.storage.googleapis.com" {
		return nil, fmt.Errorf("unexpected host %s", r.URL.Host)
	}
	r.URL.Scheme, r.URL.Host = b.srv.Scheme, b.srv.Host
	return http.DefaultTransport.RoundTrip(r)
}

// TestUpdateEcosystems updates from OSV's per-ecosystem URLs: each replaces its ecosystem's
// records (one removed upstream disappears), other ecosystems stay.
func TestUpdateEcosystems(t *testing.T) {
	var mu sync.Mutex
	zips := map[string][]byte{}
	serve := func(eco string, names ...string) {
		b, _ := os.ReadFile(zipOf(t, names...))
		mu.Lock()
		zips["/"+eco+"/all.zip"] = b
		mu.Unlock()
	}
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.URL.EscapedPath())
		b, ok := zips[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		md := md5.Sum(b) //nolint:gosec // as in update.go
		w.Header().Set("X-Goog-Hash", "md5="+base64.StdEncoding.EncodeToString(md[:]))
		w.Write(b)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	client := &http.Client{Transport: bucketTransport{u}}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "osv.db")

	serve("Go", "GO-2022-1059.json", "GHSA-69ch-w2m2-3vjp.json", "GO-2026-0001.json")
	serve("Red Hat", "RHSA-2026-0001.json")
	st, err := Update(ctx, path, UpdateOptions{Ecosystems: []string{"Go", "Red Hat"}, Client: client})
	if err != nil || st.Advisories != 4 {
		t.Fatalf("first update: %+v %v", st, err)
	}
	if asked[0] != "/Go/all.zip" || asked[2] != "/Red%20Hat/all.zip" {
		t.Errorf("requests = %q", asked)
	}
	// GO-2026-0001 is gone from OSV's Go zip; a local record is imported meanwhile.
	if _, err := Import(ctx, path, []string{"testdata/osv/PYSEC-versions.json"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	serve("Go", "GO-2022-1059.json", "GHSA-69ch-w2m2-3vjp.json")
	st, err = Update(ctx, path, UpdateOptions{Ecosystems: []string{"Go"}, Client: client})
	if err != nil || st.Removed != 1 || st.Advisories != 4 {
		t.Fatalf("second update: %+v %v", st, err)
	}
	s := status(t, path)
	if s.Ecosystems["Go"] != 2 || s.Ecosystems["Red Hat"] != 1 || s.Ecosystems["PyPI"] != 1 || len(s.Sources) != 3 {
		t.Errorf("status = %+v", s)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := match(t, db, packages.Package{Name: "stdlib", Version: "go1.21.0", Ecosystem: "Go"}); len(got) != 0 {
		t.Errorf("a record removed upstream still matches: %v", got)
	}
	// An unknown ecosystem: the bucket says 404 and nothing changes.
	if _, err := Update(ctx, path, UpdateOptions{Ecosystems: []string{"Nope"}, Client: client}); err == nil || !strings.Contains(err.Error(), "/Nope/all.zip: 404") {
		t.Errorf("unknown ecosystem: %v", err)
	}
	if u := URLsFor([]string{"Red Hat", "crates.io"}); u[0] != OSVBucket+"/Red%20Hat/all.zip" || u[1] != OSVBucket+"/crates.io/all.zip" {
		t.Errorf("URLsFor = %v", u)
	}
}

// TestConcurrentOpenDuringUpdate opens and matches while imports rename new files over the
// database: every reader sees a complete database, old or new.
func TestConcurrentOpenDuringUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "osv.db")
	ctx := context.Background()
	if _, err := Import(ctx, path, []string{"testdata/osv"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	pkgs := []packages.Package{{Name: "golang.org/x/text", Version: "v0.3.7", Ecosystem: "Go"}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	var opened, matched int
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				db, err := Open(path)
				if err != nil {
					errs <- err
					return
				}
				ms, err := db.Match(pkgs)
				if err == nil {
					_, err = db.Status()
				}
				db.Close()
				if err != nil {
					errs <- err
					return
				}
				if len(ms) != 2 {
					errs <- fmt.Errorf("%d matches, want 2 in the old and in the new database", len(ms))
					return
				}
				mu.Lock()
				opened++
				matched += len(ms)
				mu.Unlock()
			}
		}()
	}
	// An open database stays usable while the file is replaced.
	held, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		src := []string{"testdata/osv"}
		if i%2 == 1 {
			src = append(src, "testdata/extra")
		}
		if _, err := Import(ctx, path, src, ImportOptions{Replace: true}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ms, err := held.Match(pkgs); err != nil || len(ms) != 2 {
		t.Errorf("database opened before the updates: %d matches, %v", len(ms), err)
	}
	held.Close()
	if opened == 0 {
		t.Error("no reader ran")
	}
}
