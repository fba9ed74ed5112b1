package scan

import (
	"context"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/testcorpus"
)

// BenchmarkAnalyzeRBAC runs every analyzer, locating, sorting and exceptions over the RBAC
// corpus (20,000 roles, 20,000 bindings, 5,000 service accounts with a Deployment each): the
// whole analysis a scan of such a cluster does once its objects are read (docs/performance.md).
//
//	go test ./internal/scan -run '^$' -bench AnalyzeRBAC -benchmem
func BenchmarkAnalyzeRBAC(b *testing.B) {
	inv := testcorpus.RBACInventory(testcorpus.RBACBenchmarkSize)
	opts := Options{Config: analyzer.DefaultConfig()}
	var findings int
	for b.Loop() {
		res, err := Analyze(context.Background(), inv, opts)
		if err != nil {
			b.Fatal(err)
		}
		findings = len(res.Findings)
	}
	b.ReportMetric(float64(findings), "findings")
}
