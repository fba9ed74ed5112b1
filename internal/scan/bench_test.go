package scan

import (
	"context"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/report"
	"github.com/kube4c/kube4c/internal/source"
	"github.com/kube4c/kube4c/internal/testcorpus"
)

const benchWorkloads = 10000

var (
	corpusOnce sync.Once
	corpusDir  string
	corpusSize int64
)

// corpus generates the benchmark corpus once per test binary run (docs/performance.md).
func corpus(b *testing.B) string {
	corpusOnce.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			b.Fatal(err)
		}
		corpusDir = dir
		if corpusSize, err = testcorpus.Generate(dir, benchWorkloads); err != nil {
			b.Fatal(err)
		}
	})
	return corpusDir
}

// peakMemory samples the memory the Go runtime holds from the OS (close to RSS) while f runs.
func peakMemory(f func()) uint64 {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			if v := samples[0].Value.Uint64() - samples[1].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

// BenchmarkScanManifests scans a generated corpus of 10,000 workloads with their namespaces,
// services, quotas, limit ranges and network policies (~12 MB of YAML) with every control.
// Sub-benchmarks split the time between decoding (load) and evaluating controls (analyze).
func BenchmarkScanManifests(b *testing.B) {
	dir := corpus(b)
	b.Run("total", func(b *testing.B) {
		b.SetBytes(corpusSize)
		var peak uint64
		for b.Loop() {
			runtime.GC()
			p := peakMemory(func() {
				res, err := Run(context.Background(), Options{Paths: []string{dir}})
				if err != nil || len(res.Findings) == 0 || res.Errors() > 0 {
					b.Fatalf("scan: %v, %d findings, %d errors", err, len(res.Findings), res.Errors())
				}
			})
			peak = max(peak, p)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(corpusSize)
		for b.Loop() {
			inv := inventory.New()
			if _, err := source.Load(context.Background(), []string{dir}, source.Options{}, inv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("analyze", func(b *testing.B) {
		inv := inventory.New()
		if _, err := source.Load(context.Background(), []string{dir}, source.Options{}, inv); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := Analyze(context.Background(), inv, Options{Config: analyzer.DefaultConfig()}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReport renders the corpus scan result in each format (what the CLI adds to a scan).
func BenchmarkReport(b *testing.B) {
	dir := corpus(b)
	res, err := Run(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range report.Formats {
		b.Run(string(f), func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				runtime.GC()
				peak = max(peak, peakMemory(func() {
					if err := report.Write(io.Discard, f, res, report.Options{BaseDir: dir}); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
		})
	}
}
