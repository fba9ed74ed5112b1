package main

import (
	"os"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/exception"
	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/platform"
	"github.com/kube4c/kube4c/internal/scan"
	nodesource "github.com/kube4c/kube4c/internal/source/node"
	"github.com/spf13/cobra"
)

type nodeFlags struct {
	reportFlags
	root            string
	proc            string
	platform        string
	noInlineIgnores bool
	quiet           bool
}

func newNodeCmd() *cobra.Command {
	f := &nodeFlags{}
	c := &cobra.Command{
		Use:   "node",
		Short: "Check a node's Kubernetes components, files and host against the CIS Kubernetes Benchmark",
		Long: `Read the node kube4c runs on (or a copy of one) as it is: the command lines of running
kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kubelet and kube-proxy processes
(/proc/*/cmdline), static pod manifests, the kubelet's systemd unit and config file, the
EncryptionConfiguration and audit policy the API server names, kubeconfigs, the PKI directory and
the host operating system. Flags override config files the way the components do. Findings are
mapped to the CIS Kubernetes Benchmark v1.10.0 (see docs/node.md).

--root reads a copy of a node's filesystem: a directory, or a tar archive (plain or gzip) such as
'tar -cpzf node.tgz -C / etc var/lib/kubelet usr/lib/systemd' (a tar keeps modes and owners).

--platform says whose node this is (detected when not given): on eks, gke and aks the provider
runs the control plane, so its controls are reported as provider-managed, not as failures.`,
		Example: `  sudo kube4c node
  kube4c node --root /host -o json          # in a pod with the host's / mounted at /host
  kube4c node --root node.tgz --platform eks`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runNode(c, f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.root, "root", "/", "the node's filesystem: / (this host), a directory holding a copy, or a tar archive of one")
	fl.StringVar(&f.proc, "proc", "", "read processes from this proc filesystem instead of ROOT/proc (in a pod with hostPID and the node's / at /host: --root /host --proc /proc)")
	fl.StringVar(&f.platform, "platform", "", "self-managed, eks, gke, aks or k3s (default: detected from the node's files)")
	f.reportFlags.register(fl, "do not exit 2 because of unreadable files (the problems are still reported)", "exceptions file (see docs/exceptions.md)")
	fl.BoolVar(&f.noInlineIgnores, "no-inline-ignores", false, "ignore kube4c.io/ignore annotations (for auditors)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not repeat problems and warnings on standard error (they are in the report); for logs that mix both streams")
	return c
}

func runNode(c *cobra.Command, f *nodeFlags) error {
	format, minSev, failOn, err := reportSettings(f.output, f.severity, f.failOn)
	if err != nil {
		return err
	}
	var plat platform.Platform
	if f.platform != "" {
		if plat, err = platform.Parse(f.platform); err != nil {
			return usageErr("--platform: %v", err)
		}
	}
	opts := scan.Options{Config: analyzer.DefaultConfig(), Exception: exception.Options{Now: time.Now(), InlineIgnores: !f.noInlineIgnores}}
	if f.exceptionsFile != "" {
		if opts.Exceptions, err = exception.Load(f.exceptionsFile); err != nil {
			return usageErr("%v", err)
		}
	}
	fsys, err := hostfs.Open(f.root)
	if err != nil {
		return usageErr("--root: %v", err)
	}
	if f.proc != "" {
		if st, err := os.Stat(f.proc); err != nil || !st.IsDir() {
			return usageErr("--proc %s: not a directory", f.proc)
		}
		fsys = hostfs.Mount(fsys, "/proc", hostfs.Dir(f.proc))
	}
	inv := inventory.New()
	if err := nodesource.Load(c.Context(), fsys, nodesource.Options{Platform: plat}, inv); err != nil {
		return &codeError{code: exitError, err: err}
	}
	res, err := scan.Analyze(c.Context(), inv, opts)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	res.Sources = 1
	res.PSSLevel, res.PSSVersion = "", ""
	return emitReportQuiet(c, res, format, minSev, failOn, f.outputFile, f.skipInvalid, f.quiet)
}
