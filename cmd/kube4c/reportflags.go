package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// reportFlags are the flags of every command that writes a findings report (scan, node, probe).
type reportFlags struct {
	output         string
	outputFile     string
	severity       string
	failOn         string
	skipInvalid    bool
	exceptionsFile string
}

// register adds the report flags; skipInvalid and exceptions are the commands' own help texts.
func (r *reportFlags) register(fl *pflag.FlagSet, skipInvalid, exceptions string) {
	fl.StringVarP(&r.output, "output", "o", "table", "output format: table, json, sarif or junit")
	fl.StringVar(&r.outputFile, "output-file", "", "write the report to this file instead of standard output")
	fl.StringVar(&r.severity, "severity", "info", "report only findings of this severity or higher (info, low, medium, high, critical)")
	fl.StringVar(&r.failOn, "fail-on", "info", "exit 1 when a reported, unsuppressed finding has this severity or higher; 'none' never fails on findings")
	fl.BoolVar(&r.skipInvalid, "skip-invalid", false, skipInvalid)
	fl.StringVar(&r.exceptionsFile, "exceptions", "", exceptions)
}

// reportSettings parses the -o, --severity and --fail-on flags every reporting command has;
// failOn is -1 for "none".
func reportSettings(output, severity, failOnFlag string) (report.Format, catalog.Severity, catalog.Severity, error) {
	format, err := report.ParseFormat(output)
	if err != nil {
		return "", 0, 0, usageErr("%v", err)
	}
	minSev, err := catalog.ParseSeverity(severity)
	if err != nil {
		return "", 0, 0, usageErr("--severity: %v", err)
	}
	failOn := catalog.Severity(-1)
	if failOnFlag != "none" {
		if failOn, err = catalog.ParseSeverity(failOnFlag); err != nil {
			return "", 0, 0, usageErr("--fail-on: %v (or none)", err)
		}
	}
	return format, minSev, failOn, nil
}

// emitReport writes the report (to --output-file or standard output), repeats problems and
// warnings on standard error when the report is not a table on the terminal, and returns the
// exit code the result calls for.
func emitReport(c *cobra.Command, res *finding.Result, format report.Format, minSev, failOn catalog.Severity, outputFile string, skipInvalid bool) error {
	return emitReportQuiet(c, res, format, minSev, failOn, outputFile, skipInvalid, false)
}

// emitReportQuiet is emitReport; quiet leaves problems and warnings in the report only.
func emitReportQuiet(c *cobra.Command, res *finding.Result, format report.Format, minSev, failOn catalog.Severity, outputFile string, skipInvalid, quiet bool) error {
	wd, _ := os.Getwd()
	ropts := report.Options{ToolVersion: toolVersion(), MinSeverity: minSev, BaseDir: wd}
	var out io.Writer = c.OutOrStdout()
	if outputFile == "" {
		ropts.Color = isTerminal(out)
	}
	if outputFile != "" {
		if err := writeFileAtomic(outputFile, func(w io.Writer) error { return report.Write(w, format, res, ropts) }); err != nil {
			return &codeError{code: exitError, err: fmt.Errorf("--output-file: %w", err)}
		}
	} else if err := report.Write(out, format, res, ropts); err != nil {
		return &codeError{code: exitError, err: err}
	}
	if (format != report.Table || outputFile != "") && !quiet {
		for _, p := range res.Problems {
			fmt.Fprintf(c.ErrOrStderr(), "%s: %s\n", p.Severity, p.String())
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", warningText(w))
		}
	}
	return exitFor(res, minSev, failOn, skipInvalid)
}
