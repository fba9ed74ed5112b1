// Package helm renders Helm charts in-process (no helm binary, no cluster, no network) and adds the
// rendered objects to an inventory. Each object points back at the chart's template file; a
// best-effort locator maps field paths to lines of that template (see docs/sources.md).
package helm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	v2loader "helm.sh/helm/v4/pkg/chart/v2/loader"
	v2util "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source/manifest"
)

// Defaults for Options fields left empty.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
	DefaultKubeVersion = "v1.37.0"
)

// Options configure how a chart is rendered. They mirror `helm template` flags.
type Options struct {
	ReleaseName string   // default "release-name"
	Namespace   string   // release namespace, default "default"
	ValuesFiles []string // -f/--values, later files win (local files only)
	// --set, --set-string, --set-file, --set-json: same syntax as helm (helm's strvals package).
	Set, SetString, SetFile, SetJSON []string
	KubeVersion                      string   // capabilities, default "v1.37.0"
	APIVersions                      []string // extra capabilities API versions
}

// IsChart reports whether path is a chart: a directory with Chart.yaml, or a .tgz/.tar.gz archive.
func IsChart(p string) bool {
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	if fi.IsDir() {
		cf, err := os.Stat(filepath.Join(p, "Chart.yaml"))
		return err == nil && cf.Mode().IsRegular()
	}
	lower := strings.ToLower(p)
	return fi.Mode().IsRegular() && (strings.HasSuffix(lower, ".tgz") || strings.HasSuffix(lower, ".tar.gz"))
}

// Load renders the chart at path and adds the objects to inv. Render errors, schema violations and
// undecodable output become problems in inv; an error is returned only when the chart cannot be
// loaded at all (missing, not a chart, unreadable values files, bad --set syntax).
func Load(ctx context.Context, p string, opts Options, inv *inventory.Inventory) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("helm chart %s: internal error while rendering: %v", p, r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	if opts.ReleaseName == "" {
		opts.ReleaseName = DefaultReleaseName
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.KubeVersion == "" {
		opts.KubeVersion = DefaultKubeVersion
	}

	ch, err := v2loader.Load(p)
	if err != nil {
		return fmt.Errorf("helm chart %s: %w", p, err)
	}
	if ch.Metadata == nil {
		return fmt.Errorf("helm chart %s: Chart.yaml is missing", p)
	}
	rootLoc := location{disk: p}
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		rootLoc = location{disk: p, archived: true}
	}
	files := map[*common.File]string{}
	mapChartFiles(ch, rootLoc, files)

	userVals, err := userValues(opts)
	if err != nil {
		return fmt.Errorf("helm chart %s: %w", p, err)
	}
	kv, err := common.ParseKubeVersion(opts.KubeVersion)
	if err != nil {
		return fmt.Errorf("helm chart %s: invalid kube version %q: %w", p, opts.KubeVersion, err)
	}
	caps := common.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	if len(opts.APIVersions) > 0 {
		caps.APIVersions = append(append(common.VersionSet{}, caps.APIVersions...), opts.APIVersions...)
	}

	name := ch.Name()
	chartProblem := func(sev, file string, line int, format string, args ...any) {
		inv.AddProblem(inventory.Problem{Severity: sev, File: file, Line: line,
			Message: fmt.Sprintf("chart %s: ", name) + fmt.Sprintf(format, args...)})
	}

	if err := v2util.ProcessDependencies(ch, userVals); err != nil {
		return fmt.Errorf("helm chart %s: processing dependencies: %w", p, err)
	}
	reportMissingDependencies(ch, func(msg string) { chartProblem("warning", p, 0, "%s", msg) })

	// Schema validation is done by validateSchema (no network, no file loads), never by Helm.
	relOpts := common.ReleaseOptions{Name: opts.ReleaseName, Namespace: opts.Namespace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValuesWithSchemaValidation(ch, userVals, relOpts, caps, true)
	if err != nil {
		return fmt.Errorf("helm chart %s: computing values: %w", p, err)
	}
	if v, ok := vals["Values"].(common.Values); ok {
		for _, sp := range validateSchema(ch, v.AsMap()) {
			chartProblem(sp.severity, p, 0, "%s", sp.message)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	tpls := templateIndex(ch)
	rendered, failures := render(ctx, ch, vals, tpls)
	for _, f := range failures {
		file := p
		rel := ""
		if f.tpl != nil {
			file = files[f.tpl.file]
			rel = f.tpl.rel
		}
		if rel != "" {
			chartProblem("error", file, f.line, "%s: %s", rel, f.msg)
		} else {
			chartProblem("error", file, f.line, "%s", f.msg)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	popts := manifest.Options{DefaultNamespace: opts.Namespace}
	keys := make([]string, 0, len(rendered))
	for k := range rendered {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out := rendered[k]
		if strings.HasSuffix(k, "NOTES.txt") || strings.TrimSpace(out) == "" {
			continue
		}
		t := tpls[k]
		if t == nil {
			continue
		}
		file := files[t.file]
		if file == "" {
			file = p + "#" + k
		}
		src := inventory.Source{Origin: inventory.FromHelm, File: file, Context: name}
		objs, probs := manifest.Parse([]byte(out), src, popts)
		for i := range probs {
			// Lines of rendered output mean nothing to the user: name the template instead.
			probs[i].File = file
			probs[i].Line = 0
			probs[i].Message = fmt.Sprintf("chart %s: %s: rendered output: %s", name, t.rel, probs[i].Message)
		}
		inv.AddProblem(probs...)
		tmpl := newTemplateText(t.file.Data)
		seen := map[string]int{}
		for i, o := range objs {
			nth := seen[o.Kind]
			seen[o.Kind]++
			doc := tmpl.document(o.Kind, nth, i)
			o.Source = inventory.Source{Origin: inventory.FromHelm, File: file, Line: doc.start, Context: name}
			o.Locator = &templateLocator{file: file, text: tmpl, doc: doc}
		}
		inv.Add(objs...)
	}

	// CRDs from crds/ directories are not templates: Helm installs them as they are.
	for _, crd := range ch.CRDObjects() {
		if crd.File == nil {
			continue
		}
		file := files[crd.File]
		if file == "" {
			file = p + "#" + crd.Filename
		}
		src := inventory.Source{Origin: inventory.FromHelm, File: file, Context: name}
		objs, probs := manifest.Parse(crd.File.Data, src, popts)
		inv.AddProblem(probs...)
		for _, o := range objs {
			o.Source.Origin, o.Source.File, o.Source.Context = inventory.FromHelm, file, name
		}
		inv.Add(objs...)
	}
	return nil
}

// location is where a chart's files live as the user sees them: a directory on disk, or an archive
// (possibly nested: "chart.tgz#charts/sub-1.0.0.tgz").
type location struct {
	disk     string // directory, or archive path (with "#inner.tgz" parts for nested archives)
	inner    string // directory inside the archive ("" for its root)
	archived bool
}

func (l location) file(rel string) string {
	if !l.archived {
		return filepath.Join(l.disk, filepath.FromSlash(rel))
	}
	return l.disk + "#" + path.Join(l.inner, rel)
}

func (l location) child(dir string) location {
	if !l.archived {
		return location{disk: filepath.Join(l.disk, filepath.FromSlash(dir))}
	}
	return location{disk: l.disk, inner: path.Join(l.inner, dir), archived: true}
}

// mapChartFiles records the user-visible path of every template and file of c and its subcharts.
// It must run before ProcessDependencies, which may replace subcharts by aliased copies (those
// share the *common.File values, so the map still applies).
func mapChartFiles(c *chartv2.Chart, loc location, out map[*common.File]string) {
	for _, f := range c.Templates {
		out[f] = loc.file(f.Name)
	}
	for _, f := range c.Files {
		out[f] = loc.file(f.Name)
	}
	used := map[string]bool{}
	for _, dep := range c.Dependencies() {
		sub, ok := subchartLocation(c, dep, loc, used)
		if !ok {
			sub = loc.child("charts/" + dep.Name())
		}
		mapChartFiles(dep, sub, out)
	}
}

// subchartLocation finds which entry of c's charts/ directory dep was loaded from: an unpacked
// directory whose Chart.yaml is byte-identical, or an archive holding the same name and version.
func subchartLocation(c, dep *chartv2.Chart, loc location, used map[string]bool) (location, bool) {
	var depChartYAML []byte
	for _, f := range dep.Raw {
		if f.Name == "Chart.yaml" {
			depChartYAML = f.Data
		}
	}
	for _, f := range c.Raw {
		rest, ok := strings.CutPrefix(f.Name, "charts/")
		if !ok {
			continue
		}
		dir, file, nested := strings.Cut(rest, "/")
		if nested && file == "Chart.yaml" && !used[dir] && depChartYAML != nil && bytes.Equal(f.Data, depChartYAML) {
			used[dir] = true
			return loc.child("charts/" + dir), true
		}
	}
	for _, f := range c.Raw {
		rest, ok := strings.CutPrefix(f.Name, "charts/")
		if !ok || strings.Contains(rest, "/") || used[rest] || !strings.HasSuffix(rest, ".tgz") {
			continue
		}
		sc, err := v2loader.LoadArchive(bytes.NewReader(f.Data))
		if err != nil || sc.Metadata == nil || dep.Metadata == nil {
			continue
		}
		if sc.Metadata.Name == dep.Metadata.Name && sc.Metadata.Version == dep.Metadata.Version {
			used[rest] = true
			return location{disk: loc.file("charts/" + rest), archived: true}, true
		}
	}
	return location{}, false
}

// reportMissingDependencies warns about enabled dependencies declared in Chart.yaml that are not
// vendored in charts/: they cannot be fetched offline, so their templates are not scanned.
func reportMissingDependencies(c *chartv2.Chart, warn func(string)) {
	have := map[string]bool{}
	for _, d := range c.Dependencies() {
		have[d.Name()] = true
	}
	for _, req := range c.Metadata.Dependencies {
		if req == nil || have[req.Name] {
			continue
		}
		warn(fmt.Sprintf("dependency %q (%s %s) is declared in %s's Chart.yaml but not present in its charts/ directory; run `helm dependency build` to scan it (kube4c does not download charts)",
			req.Name, req.Repository, req.Version, c.ChartFullPath()))
	}
	for _, d := range c.Dependencies() {
		reportMissingDependencies(d, warn)
	}
}

// userValues merges values files and --set flags the way `helm template` does (helm's
// pkg/cli/values.Options.MergeValues), but only from local files.
func userValues(opts Options) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range opts.ValuesFiles {
		raw, err := readLocal(f)
		if err != nil {
			return nil, fmt.Errorf("values file: %w", err)
		}
		m, err := v2loader.LoadValues(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("failed to parse values file %s: %w", f, err)
		}
		base = v2loader.MergeMaps(base, m)
	}
	for _, v := range opts.SetJSON {
		t := strings.TrimSpace(v)
		if t != "" && t[0] == '{' {
			var m map[string]any
			if err := json.Unmarshal([]byte(t), &m); err != nil {
				return nil, fmt.Errorf("failed parsing --set-json data JSON: %s", v)
			}
			base = v2loader.MergeMaps(base, m)
		} else if err := strvals.ParseJSON(v, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-json data %s", v)
		}
	}
	for _, v := range opts.Set {
		if err := strvals.ParseInto(v, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %w", err)
		}
	}
	for _, v := range opts.SetString {
		if err := strvals.ParseIntoString(v, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-string data: %w", err)
		}
	}
	for _, v := range opts.SetFile {
		reader := func(rs []rune) (any, error) {
			b, err := readLocal(string(rs))
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
		if err := strvals.ParseIntoFile(v, base, reader); err != nil {
			return nil, fmt.Errorf("failed parsing --set-file data: %w", err)
		}
	}
	return base, nil
}

// readLocal reads a local file; URLs and stdin are refused (offline, non-interactive).
func readLocal(name string) ([]byte, error) {
	if name == "-" {
		return nil, errors.New("reading values from stdin is not supported")
	}
	if i := strings.Index(name, "://"); i > 0 && !strings.ContainsAny(name[:i], `/\`) {
		return nil, fmt.Errorf("%s: remote values are not fetched (kube4c works offline); download the file and pass its path", name)
	}
	return os.ReadFile(name)
}
