package scan

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source"
	"github.com/kube4c/kube4c/internal/source/cluster"
	"github.com/kube4c/kube4c/internal/testcorpus"
	"github.com/kube4c/kube4c/internal/testenv"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

const clusterBenchWorkloads = 5000

// resourceOf maps the corpus kinds to their API resources.
var resourceOf = map[string]string{
	"Namespace": "namespaces", "ResourceQuota": "resourcequotas", "LimitRange": "limitranges", "Service": "services",
	"NetworkPolicy": "networkpolicies", "Role": "roles", "RoleBinding": "rolebindings",
	"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets", "Job": "jobs", "CronJob": "cronjobs",
}

// populate creates every object of the corpus in the cluster, namespaces first.
func populate(b *testing.B, env *testenv.Env, dir string) int {
	inv := inventory.New()
	if _, err := source.Load(context.Background(), []string{dir}, source.Options{}, inv); err != nil || len(inv.Problems()) > 0 {
		b.Fatalf("corpus: %v %v", err, inv.Problems())
	}
	cfg := *env.Admin
	cfg.QPS, cfg.Burst = 2000, 4000
	dc, err := dynamic.NewForConfig(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	create := func(o *inventory.Object) error {
		u, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(o.Object)
		if err != nil {
			return err
		}
		gvr := schema.GroupVersionResource{Group: o.Group(), Version: o.GroupVersionKind().Version, Resource: resourceOf[o.Kind]}
		ri := dc.Resource(gvr)
		obj := &unstructured.Unstructured{Object: u}
		if o.Kind == "Namespace" {
			_, err = ri.Create(context.Background(), obj, metav1.CreateOptions{})
		} else {
			_, err = ri.Namespace(o.Namespace).Create(context.Background(), obj, metav1.CreateOptions{})
		}
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	for _, o := range inv.OfKind("", "Namespace") {
		if err := create(o); err != nil {
			b.Fatalf("%s: %v", o.Ref(), err)
		}
	}
	ch := make(chan *inventory.Object)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				if err := create(o); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", o.Ref(), err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, o := range inv.Objects() {
		if o.Kind != "Namespace" {
			ch <- o
		}
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return inv.Len()
}

// BenchmarkScanCluster scans a real kube-apiserver (internal/testenv) holding 5,000 workloads with
// their namespaces, services, quotas, limit ranges, roles, bindings and network policies, with the
// reader's defaults (500 per page, 4 lists in flight, 50 QPS / burst 100). The workload controllers
// of the controller manager are off so the cluster holds exactly the corpus. It reports the API
// requests per scan and the peak memory of the process (docs/performance.md).
func BenchmarkScanCluster(b *testing.B) {
	env := testenv.StartWithOptions(b, testenv.StartOptions{AnonymousAuth: true,
		APIServerFlags: []string{"--service-cluster-ip-range=10.96.0.0/16"}, // room for 5,000 Services
		ControllerManagerFlags: []string{
			"--controllers=*,-deployment-controller,-replicaset-controller,-statefulset-controller,-daemonset-controller,-job-controller,-cronjob-controller",
		}})
	dir, err := os.MkdirTemp("", "kube4c-cluster-corpus-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if _, err := testcorpus.Generate(dir, clusterBenchWorkloads); err != nil {
		b.Fatal(err)
	}
	created := populate(b, env, dir)
	b.Logf("created %d objects", created)
	var requests, objects int64
	var peak uint64
	for b.Loop() {
		runtime.GC()
		peak = max(peak, peakMemory(func() {
			inv := inventory.New()
			st, err := cluster.Load(context.Background(), cluster.Options{Config: env.Admin}, inv)
			if err != nil {
				b.Fatal(err)
			}
			res, err := Analyze(context.Background(), inv, Options{Config: analyzer.DefaultConfig()})
			if err != nil || len(res.Findings) == 0 || len(res.Problems) > 0 {
				b.Fatalf("scan: %v, %d findings, problems %v", err, len(res.Findings), res.Problems)
			}
			requests, objects = st.Requests, st.Objects
		}))
	}
	b.ReportMetric(float64(requests), "requests/op")
	b.ReportMetric(float64(objects), "objects/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}
