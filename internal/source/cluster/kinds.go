package cluster

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// kind is one kind the scan lists.
type kind struct {
	gvk        schema.GroupVersionKind
	resource   string
	namespaced bool
	list       func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error)
}

func gvk(gv, k string) schema.GroupVersionKind { return schema.FromAPIVersionAndKind(gv, k) }

// kinds are what the analyzers read. deploy/rbac-reader.yaml grants exactly get/list on these;
// TestReaderRoleCoversKinds keeps the two in step.
var kinds = []kind{
	{gvk("v1", "Namespace"), "namespaces", false, func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().Namespaces().List(ctx, o)
	}},
	{gvk("v1", "Pod"), "pods", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().Pods(ns).List(ctx, o)
	}},
	{gvk("v1", "ReplicationController"), "replicationcontrollers", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().ReplicationControllers(ns).List(ctx, o)
	}},
	{gvk("v1", "Service"), "services", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().Services(ns).List(ctx, o)
	}},
	{gvk("v1", "ServiceAccount"), "serviceaccounts", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().ServiceAccounts(ns).List(ctx, o)
	}},
	{gvk("v1", "ConfigMap"), "configmaps", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().ConfigMaps(ns).List(ctx, o)
	}},
	{gvk("v1", "Secret"), "secrets", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().Secrets(ns).List(ctx, o)
	}},
	{gvk("v1", "ResourceQuota"), "resourcequotas", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().ResourceQuotas(ns).List(ctx, o)
	}},
	{gvk("v1", "LimitRange"), "limitranges", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().LimitRanges(ns).List(ctx, o)
	}},
	{gvk("apps/v1", "Deployment"), "deployments", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.AppsV1().Deployments(ns).List(ctx, o)
	}},
	{gvk("apps/v1", "StatefulSet"), "statefulsets", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.AppsV1().StatefulSets(ns).List(ctx, o)
	}},
	{gvk("apps/v1", "DaemonSet"), "daemonsets", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.AppsV1().DaemonSets(ns).List(ctx, o)
	}},
	{gvk("apps/v1", "ReplicaSet"), "replicasets", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.AppsV1().ReplicaSets(ns).List(ctx, o)
	}},
	{gvk("batch/v1", "Job"), "jobs", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.BatchV1().Jobs(ns).List(ctx, o)
	}},
	{gvk("batch/v1", "CronJob"), "cronjobs", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.BatchV1().CronJobs(ns).List(ctx, o)
	}},
	{gvk("networking.k8s.io/v1", "NetworkPolicy"), "networkpolicies", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.NetworkingV1().NetworkPolicies(ns).List(ctx, o)
	}},
	{gvk("networking.k8s.io/v1", "Ingress"), "ingresses", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.NetworkingV1().Ingresses(ns).List(ctx, o)
	}},
	{gvk("rbac.authorization.k8s.io/v1", "Role"), "roles", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.RbacV1().Roles(ns).List(ctx, o)
	}},
	{gvk("rbac.authorization.k8s.io/v1", "RoleBinding"), "rolebindings", true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.RbacV1().RoleBindings(ns).List(ctx, o)
	}},
	{gvk("rbac.authorization.k8s.io/v1", "ClusterRole"), "clusterroles", false, func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.RbacV1().ClusterRoles().List(ctx, o)
	}},
	{gvk("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), "clusterrolebindings", false, func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.RbacV1().ClusterRoleBindings().List(ctx, o)
	}},
}

// Resources lists the API groups and resources the scan reads (for RBAC and documentation).
func Resources() map[string][]string {
	out := map[string][]string{}
	for _, k := range kinds {
		out[k.gvk.Group] = append(out[k.gvk.Group], k.resource)
	}
	return out
}

// trimSecret drops Secret values as they arrive: analyzers judge Secrets by type and metadata,
// and a security tool must not hold (or risk printing) credentials it does not need.
func trimSecret(obj runtime.Object) {
	if s, ok := obj.(*corev1.Secret); ok {
		s.Data, s.StringData = nil, nil
	}
}
