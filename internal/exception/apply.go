package exception

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
)

// IgnoreAnnotation is the inline ignore annotation:
//
//	kube4c.io/ignore: "<control-id-or-pattern>[,<control-id-or-pattern>...]: <reason>"
const IgnoreAnnotation = "kube4c.io/ignore"

// Options control Apply.
type Options struct {
	// Now decides which exceptions have expired (the CLI passes time.Now()). The zero value means
	// time.Now().
	Now time.Time
	// InlineIgnores honours kube4c.io/ignore annotations (the CLI's --no-inline-ignores turns it
	// off, for auditors who accept only reviewed exceptions files).
	InlineIgnores bool
}

// Apply marks suppressed findings in place (sets f.Suppression) and returns warnings: one per
// expired exception, one per exception that matched no finding, and one per unusable inline
// annotation. An exceptions-file entry wins over an inline annotation; among entries, the first
// in the file wins. A finding that already carries a Suppression is left as it is. set may be nil.
func Apply(findings []finding.Finding, set *Set, opts Options) []finding.Warning {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	var entries []*entry
	if set != nil {
		entries = set.entries
	}
	active := make([]bool, len(entries))
	for i, e := range entries {
		active[i] = e.expiresAt.IsZero() || now.Before(e.expiresAt)
	}
	matched := make([]int, len(entries)) // active entries: findings matched
	lapsed := make([]int, len(entries))  // expired entries: findings matched and left unsuppressed

	var ids []string
	if opts.InlineIgnores {
		for _, c := range catalog.All() {
			ids = append(ids, c.ID)
		}
	}
	inlines := map[*inventory.Object]*inline{}
	var inlineOrder []*inventory.Object

	var expiredHits []int
	for fi := range findings {
		f := &findings[fi]
		expiredHits = expiredHits[:0]
		lf := labelFetcher{o: f.Object}
		var sup *finding.Suppression
		for i, e := range entries {
			if !e.matches(f, &lf) {
				continue
			}
			if !active[i] {
				expiredHits = append(expiredHits, i)
				continue
			}
			matched[i]++
			if sup == nil {
				sup = &finding.Suppression{Kind: "exception", Justification: e.justification, Exception: e.id, Expires: e.expires, VEXJustification: e.vex}
			}
		}
		if opts.InlineIgnores && f.Object != nil {
			in, seen := inlines[f.Object]
			if !seen {
				in = parseObjectInline(f.Object, ids)
				inlines[f.Object] = in
				inlineOrder = append(inlineOrder, f.Object)
			}
			if sup == nil && in != nil && in.applies(f.ControlID) {
				sup = &finding.Suppression{
					Kind:          "inline",
					Justification: in.reason,
					Exception:     f.Object.Ref() + " annotation " + IgnoreAnnotation,
				}
			}
		}
		if f.Suppression == nil {
			f.Suppression = sup
		}
		if f.Suppression == nil {
			for _, i := range expiredHits {
				lapsed[i]++
			}
		}
	}

	var warnings []finding.Warning
	for i, e := range entries {
		switch {
		case !active[i]:
			warnings = append(warnings, finding.Warning{
				Message: fmt.Sprintf("exception %s expired on %s; %d %s no longer suppressed", e.id, e.expires, lapsed[i], plural(lapsed[i], "finding", "findings")),
				File:    set.file,
				Line:    e.line,
			})
		case matched[i] == 0:
			warnings = append(warnings, finding.Warning{
				Message: fmt.Sprintf("exception %s matched no findings; check its controls and match, or remove it", e.id),
				File:    set.file,
				Line:    e.line,
			})
		}
	}
	for _, o := range inlineOrder {
		in := inlines[o]
		if in == nil || len(in.problems) == 0 {
			continue
		}
		loc := annotationLocation(o)
		for _, p := range in.problems {
			warnings = append(warnings, finding.Warning{
				Message: fmt.Sprintf("%s: annotation %s: %s", o.Ref(), IgnoreAnnotation, p),
				File:    loc.File,
				Line:    loc.Line,
			})
		}
	}
	return warnings
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// matches reports whether the entry covers the finding (ignoring expiry).
func (e *entry) matches(f *finding.Finding, lf *labelFetcher) bool {
	if !matchAny(e.controls, f.ControlID) {
		return false
	}
	if e.kinds != nil && !matchAny(e.kinds, f.Resource.Kind) {
		return false
	}
	if e.namespaces != nil {
		ns := namespaceOf(f.Resource)
		if ns == "" || !matchAny(e.namespaces, ns) {
			return false
		}
	}
	if e.names != nil && !matchAny(e.names, f.Resource.Name) {
		return false
	}
	if e.images != nil && (f.Resource.Kind != image.Kind || !matchAny(e.images, f.Resource.Name)) {
		return false
	}
	if e.vulns != nil || e.pkgs != nil {
		v := f.Vulnerability
		if v == nil {
			return false
		}
		if e.pkgs != nil && !matchAny(e.pkgs, v.Package) {
			return false
		}
		if e.vulns != nil && !matchAny(e.vulns, v.ID) && !slices.ContainsFunc(v.Aliases, func(a string) bool { return matchAny(e.vulns, a) }) {
			return false
		}
	}
	if e.labels != nil {
		labels, ok := lf.get()
		if !ok {
			return false
		}
		for k, v := range e.labels {
			if got, has := labels[k]; !has || got != v {
				return false
			}
		}
	}
	return true
}

// namespaceOf is the namespace a resource lives in; a Namespace object counts as being in itself,
// so an exception for namespace "batch" also covers findings about Namespace/batch. Other
// cluster-scoped resources are in no namespace and never match a namespaces list.
func namespaceOf(r finding.Resource) string {
	if r.Namespace == "" && r.Kind == "Namespace" {
		return r.Name
	}
	return r.Namespace
}

// labelFetcher reads an object's labels once, lazily.
type labelFetcher struct {
	o      *inventory.Object
	done   bool
	ok     bool
	labels map[string]string
}

func (lf *labelFetcher) get() (map[string]string, bool) {
	if !lf.done {
		lf.done = true
		if lf.o != nil {
			lf.labels, lf.ok = safeMeta(lf.o.Labels)
		}
	}
	return lf.labels, lf.ok
}

// safeMeta calls a metadata accessor, treating a panic (a typed nil object) as no metadata.
func safeMeta(fn func() map[string]string) (m map[string]string, ok bool) {
	defer func() {
		if recover() != nil {
			m, ok = nil, false
		}
	}()
	return fn(), true
}

// annotationLocation is where the object's ignore annotation is, as far as the object knows.
func annotationLocation(o *inventory.Object) (loc inventory.Location) {
	loc = inventory.Location{File: o.Source.File, Line: o.Source.Line}
	defer func() {
		if recover() != nil {
			loc = inventory.Location{File: o.Source.File, Line: o.Source.Line}
		}
	}()
	locs := o.Locate([]inventory.FieldPath{{"metadata", "annotations", IgnoreAnnotation}})
	if len(locs) == 1 && (locs[0].File != "" || locs[0].Line > 0) {
		loc = locs[0]
	}
	return loc
}

// inline is a parsed kube4c.io/ignore annotation.
type inline struct {
	globs    []glob // usable patterns; empty when the annotation suppresses nothing
	reason   string
	problems []string // each becomes a warning
}

func (in *inline) applies(controlID string) bool { return matchAny(in.globs, controlID) }

// parseObjectInline parses the object's ignore annotation; nil when it has none.
func parseObjectInline(o *inventory.Object, ids []string) *inline {
	ann, ok := safeMeta(o.Annotations)
	if !ok {
		return nil
	}
	v, has := ann[IgnoreAnnotation]
	if !has {
		return nil
	}
	in := parseInline(v, ids)
	return &in
}

const inlineFormat = `want "<control-id>[,<control-id>...]: <reason>"`

// parseInline parses an annotation value against the known control IDs. An annotation without a
// reason suppresses nothing; patterns that name no known control are reported and skipped.
func parseInline(v string, ids []string) inline {
	var in inline
	v = strings.TrimSpace(v)
	if v == "" {
		in.problems = append(in.problems, "empty value ("+inlineFormat+"); nothing suppressed")
		return in
	}
	list, reason, hasColon := strings.Cut(v, ":")
	reason = strings.TrimSpace(reason)
	if !hasColon || reason == "" {
		in.problems = append(in.problems, "no reason given ("+inlineFormat+"); nothing suppressed")
		return in
	}
	var globs []glob
	items := 0
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue // "a,,b" or a trailing comma: harmless
		}
		items++
		g, err := compileGlob(item)
		if err != nil {
			in.problems = append(in.problems, err.Error())
			continue
		}
		if msg := unknownControl(g, ids); msg != "" {
			in.problems = append(in.problems, msg)
			continue
		}
		globs = append(globs, g)
	}
	switch {
	case items == 0:
		in.problems = append(in.problems, "names no control ("+inlineFormat+"); nothing suppressed")
		return in
	case len(globs) == 0:
		in.problems = append(in.problems, "names no known control; nothing suppressed")
		return in
	}
	in.globs = globs
	in.reason = reason
	return in
}
