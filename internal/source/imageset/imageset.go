// Package imageset adds to an inventory the container images its workloads reference (kube4c
// scan --images): every reference is resolved to a manifest digest, each digest is read once
// however many references and workloads name it, reads run concurrently, and what was read is
// cached on disk by digest so a second scan of the same images pulls nothing but manifests.
package imageset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
)

// Reader resolves references and reads images (internal/source/image in production).
type Reader interface {
	// Resolve returns the manifest digest a reference names (for an index, the digest of the
	// platform's manifest).
	Resolve(ctx context.Context, ref string) (digest string, err error)
	// Read reads the image a reference names, pinned to the digest Resolve returned. Problems
	// are what could not be read inside the image (a refused layer entry, a corrupt package
	// database); the error says the image could not be read at all.
	Read(ctx context.Context, ref, digest string) (*image.Image, []inventory.Problem, error)
}

// Options for Load.
type Options struct {
	// Concurrency bounds how many images are resolved and read at once (default 4).
	Concurrency int
	// CacheDir, when set, holds what was read, by digest ("" disables the cache).
	CacheDir string
	// CacheKey distinguishes caches of different extraction logic (the kube4c version and the
	// platform): entries written under another key are not used.
	CacheKey string
	// Verify, when set, verifies each image's signatures (never cached: keys change).
	Verify func(ctx context.Context, ref, digest string) *image.Signature
}

// Stats says what Load did.
type Stats struct {
	References int // distinct references found in workloads
	Images     int // distinct digests
	Cached     int // images taken from the cache
	Failed     int // references or images that could not be read (reported as problems)
}

// use is one workload container field that names a reference.
type use struct {
	obj  *inventory.Object
	path inventory.FieldPath
}

// References lists the distinct image references of the inventory's workloads, sorted, with the
// workload fields that name them. Objects a workload controller owns (a cluster's ReplicaSets and
// Pods) are skipped: their owner names the same images.
func references(inv *inventory.Inventory) (refs []string, uses map[string][]use) {
	uses = map[string][]use{}
	for _, o := range inv.Objects() {
		t, ok := podspec.Of(o)
		if !ok || podspec.OwnedByWorkload(o) {
			continue
		}
		for _, c := range t.Containers() {
			ref := strings.TrimSpace(c.C.Image)
			if ref == "" {
				continue
			}
			if _, seen := uses[ref]; !seen {
				refs = append(refs, ref)
			}
			uses[ref] = append(uses[ref], use{obj: o, path: c.Path.Child("image")})
		}
	}
	slices.Sort(refs)
	return refs, uses
}

// Load resolves and reads every image the inventory's workloads reference and adds one Image
// object per digest. References that cannot be resolved and images that cannot be read are
// problems naming the reference and the workloads that use it; the rest of the scan goes on.
func Load(ctx context.Context, inv *inventory.Inventory, r Reader, opts Options) (Stats, error) {
	refs, uses := references(inv)
	st := Stats{References: len(refs)}
	if len(refs) == 0 {
		return st, nil
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 4
	}

	// Resolve every reference to a digest.
	digests := make([]string, len(refs))
	errs := make([]error, len(refs))
	parallel(ctx, len(refs), conc, func(i int) {
		digests[i], errs[i] = r.Resolve(ctx, refs[i])
	})
	if err := ctx.Err(); err != nil {
		return st, err
	}
	byDigest := map[string][]string{}
	var order []string
	for i, ref := range refs {
		if errs[i] != nil {
			st.Failed++
			inv.AddProblem(problem(ref, uses[ref], "cannot resolve the image: "+errs[i].Error()))
			continue
		}
		d := digests[i]
		if _, seen := byDigest[d]; !seen {
			order = append(order, d)
		}
		byDigest[d] = append(byDigest[d], ref)
	}
	st.Images = len(order)

	// Read each digest once.
	imgs := make([]*image.Image, len(order))
	probs := make([][]inventory.Problem, len(order))
	readErrs := make([]error, len(order))
	cached := make([]bool, len(order))
	parallel(ctx, len(order), conc, func(i int) {
		d := order[i]
		ref := byDigest[d][0]
		if img, ps, ok := readCache(opts, d); ok {
			imgs[i], probs[i], cached[i] = img, ps, true
		} else {
			imgs[i], probs[i], readErrs[i] = r.Read(ctx, ref, d)
			if readErrs[i] == nil {
				writeCache(opts, d, imgs[i], probs[i])
			}
		}
		if readErrs[i] == nil && opts.Verify != nil {
			imgs[i].Signature = opts.Verify(ctx, ref, d)
		}
	})
	if err := ctx.Err(); err != nil {
		return st, err
	}
	for i, d := range order {
		rs := byDigest[d]
		var all []use
		for _, ref := range rs {
			all = append(all, uses[ref]...)
		}
		if readErrs[i] != nil {
			st.Failed++
			inv.AddProblem(problem(strings.Join(rs, ", "), all, "cannot read the image: "+readErrs[i].Error()))
			continue
		}
		if cached[i] {
			st.Cached++
		}
		inv.AddProblem(probs[i]...)
		img := imgs[i]
		img.Name = rs[0]
		img.Refs = rs
		img.Digest = d
		inv.Add(Object(img, all[0].obj, all[0].path))
	}
	return st, nil
}

// Object wraps an image as an inventory object. The object's source is the first workload field
// that names the image, so findings about the image point at the line of that field; from and
// path are nil and empty for images named on the command line.
func Object(img *image.Image, from *inventory.Object, path inventory.FieldPath) *inventory.Object {
	img.APIVersion, img.Kind = image.APIVersion, image.Kind
	src := inventory.Source{Origin: inventory.FromImage, Context: img.Name}
	if from != nil {
		src.File = from.Source.File
		src.Line = from.Source.Line
		if from.Locator != nil {
			if locs := from.Locator.Locate([]inventory.FieldPath{path}); len(locs) == 1 && locs[0].File != "" {
				src.File, src.Line = locs[0].File, locs[0].Line
			}
		}
	}
	return &inventory.Object{APIVersion: image.APIVersion, Kind: image.Kind, Name: img.Name, Object: img, Source: src}
}

// problem reports a reference that could not be scanned, naming the workloads that use it and
// pointing at the first one's field.
func problem(ref string, uses []use, msg string) inventory.Problem {
	var who []string
	for _, u := range uses {
		if r := u.obj.Ref(); !slices.Contains(who, r) {
			who = append(who, r)
		}
	}
	const most = 5
	if len(who) > most {
		who = append(who[:most], fmt.Sprintf("%d more", len(who)-most))
	}
	p := inventory.Problem{Severity: "error", Resource: strings.Join(who, ", "), Message: fmt.Sprintf("image %s: %s", ref, msg)}
	if len(uses) > 0 {
		p.File, p.Line = uses[0].obj.Source.File, uses[0].obj.Source.Line
		if l := uses[0].obj.Locator; l != nil {
			if locs := l.Locate([]inventory.FieldPath{uses[0].path}); len(locs) == 1 && locs[0].File != "" {
				p.File, p.Line = locs[0].File, locs[0].Line
			}
		}
	}
	return p
}

// parallel runs fn(0..n-1) with at most conc at once, stopping early when ctx is done.
func parallel(ctx context.Context, n, conc int, fn func(i int)) {
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}

// cacheEntry is what the cache keeps per digest. The image's environment is kept with its values
// (image.EnvVar does not serialise them, so reports never print them), because the secret
// controls judge them; the file is readable by its owner only, and anyone who can pull the image
// can read its configuration anyway.
type cacheEntry struct {
	Key      string              `json:"key"`
	Image    *image.Image        `json:"image"`
	Env      []cachedEnv         `json:"env,omitempty"`
	Problems []inventory.Problem `json:"problems,omitempty"`
}

type cachedEnv struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// cachePath is where the entry of a digest lives ("" when caching is off or the digest is odd).
func cachePath(opts Options, digest string) string {
	algo, hex, ok := strings.Cut(digest, ":")
	if opts.CacheDir == "" || !ok || algo != "sha256" || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return ""
	}
	return filepath.Join(opts.CacheDir, "images", algo, hex+".json")
}

func readCache(opts Options, digest string) (*image.Image, []inventory.Problem, bool) {
	p := cachePath(opts, digest)
	if p == "" {
		return nil, nil, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, nil, false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil || e.Key != opts.CacheKey || e.Image == nil || e.Image.Digest != digest || len(e.Env) != len(e.Image.Config.Env) {
		return nil, nil, false // unusable entries are overwritten by the next read
	}
	for i := range e.Env {
		e.Image.Config.Env[i] = image.EnvVar{Name: e.Env[i].Name, Value: e.Env[i].Value}
	}
	e.Image.Signature = nil
	return e.Image, e.Problems, true
}

// writeCache stores an image; failures only cost the next scan a pull.
func writeCache(opts Options, digest string, img *image.Image, probs []inventory.Problem) {
	p := cachePath(opts, digest)
	if p == "" {
		return
	}
	c := img.DeepCopy()
	c.Digest = digest
	c.Signature = nil
	e := cacheEntry{Key: opts.CacheKey, Image: c, Problems: probs}
	for _, v := range img.Config.Env {
		e.Env = append(e.Env, cachedEnv{Name: v.Name, Value: v.Value})
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_ = writeAtomic(p, b)
}

func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
