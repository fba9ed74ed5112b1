package workload

import (
	"github.com/kube4c/kube4c/internal/analyzer"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var _ analyzer.KindNeeds = workloadAnalyzer{}

// Needs says which kinds each control reads: every control reads the workloads; the token control
// also reads ServiceAccounts and the resource controls LimitRanges (their defaults count).
func (a workloadAnalyzer) Needs() map[string][]schema.GroupKind {
	out := map[string][]schema.GroupKind{}
	for _, id := range a.Controls() {
		out[id] = analyzer.WorkloadKinds
	}
	with := func(extra schema.GroupKind) []schema.GroupKind {
		return append(append([]schema.GroupKind{}, analyzer.WorkloadKinds...), extra)
	}
	out[ctlTokenAutomount] = with(schema.GroupKind{Kind: "ServiceAccount"})
	out[ctlLimits] = with(schema.GroupKind{Kind: "LimitRange"})
	out[ctlRequests] = with(schema.GroupKind{Kind: "LimitRange"})
	return out
}
