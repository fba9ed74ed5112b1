package signature_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/signature"
	st "github.com/kube4c/kube4c/internal/signature/signaturetest"
)

// fixture is a loopback registry holding one image.
type fixture struct {
	repo   string // host:port/app
	ref    name.Reference
	digest v1.Hash
	priv   *ecdsa.PrivateKey
	key    *signature.Key
}

func newFixture(t *testing.T, referrers bool) *fixture {
	t.Helper()
	repo := st.Registry(t, referrers) + "/app"
	ref, d := st.PushImage(t, repo, "v1")
	priv, pubPath := st.GenerateKey(t)
	key, err := signature.LoadKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{repo: repo, ref: ref, digest: d, priv: priv, key: key}
}

func (f *fixture) verify(t *testing.T) image.Signature {
	t.Helper()
	return signature.Verify(context.Background(), signature.Target{Ref: f.ref}, f.key)
}

func otherKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, _ := st.GenerateKey(t)
	return k
}

func want(t *testing.T, got image.Signature, status, scheme string, detail ...string) {
	t.Helper()
	t.Logf("%s %s: %s", got.Status, got.Scheme, got.Detail)
	if got.Status != status || got.Scheme != scheme {
		t.Fatalf("got %+v, want status %q scheme %q", got, status, scheme)
	}
	for _, d := range detail {
		if !strings.Contains(got.Detail, d) {
			t.Fatalf("detail %q does not contain %q", got.Detail, d)
		}
	}
	if got.Key == "" {
		t.Fatalf("no key named in %+v", got)
	}
}

func TestTagScheme(t *testing.T) {
	t.Run("signed", func(t *testing.T) {
		f := newFixture(t, false)
		st.SignTag(t, f.repo, f.digest, f.priv)
		want(t, f.verify(t), image.SignatureVerified, signature.SchemeTag)
		// The caller knows the digest: no resolution, same answer.
		got := signature.Verify(context.Background(), signature.Target{Ref: f.ref, Digest: f.digest}, f.key)
		want(t, got, image.SignatureVerified, signature.SchemeTag)
	})
	t.Run("unsigned", func(t *testing.T) {
		f := newFixture(t, false)
		want(t, f.verify(t), image.SignatureUnsigned, "", "no signature of "+f.digest.String(), "sha256-"+f.digest.Hex+".sig")
	})
	t.Run("wrong key", func(t *testing.T) {
		f := newFixture(t, false)
		st.SignTag(t, f.repo, f.digest, otherKey(t))
		want(t, f.verify(t), image.SignatureInvalid, signature.SchemeTag, "signature does not verify with the key")
	})
	t.Run("one of several signatures verifies", func(t *testing.T) {
		f := newFixture(t, false)
		st.SignTag(t, f.repo, f.digest, otherKey(t))
		st.SignTag(t, f.repo, f.digest, f.priv)
		want(t, f.verify(t), image.SignatureVerified, signature.SchemeTag)
	})
	t.Run("payload changed after signing", func(t *testing.T) {
		f := newFixture(t, false)
		other := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}
		signed := st.Payload(f.repo, other)
		tampered := st.Payload(f.repo, f.digest)
		st.PushSignature(t, f.repo, f.digest, st.SignatureLayer{Payload: tampered, Signature: st.Sign(t, f.priv, signed)})
		want(t, f.verify(t), image.SignatureInvalid, signature.SchemeTag, "does not verify")
	})
	t.Run("signature of another image copied", func(t *testing.T) {
		f := newFixture(t, false)
		_, d2 := st.PushImage(t, f.repo, "v2")
		p := st.Payload(f.repo, d2) // a real signature, of the other image
		st.PushSignature(t, f.repo, f.digest, st.SignatureLayer{Payload: p, Signature: st.Sign(t, f.priv, p)})
		want(t, f.verify(t), image.SignatureInvalid, signature.SchemeTag, "the signed payload names "+d2.String()+", not "+f.digest.String())
	})
	t.Run("corrupt signature annotation", func(t *testing.T) {
		f := newFixture(t, false)
		p := st.Payload(f.repo, f.digest)
		st.PushSignature(t, f.repo, f.digest, st.SignatureLayer{Payload: p, Signature: "%%%not base64"})
		want(t, f.verify(t), image.SignatureInvalid, signature.SchemeTag, "not base64")
	})
	t.Run("signature bytes flipped", func(t *testing.T) {
		f := newFixture(t, false)
		p := st.Payload(f.repo, f.digest)
		sig := []byte(st.Sign(t, f.priv, p))
		sig[10] ^= 1
		st.PushSignature(t, f.repo, f.digest, st.SignatureLayer{Payload: p, Signature: string(sig)})
		want(t, f.verify(t), image.SignatureInvalid, signature.SchemeTag)
	})
	t.Run("another image pushed under the tag after signing", func(t *testing.T) {
		f := newFixture(t, false)
		st.SignTag(t, f.repo, f.digest, f.priv)
		_, d2 := st.PushImage(t, f.repo, "v1") // the tag moves; the signature stays with the old digest
		got := f.verify(t)
		want(t, got, image.SignatureUnsigned, "", "no signature of "+d2.String())
	})
	t.Run("not a cosign payload", func(t *testing.T) {
		f := newFixture(t, false)
		p := []byte(`{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"` + f.digest.String() + `"}}}`)
		st.PushSignature(t, f.repo, f.digest, st.SignatureLayer{Payload: p, Signature: st.Sign(t, f.priv, p)})
		want(t, f.verify(t), image.SignatureInvalid, signature.SchemeTag, `critical.type is "atomic container signature"`)
	})
}

func TestKeyTypes(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, priv := range map[string]crypto.Signer{"rsa": rk, "ed25519": edPriv} {
		t.Run(name, func(t *testing.T) {
			key, err := signature.LoadKey(st.WritePublicKey(t, priv.Public()))
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, false)
			st.SignTag(t, f.repo, f.digest, priv)
			want(t, signature.Verify(context.Background(), signature.Target{Ref: f.ref}, key), image.SignatureVerified, signature.SchemeTag)
			g := newFixture(t, true)
			st.SignBundle(t, g.repo, g.digest, priv)
			want(t, signature.Verify(context.Background(), signature.Target{Ref: g.ref}, key), image.SignatureVerified, signature.SchemeBundle)
		})
	}
}

func TestBundleScheme(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(fmt.Sprintf("referrers API %v", referrers), func(t *testing.T) {
			t.Run("signed", func(t *testing.T) {
				f := newFixture(t, referrers)
				st.SignBundle(t, f.repo, f.digest, f.priv)
				want(t, f.verify(t), image.SignatureVerified, signature.SchemeBundle)
			})
			t.Run("wrong key", func(t *testing.T) {
				f := newFixture(t, referrers)
				st.SignBundle(t, f.repo, f.digest, otherKey(t))
				want(t, f.verify(t), image.SignatureInvalid, signature.SchemeBundle, "signature does not verify with the key")
			})
			t.Run("statement about another image", func(t *testing.T) {
				f := newFixture(t, referrers)
				_, d2 := st.PushImage(t, f.repo, "v2")
				st.AttachBundle(t, f.repo, f.digest, st.CosignBundle(t, f.priv, d2))
				want(t, f.verify(t), image.SignatureInvalid, signature.SchemeBundle, "the signed statement is about "+d2.String()+", not "+f.digest.String())
			})
			t.Run("attestation is not a signature", func(t *testing.T) {
				f := newFixture(t, referrers)
				st.AttachBundle(t, f.repo, f.digest, st.DSSEBundle(t, f.priv, st.Statement(f.digest, "https://slsa.dev/provenance/v1")))
				want(t, f.verify(t), image.SignatureUnsigned, "", "1 attestation bundle(s) signed with the key were skipped")
			})
			t.Run("message signature of the manifest", func(t *testing.T) {
				f := newFixture(t, referrers)
				st.AttachBundle(t, f.repo, f.digest, st.MessageBundle(t, f.priv, f.digest))
				want(t, f.verify(t), image.SignatureVerified, signature.SchemeBundle)
			})
			t.Run("message signature of another manifest", func(t *testing.T) {
				f := newFixture(t, referrers)
				_, d2 := st.PushImage(t, f.repo, "v2")
				st.AttachBundle(t, f.repo, f.digest, st.MessageBundle(t, f.priv, d2))
				want(t, f.verify(t), image.SignatureInvalid, signature.SchemeBundle, "the bundle signs SHA2_256 "+d2.Hex)
			})
			t.Run("payload changed after signing", func(t *testing.T) {
				f := newFixture(t, referrers)
				b := st.CosignBundle(t, f.priv, f.digest)
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				env := m["dsseEnvelope"].(map[string]any)
				env["payloadType"] = "application/vnd.in-toto+json; charset=x" // changes the PAE
				b, _ = json.Marshal(m)
				st.AttachBundle(t, f.repo, f.digest, b)
				want(t, f.verify(t), image.SignatureInvalid, signature.SchemeBundle)
			})
			t.Run("garbage bundle", func(t *testing.T) {
				f := newFixture(t, referrers)
				st.AttachBundle(t, f.repo, f.digest, []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
				want(t, f.verify(t), image.SignatureInvalid, signature.SchemeBundle, "not a valid Sigstore bundle")
			})
		})
	}
}

func TestBothSchemes(t *testing.T) {
	f := newFixture(t, true)
	st.SignTag(t, f.repo, f.digest, otherKey(t)) // rejected
	st.SignBundle(t, f.repo, f.digest, f.priv)   // verified
	want(t, f.verify(t), image.SignatureVerified, signature.SchemeBundle)

	g := newFixture(t, true)
	st.SignTag(t, g.repo, g.digest, otherKey(t))
	st.SignBundle(t, g.repo, g.digest, otherKey(t))
	got := g.verify(t)
	want(t, got, image.SignatureInvalid, signature.SchemeTag, "cosign-tag signature 1 of 1", "cosign-bundle bundle 1 of 1")
}

func TestIndex(t *testing.T) {
	repo := st.Registry(t, false) + "/multi"
	idx, err := random.Index(128, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(repo + ":v1")
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()
	im, _ := idx.IndexManifest()
	child := im.Manifests[0].Digest
	priv, pub := st.GenerateKey(t)
	key, _ := signature.LoadKey(pub)
	st.SignTag(t, repo, idxDigest, priv) // cosign sign of a multi-arch tag signs the index

	got := signature.Verify(context.Background(), signature.Target{Ref: ref}, key)
	want(t, got, image.SignatureVerified, signature.SchemeTag)
	if got.Detail != "" {
		t.Fatalf("detail %q for a direct signature", got.Detail)
	}
	got = signature.Verify(context.Background(), signature.Target{Ref: ref, Digest: child, Index: idxDigest}, key)
	want(t, got, image.SignatureVerified, signature.SchemeTag, "signature of the image index "+idxDigest.String())
	got = signature.Verify(context.Background(), signature.Target{Ref: ref, Digest: child}, key)
	want(t, got, image.SignatureUnsigned, "")
	// An index that does not list the manifest lends it no signature.
	_, stranger := st.PushImage(t, repo, "other")
	got = signature.Verify(context.Background(), signature.Target{Ref: ref, Digest: stranger, Index: idxDigest}, key)
	want(t, got, image.SignatureUnsigned, "", "does not list "+stranger.String())
}

func TestLookupErrors(t *testing.T) {
	priv, pub := st.GenerateKey(t)
	_ = priv
	key, _ := signature.LoadKey(pub)
	fast := remote.WithRetryBackoff(remote.Backoff{Steps: 1})

	t.Run("registry down", func(t *testing.T) {
		s := httptest.NewServer(http.NotFoundHandler())
		host := strings.TrimPrefix(s.URL, "http://")
		s.Close()
		ref, _ := name.ParseReference(host + "/app:v1")
		got := signature.Verify(context.Background(), signature.Target{Ref: ref, Remote: []remote.Option{fast}}, key)
		want(t, got, image.SignatureError, "", "resolving "+host+"/app:v1", "registry unreachable")
		d := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}
		got = signature.Verify(context.Background(), signature.Target{Ref: ref, Digest: d, Remote: []remote.Option{fast}}, key)
		want(t, got, image.SignatureError, "", "looking up signatures in "+host+"/app", "registry unreachable")
	})
	t.Run("401", func(t *testing.T) {
		reg := st.Registry(t, false)
		ref, d := st.PushImage(t, reg+"/app", "v1")
		st.SignTag(t, reg+"/app", d, priv)
		locked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
		}))
		defer locked.Close()
		lref, _ := name.ParseReference(strings.TrimPrefix(locked.URL, "http://") + "/app@" + d.String())
		got := signature.Verify(context.Background(), signature.Target{Ref: lref, Remote: []remote.Option{fast}}, key)
		want(t, got, image.SignatureError, "", "401 Unauthorized")
		_ = ref
	})
	t.Run("403 on the referrers lookup after a rejected tag signature", func(t *testing.T) {
		reg := st.Registry(t, false)
		_, d := st.PushImage(t, reg+"/app", "v1")
		st.SignTag(t, reg+"/app", d, otherKey(t))
		target, _ := http.NewRequest(http.MethodGet, "http://"+reg, nil)
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/referrers/") || strings.Contains(r.URL.Path, "/manifests/sha256-"+d.Hex) && !strings.HasSuffix(r.URL.Path, ".sig") {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"denied"}]}`, http.StatusForbidden)
				return
			}
			r.URL.Scheme, r.URL.Host = "http", target.URL.Host
			resp, err := http.DefaultTransport.RoundTrip(r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
		}))
		defer proxy.Close()
		pref, _ := name.ParseReference(strings.TrimPrefix(proxy.URL, "http://") + "/app@" + d.String())
		got := signature.Verify(context.Background(), signature.Target{Ref: pref, Remote: []remote.Option{fast}}, key)
		want(t, got, image.SignatureError, "", "403 Forbidden", "found signatures that do not verify")
	})
	t.Run("interrupted", func(t *testing.T) {
		f := newFixture(t, false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got := signature.Verify(ctx, signature.Target{Ref: f.ref, Remote: []remote.Option{fast}}, f.key)
		want(t, got, image.SignatureError, "")
	})
	t.Run("no key, no target", func(t *testing.T) {
		if got := signature.Verify(context.Background(), signature.Target{}, nil); got.Status != image.SignatureError {
			t.Fatalf("%+v", got)
		}
		if got := signature.Verify(context.Background(), signature.Target{}, key); got.Status != image.SignatureError || !strings.Contains(got.Detail, "no registry reference") {
			t.Fatalf("%+v", got)
		}
	})
}

func TestLayout(t *testing.T) {
	priv, pub := st.GenerateKey(t)
	key, _ := signature.LoadKey(pub)
	verify := func(dir string) image.Signature {
		return signature.Verify(context.Background(), signature.Target{Layout: dir}, key)
	}
	t.Run("signed with the tag scheme", func(t *testing.T) {
		dir, d := st.Layout(t, st.RandomImage(t))
		st.SignLayout(t, dir, d, priv)
		want(t, verify(dir), image.SignatureVerified, signature.SchemeTag)
	})
	t.Run("signed with a bundle", func(t *testing.T) {
		dir, d := st.Layout(t, st.RandomImage(t))
		st.SignLayoutBundle(t, dir, d, priv)
		want(t, verify(dir), image.SignatureVerified, signature.SchemeBundle)
	})
	t.Run("unsigned", func(t *testing.T) {
		dir, d := st.Layout(t, st.RandomImage(t))
		want(t, verify(dir), image.SignatureUnsigned, "", "no signature of "+d.String()+" in OCI layout "+dir)
	})
	t.Run("wrong key", func(t *testing.T) {
		dir, d := st.Layout(t, st.RandomImage(t))
		st.SignLayout(t, dir, d, otherKey(t))
		st.SignLayoutBundle(t, dir, d, otherKey(t))
		want(t, verify(dir), image.SignatureInvalid, signature.SchemeTag, "does not verify")
	})
	t.Run("signature of another image", func(t *testing.T) {
		dir, _ := st.Layout(t, st.RandomImage(t))
		other := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("c", 64)}
		st.SignLayout(t, dir, other, priv)
		want(t, verify(dir), image.SignatureInvalid, signature.SchemeTag, "names "+other.String())
	})
	t.Run("bundle blob altered", func(t *testing.T) {
		dir, d := st.Layout(t, st.RandomImage(t))
		b := st.CosignBundle(t, priv, d)
		st.AttachLayoutBundle(t, dir, d, b)
		h, _, _ := v1.SHA256(strings.NewReader(string(b)))
		p := filepath.Join(dir, "blobs", "sha256", h.Hex)
		if err := os.WriteFile(p, append(b, ' '), 0o644); err != nil {
			t.Fatal(err)
		}
		want(t, verify(dir), image.SignatureInvalid, signature.SchemeBundle, "does not match its digest")
	})
	t.Run("digest given by the caller", func(t *testing.T) {
		dir, d := st.Layout(t, st.RandomImage(t))
		st.SignLayoutBundle(t, dir, d, priv)
		got := signature.Verify(context.Background(), signature.Target{Layout: dir, Digest: d}, key)
		want(t, got, image.SignatureVerified, signature.SchemeBundle)
	})
	t.Run("not a layout", func(t *testing.T) {
		got := verify(t.TempDir())
		want(t, got, image.SignatureError, "", "not an OCI layout")
	})
	t.Run("several images", func(t *testing.T) {
		dir, _ := st.Layout(t, st.RandomImage(t))
		raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
		// Drop cosign's annotation and add a second image.
		var idx map[string]any
		_ = json.Unmarshal(raw, &idx)
		ms := idx["manifests"].([]any)
		delete(ms[0].(map[string]any), "annotations")
		idx["manifests"] = append(ms, ms[0])
		raw, _ = json.Marshal(idx)
		_ = os.WriteFile(filepath.Join(dir, "index.json"), raw, 0o644)
		_, err := signature.Target{Layout: dir}.Resolve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "holds 2 images") {
			t.Fatalf("Resolve: %v", err)
		}
	})
}

func TestResolve(t *testing.T) {
	f := newFixture(t, false)
	d, err := signature.Target{Ref: f.ref}.Resolve(context.Background())
	if err != nil || d != f.digest {
		t.Fatalf("Resolve = %v, %v; want %v", d, err, f.digest)
	}
	byDigest, _ := name.ParseReference(f.repo + "@" + f.digest.String())
	if d, err := (signature.Target{Ref: byDigest}).Resolve(context.Background()); err != nil || d != f.digest {
		t.Fatalf("Resolve by digest = %v, %v", d, err)
	}
	missing, _ := name.ParseReference(f.repo + ":nope")
	if _, err := (signature.Target{Ref: missing}).Resolve(context.Background()); err == nil {
		t.Fatal("a missing tag resolved")
	}
}

// The image a layout signature was made for is the one cosign save wrote; a modified image in the
// layout (another digest) is not covered.
func TestLayoutImageReplaced(t *testing.T) {
	priv, pub := st.GenerateKey(t)
	key, _ := signature.LoadKey(pub)
	img := st.RandomImage(t)
	dir, d := st.Layout(t, img)
	st.SignLayout(t, dir, d, priv)
	changed, err := mutate.Config(img, v1.Config{User: "root"})
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := changed.Digest()
	got := signature.Verify(context.Background(), signature.Target{Layout: dir, Digest: d2}, key)
	want(t, got, image.SignatureInvalid, signature.SchemeTag, "names "+d.String()+", not "+d2.String())
}
