package signature

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexJSON bounds index.json.
const maxIndexJSON = 16 << 20

// annotationRefName is the OCI annotation naming an index.json entry (a tag).
const annotationRefName = "org.opencontainers.image.ref.name"

// layoutStore reads signatures from an OCI layout directory, as `cosign save` writes one:
// index.json lists the image (annotation kind: dev.cosignproject.cosign/image or .../imageIndex)
// and its .sig image (kind: dev.cosignproject.cosign/sigs); bundle referrers are manifests in
// blobs/sha256 whose subject is the image. Entries named sha256-<hex>.sig
// (org.opencontainers.image.ref.name), as a copy of a registry repository holds, are signature
// images too. Blobs are read directly, checked against their digest, and never followed outside
// blobs/.
type layoutStore struct {
	dir   string
	index *v1.IndexManifest
}

func newLayoutStore(dir string) (*layoutStore, error) {
	raw, err := readLimited(filepath.Join(dir, "index.json"), maxIndexJSON)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not an OCI layout: no index.json", dir)
		}
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: index.json: %w", dir, err)
	}
	return &layoutStore{dir: dir, index: im}, nil
}

func (l *layoutStore) where() string { return "OCI layout " + l.dir }

func (l *layoutStore) lookedFor(v1.Hash) string {
	return fmt.Sprintf("index.json entries of kind %s and Sigstore bundle referrers in blobs/sha256", LayoutKindSigs)
}

func (l *layoutStore) resolve(context.Context) (v1.Hash, error) {
	var images []v1.Descriptor
	for _, d := range l.index.Manifests {
		switch k := d.Annotations[LayoutKindAnnotation]; k {
		case LayoutKindImage, LayoutKindImageIndex:
			return d.Digest, nil
		case "":
			if !isSignatureRef(d.Annotations[annotationRefName]) && !strings.HasPrefix(d.ArtifactType, bundleMediaTypePrefix) {
				images = append(images, d)
			}
		}
	}
	switch len(images) {
	case 1:
		return images[0].Digest, nil
	case 0:
		return v1.Hash{}, fmt.Errorf("OCI layout %s holds no image", l.dir)
	}
	return v1.Hash{}, fmt.Errorf("OCI layout %s holds %d images; name the one to verify by its digest", l.dir, len(images))
}

// isSignatureRef reports whether an index.json ref name is a cosign signature, attestation or
// SBOM tag, or a referrers tag (sha256-<hex>[.sig|.att|.sbom]).
func isSignatureRef(ref string) bool {
	tag := ref
	if i := strings.LastIndexAny(ref, ":/"); i >= 0 {
		tag = ref[i+1:]
	}
	tag = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(tag, ".sig"), ".att"), ".sbom")
	hx, ok := strings.CutPrefix(tag, "sha256-")
	return ok && len(hx) == 64 && strings.Trim(hx, "0123456789abcdef") == ""
}

func (l *layoutStore) simpleSignings(_ context.Context, digest v1.Hash) ([]simpleSigning, error) {
	var out []simpleSigning
	for _, d := range l.index.Manifests {
		ref := d.Annotations[annotationRefName]
		isSig := d.Annotations[LayoutKindAnnotation] == LayoutKindSigs ||
			ref == sigTag(digest) || strings.HasSuffix(ref, ":"+sigTag(digest))
		if !isSig {
			continue
		}
		if !d.MediaType.IsImage() && d.MediaType != "" {
			out = append(out, simpleSigning{err: fmt.Errorf("signature entry %s is a %s, not an image", d.Digest, clip(string(d.MediaType)))})
			continue
		}
		raw, err := l.blob(d.Digest, maxManifest)
		if err != nil {
			out = append(out, simpleSigning{err: fmt.Errorf("signature manifest: %v", err)})
			continue
		}
		m, err := v1.ParseManifest(bytes.NewReader(raw))
		if err != nil {
			out = append(out, simpleSigning{err: fmt.Errorf("signature manifest %s: %v", d.Digest, err)})
			continue
		}
		sigs, err := readSimpleSignings(m, func(ld v1.Descriptor) ([]byte, error) {
			return l.blob(ld.Digest, maxPayload)
		})
		if err != nil {
			return out, err
		}
		out = append(out, sigs...)
	}
	return out, nil
}

func (l *layoutStore) bundles(_ context.Context, digest v1.Hash) ([]bundleBlob, error) {
	dir := filepath.Join(l.dir, "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []bundleBlob
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		h, err := v1.NewHash("sha256:" + e.Name())
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() > maxManifest {
			continue // layers and configs: a referrer manifest is small
		}
		raw, err := l.blob(h, maxManifest)
		if err != nil || !bytes.Contains(raw, []byte(`"subject"`)) {
			continue
		}
		bs, err := bundlesOf(raw, digest, h, func(ld v1.Descriptor) ([]byte, error) {
			return l.blob(ld.Digest, maxBundle)
		})
		if err != nil {
			return out, err
		}
		for _, b := range bs {
			if len(out) == maxSignatures {
				return append(out, bundleBlob{err: fmt.Errorf("more bundles were not read (at most %d are)", maxSignatures)}), nil
			}
			out = append(out, b)
		}
	}
	return out, nil
}

func (l *layoutStore) indexLists(_ context.Context, index, child v1.Hash) error {
	raw, err := l.blob(index, maxIndexJSON)
	if err != nil {
		return fmt.Errorf("%w (%v)", errNotListed, err)
	}
	return listsChild(raw, index, child)
}

// blob reads blobs/<alg>/<hex> (a regular file, not a link) and checks its digest.
func (l *layoutStore) blob(h v1.Hash, limit int64) ([]byte, error) {
	if h.Algorithm != "sha256" {
		return nil, blobErr("blob %s: only sha256 blobs are read", h)
	}
	p := filepath.Join(l.dir, "blobs", h.Algorithm, h.Hex)
	info, err := os.Lstat(p)
	if err != nil {
		return nil, blobErr("blob %s: %v", h, err)
	}
	if !info.Mode().IsRegular() {
		return nil, blobErr("blob %s is not a regular file", h)
	}
	b, err := readLimited(p, limit)
	if err != nil {
		return nil, blobErr("blob %s: %v", h, err)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != h.Hex {
		return nil, blobErr("blob %s does not match its digest", h)
	}
	return b, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
