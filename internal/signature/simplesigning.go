package signature

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

var (
	// errBadSignature: the signature is not one of the payload by the key (another key, or a
	// changed payload or signature).
	errBadSignature = errors.New("signature does not verify with the key")
	// errDigestMismatch: the signature verifies, and names another image.
	errDigestMismatch = errors.New("signed for another image")
)

// verifySimpleSigning verifies one layer of a cosign .sig image: b64sig must be a signature of
// payload by the key, and payload a cosign simple-signing payload naming want. The signature is
// checked before the payload is interpreted: nothing unsigned is trusted.
func verifySimpleSigning(key *Key, raw []byte, b64sig string, want v1.Hash) error {
	if b64sig == "" {
		return fmt.Errorf("the layer has no %s annotation", SignatureAnnotation)
	}
	if len(raw) > maxPayload {
		return fmt.Errorf("payload of %d bytes is larger than %d", len(raw), maxPayload)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64sig))
	if err != nil {
		return fmt.Errorf("the %s annotation is not base64: %v", SignatureAnnotation, err)
	}
	if len(sig) == 0 {
		return fmt.Errorf("the %s annotation is empty", SignatureAnnotation)
	}
	if err := key.verifySignature(sig, raw); err != nil {
		return errBadSignature
	}
	var p payload.SimpleContainerImage
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("the signed payload is not simple-signing JSON: %v", err)
	}
	if p.Critical.Type != payload.CosignSignatureType {
		return fmt.Errorf("the signed payload's critical.type is %q, not %q", clip(p.Critical.Type), payload.CosignSignatureType)
	}
	got, err := v1.NewHash(p.Critical.Image.DockerManifestDigest)
	if err != nil {
		return fmt.Errorf("the signed payload's critical.image.docker-manifest-digest %q is not a digest: %v", clip(p.Critical.Image.DockerManifestDigest), err)
	}
	if got != want {
		return fmt.Errorf("%w: the signed payload names %s, not %s", errDigestMismatch, got, want)
	}
	return nil
}

// clip shortens untrusted strings quoted in messages.
func clip(s string) string {
	const max = 100
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
