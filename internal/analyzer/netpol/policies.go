package netpol

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	netmodel "github.com/kube4c/kube4c/internal/netpol"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// policies judges each valid NetworkPolicy: its podSelector must select a workload or Pod of its
// namespace. A policy is judged when the scan holds the workloads of its namespace: when at least
// one workload of the scan runs there, or when the scan read a live cluster (which holds them
// all). A scan of a platform repository that holds policies but not the applications is not
// judged on pods it cannot see. Policies the API server would reject are not judged (they are
// left out of the model; findings in their namespace say so).
func (r *analysis) policies(context.Context) error {
	if !r.on[CtlSelectsNoPod] {
		return nil
	}
	byNS := map[string][]*netmodel.Endpoint{}
	for _, e := range r.m.Endpoints {
		if e.Object != nil {
			byNS[e.Namespace] = append(byNS[e.Namespace], e)
		}
	}
	live := r.inv.Cluster() != nil
	for _, p := range r.m.Policies {
		eps := byNS[p.Namespace]
		if p.Object == nil || (len(eps) == 0 && !live) {
			continue
		}
		r.rec.Evaluated(CtlSelectsNoPod, p.Object)
		if p.SelectsAll() {
			continue // {} selects every pod of the namespace, present and future
		}
		np, ok := p.Object.Object.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			continue // the engine would have left the policy out
		}
		var selected, host []*netmodel.Endpoint
		for _, e := range eps {
			if sel.Matches(labels.Set(e.Labels)) {
				selected = append(selected, e)
				if e.HostNetwork {
					host = append(host, e)
				}
			}
		}
		path := inventory.Path("spec", "podSelector")
		switch {
		case len(selected) == 0:
			r.rec.Fail(finding.New(CtlSelectsNoPod, p.Object, path, fmt.Sprintf(
				"spec.podSelector {%s} matches no workload or Pod of namespace %s in the scan (%s), so the policy isolates nothing; fix the selector to match the pod labels of the workloads it is meant for, or delete the policy",
				sel, p.Namespace, inNamespace(sel, eps))))
		case len(host) == len(selected):
			r.rec.Fail(finding.New(CtlSelectsNoPod, p.Object, path, fmt.Sprintf(
				"spec.podSelector {%s} matches only host-network pods (%s), which NetworkPolicies do not isolate, so the policy has no effect; drop hostNetwork from those workloads or protect them on the nodes",
				sel, names(host))))
		}
	}
	return nil
}

// inNamespace says what the workloads of a namespace carry for the label keys a selector reads,
// so that a misspelled key or value shows.
func inNamespace(sel labels.Selector, eps []*netmodel.Endpoint) string {
	if len(eps) == 0 {
		return "it has none"
	}
	reqs, _ := sel.Requirements()
	var parts []string
	seenKey := map[string]bool{}
	for _, req := range reqs {
		k := req.Key()
		if seenKey[k] {
			continue
		}
		seenKey[k] = true
		var vals []string
		seen := map[string]bool{}
		for _, e := range eps {
			if v, ok := e.Labels[k]; ok && !seen[v] {
				seen[v] = true
				vals = append(vals, v)
			}
		}
		sort.Strings(vals)
		switch {
		case len(vals) == 0:
			parts = append(parts, fmt.Sprintf("none has the label %s", k))
		case len(vals) > 5:
			parts = append(parts, fmt.Sprintf("their values for %s: %s and %d more", k, strings.Join(vals[:5], ", "), len(vals)-5))
		default:
			parts = append(parts, fmt.Sprintf("their values for %s: %s", k, strings.Join(vals, ", ")))
		}
	}
	return fmt.Sprintf("%d workloads and Pods: %s", len(eps), strings.Join(parts, "; "))
}

func names(eps []*netmodel.Endpoint) string {
	var parts []string
	for i, e := range eps {
		if i == maxCited {
			parts = append(parts, fmt.Sprintf("and %d more", len(eps)-maxCited))
			break
		}
		parts = append(parts, e.Kind+"/"+e.Name)
	}
	return strings.Join(parts, ", ")
}
