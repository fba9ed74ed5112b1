package rbac

import (
	"context"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/testcorpus"
)

// countRec counts what it is told, like the scan's recorder does without keeping findings.
type countRec struct{ evaluated, failed int }

func (r *countRec) Evaluated(string, *inventory.Object) { r.evaluated++ }
func (r *countRec) Fail(finding.Finding)                { r.failed++ }

// BenchmarkAnalyze runs the whole RBAC analysis (model, grant controls, CSR approval, escalation
// paths) on testcorpus.RBACBenchmarkSize: 20,000 roles, 20,000 bindings and 5,000 service
// accounts with a Deployment each. The target is at most 2 s per analysis on 2 cores
// (docs/rbac.md).
//
//	go test ./internal/analyzer/rbac -run '^$' -bench Analyze -benchmem
func BenchmarkAnalyze(b *testing.B) {
	inv := testcorpus.RBACInventory(testcorpus.RBACBenchmarkSize)
	inv.Objects()
	cfg := analyzer.DefaultConfig()
	var r *countRec
	b.ResetTimer()
	for b.Loop() {
		r = &countRec{}
		if err := New().Analyze(context.Background(), inv, cfg, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.failed), "findings")
	b.ReportMetric(float64(r.evaluated), "evaluations")
}
