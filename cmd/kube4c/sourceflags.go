package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/scan"
	"github.com/kube4c/kube4c/internal/source"
	"github.com/kube4c/kube4c/internal/source/cluster"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// sourceFlags are the flags that choose what kube4c reads: files, Helm charts and Kustomize
// directories (paths), or a live cluster (--cluster). scan and the rbac commands share them.
type sourceFlags struct {
	maxFileSize       string
	releaseName       string
	valuesFiles       []string
	set               []string
	setString         []string
	setFile           []string
	setJSON           []string
	kubeVersion       string
	apiVersions       []string
	cluster           bool
	kubeconfig        string
	context           string
	excludeNamespaces []string
	qps               float32
	burst             int
	timeout           time.Duration
}

// register adds the flags; excludeNamespaces adds --exclude-namespaces (only scan reads a subset
// of a cluster's namespaces).
func (f *sourceFlags) register(fl *pflag.FlagSet, excludeNamespaces bool) {
	fl.StringVar(&f.maxFileSize, "max-file-size", "50MB", "refuse manifest files larger than this (e.g. 10MB, 512KB)")
	fl.StringVar(&f.releaseName, "release-name", "release-name", "Helm release name")
	fl.StringSliceVarP(&f.valuesFiles, "values", "f", nil, "Helm values file (repeatable; later files win)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm --set value (repeatable)")
	fl.StringArrayVar(&f.setString, "set-string", nil, "Helm --set-string value (repeatable)")
	fl.StringArrayVar(&f.setFile, "set-file", nil, "Helm --set-file value (repeatable)")
	fl.StringArrayVar(&f.setJSON, "set-json", nil, "Helm --set-json value (repeatable)")
	fl.StringVar(&f.kubeVersion, "kube-version", "v1.37.0", "Kubernetes version Helm charts are rendered for (.Capabilities.KubeVersion)")
	fl.StringSliceVar(&f.apiVersions, "api-versions", nil, "extra API versions for Helm's .Capabilities.APIVersions")
	fl.BoolVar(&f.cluster, "cluster", false, "read the live cluster of the current kubeconfig context (read-only; see deploy/rbac-reader.yaml) instead of paths")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file for --cluster (default $KUBECONFIG, ~/.kube/config, or the in-cluster configuration)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context for --cluster")
	if excludeNamespaces {
		fl.StringSliceVar(&f.excludeNamespaces, "exclude-namespaces", nil, "with --cluster: namespaces to leave out")
	}
	fl.Float32Var(&f.qps, "qps", 50, "with --cluster: API requests per second")
	fl.IntVar(&f.burst, "burst", 100, "with --cluster: API request burst")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "with --cluster: give up reading the cluster after this long")
}

// options turns the flags into source options for paths, or cluster options with --cluster.
// defaultNamespace is given to namespaced objects without one (and is the Helm release
// namespace); clusterNamespaces restricts a cluster read (nil: all namespaces).
func (f *sourceFlags) options(c *cobra.Command, args []string, defaultNamespace string, clusterNamespaces []string) (source.Options, *cluster.Options, error) {
	maxSize, err := parseSize(f.maxFileSize)
	if err != nil {
		return source.Options{}, nil, usageErr("--max-file-size: %v", err)
	}
	so := source.Options{DefaultNamespace: defaultNamespace, MaxFileSize: maxSize, Stdin: c.InOrStdin()}
	so.Helm.ReleaseName = f.releaseName
	so.Helm.Namespace = defaultNamespace
	so.Helm.ValuesFiles = f.valuesFiles
	so.Helm.Set, so.Helm.SetString, so.Helm.SetFile, so.Helm.SetJSON = f.set, f.setString, f.setFile, f.setJSON
	so.Helm.KubeVersion = f.kubeVersion
	so.Helm.APIVersions = f.apiVersions
	changed := c.Flags().Changed
	if !f.cluster {
		if changed("kubeconfig") || changed("context") || (c.Flags().Lookup("exclude-namespaces") != nil && changed("exclude-namespaces")) {
			return so, nil, usageErr("--kubeconfig, --context and --exclude-namespaces need --cluster")
		}
		return so, nil, nil
	}
	if changed("max-file-size") || len(f.valuesFiles)+len(f.set)+len(f.setString)+len(f.setFile)+len(f.setJSON) > 0 {
		return so, nil, usageErr("--cluster reads a live cluster; file and Helm flags do not apply")
	}
	if len(args) > 0 && !(len(args) == 1 && args[0] == ".") {
		return so, nil, usageErr("--cluster reads a live cluster: give no paths (got %s)", strings.Join(args, " "))
	}
	co := &cluster.Options{Kubeconfig: f.kubeconfig, Context: f.context, ExcludeNamespaces: f.excludeNamespaces,
		QPS: f.qps, Burst: f.burst, Timeout: f.timeout, Namespaces: clusterNamespaces}
	if isTerminal(c.ErrOrStderr()) {
		co.Progress = c.ErrOrStderr()
	}
	return so, co, nil
}

// loadInventory reads the inputs of a query command (rbac, netpol) into an inventory. Problems
// with single inputs go to stderr, as do warnings from unavailable (a kind the cluster would not
// list; it returns "" for kinds the command does not care about). The returned finish function
// turns input errors into exit code 2 after the answer is printed, unless skipInvalid.
func loadInventory(c *cobra.Command, src *sourceFlags, paths []string, defaultNamespace string, skipInvalid bool,
	unavailable func(inventory.Unavailable) string) (*inventory.Inventory, func() error, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	so, co, err := src.options(c, paths, defaultNamespace, nil)
	if err != nil {
		return nil, nil, err
	}
	inv, _, err := scan.Load(c.Context(), scan.Options{Paths: paths, Source: so, Cluster: co})
	if err != nil {
		return nil, nil, &codeError{code: exitError, err: err}
	}
	errs := 0
	for _, p := range inv.Problems() {
		fmt.Fprintf(c.ErrOrStderr(), "%s: %s\n", p.Severity, p.String())
		if p.Severity == "error" {
			errs++
		}
	}
	for _, u := range inv.Unavailable() {
		if msg := unavailable(u); msg != "" {
			fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", msg)
		}
	}
	finish := func() error {
		if errs > 0 && !skipInvalid {
			return &codeError{code: exitError, err: fmt.Errorf("%d input error(s); the answer may be incomplete (use --skip-invalid to ignore)", errs)}
		}
		return nil
	}
	return inv, finish, nil
}
