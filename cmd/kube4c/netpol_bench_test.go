package main

import (
	"io"
	"testing"

	"github.com/kube4c/kube4c/internal/netpol"
	"github.com/kube4c/kube4c/internal/testcorpus"
)

// BenchmarkNetpolMatrixOutput renders the full matrix of the issue #5 corpus (2,000 workloads, 300
// namespaces, 1,000 policies) in each format, from the loaded inventory: model, matrix and output.
func BenchmarkNetpolMatrixOutput(b *testing.B) {
	inv := testcorpus.NetpolInventory(testcorpus.NetpolBenchmarkSize, 1)
	for _, format := range []string{"json", "table", "csv"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			var cw countingWriter
			for i := 0; i < b.N; i++ {
				cw = countingWriter{}
				x := netpol.Build(inv, netpol.Options{}).Matrix(nil)
				if err := writeMatrix(&cw, format, x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cw.n)/1e6, "MB-out")
		})
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return io.Discard.Write(p)
}
