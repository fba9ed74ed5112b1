// Package signature verifies container image signatures with a public key, offline: no Rekor
// transparency log, no Fulcio certificate, no TUF trust root is fetched. It reads the two formats
// cosign stores next to an image, in a registry repository or in an OCI layout directory (as
// `cosign save` writes one):
//
//   - "cosign-tag", cosign's original format (cosign sign --new-bundle-format=false, the default
//     of cosign v2): an image tagged sha256-<hex>.sig in the image's repository whose layers are
//     simple-signing JSON payloads, each with its base64 signature in the layer annotation
//     dev.cosignproject.cosign/signature. The payload's critical.image.docker-manifest-digest must
//     be the image digest.
//   - "cosign-bundle", the Sigstore bundle format (the default of cosign v3): an OCI 1.1 referrer
//     of the image (found with the referrers API, or the sha256-<hex> referrers tag for registries
//     without it) whose layer is a Sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json).
//     cosign v3 signs a DSSE envelope holding an in-toto statement whose subject is the image
//     digest and whose predicate type is https://sigstore.dev/cosign/sign/v1; bundles holding a
//     message signature of the image manifest are accepted too. Bundles are verified with
//     sigstore-go. Other in-toto statements (SLSA provenance, SBOM attestations) are not
//     signatures of the image and are skipped.
//
// One signature that verifies with the key, in either format, makes the image verified. A
// verified signature proves that the holder of the private key signed this manifest digest; it
// says nothing about when (there is no timestamp evidence without a transparency log or a
// timestamp authority) nor about who holds the key. Keyless (certificate) signatures cannot be
// verified offline and count as invalid.
//
// Everything read from the registry or the layout is untrusted: sizes and counts are bounded and
// bad input gives a reason in image.Signature.Detail, never a panic.
package signature

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/kube4c/kube4c/internal/image"
)

// Schemes (image.Signature.Scheme).
const (
	SchemeTag    = "cosign-tag"
	SchemeBundle = "cosign-bundle"
)

// Format constants of cosign and Sigstore.
const (
	// SignatureAnnotation holds the base64 signature of a simple-signing layer.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// CertificateAnnotation holds the signing certificate of a keyless simple-signing layer.
	CertificateAnnotation = "dev.sigstore.cosign/certificate"
	// SimpleSigningMediaType is the media type of a simple-signing layer.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// BundleMediaType is the artifact type and layer media type of a cosign v3 bundle referrer.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// bundleMediaTypePrefix matches every Sigstore bundle version.
	bundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle"
	// CosignSignPredicateType is the predicate type of the in-toto statement `cosign sign` signs.
	CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	// InTotoPayloadType is the DSSE payload type of in-toto statements.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// LayoutKindAnnotation is the index.json annotation cosign save writes on each entry, with the
	// values below.
	LayoutKindAnnotation = "kind"
	LayoutKindImage      = "dev.cosignproject.cosign/image"
	LayoutKindImageIndex = "dev.cosignproject.cosign/imageIndex"
	LayoutKindSigs       = "dev.cosignproject.cosign/sigs"
	LayoutKindAtts       = "dev.cosignproject.cosign/atts"
)

// Bounds on untrusted input.
const (
	maxSignatures = 64      // simple-signing layers, or bundle referrers, looked at per digest
	maxPayload    = 1 << 20 // a simple-signing payload (cosign's are about 250 bytes)
	maxBundle     = 1 << 20 // a bundle (a key-signed DSSE bundle is about 2 KiB; with certificates 10 KiB)
	maxManifest   = 1 << 18 // a signature or referrer manifest
)

// Target says which image to verify and where its signatures are stored: a registry repository
// (Ref) or an OCI layout directory (Layout).
type Target struct {
	// Digest is the manifest digest the signatures must name. When it is zero, Verify resolves
	// it: Ref's digest, or one registry request for a tag; in a layout, the entry cosign save
	// annotated as the image, or the only image. Callers that already know the digest set it and
	// save that request.
	Digest v1.Hash
	// Index, when set, is the image index (multi-arch image) Digest was picked from. Signing a
	// multi-arch image signs its index, so a signature of Index counts once the index, fetched by
	// its digest, is seen to list Digest.
	Index v1.Hash
	// Ref names the registry repository holding the image and its signatures (signatures are
	// looked up in Ref.Context()); its tag is only read when Digest is zero. Parse it with
	// name.Insecure to allow plain HTTP (loopback registries always use it).
	Ref name.Reference
	// Remote are the options of registry requests: keychain, transport. Verify adds its context.
	Remote []remote.Option
	// Layout is an OCI layout directory; when set, Ref and Remote are not used and nothing is
	// read from the network.
	Layout string
}

// String names the target in messages.
func (t Target) String() string {
	if t.Layout != "" {
		return "OCI layout " + t.Layout
	}
	if t.Ref != nil {
		return t.Ref.String()
	}
	return "(no image)"
}

func (t Target) store() (store, error) {
	switch {
	case t.Layout != "":
		return newLayoutStore(t.Layout)
	case t.Ref != nil:
		return &registryStore{ref: t.Ref, repo: t.Ref.Context(), opts: t.Remote}, nil
	default:
		return nil, errors.New("no registry reference and no OCI layout to look for signatures in")
	}
}

// Resolve returns the manifest digest the target names: Digest when set, else Ref's digest, a
// registry request for a tag, or the image entry of the layout. Its errors name the usual causes
// (registry unreachable, 401, 403).
func (t Target) Resolve(ctx context.Context) (v1.Hash, error) {
	if t.Digest != (v1.Hash{}) {
		return t.Digest, nil
	}
	st, err := t.store()
	if err != nil {
		return v1.Hash{}, err
	}
	d, err := st.resolve(ctx)
	if err != nil {
		return v1.Hash{}, &describedError{err}
	}
	return d, nil
}

// describedError shows an error as describeErr does.
type describedError struct{ err error }

func (e *describedError) Error() string { return describeErr(e.err) }
func (e *describedError) Unwrap() error { return e.err }

// store is where signatures are read from.
type store interface {
	// resolve returns the digest of the image the store holds or names.
	resolve(ctx context.Context) (v1.Hash, error)
	// simpleSignings returns the simple-signing layers stored for digest (none: nil, nil). An
	// error is a failed lookup; a problem with one layer is in its err.
	simpleSignings(ctx context.Context, digest v1.Hash) ([]simpleSigning, error)
	// bundles returns the Sigstore bundles of referrers of digest (none: nil, nil).
	bundles(ctx context.Context, digest v1.Hash) ([]bundleBlob, error)
	// indexLists returns nil when the index with that digest lists child (the index content is
	// checked against its digest), errNotListed when it does not.
	indexLists(ctx context.Context, index, child v1.Hash) error
	// where names the store in messages.
	where() string
	// lookedFor says where the signatures of digest would be.
	lookedFor(digest v1.Hash) string
}

// simpleSigning is one layer of a .sig image.
type simpleSigning struct {
	payload []byte
	sig     string // base64, from SignatureAnnotation
	keyless bool   // the layer carries a certificate
	err     error  // the layer could not be read
}

// bundleBlob is one Sigstore bundle found in a referrer.
type bundleBlob struct {
	raw      []byte
	manifest v1.Hash // the referrer manifest
	err      error   // the bundle could not be read
}

var errNotListed = errors.New("does not list the image")

// describeErr makes registry errors readable and names the usual causes.
func describeErr(err error) string {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Sprintf("%v (401 Unauthorized: the registry wants credentials; kube4c uses those of docker login, ~/.docker/config.json)", err)
		case http.StatusForbidden:
			return fmt.Sprintf("%v (403 Forbidden: the credentials may not read this repository)", err)
		case http.StatusTooManyRequests:
			return fmt.Sprintf("%v (429: rate limited by the registry)", err)
		}
		return err.Error()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("interrupted: %v", err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Sprintf("registry unreachable: %v", err)
	}
	return err.Error()
}

// isNotFound reports whether err is a registry 404 (no such manifest, tag, repository or blob).
func isNotFound(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode == http.StatusNotFound
	}
	return false
}

// rejection is a signature that was found and did not verify.
type rejection struct {
	scheme string
	reason string
}

// errNotSignature marks a bundle that verifies but is an attestation (another predicate type),
// not a signature of the image: it is skipped.
type errNotSignature struct{ predicateType string }

func (e errNotSignature) Error() string {
	return fmt.Sprintf("an attestation (predicate type %q), not a signature", e.predicateType)
}

// Verify looks for the image's signatures in both formats and returns the outcome:
//
//   - verified: a signature verified with key and names the image digest (Scheme says which
//     format; Detail says when it was the signature of the image index);
//   - unsigned: no signature was found;
//   - invalid: signatures were found and none verified (Detail says why: another key, a payload
//     for another digest, a corrupt signature, a keyless signature);
//   - error: the lookup failed (registry unreachable, 401, 403, unreadable layout; Detail names
//     it), so nothing can be said.
//
// Verify never fails otherwise; the result's Key is key.Name.
func Verify(ctx context.Context, t Target, key *Key) image.Signature {
	out := image.Signature{Status: image.SignatureError}
	if key == nil {
		out.Detail = "no public key to verify with"
		return out
	}
	out.Key = key.Name
	st, err := t.store()
	if err != nil {
		out.Detail = err.Error()
		return out
	}
	digest := t.Digest
	if digest == (v1.Hash{}) {
		if digest, err = st.resolve(ctx); err != nil {
			out.Detail = fmt.Sprintf("resolving %s: %s", t, describeErr(err))
			return out
		}
	}
	type subject struct {
		digest v1.Hash
		note   string // set for the index
	}
	subjects := []subject{{digest: digest}}
	var notes []string
	var lookups []string
	if t.Index != (v1.Hash{}) && t.Index != digest {
		switch err := st.indexLists(ctx, t.Index, digest); {
		case err == nil:
			subjects = append(subjects, subject{digest: t.Index, note: fmt.Sprintf("signature of the image index %s, which lists %s", t.Index, digest)})
		case errors.Is(err, errNotListed):
			notes = append(notes, fmt.Sprintf("the image index %s does not list %s: its signatures were not considered", t.Index, digest))
		default:
			lookups = append(lookups, fmt.Sprintf("image index %s: %s", t.Index, describeErr(err)))
		}
	}
	var rejected []rejection
	attestations := 0
	for _, s := range subjects {
		// Format 1: the .sig tag.
		sigs, err := st.simpleSignings(ctx, s.digest)
		if err != nil {
			lookups = append(lookups, fmt.Sprintf("%s signatures of %s: %s", SchemeTag, s.digest, describeErr(err)))
		}
		for i, sg := range sigs {
			err := sg.err
			if err == nil {
				err = verifySimpleSigning(key, sg.payload, sg.sig, s.digest)
			}
			if err == nil {
				out.Status, out.Scheme, out.Detail = image.SignatureVerified, SchemeTag, s.note
				return out
			}
			if sg.keyless && errors.Is(err, errBadSignature) {
				err = fmt.Errorf("%w (the layer carries a certificate: a keyless signature, which offline verification with a key cannot accept)", err)
			}
			rejected = append(rejected, rejection{SchemeTag, fmt.Sprintf("signature %d of %d on %s: %v", i+1, len(sigs), s.digest, err)})
		}
		// Format 2: Sigstore bundles in referrers.
		bundles, err := st.bundles(ctx, s.digest)
		if err != nil {
			lookups = append(lookups, fmt.Sprintf("%s referrers of %s: %s", SchemeBundle, s.digest, describeErr(err)))
		}
		for i, b := range bundles {
			err := b.err
			if err == nil {
				err = verifyBundle(key, b.raw, s.digest)
			}
			if err == nil {
				out.Status, out.Scheme, out.Detail = image.SignatureVerified, SchemeBundle, s.note
				return out
			}
			var ns errNotSignature
			if errors.As(err, &ns) {
				attestations++
				continue
			}
			rejected = append(rejected, rejection{SchemeBundle, fmt.Sprintf("bundle %d of %d (referrer %s) on %s: %v", i+1, len(bundles), b.manifest, s.digest, err)})
		}
	}
	if attestations > 0 {
		notes = append(notes, fmt.Sprintf("%d attestation bundle(s) signed with the key were skipped: they are not signatures of the image", attestations))
	}
	switch {
	case len(lookups) > 0:
		out.Status = image.SignatureError
		out.Detail = "looking up signatures in " + st.where() + ": " + strings.Join(lookups, "; ")
		if len(rejected) > 0 {
			out.Detail += "; and found signatures that do not verify: " + summarize(rejected)
		}
	case len(rejected) > 0:
		out.Status, out.Scheme = image.SignatureInvalid, rejected[0].scheme
		out.Detail = summarize(rejected)
	default:
		out.Status = image.SignatureUnsigned
		out.Detail = fmt.Sprintf("no signature of %s in %s (looked for %s)", digest, st.where(), st.lookedFor(digest))
	}
	if len(notes) > 0 {
		out.Detail += "; " + strings.Join(notes, "; ")
	}
	return out
}

// summarize joins the first rejections; the rest are counted.
func summarize(r []rejection) string {
	const show = 3
	var parts []string
	for i, x := range r {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(r)-show))
			break
		}
		parts = append(parts, x.scheme+" "+x.reason)
	}
	return strings.Join(parts, "; ")
}

// sigTag is the tag of cosign's signature image of digest: sha256-<hex>.sig.
func sigTag(d v1.Hash) string { return d.Algorithm + "-" + d.Hex + ".sig" }
