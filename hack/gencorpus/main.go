// Command gencorpus writes the benchmark corpus (docs/performance.md) to a directory:
//
//	go run ./hack/gencorpus -n 10000 /tmp/corpus
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kube4c/kube4c/internal/testcorpus"
)

func main() {
	n := flag.Int("n", 10000, "number of workloads")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gencorpus [-n N] DIR")
		os.Exit(2)
	}
	size, err := testcorpus.Generate(flag.Arg(0), *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d workloads, %.1f MB, to %s\n", *n, float64(size)/(1<<20), flag.Arg(0))
}
