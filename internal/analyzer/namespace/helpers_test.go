package namespace

import (
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

type rec = analyzertest.Recorder

func run(t *testing.T, cfg *analyzer.Config, objs ...*inventory.Object) *rec {
	t.Helper()
	return analyzertest.Run(t, New(), analyzertest.Inventory("manifests.yaml", objs...), cfg)
}

var eq = analyzertest.Eq

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
