package rbac_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/rbac"
	"github.com/kube4c/kube4c/internal/testcorpus"
)

// --- building inventories (helpers are prefixed esc: other test files of the package define
// their own) ---

func escObject(obj runtime.Object) *inventory.Object {
	acc, err := meta.Accessor(obj)
	if err != nil {
		panic(err)
	}
	o := &inventory.Object{Namespace: acc.GetNamespace(), Name: acc.GetName(), Object: obj}
	switch obj.(type) {
	case *rbacv1.ClusterRole:
		o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "ClusterRole"
	case *rbacv1.Role:
		o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "Role"
	case *rbacv1.ClusterRoleBinding:
		o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "ClusterRoleBinding"
	case *rbacv1.RoleBinding:
		o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "RoleBinding"
	case *corev1.ServiceAccount:
		o.APIVersion, o.Kind = "v1", "ServiceAccount"
	case *corev1.Secret:
		o.APIVersion, o.Kind = "v1", "Secret"
	case *corev1.Pod:
		o.APIVersion, o.Kind = "v1", "Pod"
	case *corev1.Namespace:
		o.APIVersion, o.Kind = "v1", "Namespace"
	case *appsv1.Deployment:
		o.APIVersion, o.Kind = "apps/v1", "Deployment"
	case *appsv1.StatefulSet:
		o.APIVersion, o.Kind = "apps/v1", "StatefulSet"
	default:
		panic(fmt.Sprintf("escObject: %T", obj))
	}
	return o
}

func escModel(objs ...runtime.Object) *rbac.Model {
	inv := inventory.New()
	for _, obj := range objs {
		inv.Add(escObject(obj))
	}
	return rbac.Build(inv)
}

func escRule(verbs, groups, resources string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: strings.Split(verbs, ","), APIGroups: strings.Split(groups, ","),
		Resources: strings.Split(resources, ","), ResourceNames: names}
}

func escClusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

// escClusterAdmin is the bootstrap cluster-admin ClusterRole (defined here so the tests do not
// depend on the model adding the built-in roles).
func escClusterAdmin() *rbacv1.ClusterRole {
	return escClusterRole("cluster-admin", escRule("*", "*", "*"), rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}})
}

func escRole(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func escCRB(name, roleName string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName}, Subjects: subjects}
}

func escRB(ns, name, roleKind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName}, Subjects: subjects}
}

func escUser(name string) rbacv1.Subject {
	return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}
}

func escGroup(name string) rbacv1.Subject {
	return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: name}
}

func escSA(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func escServiceAccount(ns, name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func escTokenSecret(ns, name, sa string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		Annotations: map[string]string{corev1.ServiceAccountNameKey: sa}}, Type: corev1.SecretTypeServiceAccountToken}
}

func escDeployment(ns, name, sa string, automount *bool) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			ServiceAccountName: sa, AutomountServiceAccountToken: automount,
			Containers: []corev1.Container{{Name: "app", Image: "app:1"}}}}}}
}

func escStatefulSet(ns, name, sa string) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			ServiceAccountName: sa, Containers: []corev1.Container{{Name: "db", Image: "db:1"}}}}}}
}

func escU(name string) rbac.Subject { return rbac.Subject{Kind: rbac.User, Name: name} }
func escG(name string) rbac.Subject { return rbac.Subject{Kind: rbac.Group, Name: name} }
func escS(ns, name string) rbac.Subject {
	return rbac.Subject{Kind: rbac.ServiceAccount, Namespace: ns, Name: name}
}

// escTechniques renders a path as its techniques and targets: "create-pods>sa:shop/backup
// read-all-secrets>admin".
func escTechniques(p rbac.Path) string {
	var parts []string
	for _, s := range p.Steps {
		to := "admin"
		if s.To != (rbac.Subject{}) {
			to = s.To.Key()
		}
		parts = append(parts, s.Technique+">"+to)
	}
	return strings.Join(parts, " ")
}

// escAdminPath checks AdminPath against AdminPaths (one subject and every subject) and returns it.
func escAdminPath(t *testing.T, m *rbac.Model, s rbac.Subject, opts rbac.PathOptions) (rbac.Path, bool) {
	t.Helper()
	p, ok := m.AdminPath(s, opts)
	batch, bok := m.AdminPaths([]rbac.Subject{s}, opts)[s]
	all, aok := m.AdminPaths(m.Subjects(), opts)[s]
	if bok != ok || !reflect.DeepEqual(batch, p) {
		t.Errorf("AdminPaths([%s]) = %v %q, AdminPath = %v %q", s, bok, escTechniques(batch), ok, escTechniques(p))
	}
	if escContains(m.Subjects(), s) && (aok != ok || !reflect.DeepEqual(all, p)) {
		t.Errorf("AdminPaths(all)[%s] = %v %q, AdminPath = %v %q", s, aok, escTechniques(all), ok, escTechniques(p))
	}
	if ok {
		if !p.Admin || p.From != s || len(p.Steps) == 0 || p.Steps[len(p.Steps)-1].To != (rbac.Subject{}) {
			t.Errorf("AdminPath(%s) malformed: %+v", s, p)
		}
		ps := m.Paths(s, opts)
		if len(ps) == 0 || !reflect.DeepEqual(ps[0], p) {
			t.Errorf("Paths(%s) does not start with the admin path %q", s, escTechniques(p))
		}
	}
	return p, ok
}

func escContains(list []rbac.Subject, s rbac.Subject) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestEscalationSpecExample is the chain of the product spec: a user who can create pods in a
// namespace runs a pod as a service account there that can read secrets cluster-wide.
func TestEscalationSpecExample(t *testing.T) {
	m := escModel(
		escServiceAccount("shop", "ci"), escServiceAccount("shop", "backup"), escServiceAccount("shop", "web"),
		escRole("shop", "deployer", escRule("create,get", "", "pods")),
		escRB("shop", "ci", "Role", "deployer", escSA("shop", "ci")),
		escClusterRole("secret-reader", escRule("get,list", "", "secrets")),
		escCRB("backup", "secret-reader", escSA("shop", "backup")),
	)
	p, ok := escAdminPath(t, m, escS("shop", "ci"), rbac.PathOptions{})
	if !ok {
		t.Fatal("no admin path")
	}
	want := []string{
		"ServiceAccount shop/ci can create pods in namespace shop (RoleBinding shop/ci -> Role shop/deployer), so it can run a pod as ServiceAccount shop/backup",
		"ServiceAccount shop/backup can get secrets cluster-wide (ClusterRoleBinding backup -> ClusterRole secret-reader); an identity that can read every secret, the tokens of controllers and operators included, is effectively cluster-admin",
	}
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.Text)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("texts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if escTechniques(p) != "create-pods>sa:shop/backup read-all-secrets>admin" {
		t.Errorf("path %q", escTechniques(p))
	}
	if s := p.String(); s != "ServiceAccount shop/ci --create-pods--> ServiceAccount shop/backup --read-all-secrets--> cluster-admin" {
		t.Errorf("String() = %q", s)
	}
	if p.Steps[0].From != escS("shop", "ci") || p.Steps[1].From != escS("shop", "backup") || p.Steps[0].Via != nil {
		t.Errorf("steps %+v", p.Steps)
	}
	if len(p.Steps[0].Grants) != 1 || p.Steps[0].Grants[0].Evidence() != "RoleBinding shop/ci -> Role shop/deployer" {
		t.Errorf("grants of step 1: %v", p.Steps[0].Grants)
	}
	if len(p.Steps[1].Grants) != 1 || p.Steps[1].Grants[0].Evidence() != "ClusterRoleBinding backup -> ClusterRole secret-reader" {
		t.Errorf("grants of step 2: %v", p.Steps[1].Grants)
	}

	// Paths: the admin path, then every service account of shop (default included) in one step.
	var paths []string
	for _, p := range m.Paths(escS("shop", "ci"), rbac.PathOptions{}) {
		paths = append(paths, fmt.Sprintf("%v:%s", p.Admin, escTechniques(p)))
	}
	wantPaths := []string{
		"true:create-pods>sa:shop/backup read-all-secrets>admin",
		"false:create-pods>sa:shop/backup",
		"false:create-pods>sa:shop/default",
		"false:create-pods>sa:shop/web",
	}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("Paths:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(wantPaths, "\n"))
	}
}

// TestEscalationTokenVariant: reading the legacy token Secret of a cluster-admin service account in
// one namespace is enough.
func TestEscalationTokenVariant(t *testing.T) {
	m := escModel(
		escServiceAccount("ops", "robot"),
		escTokenSecret("ops", "robot-token-x1", "robot"),
		escTokenSecret("ops", "other-token", "other"),
		escClusterAdmin(),
		escCRB("robot-admin", "cluster-admin", escSA("ops", "robot")),
		escRole("ops", "secret-viewer", escRule("get", "", "secrets")),
		escRB("ops", "viewers", "Role", "secret-viewer", escUser("alice")),
	)
	p, ok := escAdminPath(t, m, escU("alice"), rbac.PathOptions{})
	if !ok {
		t.Fatal("no admin path")
	}
	if escTechniques(p) != "read-token-secret>sa:ops/robot cluster-admin>admin" {
		t.Fatalf("path %q", escTechniques(p))
	}
	s := p.Steps[0]
	if s.Via == nil || s.Via.Name != "robot-token-x1" {
		t.Errorf("Via = %v", s.Via)
	}
	want := "User alice can get secrets in namespace ops (RoleBinding ops/viewers -> Role ops/secret-viewer), so it can read the token of ServiceAccount ops/robot in Secret ops/robot-token-x1"
	if s.Text != want {
		t.Errorf("text %q\nwant %q", s.Text, want)
	}
	if got := p.Steps[1].Text; !strings.HasPrefix(got, "ServiceAccount ops/robot can do every verb on every resource cluster-wide (ClusterRoleBinding robot-admin -> ClusterRole cluster-admin)") {
		t.Errorf("admin text %q", got)
	}

	// resourceNames restrict which token Secrets are readable.
	m = escModel(
		escTokenSecret("ops", "robot-token-x1", "robot"),
		escTokenSecret("ops", "low-token", "low"),
		escClusterAdmin(),
		escCRB("robot-admin", "cluster-admin", escSA("ops", "robot")),
		escRole("ops", "secret-viewer", escRule("get", "", "secrets", "low-token")),
		escRB("ops", "viewers", "Role", "secret-viewer", escUser("alice")),
		escRole("ops", "lister", escRule("list", "", "secrets", "robot-token-x1")),
		escRB("ops", "listers", "Role", "lister", escUser("alice")),
	)
	if p, ok := escAdminPath(t, m, escU("alice"), rbac.PathOptions{}); ok {
		t.Errorf("restricted to low-token (and a list naming a Secret, which names no object): %q", escTechniques(p))
	}
	if got := escPathTargets(m.Paths(escU("alice"), rbac.PathOptions{})); got != "read-token-secret>sa:ops/low" {
		t.Errorf("Paths: %s", got)
	}
}

func escPathTargets(ps []rbac.Path) string {
	var out []string
	for _, p := range ps {
		out = append(out, escTechniques(p))
	}
	return strings.Join(out, "; ")
}

func TestAdminEquivalentTechniques(t *testing.T) {
	cases := []struct {
		name    string
		rules   []rbacv1.PolicyRule
		subject rbacv1.Subject
		want    string // technique, "" when not admin-equivalent
		text    string // a part of the text
	}{
		{"cluster-admin", []rbacv1.PolicyRule{escRule("*", "*", "*")}, escUser("u"), rbac.TechniqueClusterAdmin, "it is cluster-admin"},
		{"everything in one group", []rbacv1.PolicyRule{escRule("*", "apps", "*")}, escUser("u"), "", ""},
		{"list secrets", []rbacv1.PolicyRule{escRule("list", "", "secrets")}, escUser("u"), rbac.TechniqueReadAllSecrets, "can list secrets cluster-wide"},
		{"watch secrets", []rbacv1.PolicyRule{escRule("watch", "", "secrets")}, escUser("u"), rbac.TechniqueReadAllSecrets, "watch secrets"},
		{"named secrets", []rbacv1.PolicyRule{escRule("get", "", "secrets", "a")}, escUser("u"), "", ""},
		{"impersonate users", []rbacv1.PolicyRule{escRule("impersonate", "", "users")}, escUser("u"), rbac.TechniqueImpersonate, "act as any user"},
		{"impersonate groups and a user", []rbacv1.PolicyRule{escRule("impersonate", "", "groups"), escRule("impersonate", "", "users", "nobody")},
			escUser("u"), rbac.TechniqueImpersonate, "member of Group system:masters"},
		{"impersonate masters and a service account", []rbacv1.PolicyRule{escRule("impersonate", "", "groups", "system:masters"), escRule("impersonate", "", "serviceaccounts", "x")},
			escUser("u"), rbac.TechniqueImpersonate, "member of Group system:masters"},
		{"impersonate groups alone", []rbacv1.PolicyRule{escRule("impersonate", "", "groups")}, escUser("u"), "", ""},
		{"bind", []rbacv1.PolicyRule{escRule("bind", "rbac.authorization.k8s.io", "clusterroles"), escRule("create", "rbac.authorization.k8s.io", "clusterrolebindings")},
			escUser("u"), rbac.TechniqueBind, "bind ClusterRole cluster-admin to itself"},
		{"bind cluster-admin by name", []rbacv1.PolicyRule{escRule("bind", "rbac.authorization.k8s.io", "clusterroles", "view", "cluster-admin"), escRule("create", "rbac.authorization.k8s.io", "clusterrolebindings")},
			escUser("u"), rbac.TechniqueBind, "(only view, cluster-admin)"},
		{"bind view only", []rbacv1.PolicyRule{escRule("bind", "rbac.authorization.k8s.io", "clusterroles", "view"), escRule("create", "rbac.authorization.k8s.io", "clusterrolebindings")},
			escUser("u"), "", ""},
		{"bind without create", []rbacv1.PolicyRule{escRule("bind", "rbac.authorization.k8s.io", "clusterroles")}, escUser("u"), "", ""},
		{"escalate", []rbacv1.PolicyRule{escRule("escalate,patch", "rbac.authorization.k8s.io", "clusterroles", "r")},
			escUser("u"), rbac.TechniqueEscalate, "add every permission to ClusterRole r, which ClusterRoleBinding b binds to it"},
		{"escalate another role", []rbacv1.PolicyRule{escRule("escalate,update", "rbac.authorization.k8s.io", "clusterroles", "other")}, escUser("u"), "", ""},
		{"update without escalate", []rbacv1.PolicyRule{escRule("update", "rbac.authorization.k8s.io", "clusterroles")}, escUser("u"), "", ""},
		{"nodes/proxy", []rbacv1.PolicyRule{escRule("get", "", "nodes/proxy")}, escUser("u"), rbac.TechniqueNodesProxy, "kubelet API"},
		{"nodes/* create", []rbacv1.PolicyRule{escRule("create", "", "nodes/*")}, escUser("u"), "", ""},
		{"nodes/proxy of one node", []rbacv1.PolicyRule{escRule("get", "", "nodes/proxy", "n1")}, escUser("u"), "", ""},
		{"approve-csr", []rbacv1.PolicyRule{
			escRule("create", "certificates.k8s.io", "certificatesigningrequests"),
			escRule("update", "certificates.k8s.io", "certificatesigningrequests/approval", "mine"),
			escRule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client")},
			escUser("u"), rbac.TechniqueApproveCSR, "client certificate for any user or group"},
		{"approve-csr wildcard signer", []rbacv1.PolicyRule{
			escRule("create", "certificates.k8s.io", "certificatesigningrequests"),
			escRule("patch", "certificates.k8s.io", "certificatesigningrequests/approval"),
			escRule("approve", "certificates.k8s.io", "signers", "kubernetes.io/*")},
			escUser("u"), rbac.TechniqueApproveCSR, ""},
		{"approve kubelet-serving only", []rbacv1.PolicyRule{
			escRule("create", "certificates.k8s.io", "certificatesigningrequests"),
			escRule("update", "certificates.k8s.io", "certificatesigningrequests/approval"),
			escRule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kubelet-serving")},
			escUser("u"), "", ""},
		{"admission webhook", []rbacv1.PolicyRule{escRule("create", "admissionregistration.k8s.io", "mutatingwebhookconfigurations")},
			escUser("u"), rbac.TechniqueAdmissionWebhook, "rewrite every pod"},
		{"patch a named webhook", []rbacv1.PolicyRule{escRule("patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "cert-manager-webhook")},
			escUser("u"), rbac.TechniqueAdmissionWebhook, "point a webhook at its own server"},
		{"validating webhook", []rbacv1.PolicyRule{escRule("create", "admissionregistration.k8s.io", "validatingwebhookconfigurations")}, escUser("u"), "", ""},
		{"group member", []rbacv1.PolicyRule{escRule("list", "", "secrets")}, escGroup("ops"), rbac.TechniqueReadAllSecrets, "Group ops can list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := escModel(escClusterRole("r", c.rules...), escCRB("b", "r", c.subject))
			s := rbac.Subject{Kind: c.subject.Kind, Name: c.subject.Name}
			step, ok := m.AdminEquivalent(s)
			if got := step.Technique; got != c.want || ok != (c.want != "") {
				t.Fatalf("AdminEquivalent = %v %q (%s), want %q", ok, got, step.Text, c.want)
			}
			if !ok {
				if p, ok := escAdminPath(t, m, s, rbac.PathOptions{}); ok {
					t.Errorf("admin path %q", escTechniques(p))
				}
				return
			}
			if step.From != s || step.To != (rbac.Subject{}) || len(step.Grants) == 0 || !strings.Contains(step.Text, c.text) ||
				!strings.Contains(step.Text, "(ClusterRoleBinding b -> ClusterRole r)") {
				t.Errorf("step %+v", step)
			}
			p, ok := escAdminPath(t, m, s, rbac.PathOptions{MaxDepth: 1})
			if !ok || len(p.Steps) != 1 || !reflect.DeepEqual(p.Steps[0], step) {
				t.Errorf("AdminPath = %v %+v, want the step", ok, p)
			}

			// Namespaced grants never grant cluster-scoped permissions, nor cluster-wide ones.
			m = escModel(escClusterRole("r", c.rules...), escRB("ns", "b", "ClusterRole", "r", c.subject))
			if step, ok := m.AdminEquivalent(s); ok {
				t.Errorf("through a RoleBinding: %s", step.Text)
			}
		})
	}

	step, ok := escModel().AdminEquivalent(escG("system:masters"))
	if !ok || step.Technique != rbac.TechniqueMasters || len(step.Grants) != 0 || !strings.Contains(step.Text, "without consulting RBAC") {
		t.Errorf("system:masters: %v %+v", ok, step)
	}
	if step, ok := escModel().AdminEquivalent(escU("nobody")); ok {
		t.Errorf("nobody: %+v", step)
	}
}

func TestEscalationMoves(t *testing.T) {
	f := false
	cases := []struct {
		name    string
		objs    []runtime.Object
		from    rbac.Subject
		want    string // escPathTargets(Paths(from))
		via     string // Via of the first path's first step
		text    string // text of the first path's first step
		maxDeep int
	}{
		{name: "create deployments",
			objs: []runtime.Object{escServiceAccount("a", "x"),
				escRole("a", "r", escRule("create", "apps", "deployments")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: "create-pods>sa:a/default; create-pods>sa:a/x",
			text: "User u can create deployments.apps in namespace a (RoleBinding a/b -> Role a/r), so it can run a pod as ServiceAccount a/default"},
		{name: "create pods cluster-wide reaches every namespace",
			objs: []runtime.Object{escServiceAccount("a", "x"), escServiceAccount("b", "y"),
				escClusterRole("r", escRule("create", "batch", "cronjobs")), escCRB("b", "r", escUser("u"))},
			from: escU("u"), want: "create-pods>sa:a/default; create-pods>sa:a/x; create-pods>sa:b/default; create-pods>sa:b/y"},
		{name: "create with resourceNames allows nothing",
			objs: []runtime.Object{escRole("a", "r", escRule("create", "", "pods", "p")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: ""},
		{name: "token requests respect resourceNames",
			objs: []runtime.Object{escServiceAccount("a", "x"), escServiceAccount("a", "y"),
				escRole("a", "r", escRule("create", "", "serviceaccounts/token", "x")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: "create-token>sa:a/x",
			text: "User u can create serviceaccounts/token in namespace a (only x) (RoleBinding a/b -> Role a/r), so it can request a token for ServiceAccount a/x"},
		{name: "token requests cluster-wide by name",
			objs: []runtime.Object{escServiceAccount("a", "x"), escServiceAccount("b", "x"), escServiceAccount("b", "y"),
				escClusterRole("r", escRule("create", "", "serviceaccounts/token", "x")), escCRB("b", "r", escUser("u"))},
			from: escU("u"), want: "create-token>sa:a/x; create-token>sa:b/x"},
		{name: "create and read secrets",
			objs: []runtime.Object{escServiceAccount("a", "x"),
				escRole("a", "w", escRule("create", "", "secrets")), escRole("a", "r", escRule("list", "", "secrets")),
				escRB("a", "w", "Role", "w", escUser("u")), escRB("a", "r", "Role", "r", escUser("u"))},
			from: escU("u"), want: "create-token-secret>sa:a/default; create-token-secret>sa:a/x",
			text: "User u can create secrets in namespace a (RoleBinding a/w -> Role a/w) and list secrets in namespace a (RoleBinding a/r -> Role a/r), so it can create a kubernetes.io/service-account-token Secret for ServiceAccount a/default and read the token the token controller puts in it"},
		{name: "create secrets without reading them",
			objs: []runtime.Object{escRole("a", "w", escRule("create", "", "secrets")), escRole("a", "r", escRule("get", "", "secrets", "s")),
				escRB("a", "w", "Role", "w", escUser("u")), escRB("a", "r", "Role", "r", escUser("u"))},
			from: escU("u"), want: ""},
		{name: "exec into workloads that mount a token",
			objs: []runtime.Object{escDeployment("a", "web", "x", nil), escDeployment("a", "batch", "y", &f),
				escRole("a", "r", escRule("create", "", "pods/exec")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: "exec>sa:a/x", via: "Deployment/a/web",
			text: "User u can create pods/exec in namespace a (RoleBinding a/b -> Role a/r), so it can run commands in Deployment a/web, whose pods mount the token of ServiceAccount a/x"},
		{name: "exec with get",
			objs: []runtime.Object{escDeployment("a", "web", "x", nil),
				escRole("a", "r", escRule("get", "", "pods/exec")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: "exec>sa:a/x", via: "Deployment/a/web",
			text: "User u can get pods/exec in namespace a (RoleBinding a/b -> Role a/r) (API servers before 1.35 accept get for exec over WebSockets), so it can run commands in Deployment a/web, whose pods mount the token of ServiceAccount a/x"},
		{name: "exec by pod name reaches StatefulSet pods only",
			objs: []runtime.Object{escDeployment("a", "web", "x", nil), escStatefulSet("a", "db", "y"),
				escRole("a", "r", escRule("create", "", "pods/exec", "db-0", "web")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: "exec>sa:a/y", via: "StatefulSet/a/db"},
		{name: "impersonate service accounts",
			objs: []runtime.Object{escServiceAccount("a", "x"),
				escRole("a", "r", escRule("impersonate", "", "serviceaccounts")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: "impersonate>sa:a/default; impersonate>sa:a/x",
			text: "User u can impersonate serviceaccounts in namespace a (RoleBinding a/b -> Role a/r), so it can act as ServiceAccount a/default"},
		{name: "impersonate named users and groups",
			objs: []runtime.Object{
				escClusterRole("r", escRule("impersonate", "", "users", "bob"), escRule("impersonate", "", "groups", "devs")),
				escCRB("b", "r", escUser("u")), escCRB("other", "view", escUser("bob"), escUser("carl"), escGroup("devs"), escGroup("ops"))},
			from: escU("u"), want: "impersonate>user:bob; impersonate>group:devs",
			text: "User u can impersonate users cluster-wide (only bob) (ClusterRoleBinding b -> ClusterRole r), so it can act as User bob"},
		{name: "impersonate users in a namespace grants nothing",
			objs: []runtime.Object{escCRB("other", "view", escUser("bob")),
				escRole("a", "r", escRule("impersonate", "", "users")), escRB("a", "b", "Role", "r", escUser("u"))},
			from: escU("u"), want: ""},
		{name: "a group's permissions apply to its members",
			objs: []runtime.Object{escServiceAccount("a", "x"),
				escRole("a", "r", escRule("create", "", "serviceaccounts/token", "x")), escRB("a", "b", "Role", "r", escGroup("system:serviceaccounts:a"))},
			from: escS("a", "default"), want: "create-token>sa:a/x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := escModel(c.objs...)
			ps := m.Paths(c.from, rbac.PathOptions{MaxDepth: 1})
			if got := escPathTargets(ps); got != c.want {
				t.Fatalf("Paths = %s\nwant    %s", got, c.want)
			}
			if len(ps) == 0 {
				return
			}
			st := ps[0].Steps[0]
			if c.via != "" && (st.Via == nil || st.Via.Ref() != c.via) {
				t.Errorf("Via = %v, want %s", st.Via, c.via)
			}
			if c.text != "" && st.Text != c.text {
				t.Errorf("text %q\nwant %q", st.Text, c.text)
			}
			if len(st.Grants) == 0 {
				t.Errorf("no grants")
			}
		})
	}
}

// escChain is alice -create-pods-> a/ci -create-token-> b/deployer -impersonate-> c/root (admin).
func escChain() *rbac.Model {
	return escModel(
		escServiceAccount("a", "ci"), escServiceAccount("b", "deployer"), escServiceAccount("c", "root"),
		escRole("a", "pods", escRule("create", "", "pods")), escRB("a", "alice", "Role", "pods", escUser("alice")),
		escRole("b", "tokens", escRule("create", "", "serviceaccounts/token", "deployer")), escRB("b", "ci", "Role", "tokens", escSA("a", "ci")),
		escRole("c", "imp", escRule("impersonate", "", "serviceaccounts", "root")), escRB("c", "deployer", "Role", "imp", escSA("b", "deployer")),
		escClusterAdmin(), escCRB("root", "cluster-admin", escSA("c", "root")),
	)
}

func TestEscalationDepth(t *testing.T) {
	m := escChain()
	for depth, want := range map[int]string{
		1: "", 2: "", 3: "",
		4: "create-pods>sa:a/ci create-token>sa:b/deployer impersonate>sa:c/root cluster-admin>admin",
		0: "create-pods>sa:a/ci create-token>sa:b/deployer impersonate>sa:c/root cluster-admin>admin", // DefaultMaxDepth
	} {
		p, ok := escAdminPath(t, m, escU("alice"), rbac.PathOptions{MaxDepth: depth})
		if got := escTechniques(p); ok != (want != "") || got != want {
			t.Errorf("depth %d: %v %q, want %q", depth, ok, got, want)
		}
	}
	for depth, want := range map[int]string{
		1: "create-pods>sa:a/ci; create-pods>sa:a/default",
		2: "create-pods>sa:a/ci; create-pods>sa:a/default; create-pods>sa:a/ci create-token>sa:b/deployer",
	} {
		if got := escPathTargets(m.Paths(escU("alice"), rbac.PathOptions{MaxDepth: depth})); got != want {
			t.Errorf("Paths depth %d:\n%s\nwant\n%s", depth, got, want)
		}
	}
	ps := m.Paths(escU("alice"), rbac.PathOptions{MaxDepth: 4})
	if got, want := escPathTargets(ps), "create-pods>sa:a/ci create-token>sa:b/deployer impersonate>sa:c/root cluster-admin>admin; "+
		"create-pods>sa:a/ci; create-pods>sa:a/default; create-pods>sa:a/ci create-token>sa:b/deployer; "+
		"create-pods>sa:a/ci create-token>sa:b/deployer impersonate>sa:c/root; "+
		// c/root is cluster-admin: it can impersonate anyone.
		"create-pods>sa:a/ci create-token>sa:b/deployer impersonate>sa:c/root impersonate>group:system:masters; "+
		"create-pods>sa:a/ci create-token>sa:b/deployer impersonate>sa:c/root impersonate>sa:b/default; "+
		"create-pods>sa:a/ci create-token>sa:b/deployer impersonate>sa:c/root impersonate>sa:c/default"; got != want {
		t.Errorf("Paths:\n%s\nwant\n%s", got, want)
	}
	// The service accounts along the chain have their own, shorter paths.
	all := m.AdminPaths(m.Subjects(), rbac.PathOptions{})
	for s, n := range map[rbac.Subject]int{escS("a", "ci"): 3, escS("b", "deployer"): 2, escS("c", "root"): 1, escU("alice"): 4} {
		if len(all[s].Steps) != n {
			t.Errorf("%s: %q", s, escTechniques(all[s]))
		}
	}
	if len(all) != 4 {
		t.Errorf("AdminPaths has %d entries, want 4", len(all))
	}
	if p, ok := all[escS("a", "default")]; ok {
		t.Errorf("a/default: %q", escTechniques(p))
	}
	if p, ok := m.AdminPaths(m.Subjects(), rbac.PathOptions{MaxDepth: 2})[escS("a", "ci")]; ok {
		t.Errorf("a/ci within 2 steps: %q", escTechniques(p))
	}
}

func TestEscalationNoPathAndCycles(t *testing.T) {
	m := escModel(
		escServiceAccount("a", "x"), escServiceAccount("a", "y"),
		escRole("a", "tx", escRule("create", "", "serviceaccounts/token", "y")), escRB("a", "x", "Role", "tx", escSA("a", "x")),
		escRole("a", "ty", escRule("create", "", "serviceaccounts/token", "x")), escRB("a", "y", "Role", "ty", escSA("a", "y")),
		escCRB("view", "view", escUser("reader")),
	)
	for _, s := range []rbac.Subject{escS("a", "x"), escS("a", "y"), escU("reader"), escU("stranger")} {
		if p, ok := escAdminPath(t, m, s, rbac.PathOptions{MaxDepth: 50}); ok {
			t.Errorf("%s: %q", s, escTechniques(p))
		}
	}
	if got := escPathTargets(m.Paths(escS("a", "x"), rbac.PathOptions{MaxDepth: 50})); got != "create-token>sa:a/y" {
		t.Errorf("Paths(a/x) = %s", got)
	}
	if got := m.Paths(escU("reader"), rbac.PathOptions{}); len(got) != 0 {
		t.Errorf("Paths(reader) = %s", escPathTargets(got))
	}
	if got := m.AdminPaths(m.Subjects(), rbac.PathOptions{}); len(got) != 0 {
		t.Errorf("AdminPaths = %v", got)
	}
}

// TestEscalationShortestAndDeterministic: of several paths the shortest wins; among equally short
// ones the earlier technique, then the smaller target; the answer does not depend on the order of
// the inventory.
func TestEscalationShortestAndDeterministic(t *testing.T) {
	objs := []runtime.Object{
		escServiceAccount("a", "m"), escServiceAccount("a", "z"), escServiceAccount("b", "k"),
		// alice: create pods in a (-> a/m, a/z), token for b/k.
		escRole("a", "pods", escRule("create", "", "pods")), escRB("a", "alice", "Role", "pods", escUser("alice")),
		escRole("b", "tok", escRule("create", "", "serviceaccounts/token", "k")), escRB("b", "alice", "Role", "tok", escUser("alice")),
		// a/z and b/k read secrets cluster-wide, a/m reaches them in two more steps.
		escClusterRole("secrets", escRule("list", "", "secrets")),
		escCRB("z", "secrets", escSA("a", "z")), escCRB("k", "secrets", escSA("b", "k")),
		escRole("a", "imp", escRule("impersonate", "", "serviceaccounts")), escRB("a", "m", "Role", "imp", escSA("a", "m")),
	}
	var first []string
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 10; round++ {
		r.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
		m := escModel(objs...)
		p, ok := escAdminPath(t, m, escU("alice"), rbac.PathOptions{})
		if !ok || escTechniques(p) != "create-token>sa:b/k read-all-secrets>admin" {
			t.Fatalf("path %q", escTechniques(p))
		}
		var got []string
		for _, p := range m.Paths(escU("alice"), rbac.PathOptions{}) {
			for _, s := range p.Steps {
				got = append(got, s.Text)
			}
			got = append(got, "|")
		}
		if first == nil {
			first = got
		} else if !reflect.DeepEqual(got, first) {
			t.Fatalf("round %d differs:\n%s\n\n%s", round, strings.Join(got, "\n"), strings.Join(first, "\n"))
		}
	}
}

// TestAdminPathsMatchAdminPath compares the batched backward search with the forward one on random
// models.
func TestAdminPathsMatchAdminPath(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		inv := escGenerate(escGenSize{namespaces: 6, sasPerNS: 3, rolesPerNS: 6, bindingsPerNS: 6, users: 6, seed: seed, dense: true})
		m := rbac.Build(inv)
		for _, depth := range []int{2, 5} {
			opts := rbac.PathOptions{MaxDepth: depth}
			subjects := m.Subjects()
			all := m.AdminPaths(subjects, opts)
			n := 0
			for _, s := range subjects {
				p, ok := m.AdminPath(s, opts)
				q, qok := all[s]
				if ok != qok || !reflect.DeepEqual(p, q) {
					t.Fatalf("seed %d depth %d %s: AdminPath %v %q, AdminPaths %v %q", seed, depth, s, ok, escTechniques(p), qok, escTechniques(q))
				}
				if ok {
					n++
					if len(p.Steps) > depth {
						t.Fatalf("seed %d: %s longer than %d", seed, escTechniques(p), depth)
					}
					// Paths finds the same admin path, first.
					ps := m.Paths(s, opts)
					if !reflect.DeepEqual(ps[0], p) {
						t.Fatalf("seed %d %s: Paths[0] %q, AdminPath %q", seed, s, escTechniques(ps[0]), escTechniques(p))
					}
				}
			}
			if seed == 1 && depth == 5 && n == 0 {
				t.Errorf("the random models have no admin paths")
			}
		}
	}
}

// --- generated models ---

type escGenSize struct {
	namespaces, sasPerNS, rolesPerNS, bindingsPerNS, users int
	seed                                                   int64
	dense                                                  bool // more dangerous grants, for small models
}

// escGenerate builds a cluster-like inventory: namespaces with service accounts, a Deployment per
// service account (some without a token), some legacy token Secrets, in every namespace a deployer
// Role that creates deployments and a mix of readers, secret readers, exec and token roles bound
// to users, groups and service accounts, plus a few cluster-wide grants and cluster-admin bindings.
func escGenerate(sz escGenSize) *inventory.Inventory {
	r := rand.New(rand.NewSource(sz.seed))
	inv := inventory.New()
	add := func(obj runtime.Object) { inv.Add(escObject(obj)) }
	chance := func(p float64) bool {
		if sz.dense {
			p *= 4
		}
		return r.Float64() < p
	}
	ns := func(i int) string { return fmt.Sprintf("ns-%04d", i) }
	sa := func(i int) string { return fmt.Sprintf("app-%d", i) }
	user := func(i int) string { return fmt.Sprintf("dev-%d", i) }
	randSA := func() rbacv1.Subject { return escSA(ns(r.Intn(sz.namespaces)), sa(r.Intn(sz.sasPerNS))) }
	f := false
	fillers := [][]string{{"get,list,watch", "", "configmaps"}, {"get,list", "", "pods,services"}, {"get", "apps", "deployments"},
		{"update,patch", "", "configmaps"}, {"get,list,watch", "batch", "jobs"}, {"create", "", "events"}}
	for i := 0; i < sz.namespaces; i++ {
		n := ns(i)
		add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}})
		for j := 0; j < sz.sasPerNS; j++ {
			add(escServiceAccount(n, sa(j)))
			var automount *bool
			if r.Intn(10) == 0 {
				automount = &f
			}
			add(escDeployment(n, sa(j), sa(j), automount))
			if chance(0.05) {
				add(escTokenSecret(n, sa(j)+"-token", sa(j)))
			}
		}
		roles := []*rbacv1.Role{
			escRole(n, "deployer", escRule("create,update,patch,get,list", "apps", "deployments"), escRule("get,list", "", "pods")),
			escRole(n, "reader", escRule("get,list,watch", "", "pods,services,configmaps")),
		}
		if chance(0.2) {
			roles = append(roles, escRole(n, "secret-reader", escRule("get,list", "", "secrets")))
		}
		if chance(0.1) {
			roles = append(roles, escRole(n, "debugger", escRule("create", "", "pods/exec")))
		}
		if chance(0.05) {
			roles = append(roles, escRole(n, "token-minter", escRule("create", "", "serviceaccounts/token", sa(1%sz.sasPerNS))))
		}
		if chance(0.03) {
			roles = append(roles, escRole(n, "secret-admin", escRule("create,get", "", "secrets")))
		}
		if chance(0.03) {
			roles = append(roles, escRole(n, "impersonator", escRule("impersonate", "", "serviceaccounts")))
		}
		for k := len(roles); k < sz.rolesPerNS; k++ {
			fl := fillers[r.Intn(len(fillers))]
			roles = append(roles, escRole(n, fmt.Sprintf("role-%d", k), escRule(fl[0], fl[1], fl[2])))
		}
		for _, ro := range roles {
			add(ro)
		}
		for k := 0; k < sz.bindingsPerNS; k++ {
			ro := roles[k%len(roles)]
			var subj rbacv1.Subject
			switch r.Intn(4) {
			case 0:
				subj = escUser(user(r.Intn(sz.users)))
			case 1:
				subj = escSA(n, sa(r.Intn(sz.sasPerNS)))
			case 2:
				subj = randSA() // a service account of another namespace (CI systems do this)
			default:
				subj = escGroup(fmt.Sprintf("team-%d", r.Intn(20)))
			}
			add(escRB(n, fmt.Sprintf("%s-%d", ro.Name, k), "Role", ro.Name, subj))
		}
	}
	// Cluster-wide grants.
	add(escClusterAdmin())
	add(escClusterRole("view", escRule("get,list,watch", "", "pods,services,configmaps,serviceaccounts"),
		escRule("get,list,watch", "apps", "deployments,statefulsets")))
	add(escClusterRole("secrets-all", escRule("get,list,watch", "", "secrets")))
	add(escClusterRole("node-proxy", escRule("get", "", "nodes/proxy")))
	add(escClusterRole("pod-creator", escRule("create", "", "pods")))
	add(escClusterRole("token-all", escRule("create", "", "serviceaccounts/token")))
	add(escCRB("admins", "cluster-admin", escUser("admin-0"), escUser("admin-1"), escGroup("platform")))
	add(escCRB("argo", "cluster-admin", randSA()))
	add(escCRB("backup", "secrets-all", randSA()))
	add(escCRB("monitoring", "node-proxy", randSA()))
	add(escCRB("viewers", "view", escGroup("system:authenticated")))
	if sz.dense {
		add(escCRB("builder", "pod-creator", randSA()))
		add(escCRB("tokens", "token-all", escUser(user(0))))
	}
	crbs := sz.namespaces / 10
	for i := 0; i < crbs; i++ {
		var subj rbacv1.Subject
		if i%2 == 0 {
			subj = escUser(user(r.Intn(sz.users)))
		} else {
			subj = randSA()
		}
		add(escCRB(fmt.Sprintf("view-%d", i), "view", subj))
	}
	return inv
}

// BenchmarkAdminPaths runs the risk analysis of every subject on a large cluster: 1,000
// namespaces, 5,000 service accounts with a Deployment each, 20,000 Roles, 20,000 RoleBindings and
// ClusterRoleBindings.
func BenchmarkAdminPaths(b *testing.B) {
	inv := escGenerate(escGenSize{namespaces: 1000, sasPerNS: 5, rolesPerNS: 20, bindingsPerNS: 20, users: 300, seed: 1})
	b.Run("build+paths", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			m := rbac.Build(inv)
			m.AdminPaths(m.Subjects(), rbac.PathOptions{})
		}
	})
	m := rbac.Build(inv)
	subjects := m.Subjects()
	var admin int
	b.Run("paths", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			admin = len(m.AdminPaths(subjects, rbac.PathOptions{}))
		}
		b.ReportMetric(float64(len(subjects)), "subjects")
		b.ReportMetric(float64(admin), "admin-subjects")
	})
	// corpus: the shared RBAC benchmark corpus of docs/performance.md.
	cm := rbac.Build(testcorpus.RBACInventory(testcorpus.RBACBenchmarkSize))
	cs := cm.Subjects()
	b.Run("corpus", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			admin = len(cm.AdminPaths(cs, rbac.PathOptions{}))
		}
		b.ReportMetric(float64(len(cs)), "subjects")
		b.ReportMetric(float64(admin), "admin-subjects")
	})
	// dense: four times the dangerous namespaced roles, a service account that creates pods in
	// every namespace and a user who requests tokens for every service account.
	inv = escGenerate(escGenSize{namespaces: 1000, sasPerNS: 5, rolesPerNS: 20, bindingsPerNS: 20, users: 300, seed: 1, dense: true})
	m = rbac.Build(inv)
	subjects = m.Subjects()
	b.Run("dense", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			admin = len(m.AdminPaths(subjects, rbac.PathOptions{}))
		}
		b.ReportMetric(float64(len(subjects)), "subjects")
		b.ReportMetric(float64(admin), "admin-subjects")
	})
}
