package namespace

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// rec is a recorder that keeps everything it is told, keyed like the scan's recorder: passes by
// object, failures without an object by resource.
type rec struct {
	mu        sync.Mutex
	evaluated []pair
	findings  []finding.Finding
}

type pair struct {
	id string
	o  *inventory.Object
}

func (r *rec) Evaluated(id string, o *inventory.Object) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evaluated = append(r.evaluated, pair{id, o})
}

func (r *rec) Fail(f finding.Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.findings = append(r.findings, f)
}

// failed renders findings as "control resource-key path" for the given controls, sorted.
func (r *rec) failed(controls ...string) []string {
	var out []string
	for _, f := range r.findings {
		if !contains(controls, f.ControlID) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s", f.ControlID, f.Resource.Key(), f.Path))
	}
	sort.Strings(out)
	return out
}

// passed renders evaluated pairs without a finding as "control resource-key", sorted.
func (r *rec) passed(controls ...string) []string {
	failed := map[string]bool{}
	for _, f := range r.findings {
		failed[f.ControlID+" "+f.Resource.Key()] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range r.evaluated {
		if !contains(controls, p.id) {
			continue
		}
		k := p.id + " " + finding.ResourceOf(p.o).Key()
		if failed[k] || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func run(t *testing.T, cfg *analyzer.Config, objs ...*inventory.Object) *rec {
	t.Helper()
	inv := inventory.New()
	for i, o := range objs {
		if o.Source.File == "" {
			o.Source = inventory.Source{Origin: inventory.FromFile, File: "manifests.yaml", Line: 1 + 10*i}
		}
	}
	inv.Add(objs...)
	if cfg == nil {
		cfg = analyzer.DefaultConfig()
	}
	r := &rec{}
	if err := New().Analyze(context.Background(), inv, cfg, r); err != nil {
		t.Fatal(err)
	}
	// Every evaluated or failed control is one the analyzer owns and the catalog knows.
	owned := New().Controls()
	for _, p := range r.evaluated {
		if !contains(owned, p.id) {
			t.Errorf("evaluated control %s not owned", p.id)
		}
		if p.o == nil {
			t.Errorf("Evaluated(%s, nil)", p.id)
		}
	}
	for _, f := range r.findings {
		if !contains(owned, f.ControlID) {
			t.Errorf("finding for control %s not owned", f.ControlID)
		}
		if _, ok := catalog.Lookup(f.ControlID); !ok {
			t.Errorf("finding for control %s not in the catalog", f.ControlID)
		}
		if f.Message == "" {
			t.Errorf("finding %s %s without a message", f.ControlID, f.Resource.Key())
		}
	}
	return r
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// --- object builders ---

func obj(apiVersion, kind, ns, name string, o runtime.Object) *inventory.Object {
	return &inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: o}
}

func namespace(name string, labels map[string]string) *inventory.Object {
	return obj("v1", "Namespace", "", name, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}})
}

func enforce(level string) map[string]string {
	return map[string]string{"pod-security.kubernetes.io/enforce": level}
}

func deployment(ns, name, image string, podLabels map[string]string) *inventory.Object {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image}}},
		}},
	}
	return obj("apps/v1", "Deployment", ns, name, d)
}

func quota(ns, name string, hard bool) *inventory.Object {
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if hard {
		q.Spec.Hard = corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("4")}
	}
	return obj("v1", "ResourceQuota", ns, name, q)
}

func limitRange(ns, name string, typ corev1.LimitType) *inventory.Object {
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: typ,
			Default: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}}}}
	return obj("v1", "LimitRange", ns, name, lr)
}

func netpol(ns, name string, spec networkingv1.NetworkPolicySpec) *inventory.Object {
	return obj("networking.k8s.io/v1", "NetworkPolicy", ns, name,
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec})
}

func configMap(ns, name string, data map[string]string, binary map[string][]byte) *inventory.Object {
	return obj("v1", "ConfigMap", ns, name,
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data, BinaryData: binary})
}

func service(ns, name string, typ corev1.ServiceType, selector map[string]string, mut ...func(*corev1.Service)) *inventory.Object {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{Type: typ, Selector: selector, Ports: []corev1.ServicePort{{Port: 443}}}}
	for _, m := range mut {
		m(s)
	}
	return obj("v1", "Service", ns, name, s)
}

func ingress(ns, name string, spec networkingv1.IngressSpec) *inventory.Object {
	return obj("networking.k8s.io/v1", "Ingress", ns, name,
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec})
}

func backend(svc string) networkingv1.IngressBackend {
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc,
		Port: networkingv1.ServiceBackendPort{Number: 80}}}
}

func rule(host, svc string) networkingv1.IngressRule {
	pt := networkingv1.PathTypePrefix
	return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{
		HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt, Backend: backend(svc)}}}}}
}
