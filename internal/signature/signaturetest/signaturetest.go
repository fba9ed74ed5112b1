// Package signaturetest signs images the way cosign does, for tests: a key pair written as
// cosign.pub, cosign's .sig tag (simple signing) and cosign v3's Sigstore bundle referrers, pushed
// to a registry or written into an OCI layout (as cosign save lays it out). It also serves a
// registry on loopback.
package signaturetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// Format constants (the same values as package signature's; repeated so that a typo there fails
// the tests instead of being copied into them).
const (
	signatureAnnotation     = "dev.cosignproject.cosign/signature"
	simpleSigningMediaType  = "application/vnd.dev.cosign.simplesigning.v1+json"
	bundleMediaType         = "application/vnd.dev.sigstore.bundle.v0.3+json"
	cosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	inTotoPayloadType       = "application/vnd.in-toto+json"
	inTotoStatementV1       = "https://in-toto.io/Statement/v1"
	emptyMediaType          = "application/vnd.oci.empty.v1+json"
)

// Registry serves an in-memory registry (go-containerregistry's pkg/registry) on loopback until
// the test ends and returns its host:port. referrers enables the OCI 1.1 referrers API; without it
// clients fall back to the sha256-<hex> referrers tag.
func Registry(t testing.TB, referrers bool) string {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrers))
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// GenerateKey makes an ECDSA P-256 key pair, as cosign generate-key-pair does, and writes the
// public key as PEM (cosign.pub) in a temporary directory.
func GenerateKey(t testing.TB) (*ecdsa.PrivateKey, string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv, WritePublicKey(t, priv.Public())
}

// WritePublicKey writes pub as a PEM PUBLIC KEY file in a temporary directory.
func WritePublicKey(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// PushImage pushes a small random image to repo (host:port/name) under tag and returns its
// reference by tag and its digest.
func PushImage(t testing.TB, repo, tag string) (name.Reference, v1.Hash) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref, d
}

// Payload is the simple-signing payload cosign signs for digest in repo.
func Payload(repo string, digest v1.Hash) []byte {
	b, err := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": repo},
			"image":    map[string]string{"docker-manifest-digest": digest.String()},
			"type":     "cosign container image signature",
		},
		"optional": nil,
	})
	if err != nil {
		panic(err)
	}
	return b
}

// Sign signs data with priv as cosign does (SHA-256; Ed25519 signs the data itself) and returns
// the signature in base64.
func Sign(t testing.TB, priv crypto.Signer, data []byte) string {
	t.Helper()
	s, err := sigsig.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.SignMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// SignatureLayer is one layer of a .sig image: a payload and its base64 signature.
type SignatureLayer struct {
	Payload   []byte
	Signature string
}

// SignatureImage appends layers to base (nil: a new, empty signature image, as cosign makes).
func SignatureImage(t testing.TB, base v1.Image, layers ...SignatureLayer) v1.Image {
	t.Helper()
	if base == nil {
		base = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	img := base
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:       static.NewLayer(l.Payload, simpleSigningMediaType),
			Annotations: map[string]string{signatureAnnotation: l.Signature},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// SigTag is the tag of the .sig image of digest in repo.
func SigTag(t testing.TB, repo string, digest v1.Hash) name.Tag {
	t.Helper()
	tag, err := name.NewTag(fmt.Sprintf("%s:%s-%s.sig", repo, digest.Algorithm, digest.Hex))
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// PushSignature appends a layer to the .sig image of tagDigest in repo (creating it), as cosign
// sign --new-bundle-format=false does.
func PushSignature(t testing.TB, repo string, tagDigest v1.Hash, l SignatureLayer, opts ...remote.Option) {
	t.Helper()
	tag := SigTag(t, repo, tagDigest)
	var base v1.Image
	if img, err := remote.Image(tag, opts...); err == nil {
		base = img
	}
	if err := remote.Write(tag, SignatureImage(t, base, l), opts...); err != nil {
		t.Fatal(err)
	}
}

// SignTag signs digest in repo (host:port/name) with priv as cosign sign
// --new-bundle-format=false does: a simple-signing layer appended to the sha256-<hex>.sig image.
func SignTag(t testing.TB, repo string, digest v1.Hash, priv crypto.Signer, opts ...remote.Option) {
	t.Helper()
	p := Payload(repo, digest)
	PushSignature(t, repo, digest, SignatureLayer{Payload: p, Signature: Sign(t, priv, p)}, opts...)
}

// Statement is the in-toto statement cosign v3 signs for an image: subject the digest,
// predicate type https://sigstore.dev/cosign/sign/v1.
func Statement(digest v1.Hash, predicateType string) []byte {
	b, err := json.Marshal(map[string]any{
		"_type":         inTotoStatementV1,
		"subject":       []any{map[string]any{"digest": map[string]string{digest.Algorithm: digest.Hex}}},
		"predicateType": predicateType,
		"predicate":     map[string]any{},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// DSSEBundle signs payload in a DSSE envelope (payload type in-toto) with priv and returns the
// Sigstore bundle v0.3 JSON, with the public key as verification material (as cosign sign --key
// writes it with no transparency log).
func DSSEBundle(t testing.TB, priv crypto.Signer, payload []byte) []byte {
	t.Helper()
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(inTotoPayloadType), inTotoPayloadType, len(payload), payload)
	sig, err := base64.StdEncoding.DecodeString(Sign(t, priv, []byte(pae)))
	if err != nil {
		t.Fatal(err)
	}
	b := &protobundle.Bundle{
		MediaType:            bundleMediaType,
		VerificationMaterial: keyMaterial(t, priv),
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     payload,
			PayloadType: inTotoPayloadType,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return marshalBundle(t, b)
}

// MessageBundle signs the SHA-256 digest of an image (a signature of its manifest) with priv
// and returns the Sigstore bundle v0.3 JSON with a message signature.
func MessageBundle(t testing.TB, priv *ecdsa.PrivateKey, digest v1.Hash) []byte {
	t.Helper()
	d, err := hexBytes(digest.Hex)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ecdsa.SignASN1(rand.Reader, priv, d)
	if err != nil {
		t.Fatal(err)
	}
	b := &protobundle.Bundle{
		MediaType:            bundleMediaType,
		VerificationMaterial: keyMaterial(t, priv),
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: d},
			Signature:     sig,
		}},
	}
	return marshalBundle(t, b)
}

func keyMaterial(t testing.TB, priv crypto.Signer) *protobundle.VerificationMaterial {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{
			Hint: base64.StdEncoding.EncodeToString(sum[:]),
		}},
	}
}

func marshalBundle(t testing.TB, b *protobundle.Bundle) []byte {
	t.Helper()
	raw, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// CosignBundle is the bundle cosign v3 (cosign sign --key) makes for digest.
func CosignBundle(t testing.TB, priv crypto.Signer, digest v1.Hash) []byte {
	t.Helper()
	return DSSEBundle(t, priv, Statement(digest, cosignSignPredicateType))
}

// ReferrerManifest is the OCI 1.1 manifest cosign v3 attaches: artifactType and single layer the
// bundle media type, the empty config, subject the image.
func ReferrerManifest(subject v1.Descriptor, bundle []byte, predicateType string) (raw []byte, layers map[v1.Hash][]byte) {
	bh, bsize, _ := v1.SHA256(strings.NewReader(string(bundle)))
	empty := []byte("{}")
	eh, esize, _ := v1.SHA256(strings.NewReader(string(empty)))
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     string(types.OCIManifestSchema1),
		"artifactType":  bundleMediaType,
		"config":        map[string]any{"mediaType": emptyMediaType, "digest": eh.String(), "size": esize, "artifactType": bundleMediaType},
		"layers": []any{map[string]any{
			"mediaType": bundleMediaType, "digest": bh.String(), "size": bsize,
			"annotations": map[string]string{"org.opencontainers.image.title": bh.Algorithm + "-" + bh.Hex + ".sigstore.json"},
		}},
		"subject": map[string]any{"mediaType": string(subject.MediaType), "digest": subject.Digest.String(), "size": subject.Size},
		"annotations": map[string]string{
			"dev.sigstore.bundle.content":       "dsse-envelope",
			"dev.sigstore.bundle.predicateType": predicateType,
			"org.opencontainers.image.created":  time.Now().UTC().Format(time.RFC3339),
		},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return raw, map[v1.Hash][]byte{bh: bundle, eh: empty}
}

// AttachBundle pushes bundle to repo as a referrer of digest, as cosign v3 does (through the
// referrers API, or the referrers tag where the registry has no referrers API).
func AttachBundle(t testing.TB, repo string, digest v1.Hash, bundle []byte, opts ...remote.Option) {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := remote.Head(r.Digest(digest.String()), opts...)
	if err != nil {
		t.Fatal(err)
	}
	raw, blobs := ReferrerManifest(*subject, bundle, cosignSignPredicateType)
	for _, b := range blobs {
		if err := remote.WriteLayer(r, static.NewLayer(b, types.MediaType(bundleMediaType)), opts...); err != nil {
			t.Fatal(err)
		}
	}
	h, _, _ := v1.SHA256(strings.NewReader(string(raw)))
	if err := remote.Put(r.Digest(h.String()), rawManifest(raw), opts...); err != nil {
		t.Fatal(err)
	}
}

// SignBundle signs digest in repo with priv as cosign v3's cosign sign --key does: a bundle
// referrer.
func SignBundle(t testing.TB, repo string, digest v1.Hash, priv crypto.Signer, opts ...remote.Option) {
	t.Helper()
	AttachBundle(t, repo, digest, CosignBundle(t, priv, digest), opts...)
}

type rawManifest []byte

func (r rawManifest) RawManifest() ([]byte, error) { return r, nil }
func (r rawManifest) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}

// Layout writes img in a new OCI layout directory as cosign save does (index.json entry annotated
// kind: dev.cosignproject.cosign/image) and returns the directory and the image digest.
func Layout(t testing.TB, img v1.Image) (string, v1.Hash) {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"kind": "dev.cosignproject.cosign/image"})); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return dir, d
}

// RandomImage is a small random image.
func RandomImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// AppendLayoutSignature adds a signature image with layers to the layout (index.json entry
// annotated kind: dev.cosignproject.cosign/sigs).
func AppendLayoutSignature(t testing.TB, dir string, layers ...SignatureLayer) {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(SignatureImage(t, nil, layers...), layout.WithAnnotations(map[string]string{"kind": "dev.cosignproject.cosign/sigs"})); err != nil {
		t.Fatal(err)
	}
}

// SignLayout signs digest with priv in the layout, as cosign save writes a signature made with
// cosign sign --new-bundle-format=false.
func SignLayout(t testing.TB, dir string, digest v1.Hash, priv crypto.Signer) {
	t.Helper()
	p := Payload("registry.example/app", digest)
	AppendLayoutSignature(t, dir, SignatureLayer{Payload: p, Signature: Sign(t, priv, p)})
}

// AttachLayoutBundle writes bundle into the layout as a referrer of digest (the referrer manifest
// and the bundle in blobs/sha256, as cosign save writes them).
func AttachLayoutBundle(t testing.TB, dir string, digest v1.Hash, bundle []byte) {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	subject := v1.Descriptor{Digest: digest, MediaType: types.OCIManifestSchema1}
	for _, d := range im.Manifests {
		if d.Digest == digest {
			subject = d
		}
	}
	raw, blobs := ReferrerManifest(subject, bundle, cosignSignPredicateType)
	blobs[mustHash(raw)] = raw
	for h, b := range blobs {
		if err := p.WriteBlob(h, io.NopCloser(strings.NewReader(string(b)))); err != nil {
			t.Fatal(err)
		}
	}
}

// SignLayoutBundle signs digest with priv in the layout as cosign v3 does (a bundle referrer).
func SignLayoutBundle(t testing.TB, dir string, digest v1.Hash, priv crypto.Signer) {
	t.Helper()
	AttachLayoutBundle(t, dir, digest, CosignBundle(t, priv, digest))
}

func mustHash(b []byte) v1.Hash {
	h, _, err := v1.SHA256(strings.NewReader(string(b)))
	if err != nil {
		panic(err)
	}
	return h
}

func hexBytes(s string) ([]byte, error) { return hex.DecodeString(s) }
