package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/signature"
	"github.com/spf13/cobra"
)

type imageVerifyFlags struct {
	key      string
	layout   string
	insecure bool
	output   string
	timeout  time.Duration
}

func newImageVerifyCmd() *cobra.Command {
	f := &imageVerifyFlags{}
	c := &cobra.Command{
		Use:   "verify REF --key cosign.pub",
		Short: "Verify an image's cosign signature with a public key, offline",
		Long: `Verify that the image REF (in a registry, or in an OCI layout with --oci-layout) carries a
signature made with the private key of --key, in either format cosign stores: the
sha256-<digest>.sig tag (cosign sign --new-bundle-format=false, cosign v2) or a Sigstore bundle
attached as an OCI referrer (cosign v3). The signature must name the image's manifest digest,
which is printed. Nothing but the registry of REF is contacted: no transparency log, no Fulcio, no
TUF. A verified signature proves that the holder of the key signed this digest, not when; keyless
signatures cannot be verified this way (see docs/signatures.md).

REF is a tag or a digest reference (registry.example/app:1.2, registry.example/app@sha256:...); a
tag is resolved to its digest with one request, and a multi-arch tag to its index, which is what
'cosign sign' signs. With --oci-layout DIR (as 'cosign save' writes), REF is optional: the image
cosign saved, or the only image, is verified; give sha256:<digest> to pick another.

Registry credentials are those of 'docker login' (~/.docker/config.json and credential helpers).
--insecure-registry allows plain HTTP and unverified TLS for a registry of your own (loopback
addresses use plain HTTP anyway).

Exit codes: 0 a signature verified; 1 the image is unsigned or no signature verified (a security
failure, like findings); 2 usage errors, an unreadable key, or a lookup that failed (registry
unreachable, 401/403, unreadable layout), when nothing can be said.`,
		Example: `  kube4c image verify registry.example/shop/api:1.4.2 --key cosign.pub
  kube4c image verify registry.example/shop/api@sha256:0123... --key cosign.pub -o json
  kube4c image verify --oci-layout ./api-layout --key cosign.pub
  kube4c image verify localhost:5000/api:dev --key cosign.pub --insecure-registry`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runImageVerify(c, f, args) },
	}
	fl := c.Flags()
	fl.StringVar(&f.key, "key", "", "public key file (PEM, as cosign.pub); required")
	fl.StringVar(&f.layout, "oci-layout", "", "verify an image in this OCI layout directory instead of a registry")
	fl.BoolVar(&f.insecure, "insecure-registry", false, "allow plain HTTP and TLS without certificate verification for the registry of REF")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "limit for the whole verification")
	return c
}

// imageVerifyResult is the JSON output.
type imageVerifyResult struct {
	Image     string          `json:"image"`
	Digest    string          `json:"digest,omitempty"`
	Signature image.Signature `json:"signature"`
}

func runImageVerify(c *cobra.Command, f *imageVerifyFlags, args []string) error {
	if f.output != "table" && f.output != "json" {
		return usageErr("unknown output format %q (want table or json)", f.output)
	}
	if f.key == "" {
		return usageErr("--key is required: the public key to verify with (cosign.pub)")
	}
	if f.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	key, err := signature.LoadKey(f.key)
	if err != nil {
		return usageErr("%v", err)
	}
	var t signature.Target
	var imageName string
	switch {
	case f.layout != "":
		t.Layout, imageName = f.layout, f.layout
		if len(args) == 1 {
			d, err := layoutDigest(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			t.Digest, imageName = d, f.layout+"@"+d.String()
		}
		if f.insecure {
			return usageErr("--insecure-registry applies to registries, not to --oci-layout")
		}
	case len(args) == 0:
		return usageErr("name the image to verify: kube4c image verify REF --key cosign.pub (or --oci-layout DIR)")
	default:
		var opts []name.Option
		if f.insecure {
			opts = append(opts, name.Insecure)
		}
		ref, err := name.ParseReference(args[0], opts...)
		if err != nil {
			return usageErr("image reference %q: %v", args[0], err)
		}
		t.Ref, imageName = ref, ref.String()
		t.Remote = registryOptions(f.insecure)
	}

	ctx, cancel := context.WithTimeout(c.Context(), f.timeout)
	defer cancel()
	digest, err := t.Resolve(ctx)
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("resolving %s: %v", imageName, err)}
	}
	t.Digest = digest
	sig := signature.Verify(ctx, t, key)

	res := imageVerifyResult{Image: imageName, Digest: digest.String(), Signature: sig}
	if err := writeImageVerify(c.OutOrStdout(), f.output, res); err != nil {
		return &codeError{code: exitError, err: err}
	}
	switch sig.Status {
	case image.SignatureVerified:
		return nil
	case image.SignatureUnsigned, image.SignatureInvalid:
		return &codeError{code: exitFindings}
	default:
		return &codeError{code: exitError, err: fmt.Errorf("the signatures of %s could not be looked up: %s", printable(imageName), printable(sig.Detail))}
	}
}

// layoutDigest reads the image digest given as REF with --oci-layout: sha256:<hex>, or any
// reference ending in @sha256:<hex>.
func layoutDigest(arg string) (v1.Hash, error) {
	s := arg
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	d, err := v1.NewHash(s)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("with --oci-layout, REF is the digest of an image in the layout (sha256:...), not %q", arg)
	}
	return d, nil
}

// registryOptions are the registry client options: docker login credentials, a kube4c user
// agent, and for --insecure-registry a transport that does not verify certificates.
func registryOptions(insecure bool) []remote.Option {
	opts := []remote.Option{
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("kube4c/" + toolVersion()),
	}
	if insecure {
		base, ok := remote.DefaultTransport.(*http.Transport)
		if !ok {
			base = http.DefaultTransport.(*http.Transport)
		}
		tr := base.Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure-registry asks for it
		opts = append(opts, remote.WithTransport(tr))
	}
	return opts
}

func writeImageVerify(w io.Writer, format string, r imageVerifyResult) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, printable(v))
		}
	}
	row("IMAGE", r.Image)
	row("DIGEST", r.Digest)
	row("STATUS", r.Signature.Status)
	row("SCHEME", r.Signature.Scheme)
	row("KEY", r.Signature.Key)
	row("DETAIL", r.Signature.Detail)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
