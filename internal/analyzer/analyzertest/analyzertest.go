// Package analyzertest is what analyzer tests share: a recorder that keeps everything it is told,
// renderings of its findings and passes for comparison, and Run, which runs an analyzer and checks
// the contract every analyzer keeps with the scan.
package analyzertest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
)

// Evaluation is one Evaluated call.
type Evaluation struct {
	Control string
	Object  *inventory.Object
}

// Recorder keeps everything it is told. It is safe for concurrent use.
type Recorder struct {
	mu          sync.Mutex
	Evaluations []Evaluation
	Findings    []finding.Finding
}

// Evaluated implements analyzer.Recorder.
func (r *Recorder) Evaluated(control string, o *inventory.Object) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Evaluations = append(r.Evaluations, Evaluation{control, o})
}

// Fail implements analyzer.Recorder.
func (r *Recorder) Fail(f finding.Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Findings = append(r.Findings, f)
}

// Failed renders the findings of the given controls as "control Kind/ns/name path", sorted.
func (r *Recorder) Failed(controls ...string) []string {
	var out []string
	for _, f := range r.Findings {
		if slices.Contains(controls, f.ControlID) {
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", f.ControlID, f.Resource.Key(), f.Path)))
		}
	}
	sort.Strings(out)
	return out
}

// FailedOf renders the findings of one control as "Kind/ns/name path", sorted.
func (r *Recorder) FailedOf(control string) []string {
	out := r.Failed(control)
	for i := range out {
		out[i] = strings.TrimPrefix(out[i], control+" ")
	}
	return out
}

// Passed renders the resources evaluated for the given controls without a finding as
// "control Kind/ns/name", sorted and without repeats.
func (r *Recorder) Passed(controls ...string) []string {
	failed := map[string]bool{}
	for _, f := range r.Findings {
		failed[f.ControlID+" "+f.Resource.Key()] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range r.Evaluations {
		k := e.Control + " " + finding.ResourceOf(e.Object).Key()
		if !slices.Contains(controls, e.Control) || failed[k] || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PassedOf renders the resources evaluated for one control without a finding as
// "Kind/ns/name", sorted.
func (r *Recorder) PassedOf(control string) []string {
	out := r.Passed(control)
	for i := range out {
		out[i] = strings.TrimPrefix(out[i], control+" ")
	}
	return out
}

// WasEvaluated reports whether the control was evaluated for the resource "Kind/ns/name".
func (r *Recorder) WasEvaluated(control, resource string) bool {
	for _, e := range r.Evaluations {
		if e.Control == control && finding.ResourceOf(e.Object).Key() == resource {
			return true
		}
	}
	return false
}

// Messages returns the messages of a control's findings, in recording order.
func (r *Recorder) Messages(control string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.ControlID == control {
			out = append(out, f.Message)
		}
	}
	return out
}

// Inventory returns an inventory of objs. Objects without a source file get one: file, at lines
// 1, 11, 21, ... so that findings can be located.
func Inventory(file string, objs ...*inventory.Object) *inventory.Inventory {
	inv := inventory.New()
	for i, o := range objs {
		if o.Source.File == "" {
			o.Source = inventory.Source{Origin: inventory.FromFile, File: file, Line: 1 + 10*i}
		}
	}
	inv.Add(objs...)
	return inv
}

// Run runs the analyzer on inv (with analyzer.DefaultConfig when cfg is nil) and checks the
// contract with the scan: every control evaluated or failed is one the analyzer owns and the
// catalog knows; Evaluated always names an object; every finding has a message and, when it is
// about an inventory object, that pair was evaluated; no two findings share control, object and
// path (and advisory and package, for vulnerable-package findings).
func Run(t testing.TB, a analyzer.Analyzer, inv *inventory.Inventory, cfg *analyzer.Config) *Recorder {
	t.Helper()
	if cfg == nil {
		cfg = analyzer.DefaultConfig()
	}
	r := &Recorder{}
	if err := a.Analyze(context.Background(), inv, cfg, r); err != nil {
		t.Fatal(err)
	}
	owned := a.Controls()
	evaluated := map[Evaluation]bool{}
	for _, e := range r.Evaluations {
		if !slices.Contains(owned, e.Control) {
			t.Errorf("evaluated control %s not owned by analyzer %s", e.Control, a.Name())
		}
		if e.Object == nil {
			t.Errorf("Evaluated(%s, nil)", e.Control)
		}
		evaluated[e] = true
	}
	type key struct {
		control string
		o       *inventory.Object
		path    string
		vuln    string // advisory × package of a vulnerable-package finding
	}
	seen := map[key]bool{}
	for _, f := range r.Findings {
		if !slices.Contains(owned, f.ControlID) {
			t.Errorf("finding for control %s not owned by analyzer %s", f.ControlID, a.Name())
		}
		if _, ok := catalog.Lookup(f.ControlID); !ok {
			t.Errorf("finding for control %s not in the catalog", f.ControlID)
		}
		if f.Message == "" {
			t.Errorf("finding %s %s without a message", f.ControlID, f.Resource.Key())
		}
		if f.Object == nil {
			continue // about something the scan only refers to (a namespace without its object)
		}
		if !evaluated[Evaluation{f.ControlID, f.Object}] {
			t.Errorf("finding %s %s was not recorded as evaluated", f.ControlID, f.Resource.Key())
		}
		k := key{f.ControlID, f.Object, f.Path.String(), ""}
		if v := f.Vulnerability; v != nil {
			k.vuln = v.ID + "\x00" + v.Ecosystem + "\x00" + v.Package + "\x00" + v.Path
		}
		if seen[k] {
			t.Errorf("two findings %s %s %s", f.ControlID, f.Resource.Key(), f.Path)
		}
		seen[k] = true
	}
	return r
}

// Eq reports a difference between two renderings (nil and empty are equal).
func Eq(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
