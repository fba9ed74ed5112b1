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

// maxDownload is MaxDownload, a variable for tests.
var maxDownload int64 = MaxDownload

// UpdateOptions control Update.
type UpdateOptions struct {
	// URLs are downloaded as they are and merged into the database. When empty, the all.zip of
	// each of Ecosystems (or DefaultEcosystems) in OSVBucket is downloaded, and each replaces
	// the records of its ecosystem.
	URLs       []string
	Ecosystems []string
	// SHA256 is the expected checksum of the single URL.
	SHA256 string
	// Replace starts from an empty database: only what was downloaded is kept.
	Replace bool
	// Client is the HTTP client; when nil, one with the default transport (proxies from the
	// environment) and a 30-minute timeout per request.
	Client *http.Client
	// Progress, when set, is told what is being downloaded.
	Progress func(msg string)
	Now      time.Time
}

// URLsFor lists the all.zip URLs of ecosystems.
func URLsFor(ecosystems []string) []string {
	var out []string
	for _, e := range ecosystems {
		out = append(out, OSVBucket+"/"+url.PathEscape(e)+"/all.zip")
	}
	return out
}

// Update downloads OSV all.zip files, checks each against the checksums its server publishes
// (Google Cloud Storage's x-goog-hash MD5; a URL.sha256 file next to it) and the one given,
// refuses a download that does not match, then imports them like Import: into a new file
// renamed over the old one, so that a failed or interrupted update leaves the database as it
// was. It is the only function of kube4c that downloads vulnerability data.
//
// With OSV's per-ecosystem URLs (no URLs given), each downloaded ecosystem replaces that
// ecosystem's records: records no longer in its all.zip are removed, other ecosystems are kept.
// Given URLs are merged like imported files.
func Update(ctx context.Context, dbPath string, opts UpdateOptions) (Stats, error) {
	type target struct{ url, sync string }
	var targets []target
	if len(opts.URLs) > 0 {
		for _, u := range opts.URLs {
			targets = append(targets, target{url: u})
		}
	} else {
		ecos := opts.Ecosystems
		if len(ecos) == 0 {
			ecos = DefaultEcosystems
		}
		for _, e := range ecos {
			targets = append(targets, target{url: URLsFor([]string{e})[0], sync: e})
		}
	}
	if opts.SHA256 != "" && (len(opts.URLs) != 1 || len(opts.SHA256) != 64) {
		return Stats{}, errors.New("--sha256 takes the 64 hex digits of the SHA-256 of a single --url")
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Minute}
	}
	dir, base := filepath.Dir(dbPath), filepath.Base(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, err
	}
	removeStale(dir, base)
	var srcs []source
	defer func() {
		for _, s := range srcs {
			os.Remove(s.path)
		}
	}()
	var notes []string
	for _, t := range targets {
		if opts.Progress != nil {
			opts.Progress("downloading " + t.url)
		}
		s, err := download(ctx, client, dir, "."+base+".download-*.zip", t.url, opts.SHA256)
		s.sync = t.sync
		if s.path != "" {
			srcs = append(srcs, s)
		}
		if err != nil {
			return Stats{}, err
		}
		if strings.HasPrefix(s.verified, "none") {
			notes = append(notes, fmt.Sprintf("%s: not verified: the server published no checksum (x-goog-hash md5 or %s.sha256) and --sha256 was not given; the zip's CRC-32 checks remain", t.url, t.url))
		}
	}
	if opts.Progress != nil {
		opts.Progress("importing")
	}
	st, err := importSources(ctx, dbPath, srcs, ImportOptions{Replace: opts.Replace, Now: opts.Now})
	for _, n := range notes {
		st.problem("%s", n)
	}
	return st, err
}

// download fetches one URL into a temporary file of dir and verifies it. The returned source
// has the file's path even on error, for the caller to remove.
func download(ctx context.Context, client *http.Client, dir, pattern, u, want string) (source, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return source{}, fmt.Errorf("%s: not an http(s) URL", u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return source{}, err
	}
	// The bytes as stored: checksums are of the object, not of a transcoded body.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		return source{}, fmt.Errorf("downloading %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return source{}, fmt.Errorf("downloading %s: %s", u, resp.Status)
	}
	if resp.ContentLength > maxDownload {
		return source{}, fmt.Errorf("downloading %s: %d bytes, larger than the %d byte limit; refused", u, resp.ContentLength, maxDownload)
	}
	f, err := tempFile(dir, pattern)
	if err != nil {
		return source{}, err
	}
	s := source{path: f.Name(), name: u}
	md, sh := md5.New(), sha256.New() //nolint:gosec // see the import
	n, err := io.Copy(io.MultiWriter(f, md, sh), io.LimitReader(resp.Body, maxDownload+1))
	cerr := f.Close()
	switch {
	case err != nil:
		return s, fmt.Errorf("downloading %s: %w; nothing was changed", u, err)
	case cerr != nil:
		return s, cerr
	case n > maxDownload:
		return s, fmt.Errorf("downloading %s: larger than the %d byte limit; refused", u, maxDownload)
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		return s, fmt.Errorf("downloading %s: got %d of %d bytes; nothing was changed", u, n, resp.ContentLength)
	}
	gotSHA := hex.EncodeToString(sh.Sum(nil))
	var checks []string
	if m, ok := googMD5(resp.Header); ok {
		if m != base64.StdEncoding.EncodeToString(md.Sum(nil)) {
			return s, fmt.Errorf("downloading %s: its MD5 does not match the server's x-goog-hash (%s): the download is corrupt; nothing was changed", u, m)
		}
		checks = append(checks, "x-goog-hash md5")
	}
	side, err := sidecar(ctx, client, u+".sha256")
	if err != nil {
		return s, err
	}
	if side != "" {
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
	if s.verified == "" {
		s.verified = "none (zip CRC-32 only)"
	}
	return s, nil
}

// googMD5 is the base64 MD5 of Google Cloud Storage's x-goog-hash header ("crc32c=...,md5=...",
// possibly as two headers).
func googMD5(h http.Header) (string, bool) {
	for _, v := range h.Values("X-Goog-Hash") {
		for _, part := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "md5" {
				return val, true
			}
		}
	}
	return "", false
}

// sidecar fetches a checksum file ("HEX" or "HEX  all.zip"): "" when the server has none (any
// status but 200, or no answer), an error when it has one that is not a SHA-256 checksum.
func sidecar(ctx context.Context, client *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", nil // no sidecar reachable: the other checks stand
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
		return "", fmt.Errorf("%s: not a SHA-256 checksum file; nothing was changed", u)
	}
	if _, err := hex.DecodeString(f[0]); err != nil {
		return "", fmt.Errorf("%s: not a SHA-256 checksum file; nothing was changed", u)
	}
	return strings.ToLower(f[0]), nil
}
