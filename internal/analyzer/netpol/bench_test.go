package netpol

import (
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/testcorpus"
)

// BenchmarkAnalyze runs every control on the NetworkPolicy corpus of issue #5's target (2,000
// workloads in 300 namespaces labelled with three environments, 1,000 policies).
func BenchmarkAnalyze(b *testing.B) {
	inv := testcorpus.NetpolInventory(testcorpus.NetpolBenchmarkSize, 1)
	inv.Objects()
	b.ReportAllocs()
	b.ResetTimer()
	var r *analyzertest.Recorder
	for i := 0; i < b.N; i++ {
		r = analyzertest.Run(b, New(), inv, nil)
	}
	b.ReportMetric(float64(len(r.Findings)), "findings")
	b.ReportMetric(float64(len(r.Evaluations)), "evaluations")
}
