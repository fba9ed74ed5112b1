package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kube4c/kube4c/internal/vulndb"
	"github.com/spf13/cobra"
)

func newDBCmd() *cobra.Command {
	var dbPath string
	c := &cobra.Command{
		Use:   "db",
		Short: "Manage the local vulnerability database (OSV records) image scans match against",
		Long: `kube4c matches packages against a local database of OSV records (https://osv.dev). Scans
never download anything: 'kube4c db update' downloads OSV's all.zip files when you ask, and
'kube4c db import' reads files you brought (for air-gapped machines). See docs/vulndb.md.`,
		Example: `  kube4c db update                                  # Debian, Ubuntu, Alpine, Go, npm, PyPI, ...
  kube4c db update --ecosystem Debian --ecosystem Go
  kube4c db import Debian-all.zip Go-all.zip ./my-osv-records/
  kube4c db status`,
	}
	c.PersistentFlags().StringVar(&dbPath, "db", "", "database file (default $KUBE4C_DB, else the user cache directory)")
	path := func() string {
		if dbPath != "" {
			return dbPath
		}
		return vulndb.DefaultPath()
	}

	var replace bool
	imp := &cobra.Command{
		Use:   "import FILE.zip|DIR|FILE.json...",
		Short: "Import OSV all.zip files, folders of OSV JSON or single records (merged into the database)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			st, err := vulndb.Import(c.Context(), path(), args, vulndb.ImportOptions{Replace: replace})
			if err != nil {
				return &codeError{code: exitError, err: err}
			}
			return reportImport(c, "imported", st)
		},
	}
	imp.Flags().BoolVar(&replace, "replace", false, "start from an empty database instead of merging")

	var uo vulndb.UpdateOptions
	var timeout time.Duration
	upd := &cobra.Command{
		Use:   "update",
		Short: "Download OSV's all.zip files (checked against the server's checksums) and replace the database atomically",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			st, err := vulndb.Update(ctx, path(), uo)
			if err != nil {
				return &codeError{code: exitError, err: err}
			}
			return reportImport(c, "updated", st)
		},
	}
	upd.Flags().StringArrayVar(&uo.URLs, "url", nil, "download this zip of OSV records instead of OSV's (repeatable; e.g. a mirror)")
	upd.Flags().StringArrayVar(&uo.Ecosystems, "ecosystem", nil, "download this ecosystem's all.zip (repeatable; default: "+strings.Join(vulndb.DefaultEcosystems, ", ")+")")
	upd.Flags().StringVar(&uo.SHA256, "sha256", "", "expected SHA-256 of the single --url")
	upd.Flags().BoolVar(&uo.Merge, "merge", false, "keep the records already in the database")
	upd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")

	var output string
	stat := &cobra.Command{
		Use:   "status",
		Short: "Show where the database is, when it was built, from what, and how many advisories it holds",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageErr("-o: want table or json, got %q", output)
			}
			db, err := vulndb.Open(path())
			if err != nil {
				if errors.Is(err, vulndb.ErrNotFound) {
					return &codeError{code: exitFindings, err: err}
				}
				return &codeError{code: exitError, err: err}
			}
			defer db.Close()
			s, err := db.Status()
			if err != nil {
				return &codeError{code: exitError, err: err}
			}
			w := c.OutOrStdout()
			if output == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			}
			fmt.Fprintf(w, "Database:    %s (%d bytes, schema %s)\n", s.Path, s.Size, s.Schema)
			fmt.Fprintf(w, "Built:       %s (%s ago)\n", s.Built.Format(time.RFC3339), time.Since(s.Built).Round(time.Minute))
			fmt.Fprintf(w, "Advisories:  %d\n", s.Advisories)
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\nECOSYSTEM\tADVISORIES")
			for _, e := range slices.Sorted(maps.Keys(s.Ecosystems)) {
				fmt.Fprintf(tw, "%s\t%d\n", e, s.Ecosystems[e])
			}
			fmt.Fprintln(tw, "\nSOURCE\tRECORDS\tIMPORTED\tSHA-256\tVERIFIED")
			for _, src := range s.Sources {
				sum := src.SHA256
				if sum == "" {
					sum = "-"
				}
				ver := src.Verified
				if ver == "" {
					ver = "-"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", sanitizeLine(src.Name), src.Records, src.Imported.Format(time.RFC3339), sum, ver)
			}
			return tw.Flush()
		},
	}
	stat.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	c.AddCommand(imp, upd, stat)
	return c
}

// reportImport prints what an import or update did; skipped entries are warnings on stderr.
func reportImport(c *cobra.Command, verb string, st vulndb.Stats) error {
	for _, p := range st.Problems {
		fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", sanitizeLine(p))
	}
	fmt.Fprintf(c.OutOrStdout(), "%s %d records (%d withdrawn, %d skipped); the database holds %d advisories\n",
		verb, st.Records, st.Withdrawn, len(st.Problems), st.Advisories)
	return nil
}

// sanitizeLine keeps control characters of file names and messages off the terminal.
func sanitizeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
