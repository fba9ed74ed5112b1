package main

// End-to-end tests of kube4c image verify against a registry on loopback (go-containerregistry's
// pkg/registry) and OCI layouts, with keys and signatures made as cosign makes them.
//
//	go test ./cmd/kube4c -run ImageVerify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/image"
	st "github.com/kube4c/kube4c/internal/signature/signaturetest"
	"github.com/spf13/cobra"
)

var (
	imageVerifyOnce     sync.Once
	imageVerifyInBinary bool
)

// imageVerify runs kube4c image verify ARGS: the binary when it has the command, otherwise the
// command in process under a root that maps errors to exit codes as run does.
func imageVerify(t *testing.T, args ...string) runResult {
	t.Helper()
	imageVerifyOnce.Do(func() {
		r := kube4c(t, t.TempDir(), nil, "image", "verify", "--help")
		imageVerifyInBinary = r.code == 0 && strings.Contains(r.stdout, "--oci-layout")
	})
	full := append([]string{"image", "verify"}, args...)
	if imageVerifyInBinary {
		return kube4c(t, t.TempDir(), nil, full...)
	}
	var out, errb bytes.Buffer
	root := &cobra.Command{Use: "kube4c", SilenceUsage: true, SilenceErrors: true}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &codeError{code: exitError, err: err} })
	img := &cobra.Command{Use: "image"}
	img.AddCommand(newImageVerifyCmd())
	root.AddCommand(img)
	root.SetArgs(full)
	root.SetOut(&out)
	root.SetErr(&errb)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := exitOK
	if err := root.ExecuteContext(ctx); err != nil {
		code = exitError
		var ce *codeError
		if errors.As(err, &ce) {
			code = ce.code
			if ce.err != nil {
				errb.WriteString("kube4c: " + ce.err.Error() + "\n")
			}
		} else {
			errb.WriteString("kube4c: " + err.Error() + "\n")
		}
	}
	return runResult{stdout: out.String(), stderr: errb.String(), code: code}
}

func verifyJSON(t *testing.T, r runResult) imageVerifyResult {
	t.Helper()
	var res imageVerifyResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	return res
}

func TestImageVerifyE2E(t *testing.T) {
	reg := st.Registry(t, true)
	repo := reg + "/shop/api"
	ref, digest := st.PushImage(t, repo, "1.0")
	priv, pub := st.GenerateKey(t)
	_, otherPub := st.GenerateKey(t)

	// Unsigned: exit 1, a security failure.
	args := []string{ref.String(), "--key", pub}
	r := imageVerify(t, args...)
	wantCode(t, r, exitFindings, args...)
	if !strings.Contains(r.stdout, "unsigned") || !strings.Contains(r.stdout, digest.String()) {
		t.Fatalf("unsigned output:\n%s", r)
	}

	// Signed with cosign's .sig tag: exit 0, the digest and the scheme printed.
	st.SignTag(t, repo, digest, priv)
	r = imageVerify(t, args...)
	wantCode(t, r, exitOK, args...)
	for _, s := range []string{"DIGEST  " + digest.String(), "STATUS  verified", "SCHEME  cosign-tag", "KEY     " + pub} {
		if !strings.Contains(r.stdout, s) {
			t.Fatalf("output lacks %q:\n%s", s, r)
		}
	}
	jargs := append(append([]string{}, args...), "-o", "json")
	r = imageVerify(t, jargs...)
	wantCode(t, r, exitOK, jargs...)
	if res := verifyJSON(t, r); res.Digest != digest.String() || res.Signature.Status != image.SignatureVerified || res.Signature.Scheme != "cosign-tag" || res.Image != ref.String() {
		t.Fatalf("JSON result %+v", res)
	}

	// By digest, and with another key.
	byDigest := repo + "@" + digest.String()
	r = imageVerify(t, byDigest, "--key", pub)
	wantCode(t, r, exitOK, byDigest)
	r = imageVerify(t, byDigest, "--key", otherPub, "-o", "json")
	wantCode(t, r, exitFindings, byDigest, "--key", otherPub)
	if res := verifyJSON(t, r); res.Signature.Status != image.SignatureInvalid || !strings.Contains(res.Signature.Detail, "does not verify") {
		t.Fatalf("wrong key: %+v", res.Signature)
	}

	// Tamper: another image pushed under the signed tag. The tag now names an unsigned digest.
	_, moved := st.PushImage(t, repo, "1.0")
	r = imageVerify(t, args...)
	wantCode(t, r, exitFindings, args...)
	if !strings.Contains(r.stdout, moved.String()) || !strings.Contains(r.stdout, "unsigned") {
		t.Fatalf("moved tag:\n%s", r)
	}
	// Tamper: the old image's signature copied to the new digest's .sig tag: it names the old one.
	p := st.Payload(repo, digest)
	st.PushSignature(t, repo, moved, st.SignatureLayer{Payload: p, Signature: st.Sign(t, priv, p)})
	r = imageVerify(t, args...)
	wantCode(t, r, exitFindings, args...)
	if !strings.Contains(r.stdout, "invalid") || !strings.Contains(r.stdout, "names "+digest.String()+", not "+moved.String()) {
		t.Fatalf("copied signature:\n%s", r)
	}

	// cosign v3's format: a bundle referrer. The copied tag signature above is rejected, the
	// bundle verifies.
	st.SignBundle(t, repo, moved, priv)
	r = imageVerify(t, args...)
	wantCode(t, r, exitOK, args...)
	if !strings.Contains(r.stdout, "SCHEME  cosign-bundle") {
		t.Fatalf("bundle:\n%s", r)
	}
}

func TestImageVerifyE2EErrors(t *testing.T) {
	_, pub := st.GenerateKey(t)
	reg := st.Registry(t, false)
	ref, _ := st.PushImage(t, reg+"/app", "v1")

	dir := t.TempDir()
	privFile := filepath.Join(dir, "cosign.key")
	if err := os.WriteFile(privFile, []byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	down := httptest.NewServer(nil)
	downHost := strings.TrimPrefix(down.URL, "http://")
	down.Close()

	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no key", []string{ref.String()}, "--key is required"},
		{"private key given", []string{ref.String(), "--key", privFile}, "holds a private key"},
		{"missing key file", []string{ref.String(), "--key", filepath.Join(dir, "nope.pub")}, "nope.pub"},
		{"no image", []string{"--key", pub}, "name the image to verify"},
		{"bad reference", []string{"UPPER/Case::x", "--key", pub}, "image reference"},
		{"bad output", []string{ref.String(), "--key", pub, "-o", "sarif"}, "unknown output format"},
		{"unknown flag", []string{ref.String(), "--key", pub, "--nope"}, "unknown flag"},
		{"missing tag", []string{reg + "/app:nope", "--key", pub}, "resolving " + reg + "/app:nope"},
		{"registry down", []string{downHost + "/app:v1", "--key", pub}, "registry unreachable"},
		{"layout digest", []string{"latest", "--key", pub, "--oci-layout", dir}, "REF is the digest"},
		{"not a layout", []string{"--key", pub, "--oci-layout", dir}, "not an OCI layout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := imageVerify(t, tc.args...)
			wantCode(t, r, exitError, tc.args...)
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("stderr lacks %q:\n%s", tc.stderr, r)
			}
		})
	}
}

func TestImageVerifyE2ELayout(t *testing.T) {
	priv, pub := st.GenerateKey(t)
	img := st.RandomImage(t)
	dir, digest := st.Layout(t, img)

	args := []string{"--oci-layout", dir, "--key", pub}
	r := imageVerify(t, args...)
	wantCode(t, r, exitFindings, args...)

	st.SignLayoutBundle(t, dir, digest, priv)
	r = imageVerify(t, args...)
	wantCode(t, r, exitOK, args...)
	if !strings.Contains(r.stdout, digest.String()) || !strings.Contains(r.stdout, "cosign-bundle") {
		t.Fatalf("layout:\n%s", r)
	}
	byDigest := append([]string{digest.String()}, args...)
	r = imageVerify(t, byDigest...)
	wantCode(t, r, exitOK, byDigest...)

	// Another digest in the same layout has no signature.
	other := append([]string{"sha256:" + strings.Repeat("0", 64)}, args...)
	r = imageVerify(t, other...)
	wantCode(t, r, exitFindings, other...)
}
