// Command gencorpus writes a benchmark corpus (docs/performance.md) to a directory: the manifest
// corpus, or with -netpol the NetworkPolicy corpus of issue #5 (2,000 workloads in 300
// namespaces, 1,000 policies; one file per namespace).
//
//	go run ./hack/gencorpus -n 10000 /tmp/corpus
//	go run ./hack/gencorpus -netpol /tmp/netpol-corpus
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kube4c/kube4c/internal/testcorpus"
	"sigs.k8s.io/yaml"
)

func main() {
	n := flag.Int("n", 10000, "number of workloads")
	netpol := flag.Bool("netpol", false, "write the NetworkPolicy corpus instead")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gencorpus [-n N | -netpol] DIR")
		os.Exit(2)
	}
	if *netpol {
		if err := writeNetpol(flag.Arg(0)); err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		return
	}
	size, err := testcorpus.Generate(flag.Arg(0), *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d workloads, %.1f MB, to %s\n", *n, float64(size)/(1<<20), flag.Arg(0))
}

func writeNetpol(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]*strings.Builder{}
	inv := testcorpus.NetpolInventory(testcorpus.NetpolBenchmarkSize, 1)
	for _, o := range inv.Objects() {
		ns := o.Namespace
		if ns == "" {
			ns = o.Name // the Namespace object goes with its namespace's objects
		}
		if files[ns] == nil {
			files[ns] = &strings.Builder{}
		}
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			return err
		}
		fmt.Fprintf(files[ns], "---\napiVersion: %s\nkind: %s\n%s", o.APIVersion, o.Kind, data)
	}
	for ns, b := range files {
		if err := os.WriteFile(filepath.Join(dir, ns+".yaml"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %d objects in %d files to %s\n", inv.Len(), len(files), dir)
	return nil
}
