package signature_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/signature"
	st "github.com/kube4c/kube4c/internal/signature/signaturetest"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

// Bundles made by sigstore-go's own signer (the code cosign v3 signs with), not by the test
// helper: a DSSE in-toto statement as cosign sign writes it, and a message signature of the
// manifest, each with a key of sigstore-go's.
func TestSigstoreGoBundles(t *testing.T) {
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := kp.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(pubPath, []byte(pem), 0o644); err != nil {
		t.Fatal(err)
	}
	key, err := signature.LoadKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		content func(manifest []byte, f *fixture) sign.Content
	}{
		{"dsse statement", func(_ []byte, f *fixture) sign.Content {
			return &sign.DSSEData{Data: st.Statement(f.digest, signature.CosignSignPredicateType), PayloadType: signature.InTotoPayloadType}
		}},
		{"message signature of the manifest", func(m []byte, _ *fixture) sign.Content {
			return &sign.PlainData{Data: m}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true)
			desc, err := remote.Get(f.ref)
			if err != nil {
				t.Fatal(err)
			}
			pb, err := sign.Bundle(tc.content(desc.Manifest, f), kp, sign.BundleOptions{})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := protojson.Marshal(pb)
			if err != nil {
				t.Fatal(err)
			}
			st.AttachBundle(t, f.repo, f.digest, raw)
			want(t, signature.Verify(context.Background(), signature.Target{Ref: f.ref}, key), image.SignatureVerified, signature.SchemeBundle)
			want(t, signature.Verify(context.Background(), signature.Target{Ref: f.ref}, f.key), image.SignatureInvalid, signature.SchemeBundle)
		})
	}
}
