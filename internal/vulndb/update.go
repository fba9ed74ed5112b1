package vulndb

import (
	"bufio"
	"context"
	"crypto/md5" //nolint:gosec // MD5 is what Google Cloud Storage reports; it checks transfer integrity, not authenticity
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// OSVBucket is where OSV publishes one all.zip per ecosystem.
const OSVBucket = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultEcosystems are downloaded by Update when none are named: the distributions container
// images are built on and the language ecosystems kube4c extracts packages of.
var DefaultEcosystems = []string{"Debian", "Ubuntu", "Alpine", "Red Hat", "AlmaLinux", "Rocky Linux", "Wolfi", "Chainguard",
	"Go", "npm", "PyPI", "Maven", "crates.io", "RubyGems", "NuGet", "Packagist"}

// MaxDownload bounds one download.
const MaxDownload = 2 << 30

// UpdateOptions control Update.
type UpdateOptions struct {
	// URLs are downloaded as they are; when empty, the all.zip of each of Ecosystems (or
	// DefaultEcosystems) in OSVBucket.
	URLs       []string
	Ecosystems []string
	// SHA256 is the expected checksum of the single URL.
	SHA256 string
	// Merge keeps the records of the current database (by default Update replaces it with what
	// it downloaded).
	Merge  bool
	Client *http.Client
	Now    time.Time
}

// URLsFor lists the all.zip URLs of ecosystems.
func URLsFor(ecosystems []string) []string {
	var out []string
	for _, e := range ecosystems {
		out = append(out, OSVBucket+"/"+url.PathEscape(e)+"/all.zip")
	}
	return out
}

// Update downloads OSV all.zip files, checks each against the checksum its server publishes
// (Google Cloud Storage's x-goog-hash MD5, a URL.sha256 file next to it) or the one given, and
// imports them atomically: a failed or interrupted download leaves the database as it was. It
// is the only function of kube4c that downloads vulnerability data.
func Update(ctx context.Context, dbPath string, opts UpdateOptions) (Stats, error) {
	urls := opts.URLs
	if len(urls) == 0 {
		ecos := opts.Ecosystems
		if len(ecos) == 0 {
			ecos = DefaultEcosystems
		}
		urls = URLsFor(ecos)
	}
	if opts.SHA256 != "" && len(urls) != 1 {
		return Stats{}, errors.New("--sha256 checks a single --url")
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Minute}
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, err
	}
	var srcs []source
	defer func() {
		for _, s := range srcs {
			os.Remove(s.path)
		}
	}()
	for _, u := range urls {
		s, err := download(ctx, client, dir, u, opts.SHA256)
		if s.path != "" {
			srcs = append(srcs, s)
		}
		if err != nil {
			return Stats{}, err
		}
	}
	return importSources(ctx, dbPath, srcs, ImportOptions{Replace: !opts.Merge, Now: opts.Now})
}

// download fetches one URL into a temporary file of dir and verifies it.
func download(ctx context.Context, client *http.Client, dir, u, want string) (source, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") {
		return source{}, fmt.Errorf("%s: not an http(s) URL", u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return source{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return source{}, fmt.Errorf("downloading %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return source{}, fmt.Errorf("downloading %s: %s", u, resp.Status)
	}
	f, err := os.CreateTemp(dir, ".download-*.zip")
	if err != nil {
		return source{}, err
	}
	s := source{path: f.Name(), name: u}
	md, sh := md5.New(), sha256.New() //nolint:gosec // see the import
	n, err := io.Copy(io.MultiWriter(f, md, sh), io.LimitReader(resp.Body, MaxDownload+1))
	cerr := f.Close()
	switch {
	case err != nil:
		return s, fmt.Errorf("downloading %s: %w", u, err)
	case cerr != nil:
		return s, cerr
	case n > MaxDownload:
		return s, fmt.Errorf("downloading %s: larger than %d bytes; refused", u, int64(MaxDownload))
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		return s, fmt.Errorf("downloading %s: got %d of %d bytes", u, n, resp.ContentLength)
	}
	gotSHA := hex.EncodeToString(sh.Sum(nil))
	var checks []string
	if m := googMD5(resp.Header); m != "" {
		if m != base64.StdEncoding.EncodeToString(md.Sum(nil)) {
			return s, fmt.Errorf("downloading %s: MD5 does not match the server's x-goog-hash: the download is corrupt; nothing was changed", u)
		}
		checks = append(checks, "x-goog-hash md5")
	}
	if side, err := sidecar(ctx, client, u+".sha256"); err != nil {
		return s, err
	} else if side != "" {
		if side != gotSHA {
			return s, fmt.Errorf("downloading %s: SHA-256 %s does not match %s.sha256 (%s); nothing was changed", u, gotSHA, u, side)
		}
		checks = append(checks, "sha256 sidecar")
	}
	if want != "" {
		if !strings.EqualFold(want, gotSHA) {
			return s, fmt.Errorf("downloading %s: SHA-256 %s, want %s (--sha256); nothing was changed", u, gotSHA, want)
		}
		checks = append(checks, "--sha256")
	}
	s.verified = strings.Join(checks, ", ")
	return s, nil
}

// googMD5 is the base64 MD5 of Google Cloud Storage's x-goog-hash header ("" when absent).
func googMD5(h http.Header) string {
	for _, v := range h.Values("X-Goog-Hash") {
		for _, part := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "md5" {
				return val
			}
		}
	}
	return ""
}

// sidecar fetches a checksum file: "" when the server has none (404), an error when it has
// one that cannot be read.
func sidecar(ctx context.Context, client *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", nil // no sidecar reachable: other checks stand
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading %s: %w", u, err)
	}
	f := strings.Fields(line)
	if len(f) == 0 || len(f[0]) != 64 {
		return "", fmt.Errorf("%s: not a SHA-256 checksum file", u)
	}
	return strings.ToLower(f[0]), nil
}
