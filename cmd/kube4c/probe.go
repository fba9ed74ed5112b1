package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/exception"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/probe"
	"github.com/kube4c/kube4c/internal/report"
	"github.com/kube4c/kube4c/internal/scan"
	"github.com/spf13/cobra"
)

type probeFlags struct {
	reportFlags
	timeout     time.Duration
	concurrency int
}

// maxConcurrency bounds --concurrency: kube4c probes hosts the user names, it is not a scanner
// of networks.
const maxConcurrency = 256

func newProbeCmd() *cobra.Command {
	f := &probeFlags{}
	c := &cobra.Command{
		Use:   "probe HOST[:PORT]...",
		Short: "Check what the named hosts expose to the network without credentials",
		Long: `Connect to the hosts you name, as an attacker on the same network would, and report what
answers without credentials: the Docker Engine API, kubelets (anonymous API and read-only port),
etcd without client-certificate authentication, API servers serving discovery or their version to
anonymous clients, the Kubernetes API over plain HTTP (kubectl proxy), and cluster dashboards
(Kubernetes Dashboard, Headlamp, Weave Scope). Findings are cloud-layer controls (see
docs/probe.md).

HOST alone probes the default ports 443, 2375, 2376, 2379, 6443, 8001, 8080, 8443, 9090, 10250,
10255 and 30000; HOST:PORT probes only that port, with every probe (services are identified by
their answers, not by the port). IPv6 addresses take brackets with a port: [::1]:2379.

Each open port gets one TLS handshake without a client certificate and the GET requests /version,
/api, /apis, /pods and / (plus /api/v1/login/skippable where the Kubernetes Dashboard answers).
Nothing but GET is sent, never credentials; redirects are not followed; at most 1 MiB of each
answer is read and only its shape, counts and versions are kept. Certificates are not verified:
nothing secret is sent. Proxy environment variables are ignored.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on; 2 usage
errors, a host that does not resolve (unless --skip-invalid), or an interruption.`,
		Example: `  kube4c probe 10.0.0.12
  kube4c probe node-1.internal node-2.internal:10250 '[fd00::5]:2379'
  kube4c probe api.example.com:6443 --fail-on high -o sarif --output-file probe.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runProbe(c, f, args) },
	}
	fl := c.Flags()
	f.reportFlags.register(fl, "do not exit 2 because a host does not resolve (the problem is still reported)", "exceptions file (see docs/exceptions.md); findings are about kind Endpoint, named HOST:PORT")
	fl.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "limit for each host lookup, connection, TLS handshake and request")
	fl.IntVar(&f.concurrency, "concurrency", probe.DefaultConcurrency, fmt.Sprintf("endpoints probed at once (1-%d)", maxConcurrency))
	return c
}

func runProbe(c *cobra.Command, f *probeFlags, args []string) error {
	format, minSev, failOn, err := reportSettings(f.output, f.severity, f.failOn)
	if err != nil {
		return err
	}
	if f.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	if f.concurrency < 1 || f.concurrency > maxConcurrency {
		return usageErr("--concurrency must be from 1 to %d", maxConcurrency)
	}
	var targets []probe.Target
	hosts := map[string]bool{}
	for _, a := range args {
		t, err := probe.ParseTarget(a)
		if err != nil {
			return usageErr("%v", err)
		}
		targets = append(targets, t)
		hosts[t.Host] = true
	}
	opts := scan.Options{Config: analyzer.DefaultConfig(), Exception: exception.Options{Now: time.Now()}}
	if f.exceptionsFile != "" {
		if opts.Exceptions, err = exception.Load(f.exceptionsFile); err != nil {
			return usageErr("%v", err)
		}
	}

	inv, err := probe.Run(c.Context(), targets, probe.Options{
		Timeout:     f.timeout,
		Concurrency: f.concurrency,
		UserAgent:   "kube4c/" + toolVersion() + " (probe)",
	})
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("probe interrupted: %w", err)}
	}
	res, err := scan.Analyze(c.Context(), inv, opts)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	res.Sources = len(hosts)
	res.PSSLevel, res.PSSVersion = "", ""
	if format == report.Table && f.outputFile == "" {
		if err := writeEndpoints(c.OutOrStdout(), inv); err != nil {
			return &codeError{code: exitError, err: err}
		}
	}
	return emitReport(c, res, format, minSev, failOn, f.outputFile, f.skipInvalid)
}

// writeEndpoints lists what answered where, before the table report: passes have no message, and
// this is where a 401 is told from a 403 or a closed port from a filtered one.
func writeEndpoints(w io.Writer, inv *inventory.Inventory) error {
	var eps []*probe.Endpoint
	for _, o := range inv.OfKind(probe.Group, probe.Kind) {
		if e, ok := o.Object.(*probe.Endpoint); ok {
			eps = append(eps, e)
		}
	}
	if len(eps) == 0 {
		return nil
	}
	slices.SortFunc(eps, func(a, b *probe.Endpoint) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.Port, b.Port))
	})
	var b strings.Builder
	fmt.Fprintf(&b, "ENDPOINTS (%d)\n", len(eps))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ENDPOINT\tCONNECTION\tSERVICE\tANSWERS")
	for _, e := range eps {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", printable(e.Name()), printable(connectionText(e)), printable(servicesText(e)), printable(answersText(e)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func connectionText(e *probe.Endpoint) string {
	if e.Connection != probe.Open {
		if e.ConnectionError != "" && e.Connection != probe.Refused {
			return fmt.Sprintf("%s (%s)", e.Connection, e.ConnectionError)
		}
		return string(e.Connection)
	}
	s := "open, " + e.Scheme
	switch {
	case e.TLS == nil:
	case e.TLS.ClientCertRequired:
		s += ", client certificate required"
	case e.TLS.ClientCertRequested:
		s += ", client certificate optional"
	}
	if e.TLS != nil && !e.TLS.Handshake && e.Scheme == "https" {
		s += " (TLS refused: " + e.TLS.Error + ")"
	}
	return s
}

func servicesText(e *probe.Endpoint) string {
	var s []string
	for _, sv := range e.Services {
		s = append(s, strings.TrimSpace(string(sv.Name)+" "+sv.Version))
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

func answersText(e *probe.Endpoint) string {
	var s []string
	for _, r := range e.Responses {
		switch {
		case r.Status == 0:
			s = append(s, r.Path+" "+r.Error)
		case r.Shape == probe.ShapePodList:
			n := fmt.Sprint(r.Count)
			if r.CountIsLowerBound {
				n = "≥" + n
			}
			s = append(s, fmt.Sprintf("%s %d (%s pods)", r.Path, r.Status, n))
		case r.Shape == probe.ShapeDashboardLogin:
			s = append(s, fmt.Sprintf("%s %d (skippable: %t)", r.Path, r.Status, r.Skippable))
		default:
			s = append(s, fmt.Sprintf("%s %d", r.Path, r.Status))
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

// printable replaces control characters, which a hostile server could try to smuggle in.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
