package exception

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// corpus is a fixed set of findings the matching tests run against. Keys are "control@ref".
func corpus() []finding.Finding {
	cron := object("CronJob", "batch-nightly", "report-daily", labels("team", "data", "tier", "batch"))
	cron2 := object("CronJob", "batch-weekly", "cleanup", labels("team", "ops"))
	deploy := object("Deployment", "prod", "report-api", labels("team", "data"))
	pod := object("Pod", "default", "debug")
	ns := object("Namespace", "", "batch-nightly")
	crb := object("ClusterRoleBinding", "", "admins")
	fs := []finding.Finding{
		find(ctlRoot, cron),
		find(ctlUser, cron),
		find(ctlPrivileged, cron),
		find(ctlRoot, cron2),
		find(ctlRoot, deploy),
		find(ctlRoot, pod),
		find(ctlWildcard, crb),
		find(ctlWildcard, ns),
	}
	// A finding about a namespace that has no object in the scan.
	fs = append(fs, finding.Finding{ControlID: ctlWildcard, Resource: finding.Resource{Kind: "Namespace", Name: "batch-orphan"}, Message: "x"})
	return fs
}

func key(f finding.Finding) string { return f.ControlID + "@" + f.Resource.Key() }

func suppressedKeys(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Suppression != nil {
			out = append(out, key(f))
		}
	}
	slices.Sort(out)
	return out
}

func TestMatching(t *testing.T) {
	const (
		rootCron    = ctlRoot + "@CronJob/batch-nightly/report-daily"
		userCron    = ctlUser + "@CronJob/batch-nightly/report-daily"
		privCron    = ctlPrivileged + "@CronJob/batch-nightly/report-daily"
		rootCron2   = ctlRoot + "@CronJob/batch-weekly/cleanup"
		rootDeploy  = ctlRoot + "@Deployment/prod/report-api"
		rootPod     = ctlRoot + "@Pod/default/debug"
		wildCRB     = ctlWildcard + "@ClusterRoleBinding/admins"
		wildNS      = ctlWildcard + "@Namespace/batch-nightly"
		wildOrphanN = ctlWildcard + "@Namespace/batch-orphan"
	)
	tests := []struct {
		name  string
		entry string // the YAML of one entry, without the leading "- "
		want  []string
	}{
		{"exact control, no match block", `controls: [container/k4ctest-run-as-root]`,
			[]string{rootCron, rootCron2, rootDeploy, rootPod}},
		{"control glob across slash", `controls: ["*k4ctest-run-as-*"]`,
			[]string{rootCron, rootCron2, rootDeploy, rootPod, userCron}},
		{"star matches everything", `controls: ["*k4ctest*"]`,
			[]string{privCron, rootCron, rootCron2, rootDeploy, rootPod, userCron, wildCRB, wildNS, wildOrphanN}},
		{"controls list is OR", `controls: [container/k4ctest-privileged, cluster/k4ctest-rbac-wildcard]`,
			[]string{privCron, wildCRB, wildNS, wildOrphanN}},
		{"kind", "controls: [\"container/k4ctest-*\"]\n  match: {kinds: [CronJob]}",
			[]string{privCron, rootCron, rootCron2, userCron}},
		{"kind is case-sensitive", "controls: [container/k4ctest-run-as-root]\n  match: {kinds: [cronjob]}", nil},
		{"kind glob", "controls: [container/k4ctest-run-as-root]\n  match: {kinds: [\"*o*\"]}",
			[]string{rootCron, rootCron2, rootDeploy, rootPod}},
		{"kinds list is OR", "controls: [container/k4ctest-run-as-root]\n  match: {kinds: [Pod, Deployment]}",
			[]string{rootDeploy, rootPod}},
		{"namespace glob", "controls: [container/k4ctest-run-as-root]\n  match: {namespaces: [\"batch-*\"]}",
			[]string{rootCron, rootCron2}},
		{"namespace exact", "controls: [container/k4ctest-run-as-root]\n  match: {namespaces: [prod]}",
			[]string{rootDeploy}},
		{"namespace star skips cluster-scoped objects but covers Namespace objects", "controls: [cluster/k4ctest-rbac-wildcard]\n  match: {namespaces: [\"*\"]}",
			[]string{wildNS, wildOrphanN}},
		{"Namespace object is in its own namespace", "controls: [cluster/k4ctest-rbac-wildcard]\n  match: {namespaces: [batch-nightly]}",
			[]string{wildNS}},
		{"name glob", "controls: [\"container/*\"]\n  match: {names: [\"report-*\"]}",
			[]string{privCron, rootCron, rootDeploy, userCron}},
		{"names list is OR", "controls: [container/k4ctest-run-as-root]\n  match: {names: [debug, cleanup]}",
			[]string{rootCron2, rootPod}},
		{"cluster-scoped name", "controls: [\"cluster/*\"]\n  match: {names: [admins]}",
			[]string{wildCRB}},
		{"label", "controls: [container/k4ctest-run-as-root]\n  match: {labels: {team: data}}",
			[]string{rootCron, rootDeploy}},
		{"labels are AND", "controls: [container/k4ctest-run-as-root]\n  match: {labels: {team: data, tier: batch}}",
			[]string{rootCron}},
		{"label value must be equal", "controls: [container/k4ctest-run-as-root]\n  match: {labels: {team: dat}}", nil},
		{"label value is not a glob", "controls: [container/k4ctest-run-as-root]\n  match: {labels: {team: \"*\"}}", nil},
		{"label on object without labels", "controls: [container/k4ctest-run-as-root]\n  match: {names: [debug], labels: {team: data}}", nil},
		{"label without object never matches", "controls: [cluster/k4ctest-rbac-wildcard]\n  match: {labels: {team: data}}", nil},
		{"fields are AND", "controls: [\"container/*\"]\n  match: {kinds: [CronJob, Deployment], namespaces: [\"batch-*\", prod], names: [\"report-*\"], labels: {team: data}}",
			[]string{privCron, rootCron, rootDeploy, userCron}},
		{"fields are AND, one fails", "controls: [\"container/*\"]\n  match: {kinds: [Deployment], namespaces: [\"batch-*\"]}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := mustParse(t, header+"  - justification: test\n    "+strings.ReplaceAll(tt.entry, "\n", "\n  ")+"\n")
			fs := corpus()
			ws := Apply(fs, set, Options{Now: now})
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := suppressedKeys(fs); !slices.Equal(got, want) {
				t.Errorf("suppressed\n  %v\nwant\n  %v", got, want)
			}
			if len(tt.want) == 0 {
				if len(ws) != 1 || !strings.Contains(ws[0].Message, "matched no findings") {
					t.Errorf("want one unmatched warning, got %v", ws)
				}
			} else if len(ws) != 0 {
				t.Errorf("unexpected warnings %v", ws)
			}
		})
	}
}

func TestSuppressionRecord(t *testing.T) {
	set := mustParse(t, header+`  - controls: [container/k4ctest-run-as-root]
    match: {names: [debug]}
    justification: first
  - name: second
    controls: ["container/*"]
    justification: " second "
    expires: 2027-01-31
`)
	fs := corpus()
	if ws := Apply(fs, set, Options{Now: now}); len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	for _, f := range fs {
		var want *finding.Suppression
		switch {
		case f.Resource.Name == "debug":
			want = &finding.Suppression{Kind: "exception", Justification: "first", Exception: "exc.yaml:4"}
		case strings.HasPrefix(f.ControlID, "container/"):
			want = &finding.Suppression{Kind: "exception", Justification: "second", Exception: "second", Expires: "2027-01-31"}
		}
		if (f.Suppression == nil) != (want == nil) || (want != nil && *f.Suppression != *want) {
			t.Errorf("%s: suppression %+v, want %+v", key(f), f.Suppression, want)
		}
	}
}

func TestExpiry(t *testing.T) {
	dateOnly := header + "  - name: dated\n    controls: [container/k4ctest-run-as-root]\n    justification: x\n    expires: 2027-03-31\n"
	instant := header + "  - name: instant\n    controls: [container/k4ctest-run-as-root]\n    justification: x\n    expires: 2027-03-31T18:00:00+02:00\n"
	sydney := time.FixedZone("AEDT", 11*3600)
	tests := []struct {
		name    string
		src     string
		now     time.Time
		expired bool
	}{
		{"long before", dateOnly, now, false},
		{"start of the expiry day", dateOnly, time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), false},
		{"last second of the expiry day", dateOnly, time.Date(2027, 3, 31, 23, 59, 59, 999999999, time.UTC), false},
		{"first instant of the next day", dateOnly, time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), true},
		{"the next day", dateOnly, time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC), true},
		{"next day locally, expiry day in UTC", dateOnly, time.Date(2027, 4, 1, 10, 0, 0, 0, sydney), false},
		{"expiry day locally, next day in UTC", dateOnly, time.Date(2027, 3, 31, 20, 0, 0, 0, time.FixedZone("X", -5*3600)), true},
		{"RFC3339 just before", instant, time.Date(2027, 3, 31, 15, 59, 59, 0, time.UTC), false},
		{"RFC3339 at the instant", instant, time.Date(2027, 3, 31, 16, 0, 0, 0, time.UTC), true},
		{"RFC3339 after", instant, time.Date(2027, 4, 2, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := corpus()
			ws := Apply(fs, mustParse(t, tt.src), Options{Now: tt.now})
			got := suppressedKeys(fs)
			if tt.expired {
				if len(got) != 0 {
					t.Errorf("expired exception suppressed %v", got)
				}
				if len(ws) != 1 || !strings.Contains(ws[0].Message, "expired on 2027-03-31") ||
					!strings.HasSuffix(ws[0].Message, "; 4 findings no longer suppressed") || ws[0].File != "exc.yaml" || ws[0].Line != 4 {
					t.Errorf("warnings %+v", ws)
				}
			} else {
				if len(got) != 4 {
					t.Errorf("suppressed %v, want the 4 %s findings", got, ctlRoot)
				}
				if len(ws) != 0 {
					t.Errorf("warnings %+v", ws)
				}
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	set := mustParse(t, header+`  - name: gone
    controls: [container/k4ctest-run-as-root]
    match: {names: [debug]}
    justification: x
    expires: 2026-01-01
  - controls: [container/k4ctest-run-as-root]
    match: {names: [no-such-thing]}
    justification: x
  - controls: [container/k4ctest-privileged]
    justification: still fine
  - name: covered
    controls: [container/k4ctest-run-as-user]
    justification: x
    expires: 2026-01-01
  - controls: [container/k4ctest-run-as-user]
    justification: newer exception
  - name: expired-unmatched
    controls: [container/k4ctest-run-as-user]
    match: {namespaces: [nowhere]}
    justification: x
    expires: 2026-01-01
`)
	fs := corpus()
	ws := Apply(fs, set, Options{Now: now})
	want := []finding.Warning{
		{Message: "exception gone expired on 2026-01-01; 1 finding no longer suppressed", File: "exc.yaml", Line: 4},
		{Message: "exception exc.yaml:9 matched no findings; check its controls and match, or remove it", File: "exc.yaml", Line: 9},
		{Message: "exception covered expired on 2026-01-01; 0 findings no longer suppressed", File: "exc.yaml", Line: 14},
		{Message: "exception expired-unmatched expired on 2026-01-01; 0 findings no longer suppressed", File: "exc.yaml", Line: 20},
	}
	if !slices.Equal(ws, want) {
		t.Errorf("warnings\n%s\nwant\n%s", fmtWarnings(ws), fmtWarnings(want))
	}
}

func fmtWarnings(ws []finding.Warning) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "  %s:%d: %s\n", w.File, w.Line, w.Message)
	}
	return b.String()
}

func TestApplyEdgeCases(t *testing.T) {
	t.Run("nil set and no inline", func(t *testing.T) {
		fs := corpus()
		if ws := Apply(fs, nil, Options{}); len(ws) != 0 || len(suppressedKeys(fs)) != 0 {
			t.Errorf("ws=%v suppressed=%v", ws, suppressedKeys(fs))
		}
	})
	t.Run("no findings", func(t *testing.T) {
		set := mustParse(t, header+"  - controls: [\"container/*\"]\n    justification: x\n")
		if ws := Apply(nil, set, Options{Now: now}); len(ws) != 1 {
			t.Errorf("ws=%v", ws)
		}
	})
	t.Run("zero Now means now", func(t *testing.T) {
		set := mustParse(t, header+"  - controls: [\"container/*\"]\n    justification: x\n    expires: 2001-01-01\n")
		fs := corpus()
		if ws := Apply(fs, set, Options{}); len(ws) != 1 || !strings.Contains(ws[0].Message, "expired") {
			t.Errorf("ws=%v", ws)
		}
	})
	t.Run("existing suppression kept", func(t *testing.T) {
		set := mustParse(t, header+"  - controls: [\"container/*\"]\n    justification: x\n")
		fs := corpus()
		prior := &finding.Suppression{Kind: "exception", Justification: "earlier"}
		fs[0].Suppression = prior
		Apply(fs, set, Options{Now: now})
		if fs[0].Suppression != prior {
			t.Errorf("suppression replaced: %+v", fs[0].Suppression)
		}
	})
	t.Run("object without metadata", func(t *testing.T) {
		set := mustParse(t, header+"  - controls: [\"container/*\"]\n    match: {labels: {a: b}}\n    justification: x\n")
		o := &inventory.Object{Kind: "Pod", Name: "p"}
		fs := []finding.Finding{find(ctlRoot, o), {ControlID: ctlRoot, Object: &inventory.Object{Kind: "Pod", Name: "q", Object: nilPod()}, Resource: finding.Resource{Kind: "Pod", Name: "q"}}}
		ws := Apply(fs, set, Options{Now: now, InlineIgnores: true})
		if len(suppressedKeys(fs)) != 0 || len(ws) != 1 {
			t.Errorf("suppressed=%v ws=%v", suppressedKeys(fs), ws)
		}
	})
}

func TestInline(t *testing.T) {
	withAnn := func(v string) *inventory.Object {
		return object("Deployment", "prod", "web", annotations(IgnoreAnnotation, v))
	}
	tests := []struct {
		name       string
		value      string
		suppressed []string // control IDs suppressed
		reason     string
		warnings   []string // substrings, one per warning
	}{
		{"single control", ctlRoot + ": needs root for legacy agent", []string{ctlRoot}, "needs root for legacy agent", nil},
		{"several controls", ctlRoot + ", " + ctlPrivileged + " : vendor image", []string{ctlPrivileged, ctlRoot}, "vendor image", nil},
		{"glob", "container/k4ctest-run-as-*: reasons", []string{ctlRoot, ctlUser}, "reasons", nil},
		{"reason with colons", ctlUser + ": see https://example.com/x: y", []string{ctlUser}, "see https://example.com/x: y", nil},
		{"no reason", ctlRoot, nil, "", []string{"no reason given"}},
		{"empty reason", ctlRoot + ":   ", nil, "", []string{"no reason given"}},
		{"empty value", "  ", nil, "", []string{"empty value"}},
		{"unknown control", "container/k4ctest-run-as-rot: typo", nil, "",
			[]string{`"container/k4ctest-run-as-rot" matches no known control (did you mean "container/k4ctest-run-as-root"?)`, "names no known control; nothing suppressed"}},
		{"unknown and known", "container/nope," + ctlRoot + ": partly", []string{ctlRoot}, "partly", []string{`"container/nope" matches no known control`}},
		{"bad pattern", "container/run-as-?: x", nil, "", []string{"only '*' is supported", "names no known control"}},
		{"empty items", ctlRoot + ",, " + ctlUser + ",: x", []string{ctlRoot, ctlUser}, "x", nil},
		{"only a reason", ": because", nil, "", []string{"names no control (want"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := withAnn(tt.value)
			o.Locator = fixedLocator{File: "deploy.yaml", Line: 7}
			fs := []finding.Finding{find(ctlRoot, o), find(ctlUser, o), find(ctlPrivileged, o), find(ctlWildcard, o)}
			ws := Apply(fs, nil, Options{Now: now, InlineIgnores: true})
			var got []string
			for _, f := range fs {
				if f.Suppression == nil {
					continue
				}
				got = append(got, f.ControlID)
				want := finding.Suppression{Kind: "inline", Justification: tt.reason, Exception: "Deployment/prod/web annotation kube4c.io/ignore"}
				if *f.Suppression != want {
					t.Errorf("suppression %+v, want %+v", *f.Suppression, want)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.suppressed) {
				t.Errorf("suppressed %v, want %v", got, tt.suppressed)
			}
			if len(ws) != len(tt.warnings) {
				t.Fatalf("warnings\n%swant %d: %q", fmtWarnings(ws), len(tt.warnings), tt.warnings)
			}
			for i, w := range ws {
				if !strings.Contains(w.Message, tt.warnings[i]) || !strings.HasPrefix(w.Message, "Deployment/prod/web: annotation kube4c.io/ignore: ") ||
					w.File != "deploy.yaml" || w.Line != 7 {
					t.Errorf("warning %d = %+v, want message containing %q at deploy.yaml:7", i, w, tt.warnings[i])
				}
			}

			// --no-inline-ignores: nothing suppressed, nothing said.
			fs = []finding.Finding{find(ctlRoot, o), find(ctlUser, o)}
			if ws := Apply(fs, nil, Options{Now: now, InlineIgnores: false}); len(ws) != 0 || len(suppressedKeys(fs)) != 0 {
				t.Errorf("InlineIgnores=false: ws=%v suppressed=%v", ws, suppressedKeys(fs))
			}
		})
	}
}

func TestInlineWarningsOncePerObject(t *testing.T) {
	o := object("Pod", "default", "p", annotations(IgnoreAnnotation, "container/nope: x"))
	o.Source.Line = 12
	fs := []finding.Finding{find(ctlRoot, o), find(ctlUser, o), find(ctlPrivileged, o)}
	ws := Apply(fs, nil, Options{Now: now, InlineIgnores: true})
	if len(ws) != 2 { // the unknown pattern, and "names no known control"
		t.Fatalf("warnings:\n%s", fmtWarnings(ws))
	}
	for _, w := range ws {
		if w.File != "manifests/p.yaml" || w.Line != 12 {
			t.Errorf("warning location %s:%d, want the object's source", w.File, w.Line)
		}
	}
}

func TestInlineNotAnnotated(t *testing.T) {
	o := object("Pod", "default", "p", annotations("other", "container/*: x"))
	fs := []finding.Finding{find(ctlRoot, o)}
	if ws := Apply(fs, nil, Options{Now: now, InlineIgnores: true}); len(ws) != 0 || fs[0].Suppression != nil {
		t.Errorf("ws=%v suppression=%v", ws, fs[0].Suppression)
	}
}

func TestExceptionWinsOverInline(t *testing.T) {
	o := object("Pod", "default", "p", annotations(IgnoreAnnotation, "container/*: inline reason"))
	set := mustParse(t, header+"  - name: file\n    controls: [container/k4ctest-run-as-root]\n    justification: file reason\n")
	fs := []finding.Finding{find(ctlRoot, o), find(ctlUser, o)}
	if ws := Apply(fs, set, Options{Now: now, InlineIgnores: true}); len(ws) != 0 {
		t.Errorf("warnings %v", ws)
	}
	if s := fs[0].Suppression; s == nil || s.Kind != "exception" || s.Exception != "file" || s.Justification != "file reason" {
		t.Errorf("finding 0: %+v", s)
	}
	if s := fs[1].Suppression; s == nil || s.Kind != "inline" || s.Justification != "inline reason" {
		t.Errorf("finding 1: %+v", s)
	}

	// An expired exception gives way to the inline annotation.
	set = mustParse(t, header+"  - name: file\n    controls: [container/k4ctest-run-as-root]\n    justification: file reason\n    expires: 2020-01-01\n")
	fs = []finding.Finding{find(ctlRoot, o)}
	ws := Apply(fs, set, Options{Now: now, InlineIgnores: true})
	if s := fs[0].Suppression; s == nil || s.Kind != "inline" {
		t.Errorf("finding 0: %+v", s)
	}
	if len(ws) != 1 || ws[0].Message != "exception file expired on 2020-01-01; 0 findings no longer suppressed" {
		t.Errorf("warnings %v", ws)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"a", "a", true},
		{"a", "ab", false},
		{"*", "", true},
		{"*", "a/b/c", true},
		{"a*", "a", true},
		{"a*", "ba", false},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*b", "ab", true},
		{"a*b", "a/x/b", true},
		{"a*b", "a/x/bc", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "abbc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false},
		{"ab*ba", "abba", true},
		{"**", "x", true},
		{"container/run-as-*", "container/run-as-non-root", true},
		{"container/run-as-*", "container/run-asroot", false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pat)
		if err != nil {
			t.Fatalf("%q: %v", tt.pat, err)
		}
		if got := g.match(tt.s); got != tt.want {
			t.Errorf("%q ~ %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
	for _, bad := range []string{"", "a?", "[a]", "{a,b}", `a\*`, "a b", "a\tb", "\xff", strings.Repeat("a", maxGlobLen+1)} {
		if _, err := compileGlob(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if (glob{}).match("") {
		t.Error("zero glob matches")
	}
}
