package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/exception"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/sbom"
	"github.com/kube4c/kube4c/internal/scan"
	"github.com/kube4c/kube4c/internal/signature"
	imagesource "github.com/kube4c/kube4c/internal/source/image"
	"github.com/kube4c/kube4c/internal/source/imageset"
	"github.com/kube4c/kube4c/internal/vulndb"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// imageFlags are the flags of every command that reads images (image, scan --images).
type imageFlags struct {
	db            string
	ignoreUnfixed bool
	verifyKey     string
	insecure      bool
	platform      string
	noCache       bool
}

// register adds the image flags; platformFlag names the platform flag (scan has its own
// meaning for nothing called --platform, but node has, so scan says --image-platform).
func (f *imageFlags) register(fl *pflag.FlagSet, platformFlag string) {
	fl.StringVar(&f.db, "db", "", "vulnerability database file (default $KUBE4C_DB, else the user cache directory; see 'kube4c db status')")
	fl.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "do not report advisories that no released version fixes")
	fl.StringVar(&f.verifyKey, "verify-key", "", "cosign public key (PEM): verify image signatures and report images that are unsigned or fail (container/image-signature)")
	fl.BoolVar(&f.insecure, "insecure-registry", false, "allow registries over plain HTTP or with certificates that do not verify (e.g. a registry on loopback)")
	fl.StringVar(&f.platform, platformFlag, imagesource.DefaultPlatform, "platform picked from multi-platform images (os/arch[/variant])")
	fl.BoolVar(&f.noCache, "no-image-cache", false, "read every image again instead of using what earlier scans cached by digest")
}

// sourceOptions are the image source options the flags ask for.
func (f *imageFlags) sourceOptions() imagesource.Options {
	return imagesource.Options{Platform: f.platform, Insecure: f.insecure}
}

// configure opens the vulnerability database and loads the key. A missing database is not an
// error: the vulnerable-package control is then reported as not evaluated (scan.Analyze).
// The returned function closes the database.
func (f *imageFlags) configure(c *cobra.Command, cfg *analyzer.Config) (key *signature.Key, closeDB func(), err error) {
	closeDB = func() {}
	cfg.IgnoreUnfixed = f.ignoreUnfixed
	if f.verifyKey != "" {
		if key, err = signature.LoadKey(f.verifyKey); err != nil {
			return nil, closeDB, usageErr("--verify-key: %v", err)
		}
		cfg.RequireSignatures = true
	}
	path := f.db
	if path == "" {
		path = vulndb.DefaultPath()
	}
	db, err := vulndb.Open(path)
	switch {
	case errors.Is(err, vulndb.ErrNotFound):
		if f.db != "" {
			return nil, closeDB, usageErr("--db: %v", err)
		}
		fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", scan.NoVulnDBReason)
	case err != nil:
		return nil, closeDB, &codeError{code: exitError, err: err}
	default:
		cfg.Vulns = db
		closeDB = func() { db.Close() }
	}
	return key, closeDB, nil
}

// verifier verifies the signatures of an image a registry reference names.
func (f *imageFlags) verifier(key *signature.Key) func(ctx context.Context, ref, digest string) *image.Signature {
	if key == nil {
		return nil
	}
	return func(ctx context.Context, ref, digest string) *image.Signature {
		s := verifyRemote(ctx, f, key, ref, digest)
		return &s
	}
}

func verifyRemote(ctx context.Context, f *imageFlags, key *signature.Key, ref, digest string) image.Signature {
	var nopts []name.Option
	if f.insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return image.Signature{Status: image.SignatureError, Key: key.Name, Detail: err.Error()}
	}
	t := signature.Target{Ref: r, Remote: registryOptions(f.insecure)}
	if digest != "" {
		h, err := v1.NewHash(digest)
		if err != nil {
			return image.Signature{Status: image.SignatureError, Key: key.Name, Detail: err.Error()}
		}
		t.Digest = h
		// A tag of a multi-platform image names its index, which is what cosign signs: let
		// Verify accept a signature of the index when the index lists this platform's manifest.
		if _, byDigest := r.(name.Digest); !byDigest {
			if d, err := remote.Head(r, append(registryOptions(f.insecure), remote.WithContext(ctx))...); err == nil && d.Digest != h && d.MediaType.IsIndex() {
				t.Index = d.Digest
			}
		}
	}
	return signature.Verify(ctx, t, key)
}

// registryReader reads images from their registries for scan --images.
type registryReader struct{ opts imagesource.Options }

func (r registryReader) Resolve(ctx context.Context, ref string) (string, error) {
	return imagesource.Resolve(ctx, ref, r.opts)
}

func (r registryReader) Read(ctx context.Context, ref, digest string) (*image.Image, []inventory.Problem, error) {
	var nopts []name.Option
	if r.opts.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	pinned := ref
	if n, err := name.ParseReference(ref, nopts...); err == nil && digest != "" {
		pinned = n.Context().Digest(digest).String()
	}
	return imagesource.Read(ctx, imagesource.Spec{Ref: pinned}, r.opts)
}

// imageCacheDir is where scans cache what they read from images ("" when there is none).
func imageCacheDir() string {
	if d := os.Getenv("KUBE4C_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "kube4c")
}

// loadImages adds the images the inventory's workloads reference (scan --images).
func (f *imageFlags) loadImages(ctx context.Context, inv *inventory.Inventory, key *signature.Key, concurrency int) error {
	opts := imageset.Options{Concurrency: concurrency, Verify: f.verifier(key)}
	if !f.noCache {
		opts.CacheDir = imageCacheDir()
		opts.CacheKey = toolVersion() + " " + f.platform
	}
	_, err := imageset.Load(ctx, inv, registryReader{f.sourceOptions()}, opts)
	return err
}

type imageCmdFlags struct {
	reportFlags
	imageFlags
	input           string
	ociLayout       string
	rootfs          string
	noInlineIgnores bool
}

// sbomFormats are the -o values of kube4c image that write an SBOM instead of findings.
var sbomFormats = map[string]bool{"cyclonedx": true, "spdx-json": true}

func newImageCmd() *cobra.Command {
	f := &imageCmdFlags{}
	c := &cobra.Command{
		Use:   "image [REF]",
		Short: "Scan a container image: vulnerable packages, secrets, root user, setuid files, end-of-life base, signatures; or write its SBOM",
		Long: `Read a container image from its registry (REF), a 'docker save' archive (--input), an OCI
image layout (--oci-layout) or an unpacked root file system (--rootfs), list the packages
installed in it (dpkg, apk, rpm, Go binaries, npm, PyPI, Maven jars, Cargo, RubyGems) with the
layer each came from, match them against the local OSV vulnerability database, and judge the
image's hygiene. Nothing is written to disk but small temporary files; layers are streamed.

The vulnerability database is local (see 'kube4c db'): a scan makes no network call except to
the registry it pulls from. Without a database, the vulnerable-package control is reported as
not evaluated.

-o cyclonedx or -o spdx-json writes the image's (or directory's) software bill of materials
instead of findings.

Registry credentials come from the Docker configuration (docker login, credential helpers).`,
		Example: `  kube4c image nginx:1.27
  kube4c image --input app.tar --severity high --ignore-unfixed
  kube4c image --oci-layout ./layout -o sarif --output-file image.sarif
  kube4c image ghcr.io/acme/api:1.4 --verify-key cosign.pub
  kube4c image --rootfs ./unpacked -o cyclonedx --output-file sbom.cdx.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runImage(c, f, args) },
	}
	fl := c.Flags()
	fl.StringVar(&f.input, "input", "", "a 'docker save' archive (REF then picks one of its tags when it holds several)")
	fl.StringVar(&f.ociLayout, "oci-layout", "", "an OCI image layout directory (REF then picks the image annotated with that name when it holds several)")
	fl.StringVar(&f.rootfs, "rootfs", "", "an unpacked root file system or any directory (packages and SBOM; no image configuration)")
	f.reportFlags.register(fl, "do not exit 2 because of unreadable parts of the image (the problems are still reported)", "exceptions file (see docs/exceptions.md)")
	fl.Lookup("output").Usage = "output format: table, json, sarif, junit, or an SBOM: cyclonedx, spdx-json"
	fl.BoolVar(&f.noInlineIgnores, "no-inline-ignores", false, "ignore kube4c.io/ignore annotations (for auditors)")
	f.imageFlags.register(fl, "platform")
	fl.Lookup("no-image-cache").Hidden = true // kube4c image always reads the image
	c.AddCommand(newImageVerifyCmd())
	return c
}

func runImage(c *cobra.Command, f *imageCmdFlags, args []string) error {
	spec := imagesource.Spec{Archive: f.input, Layout: f.ociLayout, RootFS: f.rootfs}
	if len(args) == 1 {
		spec.Ref = args[0]
	}
	n := 0
	for _, s := range []string{f.input, f.ociLayout, f.rootfs} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return usageErr("give one of --input, --oci-layout and --rootfs")
	case n == 0 && spec.Ref == "":
		return usageErr("name an image: REF, --input ARCHIVE, --oci-layout DIR or --rootfs DIR")
	case f.rootfs != "" && spec.Ref != "":
		return usageErr("--rootfs reads a directory: it takes no REF")
	}
	if sbomFormats[f.output] {
		return writeImageSBOM(c, f, spec)
	}
	format, minSev, failOn, err := reportSettings(f.output, f.severity, f.failOn)
	if err != nil {
		return err
	}
	cfg := analyzer.DefaultConfig()
	key, closeDB, err := f.configure(c, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	opts := scan.Options{Config: cfg, Exception: exception.Options{Now: time.Now(), InlineIgnores: !f.noInlineIgnores}}
	if f.exceptionsFile != "" {
		if opts.Exceptions, err = exception.Load(f.exceptionsFile); err != nil {
			return usageErr("%v", err)
		}
	}

	img, probs, err := imagesource.Read(c.Context(), spec, f.sourceOptions())
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	if key != nil {
		s := verifyImage(c.Context(), &f.imageFlags, key, spec, img)
		img.Signature = &s
	}
	inv := inventory.New()
	inv.Add(imageset.Object(img, nil, nil))
	inv.AddProblem(probs...)
	res, err := scan.Analyze(c.Context(), inv, opts)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	res.Sources = 1
	res.PSSLevel, res.PSSVersion = "", ""
	return emitReport(c, res, format, minSev, failOn, f.outputFile, f.skipInvalid)
}

// verifyImage verifies the signatures of an image kube4c image read: in its OCI layout, or in
// its registry. Archives and directories carry no signatures.
func verifyImage(ctx context.Context, f *imageFlags, key *signature.Key, spec imagesource.Spec, img *image.Image) image.Signature {
	switch {
	case spec.Layout != "":
		t := signature.Target{Layout: spec.Layout}
		// The layout's image entry may be an index (a multi-arch image, signed as a whole).
		top, _ := t.Resolve(ctx)
		if h, err := v1.NewHash(img.Digest); err == nil {
			t.Digest = h
			if top != (v1.Hash{}) && top != h {
				t.Index = top
			}
		}
		return signature.Verify(ctx, t, key)
	case spec.Archive != "" || spec.RootFS != "":
		return image.Signature{Status: image.SignatureUnsigned, Key: key.Name,
			Detail: "a docker archive or a directory carries no signatures; verify the image in its registry or OCI layout"}
	}
	return verifyRemote(ctx, f, key, spec.Ref, img.Digest)
}

// writeImageSBOM writes the SBOM of an image or directory (-o cyclonedx|spdx-json).
func writeImageSBOM(c *cobra.Command, f *imageCmdFlags, spec imagesource.Spec) error {
	img, probs, err := imagesource.Read(c.Context(), spec, f.sourceOptions())
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	for _, p := range probs {
		fmt.Fprintf(c.ErrOrStderr(), "%s: %s\n", p.Severity, p.String())
	}
	var subject sbom.Subject
	switch {
	case spec.RootFS != "":
		subject = sbom.DirectorySubject(spec.RootFS)
		subject.OS = img.OS
	case spec.Archive != "" || spec.Layout != "":
		subject = sbom.ImageArchiveSubject(img)
	default:
		subject = sbom.ImageSubject(img)
	}
	opts := sbom.Options{ToolVersion: toolVersion()}
	write := func(w io.Writer) error {
		if f.output == "cyclonedx" {
			return sbom.WriteCycloneDX(w, subject, img.Packages, opts)
		}
		return sbom.WriteSPDX(w, subject, img.Packages, opts)
	}
	if f.outputFile != "" {
		if err := writeFileAtomic(f.outputFile, write); err != nil {
			return &codeError{code: exitError, err: fmt.Errorf("--output-file: %w", err)}
		}
	} else if err := write(c.OutOrStdout()); err != nil {
		return &codeError{code: exitError, err: err}
	}
	if errorsIn(probs) > 0 && !f.skipInvalid {
		return &codeError{code: exitError, err: fmt.Errorf("%d error(s) reading the image; the SBOM may be incomplete (use --skip-invalid to accept it)", errorsIn(probs))}
	}
	return nil
}

func errorsIn(ps []inventory.Problem) int {
	n := 0
	for _, p := range ps {
		if p.Severity == "error" {
			n++
		}
	}
	return n
}
