package netpol

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// fuzzNetwork is a fixed set of pods the fuzzed policies apply to: labelled and unlabelled pods,
// pods with and without IPs and named ports, a host-network pod, in two namespaces.
func fuzzNetwork() []*inventory.Object {
	obj := func(kind, ns, name string, o runtime.Object) *inventory.Object {
		return &inventory.Object{APIVersion: "v1", Kind: kind, Namespace: ns, Name: name, Object: o}
	}
	pod := func(ns, name, ip string, host bool, labels map[string]string, ports ...corev1.ContainerPort) *inventory.Object {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
			Spec:   corev1.PodSpec{HostNetwork: host, Containers: []corev1.Container{{Name: "c", Ports: ports}}},
			Status: corev1.PodStatus{PodIP: ip, HostIP: "192.168.0.1"}}
		return obj("Pod", ns, name, p)
	}
	return []*inventory.Object{
		obj("Namespace", "", "a", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"env": "prod"}}}),
		obj("Namespace", "", "b", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{"env": "dev"}}}),
		pod("a", "web", "10.0.0.1", false, map[string]string{"app": "web"}, corev1.ContainerPort{Name: "http", ContainerPort: 8080}),
		pod("a", "db", "10.0.0.2", false, map[string]string{"app": "db"}, corev1.ContainerPort{Name: "pg", ContainerPort: 5432},
			corev1.ContainerPort{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}),
		pod("a", "bare", "", false, nil),
		pod("b", "web", "", false, map[string]string{"app": "web"}, corev1.ContainerPort{Name: "http", ContainerPort: 80}),
		pod("b", "agent", "", true, map[string]string{"app": "agent"}),
	}
}

// FuzzPolicies feeds arbitrary NetworkPolicies (JSON documents, one per line; JSON rather than
// YAML so the fuzzer explores policies, not YAML alias expansion) to the engine: it must not
// panic, and its three ways of answering (the class-based matrix, pairwise Conns, Explain) must
// agree.
func FuzzPolicies(f *testing.F) {
	for _, dir := range []string{"testdata/cases", "testdata/upstream"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			// Seed with the policies of the truth tables.
			var tables struct {
				Cases []struct {
					Steps []struct {
						Policies []json.RawMessage `json:"policies"`
					} `json:"steps"`
				} `json:"cases"`
			}
			if err := yaml.Unmarshal(data, &tables); err != nil {
				f.Fatalf("%s: %v", file, err)
			}
			for _, c := range tables.Cases {
				for _, st := range c.Steps {
					var lines []string
					for _, p := range st.Policies {
						lines = append(lines, string(p))
					}
					f.Add(strings.Join(lines, "\n"))
				}
			}
		}
	}
	f.Add(`{"metadata":{"namespace":"a"},"spec":{"podSelector":{},"egress":[{"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}}],"ports":[{"port":443},{"port":"pg"},{"port":1000,"endPort":2000,"protocol":"UDP"}]}]}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		objs := fuzzNetwork()
		for i, part := range strings.Split(doc, "\n") {
			var np networkingv1.NetworkPolicy
			if json.Unmarshal([]byte(part), &np) != nil {
				continue
			}
			if np.Namespace != "b" {
				np.Namespace = "a"
			}
			np.Name = "p" + string(rune('0'+i%10))
			objs = append(objs, &inventory.Object{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name, Object: &np})
		}
		inv := inventory.New()
		inv.Add(objs...)
		m := Build(inv, Options{})
		x := m.Matrix(nil)
		for i, s := range x.Endpoints {
			for j, d := range x.Endpoints {
				all, some := m.ConnsSome(s, d)
				if !x.Conns(i, j).Equal(all) || !x.Some(i, j).Equal(some) {
					t.Fatalf("%s → %s: matrix %s/%s, direct %s/%s", s, d, x.Conns(i, j), x.Some(i, j), all, some)
				}
				if !all.Intersect(some).Equal(all) {
					t.Fatalf("%s → %s: allowed to every address (%s) is not within some (%s)", s, d, all, some)
				}
				if s.IsExternal() && d.IsExternal() {
					continue
				}
				if ex := m.Explain(s, d); !ex.Allowed.Equal(all) || !ex.Some.Equal(some) {
					t.Fatalf("%s → %s: explain %s/%s, conns %s/%s", s, d, ex.Allowed, ex.Some, all, some)
				}
			}
		}
	})
}
