package signature

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// registryStore reads signatures from a registry repository.
type registryStore struct {
	ref  name.Reference
	repo name.Repository
	opts []remote.Option
}

func (r *registryStore) where() string { return r.repo.Name() }

func (r *registryStore) lookedFor(d v1.Hash) string {
	return fmt.Sprintf("the %s tag and Sigstore bundle referrers", sigTag(d))
}

func (r *registryStore) options(ctx context.Context) []remote.Option {
	return append(append([]remote.Option(nil), r.opts...), remote.WithContext(ctx))
}

func (r *registryStore) resolve(ctx context.Context) (v1.Hash, error) {
	if d, ok := r.ref.(name.Digest); ok {
		return v1.NewHash(d.DigestStr())
	}
	desc, err := remote.Head(r.ref, r.options(ctx)...)
	if err != nil {
		// Some registries do not answer HEAD for manifests; GET does.
		if isNotFound(err) || ctx.Err() != nil {
			return v1.Hash{}, err
		}
		d, gerr := remote.Get(r.ref, r.options(ctx)...)
		if gerr != nil {
			return v1.Hash{}, gerr
		}
		return d.Digest, nil
	}
	return desc.Digest, nil
}

func (r *registryStore) simpleSignings(ctx context.Context, digest v1.Hash) ([]simpleSigning, error) {
	tag := r.repo.Tag(sigTag(digest))
	desc, err := remote.Get(tag, r.options(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if !desc.MediaType.IsImage() {
		return []simpleSigning{{err: fmt.Errorf("the %s tag is a %s, not a signature image", tag.TagStr(), clip(string(desc.MediaType)))}}, nil
	}
	if len(desc.Manifest) > maxManifest {
		return []simpleSigning{{err: fmt.Errorf("the %s manifest is larger than %d bytes", tag.TagStr(), maxManifest)}}, nil
	}
	m, err := v1.ParseManifest(strings.NewReader(string(desc.Manifest)))
	if err != nil {
		return []simpleSigning{{err: fmt.Errorf("the %s manifest: %v", tag.TagStr(), err)}}, nil
	}
	return readSimpleSignings(m, func(l v1.Descriptor) ([]byte, error) {
		return r.blob(ctx, l.Digest, maxPayload)
	})
}

// readSimpleSignings reads the layers of a .sig manifest with fetch; fetch errors that are not a
// missing blob end the lookup.
func readSimpleSignings(m *v1.Manifest, fetch func(v1.Descriptor) ([]byte, error)) ([]simpleSigning, error) {
	var out []simpleSigning
	for i, l := range m.Layers {
		if i == maxSignatures {
			out = append(out, simpleSigning{err: fmt.Errorf("%d more signature layers were not read (at most %d are)", len(m.Layers)-maxSignatures, maxSignatures)})
			break
		}
		s := simpleSigning{sig: l.Annotations[SignatureAnnotation], keyless: l.Annotations[CertificateAnnotation] != ""}
		switch {
		case l.Size > maxPayload:
			s.err = fmt.Errorf("payload of %d bytes is larger than %d", l.Size, maxPayload)
		case s.sig == "":
			s.err = fmt.Errorf("the layer has no %s annotation", SignatureAnnotation)
		default:
			b, err := fetch(l)
			if err != nil {
				if !isNotFound(err) && !errors.Is(err, errBlobMissing) {
					return out, err
				}
				s.err = err
			}
			s.payload = b
		}
		out = append(out, s)
	}
	return out, nil
}

func (r *registryStore) bundles(ctx context.Context, digest v1.Hash) ([]bundleBlob, error) {
	idx, err := remote.Referrers(r.repo.Digest(digest.String()), r.options(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []bundleBlob
	n := 0
	for _, d := range im.Manifests {
		if !maybeBundleReferrer(d) {
			continue
		}
		if n == maxSignatures {
			out = append(out, bundleBlob{err: fmt.Errorf("more referrers were not read (at most %d are)", maxSignatures)})
			break
		}
		n++
		if d.Size > maxManifest {
			out = append(out, bundleBlob{manifest: d.Digest, err: fmt.Errorf("referrer manifest of %d bytes is larger than %d", d.Size, maxManifest)})
			continue
		}
		desc, err := remote.Get(r.repo.Digest(d.Digest.String()), r.options(ctx)...)
		if err != nil {
			if isNotFound(err) {
				out = append(out, bundleBlob{manifest: d.Digest, err: fmt.Errorf("referrer manifest missing: %v", err)})
				continue
			}
			return out, err
		}
		bs, err := bundlesOf(desc.Manifest, digest, d.Digest, func(l v1.Descriptor) ([]byte, error) {
			return r.blob(ctx, l.Digest, maxBundle)
		})
		if err != nil {
			return out, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// maybeBundleReferrer reports whether a referrers-list entry may hold a Sigstore bundle: its
// artifactType says so, or says nothing useful (registries that copy the config media type, the
// empty descriptor's, into artifactType, like go-containerregistry's own).
func maybeBundleReferrer(d v1.Descriptor) bool {
	switch {
	case strings.HasPrefix(d.ArtifactType, bundleMediaTypePrefix):
		return true
	case d.ArtifactType == "" || d.ArtifactType == string(types.OCIConfigJSON) || d.ArtifactType == "application/vnd.oci.empty.v1+json":
		return d.MediaType == types.OCIManifestSchema1 || d.MediaType == ""
	}
	return false
}

// bundlesOf returns the bundles of a referrer manifest whose subject is digest; a manifest that
// is not a bundle referrer gives none.
func bundlesOf(raw []byte, digest, manifest v1.Hash, fetch func(v1.Descriptor) ([]byte, error)) ([]bundleBlob, error) {
	if len(raw) > maxManifest {
		return []bundleBlob{{manifest: manifest, err: fmt.Errorf("referrer manifest is larger than %d bytes", maxManifest)}}, nil
	}
	m, err := v1.ParseManifest(strings.NewReader(string(raw)))
	if err != nil {
		return []bundleBlob{{manifest: manifest, err: fmt.Errorf("referrer manifest: %v", err)}}, nil
	}
	if m.Subject == nil || m.Subject.Digest != digest {
		return nil, nil
	}
	var out []bundleBlob
	for _, l := range m.Layers {
		if !strings.HasPrefix(string(l.MediaType), bundleMediaTypePrefix) {
			continue
		}
		if len(out) == maxSignatures {
			break
		}
		b := bundleBlob{manifest: manifest}
		if l.Size > maxBundle {
			b.err = fmt.Errorf("bundle of %d bytes is larger than %d", l.Size, maxBundle)
		} else if b.raw, err = fetch(l); err != nil {
			if !isNotFound(err) && !errors.Is(err, errBlobMissing) {
				return out, err
			}
			b.err = err
		}
		out = append(out, b)
	}
	return out, nil
}

// blob reads a blob of at most limit bytes; the registry client checks its digest.
func (r *registryStore) blob(ctx context.Context, h v1.Hash, limit int64) ([]byte, error) {
	l, err := remote.Layer(r.repo.Digest(h.String()), r.options(ctx)...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, blobErr("blob %s is larger than %d bytes", h, limit)
	}
	return b, nil
}

func (r *registryStore) indexLists(ctx context.Context, index, child v1.Hash) error {
	desc, err := remote.Get(r.repo.Digest(index.String()), r.options(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("%w (the index is not in %s)", errNotListed, r.repo.Name())
		}
		return err
	}
	return listsChild(desc.Manifest, index, child)
}

// listsChild checks that raw is the index with that digest and lists child.
func listsChild(raw []byte, index, child v1.Hash) error {
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	if h != index {
		return fmt.Errorf("%w (its content has digest %s)", errNotListed, h)
	}
	im, err := v1.ParseIndexManifest(strings.NewReader(string(raw)))
	if err != nil {
		return fmt.Errorf("%w (not an index: %v)", errNotListed, err)
	}
	for _, m := range im.Manifests {
		if m.Digest == child {
			return nil
		}
	}
	return errNotListed
}

// errBlobMissing marks a blob that cannot be used (missing from a layout, altered, or too large):
// the signature it belongs to is rejected, the lookup goes on.
var errBlobMissing = errors.New("unusable blob")

// blobError is an errBlobMissing with its own message.
type blobError struct{ msg string }

func (e *blobError) Error() string        { return e.msg }
func (e *blobError) Is(target error) bool { return target == errBlobMissing }

func blobErr(format string, args ...any) error { return &blobError{fmt.Sprintf(format, args...)} }
