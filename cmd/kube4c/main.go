// Command kube4c secures cloud-native systems across the 4 C's: Cloud, Cluster, Container, Code.
//
// Exit codes (stable, documented in README.md):
//
//	0  scan completed and no finding at or above --fail-on
//	1  findings at or above --fail-on
//	2  usage error, or input errors (malformed files, unreadable paths) unless --skip-invalid
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; otherwise it comes from
// the module version (go install ...@v1.2.3) or is "dev".
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries an exit code through cobra.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the exit code (separate from main for tests).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil {
			fmt.Fprintln(stderr, "kube4c:", ce.err)
		}
		return ce.code
	}
	fmt.Fprintln(stderr, "kube4c:", err)
	return exitError
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "kube4c",
		Short: "Secure cloud-native systems across the 4 C's: Cloud, Cluster, Container, Code",
		Long: `kube4c scans what you own — manifests, Helm charts, Kustomize overlays — and reports findings
mapped to controls (Pod Security Standards, CIS Kubernetes Benchmark, NSA-CISA hardening guide,
MITRE ATT&CK) with remediation, as a table, JSON, SARIF or JUnit.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on;
2 usage or input errors.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &codeError{code: exitError, err: fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(newVersionCmd(), newControlsCmd(), newScanCmd(), newRBACCmd(), newNetpolCmd(), newNodeCmd(), newProbeCmd(), newImageCmd(), newDBCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the kube4c version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(c.OutOrStdout(), "kube4c", toolVersion())
			return nil
		},
	}
}
