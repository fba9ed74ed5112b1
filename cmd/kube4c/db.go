package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kube4c/kube4c/internal/vulndb"
	"github.com/spf13/cobra"
)

// staleAfter is the age past which db status warns that the database is old.
const staleAfter = 7 * 24 * time.Hour

func newDBCmd() *cobra.Command {
	var dbPath string
	c := &cobra.Command{
		Use:   "db",
		Short: "Manage the local vulnerability database (OSV records) image scans match against",
		Long: `kube4c matches packages against a local database of OSV records (https://osv.dev). Scans
never download anything: 'kube4c db update' downloads OSV's all.zip files when you ask, and
'kube4c db import' reads files you brought (for air-gapped machines).

The database is $KUBE4C_DB, else kube4c/vulndb/osv.db in the user cache directory; --db
overrides both. Every change writes a new file and renames it over the old one: scans see the
old database or the new one, never a half-written one. See docs/vulndb.md.`,
		Example: `  kube4c db update                                  # Debian, Ubuntu, Alpine, Go, npm, PyPI, ...
  kube4c db update --ecosystem Debian --ecosystem Go
  kube4c db update --url https://mirror.example/osv/Debian/all.zip --sha256 HEX
  kube4c db import Debian-all.zip Go-all.zip ./my-osv-records/   # air-gapped
  kube4c db status`,
	}
	c.PersistentFlags().StringVar(&dbPath, "db", "", "database file (default $KUBE4C_DB, else kube4c/vulndb/osv.db in the user cache directory)")
	path := func() string {
		if dbPath != "" {
			return dbPath
		}
		return vulndb.DefaultPath()
	}

	var replace bool
	imp := &cobra.Command{
		Use:   "import FILE.zip|DIR|FILE.json...",
		Short: "Import OSV all.zip files, directories of OSV JSON or single records (merged into the database)",
		Long: `Import OSV records into the database: all.zip files as OSV publishes them per ecosystem
(https://osv-vulnerabilities.storage.googleapis.com/ECOSYSTEM/all.zip), directories of OSV JSON
files (recursive) and single .json records. Records replace earlier records with the same ID,
withdrawn records are removed, other records are kept; --replace starts from an empty database.
Entries that are not OSV records are skipped with a warning naming the file (and zip entry).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			st, err := vulndb.Import(c.Context(), path(), args, vulndb.ImportOptions{Replace: replace})
			if err != nil {
				return &codeError{code: exitError, err: err}
			}
			reportImport(c, "imported", st)
			return nil
		},
	}
	imp.Flags().BoolVar(&replace, "replace", false, "start from an empty database instead of merging")

	var (
		uo      vulndb.UpdateOptions
		timeout time.Duration
	)
	upd := &cobra.Command{
		Use:   "update",
		Short: "Download OSV's all.zip files, check them, and update the database atomically",
		Long: `Download the all.zip of each ecosystem from OSV's bucket (default: ` + strings.Join(vulndb.DefaultEcosystems, ", ") + `),
or the --url files given. Each download is checked against the MD5 Google Cloud Storage sends
(x-goog-hash), a URL.sha256 file when the server has one, and --sha256; a mismatch, a truncated
download or an HTTP error stops the update and leaves the database as it was.

Each ecosystem downloaded from OSV replaces that ecosystem's records (records OSV no longer has
are removed); other ecosystems and imported files are kept. --url files are merged like
'kube4c db import'. --replace starts from an empty database.

This is the only kube4c command that downloads vulnerability data; it honours HTTPS_PROXY.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if len(uo.URLs) > 0 && len(uo.Ecosystems) > 0 {
				return usageErr("--url and --ecosystem: give one or the other")
			}
			if uo.SHA256 != "" && len(uo.URLs) != 1 {
				return usageErr("--sha256 checks a single --url")
			}
			ctx := c.Context()
			uo.Client = &http.Client{} // proxies from the environment; the deadline is --timeout's
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			uo.Progress = func(msg string) { fmt.Fprintln(c.ErrOrStderr(), sanitizeLine(msg)) }
			st, err := vulndb.Update(ctx, path(), uo)
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					err = fmt.Errorf("%w (--timeout %s); the database was not changed", err, timeout)
				}
				return &codeError{code: exitError, err: err}
			}
			reportImport(c, "updated", st)
			return nil
		},
	}
	upd.Flags().StringArrayVar(&uo.URLs, "url", nil, "download this zip of OSV records instead of OSV's (repeatable; e.g. a mirror)")
	upd.Flags().StringArrayVar(&uo.Ecosystems, "ecosystem", nil, "download this OSV ecosystem's all.zip (repeatable)")
	upd.Flags().StringVar(&uo.SHA256, "sha256", "", "expected SHA-256 (hex) of the single --url")
	upd.Flags().BoolVar(&uo.Replace, "replace", false, "start from an empty database: keep only what is downloaded")
	upd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long (0: no limit)")

	var output string
	stat := &cobra.Command{
		Use:   "status",
		Short: "Show where the database is, when it was built, from what, and how many advisories it holds",
		Long: `Show the database file, its schema, build time and age, every source imported (file or URL,
SHA-256, records, how a download was verified) and the advisories per ecosystem.
Exit codes: 0 the database is readable; 2 there is none (or it cannot be read).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageErr("-o: want table or json, got %q", output)
			}
			db, err := vulndb.Open(path())
			if err != nil {
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
			printStatus(c, s, time.Now())
			return nil
		},
	}
	stat.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	c.AddCommand(imp, upd, stat)
	return c
}

// printStatus writes a status as text.
func printStatus(c *cobra.Command, s vulndb.Status, now time.Time) {
	w := c.OutOrStdout()
	age := now.Sub(s.Built)
	fmt.Fprintf(w, "Database:    %s\n", sanitizeLine(s.Path))
	size := fmt.Sprintf("%.1f MiB", float64(s.Size)/(1<<20))
	if s.Size < 1<<20 {
		size = fmt.Sprintf("%d KiB", (s.Size+1023)/1024)
	}
	fmt.Fprintf(w, "Size:        %s (schema %s)\n", size, s.Schema)
	fmt.Fprintf(w, "Built:       %s (%s ago)\n", s.Built.Format(time.RFC3339), humanAge(age))
	fmt.Fprintf(w, "Advisories:  %d\n", s.Advisories)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nECOSYSTEM\tADVISORIES")
	for _, e := range slices.Sorted(maps.Keys(s.Ecosystems)) {
		fmt.Fprintf(tw, "%s\t%d\n", sanitizeLine(e), s.Ecosystems[e])
	}
	fmt.Fprintln(tw, "\nSOURCE\tRECORDS\tIMPORTED\tSHA-256\tVERIFIED")
	for _, src := range s.Sources {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", sanitizeLine(src.Name), src.Records, src.Imported.Format(time.RFC3339), dashIfEmpty(src.SHA256), dashIfEmpty(src.Verified))
	}
	tw.Flush()
	if age > staleAfter {
		fmt.Fprintf(c.ErrOrStderr(), "warning: the database is %s old: run 'kube4c db update' (or import newer OSV files)\n", humanAge(age))
	}
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return sanitizeLine(s)
}

// humanAge is a duration in days, hours or minutes.
func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0m"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// reportImport prints what an import or update did; skipped entries are warnings on stderr.
func reportImport(c *cobra.Command, verb string, st vulndb.Stats) {
	for _, p := range st.Problems {
		fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", sanitizeLine(p))
	}
	removed := ""
	if st.Removed > 0 {
		removed = fmt.Sprintf(", %d removed upstream", st.Removed)
	}
	fmt.Fprintf(c.OutOrStdout(), "%s %d records (%d withdrawn%s, %d skipped); the database holds %d advisories\n",
		verb, st.Records, st.Withdrawn, removed, st.Skipped, st.Advisories)
}

// sanitizeLine keeps control characters of file names and messages off the terminal.
func sanitizeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
