package testcorpus

import (
	"fmt"
	"math/rand/v2"

	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// RBACSize sizes an RBAC corpus.
type RBACSize struct {
	Roles, Bindings, ServiceAccounts int
}

// RBACBenchmarkSize is the size issue #4 sets the performance targets for.
var RBACBenchmarkSize = RBACSize{Roles: 20000, Bindings: 20000, ServiceAccounts: 5000}

// rbacRules is the vocabulary roles draw their rules from: mostly harmless, some risky, as in a
// real multi-team cluster.
var rbacRules = [][]rbacv1.PolicyRule{
	{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}}},
	{{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "services", "endpoints"}, Verbs: []string{"get", "list", "watch"}}},
	{{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: []string{"get", "list", "create", "update", "patch"}}},
	{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: []string{"app-config"}}},
	{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}}},
	{{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/portforward"}, Verbs: []string{"create", "get"}}},
	{{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}, ResourceNames: []string{"sa-0"}}},
	{{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: []string{"*"}}},
	{{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}}},
	{{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}}},
	{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}},
	{{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies", "ingresses"}, Verbs: []string{"*"}}},
}

// clusterRules are extra rules only ClusterRoles draw (cluster-scoped resources and risky verbs).
var clusterRules = [][]rbacv1.PolicyRule{
	{{APIGroups: []string{""}, Resources: []string{"nodes", "namespaces", "persistentvolumes"}, Verbs: []string{"get", "list", "watch"}}},
	{{APIGroups: []string{""}, Resources: []string{"nodes/proxy"}, Verbs: []string{"get"}}},
	{{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: []string{"create"}},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"view"}}},
	{{APIGroups: []string{""}, Resources: []string{"users", "groups"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"auditor"}}},
	{{NonResourceURLs: []string{"/metrics", "/healthz*"}, Verbs: []string{"get"}}},
}

// RBACInventory generates an inventory of the given size, deterministically: namespaces of ten
// service accounts each, a Deployment per service account, Roles and RoleBindings spread over the
// namespaces (nine in ten of each), ClusterRoles and ClusterRoleBindings for the rest (a few to
// cluster-admin), subjects drawn from service accounts, users and groups, and a legacy token
// Secret in one namespace in fifty.
func RBACInventory(size RBACSize) *inventory.Inventory {
	r := rand.New(rand.NewPCG(4, 4))
	inv := inventory.New()
	src := inventory.Source{Origin: inventory.FromCluster, Context: "corpus"}
	add := func(apiVersion, kind, ns, name string, obj runtime.Object) {
		inv.Add(&inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: obj, Source: src})
	}
	nsCount := (size.ServiceAccounts + 9) / 10
	if nsCount == 0 {
		nsCount = 1
	}
	nsName := func(i int) string { return fmt.Sprintf("team-%d", i) }
	saName := func(i int) string { return fmt.Sprintf("sa-%d", i) }
	for n := 0; n < nsCount; n++ {
		ns := nsName(n)
		add("v1", "Namespace", "", ns, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	for i := 0; i < size.ServiceAccounts; i++ {
		ns, name := nsName(i/10), saName(i%10)
		add("v1", "ServiceAccount", ns, name, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}})
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "app-" + name, Namespace: ns}}
		d.Spec.Template.Spec.ServiceAccountName = name
		d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}
		add("apps/v1", "Deployment", ns, d.Name, d)
		if i%500 == 0 {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-token", Namespace: ns,
				Annotations: map[string]string{corev1.ServiceAccountNameKey: name}}, Type: corev1.SecretTypeServiceAccountToken}
			add("v1", "Secret", ns, s.Name, s)
		}
	}

	nsRoles := size.Roles * 9 / 10
	clusterRoles := size.Roles - nsRoles
	for i := 0; i < nsRoles; i++ {
		ns := nsName(i % nsCount)
		name := fmt.Sprintf("role-%d", i/nsCount)
		role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: pickRules(r, rbacRules)}
		add("rbac.authorization.k8s.io/v1", "Role", ns, name, role)
	}
	for i := 0; i < clusterRoles; i++ {
		name := fmt.Sprintf("clusterrole-%d", i)
		rules := pickRules(r, rbacRules)
		if r.IntN(4) == 0 {
			rules = append(rules, clusterRules[r.IntN(len(clusterRules))]...)
		}
		add("rbac.authorization.k8s.io/v1", "ClusterRole", "", name, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules})
	}

	subject := func(ns string) rbacv1.Subject {
		switch x := r.IntN(10); {
		case x < 6:
			return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: saName(r.IntN(10)), Namespace: ns}
		case x < 8:
			return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user-%d", r.IntN(2000))}
		default:
			return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("group-%d", r.IntN(200))}
		}
	}
	nsBindings := size.Bindings * 9 / 10
	clusterBindings := size.Bindings - nsBindings
	for i := 0; i < nsBindings; i++ {
		n := i % nsCount
		ns := nsName(n)
		b := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("binding-%d", i/nsCount), Namespace: ns}}
		if r.IntN(5) == 0 && clusterRoles > 0 {
			b.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("clusterrole-%d", r.IntN(clusterRoles))}
		} else {
			b.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", r.IntN(max(1, nsRoles/nsCount)))}
		}
		b.Subjects = []rbacv1.Subject{subject(ns)}
		if r.IntN(3) == 0 {
			b.Subjects = append(b.Subjects, subject(ns))
		}
		add("rbac.authorization.k8s.io/v1", "RoleBinding", ns, b.Name, b)
	}
	for i := 0; i < clusterBindings; i++ {
		b := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("clusterbinding-%d", i)}}
		role := "view"
		switch {
		case i%400 == 0:
			role = "cluster-admin"
		case clusterRoles > 0:
			role = fmt.Sprintf("clusterrole-%d", r.IntN(clusterRoles))
		}
		b.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}
		b.Subjects = []rbacv1.Subject{subject(nsName(r.IntN(nsCount)))}
		add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", b.Name, b)
	}
	return inv
}

func pickRules(r *rand.Rand, from [][]rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for n := 1 + r.IntN(3); n > 0; n-- {
		out = append(out, from[r.IntN(len(from))]...)
	}
	return out
}
