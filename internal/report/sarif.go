package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/inventory"
)

// srcRoot is the uriBaseId of relative artifact URIs (GitHub code scanning's convention).
const srcRoot = "%SRCROOT%"

// fingerprintKey names kube4c's partial fingerprint.
const fingerprintKey = "kube4c/findingHash/v1"

// SecuritySeverity is the CVSS-like score GitHub code scanning reads from a rule's
// "security-severity" property.
func SecuritySeverity(s catalog.Severity) string {
	switch s {
	case catalog.Critical:
		return "9.5"
	case catalog.High:
		return "8.0"
	case catalog.Medium:
		return "5.5"
	case catalog.Low:
		return "3.0"
	}
	return "1.0"
}

// SARIFLevel maps a severity to a SARIF level.
func SARIFLevel(s catalog.Severity) string {
	switch s {
	case catalog.Critical, catalog.High:
		return sarif.LevelError
	case catalog.Medium:
		return sarif.LevelWarning
	}
	return sarif.LevelNote
}

func writeSARIF(w io.Writer, v *view, opts Options) error {
	rep := sarif.NewReport()
	run := sarif.NewRunWithInformationURI("kube4c", InformationURI)
	version := opts.ToolVersion
	run.Tool.Driver.Version = &version
	if base := absBase(opts.BaseDir); base != "" {
		// (AddOriginalUriBaseId would write to a nil map.)
		run.WithOriginalUriBaseIds(map[string]sarif.ArtifactLocation{
			srcRoot: *sarif.NewArtifactLocation().WithURI(fileURI(base, true)),
		})
	}

	// Rules: every control with a result, in report order (items are sorted by control).
	for _, it := range v.items {
		if run.GetRuleIndex(it.ControlID) >= 0 {
			continue
		}
		addRule(run, *it.Control)
	}

	for _, it := range v.items {
		r := run.CreateResultForRule(it.ControlID).
			WithLevel(SARIFLevel(it.Severity)).
			WithMessage(sarif.NewTextMessage(resultText(it))).
			WithPartialFingerprints(map[string]string{fingerprintKey: Fingerprint(it.Finding)})
		props := sarif.NewPropertyBag().
			Add("resource", it.Resource.Key()).
			Add("layer", string(it.Control.Layer)).
			Add("severity", it.Severity.String())
		if path := it.Path.String(); path != "" {
			props.Add("fieldPath", path)
		}
		if vu := it.Vulnerability; vu != nil {
			props.Add("vulnerability", vu.ID).
				Add("package", vu.Package).
				Add("installedVersion", vu.Installed).
				Add("security-severity", SecuritySeverity(it.Severity))
			if len(vu.Aliases) > 0 {
				props.Add("aliases", vu.Aliases)
			}
			if vu.Fixed != "" {
				props.Add("fixedVersion", vu.Fixed)
			}
			if vu.PURL != "" {
				props.Add("purl", vu.PURL)
			}
			if vu.Path != "" {
				props.Add("packagePath", vu.Path)
			}
			if vu.Layer != "" {
				props.Add("imageLayer", vu.Layer)
			}
		}
		r.WithProperties(props)
		if hasFile(it.Location.File) {
			r.AddLocation(sarif.NewLocationWithPhysicalLocation(physical(it.Location.File, it.Location.Line, opts.BaseDir)))
		} else {
			// Cluster objects and standard input have no file a code-scanning tool could open.
			if it.Location.File == inventory.StdinFile && it.Location.Line > 0 {
				props.Add("stdinLine", it.Location.Line)
			}
			ll := sarif.NewLogicalLocation().
				WithFullyQualifiedName(it.Resource.Key()).
				WithName(it.Resource.Name).
				WithKind("resource")
			r.AddLocation(sarif.NewLocation().AddLogicalLocation(ll))
		}
		if s := it.Suppression; s != nil {
			kind := "external"
			if s.Kind == "inline" {
				kind = "inSource"
			}
			sup := sarif.NewSuppression().WithKind(kind).WithStatus("accepted").WithJustification(s.Justification)
			sp := sarif.NewPropertyBag().Add("kube4cKind", s.Kind)
			if s.Exception != "" {
				sp.Add("exception", s.Exception)
			}
			if s.Expires != "" {
				sp.Add("expires", s.Expires)
			}
			sup.WithProperties(sp)
			r.AddSuppression(sup)
		}
	}

	inv := sarif.NewInvocation().WithExecutionSuccessful(v.res.Errors() == 0)
	inv.ToolExecutionNotifications = []*sarif.Notification{}
	inv.ToolConfigurationNotifications = []*sarif.Notification{}
	for _, p := range v.res.Problems {
		level := sarif.LevelWarning
		if p.Severity == "error" {
			level = sarif.LevelError
		}
		msg := p.Message
		if p.Resource != "" {
			msg = p.Resource + ": " + msg
		}
		n := sarif.NewNotification().WithLevel(level).WithMessage(sarif.NewTextMessage(msg))
		if hasFile(p.File) {
			n.AddLocation(sarif.NewLocationWithPhysicalLocation(physical(p.File, p.Line, opts.BaseDir)))
		}
		inv.AddToolExecutionNotification(n)
	}
	// Controls the scan could not evaluate (a kind the identity may not list): a warning each,
	// associated with the control, so a clean SARIF log does not read as a clean bill of health.
	for _, n := range v.notEval {
		id := n.ControlID
		ref := sarif.NewReportingDescriptorReference()
		ref.ID = &id
		inv.AddToolExecutionNotification(sarif.NewNotification().
			WithLevel(sarif.LevelWarning).
			WithMessage(sarif.NewTextMessage(fmt.Sprintf("%s not evaluated: %s", n.ControlID, n.Reason))).
			WithAssociatedRule(ref).
			WithProperties(sarif.NewPropertyBag().Add("notEvaluated", true)))
	}
	for _, wn := range v.res.Warnings {
		n := sarif.NewNotification().WithLevel(sarif.LevelWarning).WithMessage(sarif.NewTextMessage(wn.Message))
		if hasFile(wn.File) {
			n.AddLocation(sarif.NewLocationWithPhysicalLocation(physical(wn.File, wn.Line, opts.BaseDir)))
		}
		inv.AddToolConfigurationNotification(n)
	}
	run.AddInvocation(inv)
	rep.AddRun(run)

	// The results are most of the document (tens of megabytes for a large scan): the rest is
	// pruned as a whole, the results one at a time and streamed into their place.
	results := run.Results
	run.Results = nil
	var raw bytes.Buffer
	if err := rep.Write(&raw); err != nil {
		return fmt.Errorf("report: sarif: %w", err)
	}
	return writePruned(w, raw.Bytes(), results)
}

func addRule(run *sarif.Run, c catalog.Control) {
	rule := run.AddRule(c.ID).
		WithName(ruleName(c.ID)).
		WithDescription(c.Title).
		WithFullDescription(sarif.NewMultiformatMessageString().WithText(c.Rationale))
	rule.Help = sarif.NewMultiformatMessageString().WithText(helpText(c)).WithMarkdown(helpMarkdown(c))
	cfg := sarif.NewReportingConfiguration()
	cfg.Level = SARIFLevel(c.Severity)
	rule.DefaultConfiguration = cfg
	props := sarif.NewPropertyBag().
		Add("layer", string(c.Layer)).
		Add("severity", c.Severity.String()).
		Add("security-severity", SecuritySeverity(c.Severity)).
		WithTags(ruleTags(c))
	rule.WithProperties(props)
}

// ruleName turns "container/privileged-container" into "ContainerPrivilegedContainer".
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func ruleTags(c catalog.Control) []string {
	tags := []string{"security", "kubernetes", string(c.Layer)}
	refs := c.References
	if refs.PSS != nil {
		tags = append(tags, "pss:"+refs.PSS.Level, "pss:"+refs.PSS.Check)
	}
	for _, s := range refs.CIS {
		tags = append(tags, "cis:"+s)
	}
	for _, s := range refs.NSA {
		tags = append(tags, "nsa:"+s)
	}
	for _, s := range refs.MITRE {
		tags = append(tags, "mitre:"+s)
	}
	// Tags must be unique (the schema says so).
	seen := map[string]bool{}
	out := tags[:0]
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func referenceLines(c catalog.Control) []string {
	var out []string
	r := c.References
	if r.PSS != nil {
		out = append(out, fmt.Sprintf("Pod Security Standards (%s): %s", r.PSS.Level, r.PSS.Check))
	}
	if len(r.CIS) > 0 {
		out = append(out, "CIS Kubernetes Benchmark v1.10.0: "+strings.Join(r.CIS, ", "))
	}
	if len(r.NSA) > 0 {
		out = append(out, "NSA-CISA Kubernetes Hardening Guide v1.2: "+strings.Join(r.NSA, ", "))
	}
	if len(r.MITRE) > 0 {
		out = append(out, "MITRE ATT&CK: "+strings.Join(r.MITRE, ", "))
	}
	return out
}

func helpText(c catalog.Control) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, %s)\n\n%s\n\nRemediation: %s", c.Title, c.Layer, c.Severity, c.Rationale, c.Remediation)
	if refs := referenceLines(c); len(refs) > 0 {
		b.WriteString("\n\nReferences:\n")
		for _, r := range refs {
			b.WriteString("- " + r + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func helpMarkdown(c catalog.Control) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (layer: %s, severity: %s)\n\n%s\n\n### Remediation\n\n%s", c.Title, c.Layer, c.Severity,
		c.Rationale, c.Remediation)
	if refs := referenceLines(c); len(refs) > 0 {
		b.WriteString("\n\n### References\n\n")
		for _, r := range refs {
			b.WriteString("- " + r + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func resultText(it item) string {
	msg := it.Message
	if msg == "" {
		msg = it.Control.Title
	}
	if path := it.Path.String(); path != "" {
		return fmt.Sprintf("%s: %s (%s)", it.Resource.Key(), msg, path)
	}
	return it.Resource.Key() + ": " + msg
}

// physical builds a physical location: a URI relative to %SRCROOT% (the base directory) when the
// file is inside it, an absolute file:// URI otherwise; a region only when the line is known.
// hasFile reports whether a location names a real file (not a cluster object or standard input).
func hasFile(file string) bool { return file != "" && file != inventory.StdinFile }

func physical(file string, line int, baseDir string) *sarif.PhysicalLocation {
	al := sarif.NewArtifactLocation()
	if rel, ok := relativeTo(file, baseDir); ok {
		al.WithURI(relativeURI(rel)).WithURIBaseID(srcRoot)
	} else {
		al.WithURI(fileURI(absFile(file, baseDir), false))
	}
	pl := sarif.NewPhysicalLocation().WithArtifactLocation(al)
	if line > 0 {
		pl.WithRegion(sarif.NewRegion().WithStartLine(line))
	}
	return pl
}

func absBase(baseDir string) string {
	if baseDir == "" {
		return ""
	}
	if abs, err := filepath.Abs(baseDir); err == nil {
		return abs
	}
	return filepath.Clean(baseDir)
}

func absFile(file, baseDir string) string {
	if filepath.IsAbs(file) {
		return filepath.Clean(file)
	}
	if base := absBase(baseDir); base != "" {
		return filepath.Join(base, file)
	}
	if abs, err := filepath.Abs(file); err == nil {
		return abs
	}
	return file
}

// relativeTo returns file relative to baseDir when it is inside it. Relative files are taken as
// relative to baseDir already; without a base directory they stay relative (to the working
// directory, which is where %SRCROOT% points in that case).
func relativeTo(file, baseDir string) (string, bool) {
	if baseDir == "" {
		if filepath.IsAbs(file) {
			return "", false
		}
		rel := filepath.Clean(file)
		return rel, rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	base := absBase(baseDir)
	rel, err := filepath.Rel(base, absFile(file, baseDir))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

func relativeURI(rel string) string {
	u := url.URL{Path: filepath.ToSlash(rel)}
	return u.String()
}

// fileURI renders an absolute path as a file:// URI (with a trailing slash for directories).
func fileURI(abs string, dir bool) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letters: file:///C:/...
	}
	if dir && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u := url.URL{Scheme: "file", Path: p}
	// url.URL omits the empty authority; file URIs conventionally keep it (file:///path).
	s := u.String()
	if strings.HasPrefix(s, "file:/") && !strings.HasPrefix(s, "file:///") {
		s = "file://" + strings.TrimPrefix(s, "file:")
	}
	return s
}

// writePruned re-indents go-sarif's output and drops the members it always emits with their
// schema default values (-1 indexes and ranks, empty arrays and property bags), which mean the
// same as absent and only add noise. The run's "results" array is kept even when empty: SARIF
// distinguishes "no results" from "results not computed".
func writePruned(w io.Writer, raw []byte, results []*sarif.Result) error {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("report: sarif: %w", err)
	}
	doc = prune(doc, "")
	// Mark where the results go.
	const mark = "\x00kube4c-results\x00"
	if runs, ok := doc.(map[string]any)["runs"].([]any); ok && len(runs) == 1 {
		if run, ok := runs[0].(map[string]any); ok {
			run["results"] = mark
		}
	}
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	// Search from the end: notifications carrying input-derived text precede "results", only
	// catalog text follows it.
	quoted, _ := json.Marshal(mark)
	i := bytes.LastIndex(head.Bytes(), quoted)
	if i < 0 {
		return errors.New("report: sarif: results marker lost")
	}
	before, after := head.Bytes()[:i], head.Bytes()[i+len(quoted):]
	if _, err := w.Write(before); err != nil {
		return err
	}
	if len(results) == 0 {
		_, err := io.WriteString(w, "[]")
		if err == nil {
			_, err = w.Write(after)
		}
		return err
	}
	// runs[0].results sits three levels deep: its items are indented by eight spaces.
	const itemIndent = "        "
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	var buf bytes.Buffer
	for i, r := range results {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("report: sarif: %w", err)
		}
		var item any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&item); err != nil {
			return fmt.Errorf("report: sarif: %w", err)
		}
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n" + itemIndent)
		e := json.NewEncoder(&buf)
		e.SetIndent(itemIndent, "  ")
		e.SetEscapeHTML(false)
		if err := e.Encode(prune(item, "results")); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, "\n      ]"); err != nil {
		return err
	}
	_, err := w.Write(after)
	return err
}

var defaultMinusOne = map[string]bool{
	"index": true, "parentIndex": true, "id": true, "rank": true, "byteOffset": true, "charOffset": true,
	"length": true,
}

var keepEmpty = map[string]bool{"runs": true, "results": true}

func prune(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			val = prune(val, k)
			switch t := val.(type) {
			case []any:
				if len(t) == 0 && !keepEmpty[k] {
					delete(x, k)
					continue
				}
			case map[string]any:
				if len(t) == 0 && k == "properties" {
					delete(x, k)
					continue
				}
			case json.Number:
				if t.String() == "-1" && defaultMinusOne[k] {
					delete(x, k)
					continue
				}
			}
			x[k] = val
		}
		return x
	case []any:
		for i := range x {
			x[i] = prune(x[i], key)
		}
		return x
	}
	return v
}
