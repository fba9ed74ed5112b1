package imageset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source"
)

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      initContainers:
      - name: migrate
        image: registry.example/shop/api:1.4
      containers:
      - name: api
        image: registry.example/shop/api@sha256:1111111111111111111111111111111111111111111111111111111111111111
      - name: proxy
        image: registry.example/envoy:1.30
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  containers:
  - name: sh
    image: registry.example/missing:1
  - name: broken
    image: registry.example/broken:1
`

const apiDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
const envoyDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
const brokenDigest = "sha256:3333333333333333333333333333333333333333333333333333333333333333"

// fakeReader resolves both api references to one digest, fails one reference and one read,
// and counts calls.
type fakeReader struct {
	mu        sync.Mutex
	reads     map[string]int
	inFlight  atomic.Int32
	maxFlight atomic.Int32
}

func (f *fakeReader) Resolve(_ context.Context, ref string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "registry.example/shop/api"):
		return apiDigest, nil
	case strings.HasPrefix(ref, "registry.example/envoy"):
		return envoyDigest, nil
	case strings.HasPrefix(ref, "registry.example/broken"):
		return brokenDigest, nil
	}
	return "", errors.New("MANIFEST_UNKNOWN: manifest unknown")
}

func (f *fakeReader) Read(_ context.Context, ref, digest string) (*image.Image, []inventory.Problem, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxFlight.Load()
		if n <= m || f.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.reads[digest]++
	f.mu.Unlock()
	if digest == brokenDigest {
		return nil, nil, errors.New("layer sha256:abc: unexpected EOF")
	}
	var probs []inventory.Problem
	if digest == envoyDigest {
		probs = append(probs, inventory.Problem{Severity: "warning", Resource: ref, Message: "layer sha256:bb: entry ../../etc/passwd leaves the image root; skipped"})
	}
	return &image.Image{Name: ref, Digest: digest, Config: image.Config{User: "0", Env: []image.EnvVar{{Name: "API_TOKEN", Value: "s3cr3t-value"}}}}, probs, nil
}

func load(t *testing.T, r Reader, opts Options) (*inventory.Inventory, Stats) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(file, []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := inventory.New()
	if _, err := source.Load(context.Background(), []string{file}, source.Options{}, inv); err != nil {
		t.Fatal(err)
	}
	st, err := Load(context.Background(), inv, r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return inv, st
}

func images(inv *inventory.Inventory) map[string]*inventory.Object {
	out := map[string]*inventory.Object{}
	for _, o := range inv.OfKind("image.kube4c.io", image.Kind) {
		out[o.Object.(*image.Image).Digest] = o
	}
	return out
}

func TestLoadDeduplicatesByDigest(t *testing.T) {
	r := &fakeReader{reads: map[string]int{}}
	inv, st := load(t, r, Options{Concurrency: 2})
	if st.References != 5 || st.Images != 3 || st.Failed != 2 {
		t.Errorf("stats = %+v, want 5 references, 3 digests, 2 failures", st)
	}
	if r.reads[apiDigest] != 1 || r.reads[envoyDigest] != 1 {
		t.Errorf("reads = %v: each digest must be read once", r.reads)
	}
	if m := r.maxFlight.Load(); m > 2 {
		t.Errorf("%d reads at once with Concurrency 2", m)
	}
	imgs := images(inv)
	api := imgs[apiDigest]
	if api == nil {
		t.Fatalf("no image object for the api digest; objects: %v", imgs)
	}
	ai := api.Object.(*image.Image)
	if len(ai.Refs) != 2 || ai.Name != ai.Refs[0] || api.Name != ai.Name {
		t.Errorf("api image refs = %v, name %q", ai.Refs, ai.Name)
	}
	// The image object points at the first workload field that names it.
	if api.Source.Origin != inventory.FromImage || !strings.HasSuffix(api.Source.File, "app.yaml") || api.Source.Line != 11 {
		t.Errorf("api image source = %+v, want app.yaml:11 (the image field of the first reference, the init container)", api.Source)
	}
	var msgs []string
	for _, p := range inv.Problems() {
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"image registry.example/missing:1: cannot resolve the image: MANIFEST_UNKNOWN", "Pod/shop/debug",
		"image registry.example/broken:1: cannot read the image: layer sha256:abc: unexpected EOF", "app.yaml:24", "app.yaml:26"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
}

func TestLoadCachesByDigest(t *testing.T) {
	cache := t.TempDir()
	opts := Options{CacheDir: cache, CacheKey: "v1 linux/amd64"}
	r := &fakeReader{reads: map[string]int{}}
	load(t, r, opts)
	r2 := &fakeReader{reads: map[string]int{}}
	inv, st := load(t, r2, opts)
	if r2.reads[apiDigest] != 0 || r2.reads[envoyDigest] != 0 || st.Cached != 2 {
		t.Errorf("second scan read %v (cached %d): cached digests must not be read again", r2.reads, st.Cached)
	}
	var kept bool
	for _, p := range inv.Problems() {
		kept = kept || strings.Contains(p.Message, "leaves the image root")
	}
	if !kept {
		t.Error("the problems of a cached image are lost")
	}
	if r2.reads[brokenDigest] != 1 {
		t.Errorf("failed reads are not cached: broken read %d times", r2.reads[brokenDigest])
	}
	// Environment values survive the cache (the secret controls judge them)...
	ai := images(inv)[apiDigest].Object.(*image.Image)
	if len(ai.Config.Env) != 1 || ai.Config.Env[0].Value != "s3cr3t-value" {
		t.Errorf("env after the cache = %+v", ai.Config.Env)
	}
	// ...in a file only its owner can read.
	p := filepath.Join(cache, "images", "sha256", strings.TrimPrefix(apiDigest, "sha256:")+".json")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("cache entry mode %v, want 0600", fi.Mode().Perm())
	}
	// Another cache key (another kube4c version or platform) reads again.
	r3 := &fakeReader{reads: map[string]int{}}
	load(t, r3, Options{CacheDir: cache, CacheKey: "v2 linux/amd64"})
	if r3.reads[apiDigest] != 1 {
		t.Errorf("entries of another cache key were used")
	}
	// A corrupt entry is read again, not trusted.
	if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r4 := &fakeReader{reads: map[string]int{}}
	load(t, r4, opts)
	if r4.reads[apiDigest] != 1 {
		t.Errorf("a corrupt cache entry was used")
	}
}

func TestLoadVerifiesEveryImage(t *testing.T) {
	cache := t.TempDir()
	var n atomic.Int32
	verify := func(_ context.Context, ref, digest string) *image.Signature {
		n.Add(1)
		return &image.Signature{Status: image.SignatureUnsigned}
	}
	load(t, &fakeReader{reads: map[string]int{}}, Options{CacheDir: cache, Verify: verify})
	inv, _ := load(t, &fakeReader{reads: map[string]int{}}, Options{CacheDir: cache, Verify: verify})
	if n.Load() != 4 {
		t.Errorf("verified %d times, want each readable image verified in each scan (4), cached or not", n.Load())
	}
	for _, o := range images(inv) {
		if s := o.Object.(*image.Image).Signature; s == nil || s.Status != image.SignatureUnsigned {
			t.Errorf("%s: signature %+v", o.Name, s)
		}
	}
}
