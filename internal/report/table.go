package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kube4c/kube4c/internal/catalog"
)

// ANSI colours. Every sequence has the same length so that tabwriter, which counts escape bytes
// as width, still aligns coloured columns.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1;39m"
)

var severityColor = map[catalog.Severity]string{
	catalog.Critical: "\x1b[1;31m", // bold red
	catalog.High:     "\x1b[0;31m", // red
	catalog.Medium:   "\x1b[0;33m", // yellow
	catalog.Low:      "\x1b[0;36m", // cyan
	catalog.Info:     "\x1b[0;37m", // grey
}

type painter bool

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return code + s + ansiReset
}

func (p painter) severity(s catalog.Severity) string {
	code, ok := severityColor[s]
	if !ok {
		code = ansiBold
	}
	return p.paint(code, strings.ToUpper(s.String()))
}

func (p painter) heading(s string) string { return p.paint(ansiBold, s) }

func writeTable(out io.Writer, v *view, opts Options) error {
	p := painter(opts.Color)
	var b strings.Builder
	res := v.res

	fmt.Fprintf(&b, "kube4c %s: %d objects from %d sources", sanitize(opts.ToolVersion), res.Objects, res.Sources)
	if res.PSSLevel != "" {
		fmt.Fprintf(&b, ", Pod Security Standards %s", sanitize(res.PSSLevel))
		if res.PSSVersion != "" {
			fmt.Fprintf(&b, " (%s)", sanitize(res.PSSVersion))
		}
	}
	if opts.MinSeverity > catalog.Info {
		fmt.Fprintf(&b, ", showing %s and above", opts.MinSeverity)
	}
	b.WriteString("\n")

	// Findings, by layer then severity (v.items is sorted that way). Suppressed ones are only
	// counted.
	listed := 0
	for _, layer := range catalog.Layers {
		var rows []item
		for _, it := range v.items {
			if it.Control.Layer == layer && it.Suppression == nil {
				rows = append(rows, it)
			}
		}
		if len(rows) == 0 {
			continue
		}
		listed += len(rows)
		fmt.Fprintf(&b, "\n%s (%d)\n", p.heading(strings.ToUpper(string(layer))), len(rows))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  %s\tCONTROL\tRESOURCE\tLOCATION\tMESSAGE\n", p.heading("SEVERITY"))
		for _, it := range rows {
			loc := where(it.Location.File, it.Location.Line)
			if loc == "" {
				loc = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p.severity(it.Severity), sanitize(it.ControlID),
				sanitize(it.Resource.Key()), sanitize(loc), sanitize(it.Message))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if listed == 0 {
		b.WriteString("\nNo findings.\n")
	}
	if s := v.summary.Suppressed; s > 0 {
		fmt.Fprintf(&b, "\n%d suppressed (see -o json for the justifications)\n", s)
	}

	if len(res.Problems) > 0 {
		fmt.Fprintf(&b, "\n%s (%d)\n", p.heading("PROBLEMS"), len(res.Problems))
		for _, pr := range res.Problems {
			fmt.Fprintf(&b, "  %-7s  %s\n", sanitize(pr.Severity), sanitize(pr.String()))
		}
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintf(&b, "\n%s (%d)\n", p.heading("WARNINGS"), len(res.Warnings))
		for _, wn := range res.Warnings {
			msg := sanitize(wn.Message)
			if loc := where(wn.File, wn.Line); loc != "" {
				msg = sanitize(loc) + ": " + msg
			}
			fmt.Fprintf(&b, "  %s\n", msg)
		}
	}
	if n := len(res.ProviderManaged); n > 0 {
		fmt.Fprintf(&b, "\n%s (%d)\n", p.heading("PROVIDER-MANAGED"), n)
		fmt.Fprintf(&b, "  %d control-plane controls are owned by the %s provider and not judged here (listed in -o json).\n", n, sanitize(res.ProviderManaged[0].Platform))
	}
	if len(v.notEval) > 0 {
		fmt.Fprintf(&b, "\n%s (%d)\n", p.heading("NOT EVALUATED"), len(v.notEval))
		for _, n := range v.notEval {
			fmt.Fprintf(&b, "  %s: %s\n", sanitize(n.ControlID), sanitize(n.Reason))
		}
	}

	s := v.summary
	fmt.Fprintf(&b, "\n%s\n", p.heading("SUMMARY"))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  %-9s\tCRITICAL\tHIGH\tMEDIUM\tLOW\tINFO\tSUPPRESSED\tPASSED\tFAILED\tSCORE\t\n", "LAYER")
	row := func(name string, c SeverityCounts, suppressed, passed, failed int, sc *float64) {
		fmt.Fprintf(tw, "  %-9s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", name, c.Critical, c.High, c.Medium, c.Low, c.Info,
			suppressed, passed, failed, formatScore(sc))
	}
	for _, ls := range s.Layers {
		row(string(ls.Layer), ls.BySeverity, ls.Suppressed, ls.PassedChecks, ls.FailedChecks, ls.Score)
	}
	row("total", s.BySeverity, s.Suppressed, s.PassedChecks, s.FailedChecks, s.Score)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n%s (%d suppressed), %d of %s passed, score %s; %s (%s), %s\n",
		plural(s.Findings, "finding"), s.Suppressed, s.PassedChecks, plural(s.PassedChecks+s.FailedChecks, "check"),
		formatScore(s.Score), plural(s.Problems, "problem"), plural(s.Errors, "error"), plural(s.Warnings, "warning"))
	_, err := io.WriteString(out, b.String())
	return err
}

func formatScore(s *float64) string {
	if s == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", *s)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
