package namespace

import (
	"github.com/kube4c/kube4c/internal/analyzer"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var _ analyzer.KindNeeds = nsAnalyzer{}

// Needs says which kinds each control reads, so a cluster scan that may not list one reports the
// control as not evaluated.
func (nsAnalyzer) Needs() map[string][]schema.GroupKind {
	ns := schema.GroupKind{Kind: "Namespace"}
	withWorkloads := func(extra ...schema.GroupKind) []schema.GroupKind {
		return append(append([]schema.GroupKind{ns}, analyzer.WorkloadKinds...), extra...)
	}
	svc := schema.GroupKind{Kind: "Service"}
	ing := schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	return map[string][]schema.GroupKind{
		CtlPSSMissing:        {ns},
		CtlPSSPrivileged:     {ns},
		CtlNoResourceQuota:   withWorkloads(schema.GroupKind{Kind: "ResourceQuota"}),
		CtlNoLimitRange:      withWorkloads(schema.GroupKind{Kind: "LimitRange"}),
		CtlNoDenyIngress:     withWorkloads(schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}),
		CtlNoDenyEgress:      withWorkloads(schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}),
		CtlConfigMapCreds:    {{Kind: "ConfigMap"}},
		CtlServiceExposed:    {svc},
		CtlIngressNoTLS:      {ing},
		CtlDashboardDeployed: analyzer.WorkloadKinds,
		CtlDashboardExposed:  append(append([]schema.GroupKind{}, analyzer.WorkloadKinds...), svc, ing),
	}
}
