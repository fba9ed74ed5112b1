package signature

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	st "github.com/kube4c/kube4c/internal/signature/signaturetest"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

var (
	fuzzDigest = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	fuzzOther  = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("cd", 32)}
)

func fuzzKey(f *testing.F) (*Key, func(data []byte) string) {
	f.Helper()
	priv, pub := st.GenerateKey(f)
	key, err := LoadKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	return key, func(data []byte) string { return st.Sign(f, priv, data) }
}

// FuzzPayload feeds arbitrary simple-signing payloads and signature annotations to the .sig
// layer check: it must never panic, and must accept only a payload signed by the key that names
// the image.
func FuzzPayload(f *testing.F) {
	key, sign := fuzzKey(f)
	good := st.Payload("registry.example/app", fuzzDigest)
	other := st.Payload("registry.example/app", fuzzOther)
	odd := []byte(`{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":"sha256:zz"}},"optional":{"a":[1,{"b":null}]}}`)
	f.Add(good, sign(good))
	f.Add(other, sign(other))
	f.Add(odd, sign(odd))
	f.Add(good, sign(other))
	f.Add([]byte("{}"), sign([]byte("{}")))
	f.Add([]byte(`{"critical":null}`), "")
	f.Add([]byte("null"), sign([]byte("null")))
	f.Add(good, "AAAA")
	f.Add(good, " "+sign(good)+"\n")
	f.Add([]byte{0xff, 0xfe}, "%%%")
	f.Fuzz(func(t *testing.T, raw []byte, b64 string) {
		err := verifySimpleSigning(key, raw, b64, fuzzDigest)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var p payload.SimpleContainerImage
		if json.Unmarshal(raw, &p) != nil || p.Critical.Type != payload.CosignSignatureType || p.Critical.Image.DockerManifestDigest != fuzzDigest.String() {
			t.Fatalf("accepted %q", raw)
		}
	})
}

// FuzzBundle feeds arbitrary bytes as a Sigstore bundle: never a panic (sigstore-go included:
// panics are not recovered here), and only a cosign signature of the image verifies.
func FuzzBundle(f *testing.F) {
	recoverPanics = false
	f.Cleanup(func() { recoverPanics = true })
	priv, pub := st.GenerateKey(f)
	key, err := LoadKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(st.CosignBundle(f, priv, fuzzDigest))
	f.Add(st.CosignBundle(f, priv, fuzzOther))
	f.Add(st.MessageBundle(f, priv, fuzzDigest))
	f.Add(st.DSSEBundle(f, priv, st.Statement(fuzzDigest, "https://slsa.dev/provenance/v1")))
	f.Add(st.DSSEBundle(f, priv, []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"zz"}}]}`)))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{"publicKey":{"hint":""}},"dsseEnvelope":{"payload":"","payloadType":"","signatures":[]}}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := verifyBundle(key, raw, fuzzDigest)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !strings.Contains(string(raw), "dsseEnvelope") && !strings.Contains(string(raw), "dsse_envelope") && !strings.Contains(string(raw), "messageSignature") && !strings.Contains(string(raw), "message_signature") {
			t.Fatalf("accepted a bundle without content: %q", raw)
		}
	})
}
