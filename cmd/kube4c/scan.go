package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/exception"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/scan"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	psaapi "k8s.io/pod-security-admission/api"
)

type scanFlags struct {
	reportFlags
	namespace          string
	pssLevel           string
	pssVersion         string
	allowedRegistries  []string
	untrustedLabel     string
	sandboxClasses     []string
	judgeAllNamespaces bool
	noInlineIgnores    bool
	rbacPathDepth      int
	envLabelKeys       []string
	src                sourceFlags
	images             bool
	imageConcurrency   int
	img                imageFlags
}

func newScanCmd() *cobra.Command {
	f := &scanFlags{}
	c := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Scan manifests, Helm charts, Kustomize directories or a live cluster",
		Long: `Scan YAML/JSON manifests, Helm charts (directories or .tgz) and Kustomize directories.
Directories are walked recursively (skipping .git, vendor and node_modules); a directory with a
Chart.yaml is rendered as a chart and one with a kustomization.yaml is built with Kustomize, both
in-process and offline. "-" reads manifests from standard input. The default path is ".".

With --cluster, kube4c reads the live cluster of the kubeconfig context instead (read-only: get
and list only; deploy/rbac-reader.yaml is the identity it needs). Kinds the identity may not
list are reported as warnings and their controls as not evaluated.`,
		Example: `  kube4c scan examples/insecure-shop
  kube4c scan ./deploy -o sarif --output-file kube4c.sarif
  helm template my-chart | kube4c scan -
  kube4c scan ./chart -f values-prod.yaml --set image.tag=1.2.3 --fail-on high
  kube4c scan --cluster --context prod -n shop,payments --exclude-namespaces kube-system`,
		RunE: func(c *cobra.Command, args []string) error { return runScan(c, f, args) },
	}
	fl := c.Flags()
	fl.StringVarP(&f.namespace, "namespace", "n", "default", "namespace for namespaced objects that have none (also the Helm release namespace); with --cluster, the namespaces to scan (comma-separated; default all)")
	fl.StringVar(&f.pssLevel, "pss-level", "restricted", "Pod Security Standards level to evaluate: baseline or restricted (restricted includes baseline)")
	fl.StringVar(&f.pssVersion, "pss-version", "latest", "Pod Security Standards version: latest or v1.N")
	fl.StringSliceVar(&f.allowedRegistries, "allowed-registries", nil, "registries (and path prefixes) images may come from, e.g. ghcr.io/acme,registry.local:5000")
	fl.StringVar(&f.untrustedLabel, "untrusted-label", analyzer.DefaultConfig().UntrustedLabel, "label (key=value or key) marking workloads that run untrusted code and must be sandboxed")
	fl.StringSliceVar(&f.sandboxClasses, "sandbox-runtime-classes", analyzer.DefaultConfig().SandboxRuntimeClasses, "runtimeClassName values that count as sandboxed")
	fl.BoolVar(&f.judgeAllNamespaces, "judge-all-namespaces", false, "also judge namespaces that workloads refer to but the scan has no Namespace object for (see docs/namespaces.md)")
	f.reportFlags.register(fl, "do not exit 2 because of malformed or unreadable input (the problems are still reported)", "exceptions file (see docs/exceptions.md)")
	fl.BoolVar(&f.noInlineIgnores, "no-inline-ignores", false, "ignore kube4c.io/ignore annotations (for auditors)")
	fl.IntVar(&f.rbacPathDepth, "rbac-path-depth", analyzer.DefaultConfig().RBACPathDepth, "longest privilege-escalation chain (in steps) the RBAC path controls follow")
	fl.StringSliceVar(&f.envLabelKeys, "env-label-keys", analyzer.DefaultConfig().EnvironmentLabelKeys, "Namespace label keys that name an environment: traffic between namespaces whose values differ is reported (cluster/netpol-cross-environment)")
	f.src.register(fl, true)
	fl.BoolVar(&f.images, "images", false, "also scan the container images the workloads reference (pulled from their registries, each digest once; see docs/images.md)")
	fl.IntVar(&f.imageConcurrency, "image-concurrency", 4, "with --images: how many images are read at once")
	f.img.register(fl, "image-platform")
	return c
}

func usageErr(format string, args ...any) error {
	return &codeError{code: exitError, err: fmt.Errorf(format, args...)}
}

func runScan(c *cobra.Command, f *scanFlags, args []string) error {
	if len(args) == 0 {
		args = []string{"."}
	}
	format, minSev, failOn, err := reportSettings(f.output, f.severity, f.failOn)
	if err != nil {
		return err
	}
	cfg := analyzer.DefaultConfig()
	if cfg.PSSLevel, err = psaapi.ParseLevel(f.pssLevel); err != nil || cfg.PSSLevel == psaapi.LevelPrivileged {
		return usageErr("--pss-level: want baseline or restricted, got %q", f.pssLevel)
	}
	if cfg.PSSVersion, err = psaapi.ParseVersion(f.pssVersion); err != nil {
		return usageErr("--pss-version: want latest or v1.N, got %q", f.pssVersion)
	}
	cfg.AllowedRegistries = f.allowedRegistries
	cfg.UntrustedLabel = f.untrustedLabel
	cfg.SandboxRuntimeClasses = f.sandboxClasses
	cfg.JudgeAllNamespaces = f.judgeAllNamespaces
	if f.rbacPathDepth < 1 {
		return usageErr("--rbac-path-depth must be at least 1")
	}
	cfg.RBACPathDepth = f.rbacPathDepth
	cfg.EnvironmentLabelKeys = f.envLabelKeys

	var clusterNamespaces []string
	if f.src.cluster && c.Flags().Changed("namespace") {
		for _, ns := range strings.Split(f.namespace, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				clusterNamespaces = append(clusterNamespaces, ns)
			}
		}
	}
	so, co, err := f.src.options(c, args, f.namespace, clusterNamespaces)
	if err != nil {
		return err
	}
	opts := scan.Options{Paths: args, Config: cfg, Source: so, Cluster: co,
		Exception: exception.Options{Now: time.Now(), InlineIgnores: !f.noInlineIgnores}}
	if f.exceptionsFile != "" {
		if opts.Exceptions, err = exception.Load(f.exceptionsFile); err != nil {
			return usageErr("%v", err)
		}
	}

	if f.images {
		if f.imageConcurrency < 1 {
			return usageErr("--image-concurrency must be at least 1")
		}
		key, closeDB, err := f.img.configure(c, cfg)
		if err != nil {
			return err
		}
		defer closeDB()
		opts.Referenced = func(ctx context.Context, inv *inventory.Inventory) error {
			return f.img.loadImages(ctx, inv, key, f.imageConcurrency)
		}
	} else {
		for _, fl := range []string{"db", "ignore-unfixed", "verify-key", "insecure-registry", "image-platform", "no-image-cache", "image-concurrency"} {
			if c.Flags().Changed(fl) {
				return usageErr("--%s needs --images", fl)
			}
		}
	}

	res, err := scan.Run(c.Context(), opts)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}

	return emitReport(c, res, format, minSev, failOn, f.outputFile, f.skipInvalid)
}

func warningText(w finding.Warning) string {
	if w.File == "" {
		return w.Message
	}
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
	}
	return w.File + ": " + w.Message
}

// exitFor maps a result to the documented exit codes. Input errors win over findings: a scan that
// could not read everything is not a clean bill of health.
func exitFor(res *finding.Result, minSev, failOn catalog.Severity, skipInvalid bool) error {
	if res.Errors() > 0 && !skipInvalid {
		return &codeError{code: exitError, err: fmt.Errorf("%d input error(s); the scan is incomplete (use --skip-invalid to report findings only)", res.Errors())}
	}
	if failOn < 0 {
		return nil
	}
	n := 0
	for _, fd := range res.Findings {
		if sev := fd.EffectiveSeverity(); fd.Suppression == nil && sev >= minSev && sev >= failOn {
			n++
		}
	}
	if n > 0 {
		return &codeError{code: exitFindings}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// parseSize parses "50MB", "512KB", "1GB" or a plain number of bytes.
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, x := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, x.suffix) {
			u, mult = strings.TrimSpace(strings.TrimSuffix(u, x.suffix)), x.m
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

// writeFileAtomic writes a file through a temporary file in the same directory and renames it
// into place, so a failed write never leaves a truncated report where CI expects one.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
