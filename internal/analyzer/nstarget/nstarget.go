// Package nstarget decides which namespaces the namespace-level controls judge, and records their
// results (docs/namespaces.md): a namespace is judged when its Namespace object is in the scan,
// or, with Config.JudgeAllNamespaces, when a workload of the scan runs in it. The namespace and
// netpol analyzers share it so both judge the same namespaces the same way.
package nstarget

import (
	"fmt"
	"sort"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
	corev1 "k8s.io/api/core/v1"
)

// Target is a namespace being judged.
type Target struct {
	Name string
	// Object is the Namespace object, nil for a namespace only workloads refer to.
	Object *inventory.Object

	// For referred-to namespaces: a stand-in object (never in the inventory) used to record
	// passes, and the first workload of the namespace, whose location failures take.
	standIn *inventory.Object
	first   *inventory.Object
}

// List returns the judged namespaces, system namespaces included (callers decide which controls
// apply to them): those of the scan's Namespace objects, in inventory order, then, with
// judgeAll, the namespaces workloads run in that have no object, by name.
func List(inv *inventory.Inventory, judgeAll bool) []*Target {
	var out []*Target
	declared := map[string]bool{}
	for _, o := range inv.OfKind("", "Namespace") {
		if _, ok := o.Object.(*corev1.Namespace); !ok || o.Name == "" || declared[o.Name] {
			continue
		}
		declared[o.Name] = true
		out = append(out, &Target{Name: o.Name, Object: o})
	}
	if !judgeAll {
		return out
	}
	first := map[string]*inventory.Object{}
	var names []string
	for _, o := range inv.Objects() {
		if o.Namespace == "" || declared[o.Namespace] || first[o.Namespace] != nil || !podspec.IsWorkload(o) {
			continue
		}
		first[o.Namespace] = o
		names = append(names, o.Namespace)
	}
	sort.Strings(names)
	for _, ns := range names {
		w := first[ns]
		out = append(out, &Target{Name: ns, first: w,
			standIn: &inventory.Object{APIVersion: "v1", Kind: "Namespace", Name: ns, Source: w.Source}})
	}
	return out
}

// Check records one control for the namespace: ok means it passes; otherwise path and msg
// describe the failure. A referred-to namespace's failure has no object (it is keyed by
// resource) and its pass is recorded on the stand-in, so a recorder keyed by object never sees
// the same pair both pass and fail.
func (t *Target) Check(rec analyzer.Recorder, id string, ok bool, path inventory.FieldPath, msg string) {
	if t.Object != nil {
		rec.Evaluated(id, t.Object)
		if !ok {
			rec.Fail(finding.New(id, t.Object, path, msg))
		}
		return
	}
	if ok {
		rec.Evaluated(id, t.standIn)
		return
	}
	rec.Fail(finding.Finding{
		ControlID: id,
		Resource:  finding.Resource{APIVersion: "v1", Kind: "Namespace", Name: t.Name},
		Location:  inventory.Location{File: t.first.Source.File, Line: t.first.Source.Line},
		Message: msg + fmt.Sprintf(" (the scan has no Namespace object for %q; judged because workloads such as %s run in it and --judge-all-namespaces is set)",
			t.Name, t.first.Ref()),
	})
}
