package signature

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// recoverPanics turns a panic while reading a bundle into a rejection (false in FuzzBundle, to
// see them).
var recoverPanics = true

// verifyBundle verifies a Sigstore bundle (JSON) with the key, offline: the signature must verify
// with the key, and the signed content must name want — the subject of a DSSE in-toto statement of
// predicate type CosignSignPredicateType, or the digest a message signature signs. Transparency
// log entries and timestamps the bundle may carry are not checked (that needs Rekor's and the
// timestamp authority's keys); a bundle signed with a certificate (keyless) is refused.
func verifyBundle(key *Key, raw []byte, want v1.Hash) (err error) {
	if len(raw) > maxBundle {
		return fmt.Errorf("bundle of %d bytes is larger than %d", len(raw), maxBundle)
	}
	if recoverPanics {
		defer func() {
			// sigstore-go and its protobuf decoder are fuzzed upstream; this is the last line of
			// defence for a verifier that reads registry content.
			if r := recover(); r != nil {
				err = fmt.Errorf("malformed bundle (%v)", r)
			}
		}()
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return fmt.Errorf("not a valid Sigstore bundle: %v", err)
	}
	vc, err := b.VerificationContent()
	if err != nil {
		return fmt.Errorf("bundle verification material: %v", err)
	}
	if vc.Certificate() != nil {
		return errors.New("signed with a certificate (keyless): offline verification with a key cannot accept it (it needs Fulcio's root and Rekor)")
	}
	if vc.PublicKey() == nil {
		return errors.New("the bundle names no public key")
	}
	sc, err := b.SignatureContent()
	if err != nil {
		return fmt.Errorf("bundle content: %v", err)
	}
	digest, err := hex.DecodeString(want.Hex)
	if err != nil {
		return fmt.Errorf("image digest %s: %v", want, err)
	}
	if msg := sc.MessageSignatureContent(); msg != nil {
		// The digest in a message signature is a hint, but sigstore-go requires it to equal the
		// artifact digest; saying so is clearer than "does not verify".
		if want.Algorithm != "sha256" || msg.DigestAlgorithm() != "SHA2_256" || !bytes.Equal(msg.Digest(), digest) {
			return fmt.Errorf("%w: the bundle signs %s %x, not %s", errDigestMismatch, msg.DigestAlgorithm(), clipBytes(msg.Digest()), want)
		}
	}
	policy := verify.NewPolicy(verify.WithArtifactDigest(want.Algorithm, digest), verify.WithKey())
	var verr error
	for _, sv := range key.verifiers {
		v, err := newKeyVerifier(sv)
		if err != nil {
			return err
		}
		res, err := v.Verify(&b, policy)
		if err != nil {
			verr = err
			continue
		}
		if env := sc.EnvelopeContent(); env != nil {
			st := res.Statement
			if st == nil {
				return errors.New("the DSSE envelope holds no in-toto statement")
			}
			// sigstore-go checked the subject; check again, the statement is what cosign signs.
			named := false
			for _, s := range st.GetSubject() {
				named = named || s.GetDigest()[want.Algorithm] == want.Hex
			}
			if !named {
				return fmt.Errorf("%w: the statement's subjects do not include %s", errDigestMismatch, want)
			}
			if pt := st.GetPredicateType(); pt != CosignSignPredicateType {
				return errNotSignature{predicateType: clip(pt)}
			}
		}
		return nil
	}
	// Say why: a signature of other content by the key, or not the key's signature.
	if env := sc.EnvelopeContent(); env != nil {
		for _, sv := range key.verifiers {
			v, err := newKeyVerifier(sv)
			if err != nil {
				return err
			}
			res, err := v.Verify(&b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithKey()))
			if err != nil || res.Statement == nil {
				continue
			}
			var names []string
			for _, s := range res.Statement.GetSubject() {
				for alg, d := range s.GetDigest() {
					names = append(names, clip(alg+":"+d))
				}
			}
			slices.Sort(names)
			if len(names) > 3 {
				names = append(names[:3], "...")
			}
			return fmt.Errorf("%w: the signed statement is about %s, not %s", errDigestMismatch, strings.Join(names, ", "), want)
		}
	}
	return fmt.Errorf("%w (%v)", errBadSignature, verr)
}

// newKeyVerifier is a sigstore-go verifier that trusts one key, whatever hint the bundle gives,
// and requires no timestamp: there is none to check offline with a key.
func newKeyVerifier(sv sigsig.Verifier) (*verify.Verifier, error) {
	tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	v, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps(), verify.WithoutStatementPredicate())
	if err != nil {
		return nil, fmt.Errorf("sigstore-go verifier: %w", err)
	}
	return v, nil
}

func clipBytes(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
