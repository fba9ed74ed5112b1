package netpol

import (
	"testing"

	"github.com/kube4c/kube4c/internal/testcorpus"
)

// The matrix is computed on equivalence classes with precomputed matches; every cell must equal
// the direct evaluation of the pair.
func TestMatrixMatchesPairwiseEvaluation(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		inv := testcorpus.NetpolInventory(testcorpus.NetpolSize{Namespaces: 6, Workloads: 60, Policies: 25}, seed)
		m := Build(inv, Options{})
		if len(m.Problems) > 0 {
			t.Fatalf("seed %d: the corpus has invalid policies: %v", seed, m.Problems)
		}
		x := m.Matrix(nil)
		if x.Classes() >= len(x.Endpoints) && seed == 1 {
			t.Logf("seed %d: %d classes for %d endpoints", seed, x.Classes(), len(x.Endpoints))
		}
		isolated, allowed, denied := 0, 0, 0
		for i, s := range x.Endpoints {
			if s.IngressIsolated() || s.EgressIsolated() {
				isolated++
			}
			for j, d := range x.Endpoints {
				all, some := m.ConnsSome(s, d)
				if got := x.Conns(i, j); !got.Equal(all) {
					t.Fatalf("seed %d: %s → %s: matrix %s, direct %s", seed, s, d, got, all)
				}
				if got := x.Some(i, j); !got.Equal(some) {
					t.Fatalf("seed %d: %s → %s (some): matrix %s, direct %s", seed, s, d, got, some)
				}
				if all.IsEmpty() {
					denied++
				} else {
					allowed++
				}
			}
		}
		// The corpus must exercise both outcomes, or this test proves little.
		if isolated == 0 || allowed == 0 || denied == 0 {
			t.Fatalf("seed %d: degenerate corpus: %d isolated endpoints, %d allowed and %d denied pairs", seed, isolated, allowed, denied)
		}
	}
}

func BenchmarkMatrix(b *testing.B) {
	inv := testcorpus.NetpolInventory(testcorpus.NetpolBenchmarkSize, 1)
	b.ReportAllocs()
	b.ResetTimer()
	var x *Matrix
	for i := 0; i < b.N; i++ {
		m := Build(inv, Options{})
		x = m.Matrix(nil)
	}
	b.ReportMetric(float64(len(x.Endpoints)), "endpoints")
	b.ReportMetric(float64(x.Classes()), "classes")
}
