package rbac

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/inventory"
	rbacmodel "github.com/kube4c/kube4c/internal/rbac"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type rec = analyzertest.Recorder

// analyze runs the analyzer with the contract checks of analyzertest.Run, and checks that every
// finding on a binding points at one of its subjects.
func analyze(t *testing.T, cfg *analyzer.Config, objs ...*inventory.Object) *rec {
	t.Helper()
	r := analyzertest.Run(t, New(), analyzertest.Inventory("rbac.yaml", objs...), cfg)
	for _, f := range r.Findings {
		if f.Object == nil {
			t.Errorf("finding %s %s without an object", f.ControlID, f.Resource.Key())
			continue
		}
		if f.Object.Kind == "RoleBinding" || f.Object.Kind == "ClusterRoleBinding" {
			if len(f.Path) != 2 || f.Path[0] != "subjects" {
				t.Errorf("finding %s %s: path %s, want subjects[i]", f.ControlID, f.Resource.Key(), f.Path)
			}
		}
	}
	return r
}

var eq = analyzertest.Eq

// --- builders ---

func obj(apiVersion, kind, ns, name string, o runtime.Object) *inventory.Object {
	return &inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: o}
}

// rule builds a policy rule: verbs and resources are comma-separated, groups too ("" is core).
func rule(verbs, groups, resources string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: strings.Split(verbs, ","), APIGroups: strings.Split(groups, ","),
		Resources: strings.Split(resources, ","), ResourceNames: names}
}

func clusterRole(name string, rules ...rbacv1.PolicyRule) *inventory.Object {
	return obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", name, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules})
}

func role(ns, name string, rules ...rbacv1.PolicyRule) *inventory.Object {
	return obj("rbac.authorization.k8s.io/v1", "Role", ns, name, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules})
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func sa(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func crb(name, clusterRole string, subjects ...rbacv1.Subject) *inventory.Object {
	return obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", name, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   subjects,
	})
}

func rb(ns, name, roleKind, roleName string, subjects ...rbacv1.Subject) *inventory.Object {
	return obj("rbac.authorization.k8s.io/v1", "RoleBinding", ns, name, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName},
		Subjects:   subjects,
	})
}

// bootstrap labels an RBAC object as part of the API server's bootstrap policy.
func bootstrap(o *inventory.Object) *inventory.Object {
	m := o.Meta()
	m.SetLabels(map[string]string{rbacmodel.BootstrapLabel: "rbac-defaults"})
	return o
}

func serviceAccount(ns, name string, automount *bool) *inventory.Object {
	return obj("v1", "ServiceAccount", ns, name, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, AutomountServiceAccountToken: automount})
}

func deployment(ns, name, serviceAccount string, automount *bool) *inventory.Object {
	return obj("apps/v1", "Deployment", ns, name, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{ServiceAccountName: serviceAccount, AutomountServiceAccountToken: automount,
				Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27"}}}}},
	})
}

func ptr[T any](v T) *T { return &v }

// --- grant controls ---

type grantCase struct {
	name string
	objs []*inventory.Object
	cfg  *analyzer.Config
	// fail lists the control's findings as "Kind/ns/name path".
	fail []string
	// pass lists objects that must be evaluated without a finding.
	pass []string
	// msg are substrings of the first finding's message.
	msg []string
}

func runCases(t *testing.T, control string, cases []grantCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := analyze(t, tc.cfg, tc.objs...)
			eq(t, "findings", r.FailedOf(control), tc.fail)
			passed := r.PassedOf(control)
			for _, p := range tc.pass {
				if !slices.Contains(passed, p) {
					t.Errorf("%s not recorded as a pass (passes: %v)", p, passed)
				}
			}
			if len(tc.msg) > 0 {
				msgs := r.Messages(control)
				if len(msgs) == 0 {
					t.Fatalf("no message")
				}
				for _, m := range tc.msg {
					if !strings.Contains(msgs[0], m) {
						t.Errorf("message lacks %q:\n%s", m, msgs[0])
					}
				}
			}
		})
	}
}

func TestClusterAdmin(t *testing.T) {
	runCases(t, CtlClusterAdmin, []grantCase{
		{name: "built-in cluster-admin to a user",
			objs: []*inventory.Object{crb("admins", "cluster-admin", user("alice"))},
			fail: []string{"ClusterRoleBinding/admins subjects[0]"},
			msg:  []string{"User alice has cluster-admin access", "ClusterRoleBinding admins -> ClusterRole cluster-admin (built-in)", "rule 1: * *.*"}},
		{name: "custom role with every verb on every resource",
			objs: []*inventory.Object{clusterRole("god", rule("get", "", "pods"), rule("*", "*", "*")),
				crb("ops", "god", user("system:kube-scheduler"), sa("shop", "ops"))},
			fail: []string{"ClusterRoleBinding/ops subjects[1]"},
			msg:  []string{"ServiceAccount shop/ops", "ClusterRole god (rule 2: * *.*)"}},
		{name: "RoleBinding to cluster-admin is a namespace grant",
			objs: []*inventory.Object{rb("shop", "admins", "ClusterRole", "cluster-admin", user("alice"))},
			pass: []string{"RoleBinding/shop/admins"}},
		{name: "core group only",
			objs: []*inventory.Object{clusterRole("core", rule("*", "", "*")), crb("core", "core", user("alice"))},
			pass: []string{"ClusterRoleBinding/core"}},
		{name: "limited to names",
			objs: []*inventory.Object{clusterRole("named", rule("*", "*", "*", "x")), crb("named", "named", user("alice"))},
			pass: []string{"ClusterRoleBinding/named"}},
		{name: "system:masters in a customer binding",
			objs: []*inventory.Object{clusterRole("viewer", rule("get", "", "pods")), crb("masters-view", "viewer", group("system:masters"))},
			fail: []string{"ClusterRoleBinding/masters-view subjects[0]"},
			msg:  []string{"ClusterRoleBinding masters-view binds Group system:masters", "bypass RBAC"}},
		{name: "system components exempt",
			objs: []*inventory.Object{
				bootstrap(crb("cluster-admin", "cluster-admin", group("system:masters"))),
				crb("scheduler", "cluster-admin", user("system:kube-scheduler"), group("system:nodes"), user("eks:addon-manager")),
				bootstrap(crb("system:controller:namespace-controller", "cluster-admin", sa("kube-system", "namespace-controller")))},
			pass: []string{"ClusterRoleBinding/cluster-admin", "ClusterRoleBinding/scheduler", "ClusterRoleBinding/system:controller:namespace-controller"}},
		{name: "service account named as a user is not a system user",
			objs: []*inventory.Object{crb("sa-user", "cluster-admin", user("system:serviceaccount:shop:deployer"))},
			fail: []string{"ClusterRoleBinding/sa-user subjects[0]"},
			msg:  []string{"User system:serviceaccount:shop:deployer has cluster-admin access"}},
		{name: "kube-system service account named as a user in a bootstrap binding",
			objs: []*inventory.Object{bootstrap(crb("system:controller:x", "cluster-admin", user("system:serviceaccount:kube-system:x")))},
			pass: []string{"ClusterRoleBinding/system:controller:x"}},
		{name: "kube-system service account in a customer binding is not exempt",
			objs: []*inventory.Object{crb("tiller", "cluster-admin", sa("kube-system", "tiller"))},
			fail: []string{"ClusterRoleBinding/tiller subjects[0]"}},
		{name: "missing role grants nothing",
			objs: []*inventory.Object{crb("dangling", "not-there", user("alice"))},
			pass: []string{"ClusterRoleBinding/dangling"}},
		{name: "anonymous and all authenticated are clusterconfig's",
			objs: []*inventory.Object{crb("open", "cluster-admin", user("system:anonymous"), group("system:unauthenticated"), group("system:authenticated"))},
			pass: []string{"ClusterRoleBinding/open"}},
		{name: "one finding per subject, duplicates folded",
			objs: []*inventory.Object{crb("twice", "cluster-admin", user("alice"), group("admins"), user("alice"))},
			fail: []string{"ClusterRoleBinding/twice subjects[0]", "ClusterRoleBinding/twice subjects[1]"}},
	})
}

// TestClusterAdminStandsForTheRest: a cluster-admin grant is not reported again by the other
// grant controls (wildcard included), but a default service account still is.
func TestClusterAdminStandsForTheRest(t *testing.T) {
	r := analyze(t, nil, crb("admins", "cluster-admin", user("alice"), sa("shop", "default")))
	for _, f := range r.Findings {
		if f.ControlID != CtlClusterAdmin && f.ControlID != CtlDefaultSA {
			t.Errorf("unexpected %s: %s", f.ControlID, f.Message)
		}
	}
	eq(t, "cluster-admin", r.FailedOf(CtlClusterAdmin), []string{"ClusterRoleBinding/admins subjects[0]", "ClusterRoleBinding/admins subjects[1]"})
	eq(t, "default sa", r.FailedOf(CtlDefaultSA), []string{"ClusterRoleBinding/admins subjects[1]"})
	for _, id := range bindingControls {
		if !slices.Contains(evaluatedIDs(r), id) {
			t.Errorf("%s not evaluated", id)
		}
	}
}

func evaluatedIDs(r *rec) []string {
	var out []string
	for _, p := range r.Evaluations {
		if !slices.Contains(out, p.Control) {
			out = append(out, p.Control)
		}
	}
	return out
}

func TestSecretsRead(t *testing.T) {
	reader := clusterRole("secret-reader", rule("get", "", "configmaps"), rule("get,list", "", "secrets"))
	runCases(t, CtlSecretsRead, []grantCase{
		{name: "cluster-wide",
			objs: []*inventory.Object{reader, crb("ci-read", "secret-reader", sa("shop", "ci"))},
			fail: []string{"ClusterRoleBinding/ci-read subjects[0]"},
			msg:  []string{"ServiceAccount shop/ci can read secrets (get, list) cluster-wide through ClusterRoleBinding ci-read -> ClusterRole secret-reader (rule 2: get,list secrets)"}},
		{name: "kube-system RoleBinding",
			objs: []*inventory.Object{reader, rb("kube-system", "peek", "ClusterRole", "secret-reader", user("bob"))},
			fail: []string{"RoleBinding/kube-system/peek subjects[0]"},
			msg:  []string{"User bob can read secrets (get, list) in namespace kube-system through RoleBinding kube-system/peek"}},
		{name: "RoleBinding in another namespace",
			objs: []*inventory.Object{reader, rb("shop", "peek", "ClusterRole", "secret-reader", user("bob"))},
			pass: []string{"RoleBinding/shop/peek"}},
		{name: "limited to names",
			objs: []*inventory.Object{clusterRole("one", rule("get", "", "secrets", "app-config")), crb("one", "one", user("bob"))},
			pass: []string{"ClusterRoleBinding/one"}},
		{name: "watch through a wildcard resource",
			objs: []*inventory.Object{clusterRole("watcher", rule("watch", "", "*")), crb("w", "watcher", group("acme:audit"))},
			fail: []string{"ClusterRoleBinding/w subjects[0]"},
			msg:  []string{"Group acme:audit can read secrets (watch) cluster-wide", `rule 1: watch secrets through "*"`}},
		{name: "bootstrap controller binding exempt",
			objs: []*inventory.Object{reader, bootstrap(crb("system:controller:x", "secret-reader", sa("kube-system", "x")))},
			pass: []string{"ClusterRoleBinding/system:controller:x"}},
		{name: "bootstrap binding exempts only kube-system service accounts",
			objs: []*inventory.Object{reader, bootstrap(crb("system:controller:x", "secret-reader", sa("kube-system", "x"), sa("shop", "x")))},
			fail: []string{"ClusterRoleBinding/system:controller:x subjects[1]"}},
		{name: "service account namespace defaults to the RoleBinding's",
			objs: []*inventory.Object{reader, rb("kube-system", "peek", "ClusterRole", "secret-reader", rbacv1.Subject{Kind: "ServiceAccount", Name: "x"})},
			fail: []string{"RoleBinding/kube-system/peek subjects[0]"},
			msg:  []string{"ServiceAccount kube-system/x"}},
	})
}

func TestCreatePods(t *testing.T) {
	runCases(t, CtlCreatePods, []grantCase{
		{name: "deployments in a namespace",
			objs: []*inventory.Object{role("shop", "deployer", rule("get,list", "", "pods"), rule("create,update", "apps", "deployments")),
				rb("shop", "ci", "Role", "deployer", sa("shop", "ci"))},
			fail: []string{"RoleBinding/shop/ci subjects[0]"},
			msg:  []string{"ServiceAccount shop/ci can create deployments.apps in namespace shop, and so run pods as any service account of that namespace, through RoleBinding shop/ci -> Role shop/deployer (rule 2: create deployments.apps)"}},
		{name: "pods cluster-wide",
			objs: []*inventory.Object{clusterRole("runner", rule("create", "", "pods")), crb("runner", "runner", user("bob"))},
			fail: []string{"ClusterRoleBinding/runner subjects[0]"},
			msg:  []string{"in every namespace, kube-system included"}},
		{name: "create with resourceNames grants nothing",
			objs: []*inventory.Object{clusterRole("named", rule("create", "", "pods", "x")), crb("named", "named", user("bob"))},
			pass: []string{"ClusterRoleBinding/named"}},
		{name: "read only",
			objs: []*inventory.Object{clusterRole("view-pods", rule("get,list,watch", "", "pods")), crb("v", "view-pods", user("bob"))},
			pass: []string{"ClusterRoleBinding/v"}},
		{name: "built-in edit",
			objs: []*inventory.Object{rb("shop", "devs", "ClusterRole", "edit", group("acme:devs"))},
			fail: []string{"RoleBinding/shop/devs subjects[0]"},
			msg:  []string{"ClusterRole edit (built-in)", "aggregated rule"}},
	})
}

func TestEscalateBind(t *testing.T) {
	runCases(t, CtlEscalateBind, []grantCase{
		{name: "bind cluster-wide",
			objs: []*inventory.Object{clusterRole("binder", rule("bind", "rbac.authorization.k8s.io", "clusterroles")), crb("b", "binder", user("bob"))},
			fail: []string{"ClusterRoleBinding/b subjects[0]"},
			msg:  []string{"User bob can bind roles", "cluster-wide", "rule 1: bind clusterroles.rbac.authorization.k8s.io"}},
		{name: "bind in a namespace",
			objs: []*inventory.Object{clusterRole("binder", rule("bind", "rbac.authorization.k8s.io", "clusterroles")), rb("shop", "b", "ClusterRole", "binder", user("bob"))},
			fail: []string{"RoleBinding/shop/b subjects[0]"},
			msg:  []string{"in namespace shop"}},
		{name: "escalate clusterroles in a namespace grants nothing",
			objs: []*inventory.Object{clusterRole("esc", rule("escalate", "rbac.authorization.k8s.io", "clusterroles")), rb("shop", "e", "ClusterRole", "esc", user("bob"))},
			pass: []string{"RoleBinding/shop/e"}},
		{name: "escalate roles in a namespace",
			objs: []*inventory.Object{role("shop", "esc", rule("escalate,create", "rbac.authorization.k8s.io", "roles")), rb("shop", "e", "Role", "esc", user("bob"))},
			fail: []string{"RoleBinding/shop/e subjects[0]"},
			msg:  []string{"can escalate roles"}},
		{name: "limited to names says so",
			objs: []*inventory.Object{clusterRole("binder", rule("bind", "rbac.authorization.k8s.io", "clusterroles", "view")), crb("b", "binder", user("bob"))},
			fail: []string{"ClusterRoleBinding/b subjects[0]"},
			msg:  []string{"(only view)"}},
		{name: "write roles alone",
			objs: []*inventory.Object{clusterRole("writer", rule("create,update", "rbac.authorization.k8s.io", "roles,rolebindings")), crb("w", "writer", user("bob"))},
			pass: []string{"ClusterRoleBinding/w"}},
	})
}

func TestImpersonate(t *testing.T) {
	runCases(t, CtlImpersonate, []grantCase{
		{name: "users and groups cluster-wide",
			objs: []*inventory.Object{clusterRole("support", rule("impersonate", "", "users,groups")), crb("support", "support", group("acme:support"))},
			fail: []string{"ClusterRoleBinding/support subjects[0]"},
			msg:  []string{"Group acme:support can impersonate users, groups cluster-wide"}},
		{name: "users through a RoleBinding grants nothing",
			objs: []*inventory.Object{clusterRole("support", rule("impersonate", "", "users,groups")), rb("shop", "support", "ClusterRole", "support", user("bob"))},
			pass: []string{"RoleBinding/shop/support"}},
		{name: "service accounts in a namespace",
			objs: []*inventory.Object{clusterRole("as-sa", rule("impersonate", "", "serviceaccounts,users")), rb("shop", "as-sa", "ClusterRole", "as-sa", user("bob"))},
			fail: []string{"RoleBinding/shop/as-sa subjects[0]"},
			msg:  []string{"can impersonate serviceaccounts in namespace shop"}},
		{name: "user extras and uids",
			objs: []*inventory.Object{clusterRole("extras", rule("impersonate", "authentication.k8s.io", "userextras/scopes,uids")), crb("x", "extras", user("bob"))},
			fail: []string{"ClusterRoleBinding/x subjects[0]"},
			msg:  []string{"uids.authentication.k8s.io, userextras/*.authentication.k8s.io"}},
		{name: "limited to names says so",
			objs: []*inventory.Object{clusterRole("one", rule("impersonate", "", "users", "jane")), crb("one", "one", user("bob"))},
			fail: []string{"ClusterRoleBinding/one subjects[0]"},
			msg:  []string{"(only jane)"}},
	})
}

func TestCreateToken(t *testing.T) {
	runCases(t, CtlCreateToken, []grantCase{
		{name: "in a namespace",
			objs: []*inventory.Object{role("shop", "tokens", rule("create", "", "serviceaccounts/token")), rb("shop", "tokens", "Role", "tokens", user("bob"))},
			fail: []string{"RoleBinding/shop/tokens subjects[0]"},
			msg:  []string{"User bob can create tokens for service accounts (serviceaccounts/token) in namespace shop through RoleBinding shop/tokens -> Role shop/tokens (rule 1: create serviceaccounts/token)"}},
		{name: "every namespace, one service account",
			objs: []*inventory.Object{clusterRole("tokens", rule("create", "", "serviceaccounts/token", "deployer")), crb("tokens", "tokens", user("bob"))},
			fail: []string{"ClusterRoleBinding/tokens subjects[0]"},
			msg:  []string{"in every namespace", "(only deployer)"}},
		{name: "reading service accounts",
			objs: []*inventory.Object{clusterRole("sa-view", rule("get,list", "", "serviceaccounts")), crb("v", "sa-view", user("bob"))},
			pass: []string{"ClusterRoleBinding/v"}},
	})
}

func TestNodesProxy(t *testing.T) {
	runCases(t, CtlNodesProxy, []grantCase{
		{name: "get is enough",
			objs: []*inventory.Object{clusterRole("oncall", rule("get", "", "nodes/proxy,nodes/log")), crb("oncall", "oncall", group("acme:oncall"))},
			fail: []string{"ClusterRoleBinding/oncall subjects[0]"},
			msg:  []string{"Group acme:oncall can reach the kubelet API of every node through nodes/proxy (get) cluster-wide"}},
		{name: "RoleBinding grants nothing on nodes",
			objs: []*inventory.Object{clusterRole("oncall", rule("get", "", "nodes/proxy")), rb("shop", "oncall", "ClusterRole", "oncall", user("bob"))},
			pass: []string{"RoleBinding/shop/oncall"}},
		{name: "metrics",
			objs: []*inventory.Object{clusterRole("metrics", rule("get", "", "nodes/metrics,nodes/stats")), crb("metrics", "metrics", sa("monitoring", "prometheus"))},
			pass: []string{"ClusterRoleBinding/metrics"}},
	})
}

func TestApproveCSR(t *testing.T) {
	approval := rule("update", "certificates.k8s.io", "certificatesigningrequests/approval")
	signers := rule("approve", "certificates.k8s.io", "signers")
	runCases(t, CtlApproveCSR, []grantCase{
		{name: "both halves in one role",
			objs: []*inventory.Object{clusterRole("approver", approval, signers), crb("approver", "approver", user("bob"))},
			fail: []string{"ClusterRoleBinding/approver subjects[0]"},
			msg:  []string{"User bob can approve certificate signing requests for every signer cluster-wide through ClusterRoleBinding approver -> ClusterRole approver (rule 1: update certificatesigningrequests/approval.certificates.k8s.io; rule 2: approve signers.certificates.k8s.io)"}},
		{name: "halves in two bindings of the same subject",
			objs: []*inventory.Object{clusterRole("a", approval), clusterRole("s", rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client")),
				crb("a", "a", user("bob")), crb("s", "s", user("bob")), crb("a-only", "a", user("carol"))},
			fail: []string{"ClusterRoleBinding/a subjects[0]", "ClusterRoleBinding/s subjects[0]"},
			pass: []string{"ClusterRoleBinding/a-only"},
			msg:  []string{"for kubernetes.io/kube-apiserver-client", "ClusterRoleBinding a -> ClusterRole a", "and ClusterRoleBinding s -> ClusterRole s"}},
		{name: "half from a group the subject is in",
			objs: []*inventory.Object{clusterRole("a", approval), clusterRole("s", signers),
				crb("a", "a", sa("shop", "approver")), crb("s", "s", group("system:serviceaccounts:shop"))},
			fail: []string{"ClusterRoleBinding/a subjects[0]"}},
		{name: "custom signers only",
			objs: []*inventory.Object{clusterRole("approver", approval, rule("approve", "certificates.k8s.io", "signers", "example.com/my-signer")),
				crb("approver", "approver", user("bob"))},
			pass: []string{"ClusterRoleBinding/approver"}},
		{name: "RoleBinding grants nothing on CSRs",
			objs: []*inventory.Object{clusterRole("approver", approval, signers), rb("shop", "approver", "ClusterRole", "approver", user("bob"))},
			pass: []string{"RoleBinding/shop/approver"}},
		{name: "system approver exempt",
			objs: []*inventory.Object{clusterRole("approver", approval, signers),
				bootstrap(crb("system:controller:certificate-controller", "approver", sa("kube-system", "certificate-controller")))},
			pass: []string{"ClusterRoleBinding/system:controller:certificate-controller"}},
	})
}

func TestWebhookConfig(t *testing.T) {
	runCases(t, CtlWebhookConfig, []grantCase{
		{name: "patch validating webhooks",
			objs: []*inventory.Object{clusterRole("hooks", rule("get,patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations")), crb("hooks", "hooks", sa("ci", "deployer"))},
			fail: []string{"ClusterRoleBinding/hooks subjects[0]"},
			msg:  []string{"ServiceAccount ci/deployer can patch validatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide"}},
		{name: "admission policy bindings",
			objs: []*inventory.Object{clusterRole("vap", rule("delete", "admissionregistration.k8s.io", "validatingadmissionpolicybindings")), crb("vap", "vap", user("bob"))},
			fail: []string{"ClusterRoleBinding/vap subjects[0]"}},
		{name: "read only",
			objs: []*inventory.Object{clusterRole("hooks", rule("get,list,watch", "admissionregistration.k8s.io", "*")), crb("hooks", "hooks", user("bob"))},
			pass: []string{"ClusterRoleBinding/hooks"}},
		{name: "RoleBinding grants nothing",
			objs: []*inventory.Object{clusterRole("hooks", rule("*", "admissionregistration.k8s.io", "*")), rb("shop", "hooks", "ClusterRole", "hooks", user("bob"))},
			pass: []string{"RoleBinding/shop/hooks"}},
	})
}

func TestPodsExec(t *testing.T) {
	runCases(t, CtlPodsExec, []grantCase{
		{name: "create exec in a namespace",
			objs: []*inventory.Object{role("shop", "debug", rule("create", "", "pods/exec")), rb("shop", "debug", "Role", "debug", user("bob"))},
			fail: []string{"RoleBinding/shop/debug subjects[0]"},
			msg:  []string{"User bob can use pods/exec (create) in namespace shop"}},
		{name: "get attach and portforward",
			objs: []*inventory.Object{clusterRole("debug", rule("get", "", "pods/attach,pods/portforward")), crb("debug", "debug", user("bob"))},
			fail: []string{"ClusterRoleBinding/debug subjects[0]"},
			msg:  []string{"pods/attach, pods/portforward (get) cluster-wide"}},
		{name: "logs",
			objs: []*inventory.Object{clusterRole("logs", rule("get", "", "pods/log")), crb("logs", "logs", user("bob"))},
			pass: []string{"ClusterRoleBinding/logs"}},
	})
}

func TestModifyNodesNamespaces(t *testing.T) {
	runCases(t, CtlModifyNodesNamespaces, []grantCase{
		{name: "patch nodes",
			objs: []*inventory.Object{clusterRole("nodes", rule("patch", "", "nodes")), crb("nodes", "nodes", user("bob"))},
			fail: []string{"ClusterRoleBinding/nodes subjects[0]"},
			msg:  []string{"User bob can patch nodes cluster-wide"}},
		{name: "own namespace through a RoleBinding",
			objs: []*inventory.Object{clusterRole("ns", rule("update", "", "namespaces,nodes")), rb("shop", "ns", "ClusterRole", "ns", user("bob"))},
			fail: []string{"RoleBinding/shop/ns subjects[0]"},
			msg:  []string{"can update namespaces for its own Namespace object shop"}},
		{name: "nodes through a RoleBinding",
			objs: []*inventory.Object{clusterRole("nodes", rule("patch", "", "nodes")), rb("shop", "nodes", "ClusterRole", "nodes", user("bob"))},
			pass: []string{"RoleBinding/shop/nodes"}},
		{name: "status only",
			objs: []*inventory.Object{clusterRole("status", rule("patch", "", "nodes/status")), crb("status", "status", user("bob"))},
			pass: []string{"ClusterRoleBinding/status"}},
	})
}

func TestCreatePersistentVolumes(t *testing.T) {
	runCases(t, CtlCreatePV, []grantCase{
		{name: "cluster-wide",
			objs: []*inventory.Object{clusterRole("pv", rule("create", "", "persistentvolumes")), crb("pv", "pv", sa("storage", "provisioner"))},
			fail: []string{"ClusterRoleBinding/pv subjects[0]"},
			msg:  []string{"ServiceAccount storage/provisioner can create PersistentVolumes"}},
		{name: "claims",
			objs: []*inventory.Object{clusterRole("pvc", rule("create", "", "persistentvolumeclaims")), crb("pvc", "pvc", user("bob"))},
			pass: []string{"ClusterRoleBinding/pvc"}},
		{name: "RoleBinding grants nothing",
			objs: []*inventory.Object{clusterRole("pv", rule("create", "", "persistentvolumes")), rb("shop", "pv", "ClusterRole", "pv", user("bob"))},
			pass: []string{"RoleBinding/shop/pv"}},
	})
}

func TestDeleteEvents(t *testing.T) {
	runCases(t, CtlDeleteEvents, []grantCase{
		{name: "events.k8s.io",
			objs: []*inventory.Object{role("shop", "ev", rule("deletecollection", "events.k8s.io", "events")), rb("shop", "ev", "Role", "ev", user("bob"))},
			fail: []string{"RoleBinding/shop/ev subjects[0]"},
			msg:  []string{"User bob can deletecollection events.events.k8s.io in namespace shop"}},
		{name: "core through a wildcard verb",
			objs: []*inventory.Object{clusterRole("ev", rule("*", "", "events")), crb("ev", "ev", user("bob"))},
			fail: []string{"ClusterRoleBinding/ev subjects[0]"},
			msg:  []string{"can delete and deletecollection events cluster-wide", `through "*"`}},
		{name: "read",
			objs: []*inventory.Object{clusterRole("ev", rule("get,list,watch", ",events.k8s.io", "events")), crb("ev", "ev", user("bob"))},
			pass: []string{"ClusterRoleBinding/ev"}},
	})
}

func TestWildcard(t *testing.T) {
	runCases(t, CtlWildcard, []grantCase{
		{name: "verbs",
			objs: []*inventory.Object{role("shop", "pods", rule("*", "", "pods")), rb("shop", "pods", "Role", "pods", user("bob"))},
			fail: []string{"RoleBinding/shop/pods subjects[0]"},
			msg:  []string{"User bob is granted wildcard verbs or resources in namespace shop through RoleBinding shop/pods -> Role shop/pods (rule 1: * pods)"}},
		{name: "resources",
			objs: []*inventory.Object{clusterRole("reader", rule("get,list", "apps", "*")), crb("reader", "reader", user("bob"))},
			fail: []string{"ClusterRoleBinding/reader subjects[0]"},
			msg:  []string{"rule 1: get,list *.apps"}},
		{name: "subresource wildcard",
			objs: []*inventory.Object{clusterRole("scale", rule("update", "apps", "*/scale")), crb("scale", "scale", user("bob"))},
			fail: []string{"ClusterRoleBinding/scale subjects[0]"}},
		{name: "RoleBinding to cluster-admin",
			objs: []*inventory.Object{rb("shop", "admins", "ClusterRole", "cluster-admin", user("alice"))},
			fail: []string{"RoleBinding/shop/admins subjects[0]"},
			msg:  []string{"in namespace shop"}},
		{name: "cluster-admin reported once",
			objs: []*inventory.Object{crb("admins", "cluster-admin", user("alice"))},
			pass: []string{"ClusterRoleBinding/admins"}},
		{name: "explicit lists and non-resource URLs",
			objs: []*inventory.Object{clusterRole("ok", rule("get,list", "apps", "deployments"), rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"*"}}),
				crb("ok", "ok", user("bob"))},
			pass: []string{"ClusterRoleBinding/ok"}},
	})
}

func TestDefaultServiceAccount(t *testing.T) {
	runCases(t, CtlDefaultSA, []grantCase{
		{name: "built-in edit in a namespace",
			objs: []*inventory.Object{rb("shop-batch", "batch-edit", "ClusterRole", "edit", sa("shop-batch", "default"))},
			fail: []string{"RoleBinding/shop-batch/batch-edit subjects[0]"},
			msg:  []string{"ServiceAccount shop-batch/default, the ServiceAccount of every pod in namespace shop-batch that names no other, is granted ClusterRole edit in namespace shop-batch"}},
		{name: "namespace from the RoleBinding",
			objs: []*inventory.Object{role("shop", "r", rule("get", "", "configmaps")), rb("shop", "r", "Role", "r", user("bob"), rbacv1.Subject{Kind: "ServiceAccount", Name: "default"})},
			fail: []string{"RoleBinding/shop/r subjects[1]"}},
		{name: "cluster-wide",
			objs: []*inventory.Object{clusterRole("r", rule("get", "", "configmaps")), crb("r", "r", sa("shop", "default"))},
			fail: []string{"ClusterRoleBinding/r subjects[0]"},
			msg:  []string{"cluster-wide"}},
		{name: "empty role",
			objs: []*inventory.Object{role("shop", "empty"), rb("shop", "r", "Role", "empty", sa("shop", "default"))},
			pass: []string{"RoleBinding/shop/r"}},
		{name: "other service accounts",
			objs: []*inventory.Object{role("shop", "r", rule("get", "", "configmaps")), rb("shop", "r", "Role", "r", sa("shop", "api"))},
			pass: []string{"RoleBinding/shop/r"}},
		{name: "kube-system default in the bootstrap policy",
			objs: []*inventory.Object{clusterRole("r", rule("get", "", "configmaps")), bootstrap(crb("system:r", "r", sa("kube-system", "default")))},
			pass: []string{"ClusterRoleBinding/system:r"}},
	})
}

// --- path controls ---

func TestWorkloadAdminServiceAccount(t *testing.T) {
	runCases(t, CtlWorkloadAdminSA, []grantCase{
		{name: "cluster-admin service account",
			objs: []*inventory.Object{crb("dash", "cluster-admin", sa("dash", "dashboard")), deployment("dash", "dashboard", "dashboard", nil)},
			fail: []string{"Deployment/dash/dashboard spec.template.spec.serviceAccountName"},
			msg: []string{"Deployment dash/dashboard runs as ServiceAccount dash/dashboard, which is cluster-admin equivalent, and its pods mount the token",
				"ServiceAccount dash/dashboard --cluster-admin--> cluster-admin", "ClusterRoleBinding dash -> ClusterRole cluster-admin"}},
		{name: "reads every secret",
			objs: []*inventory.Object{clusterRole("sync", rule("get,list", "", "secrets")), crb("sync", "sync", sa("shop", "cart")), deployment("shop", "cart", "cart", nil)},
			fail: []string{"Deployment/shop/cart spec.template.spec.serviceAccountName"},
			msg:  []string{"--read-all-secrets--> cluster-admin"}},
		{name: "token not mounted by the pod",
			objs: []*inventory.Object{crb("dash", "cluster-admin", sa("dash", "dashboard")), deployment("dash", "dashboard", "dashboard", ptr(false))},
			pass: []string{"Deployment/dash/dashboard"}},
		{name: "token not mounted by the service account",
			objs: []*inventory.Object{crb("dash", "cluster-admin", sa("dash", "dashboard")), serviceAccount("dash", "dashboard", ptr(false)),
				deployment("dash", "dashboard", "dashboard", nil)},
			pass: []string{"Deployment/dash/dashboard"}},
		{name: "reaches admin in two steps",
			objs: []*inventory.Object{role("ci", "deployer", rule("create", "apps", "deployments")), rb("ci", "deployer", "Role", "deployer", sa("ci", "runner")),
				crb("ci-admin", "cluster-admin", sa("ci", "admin")), deployment("ci", "runner", "runner", nil)},
			fail: []string{"Deployment/ci/runner spec.template.spec.serviceAccountName"},
			msg:  []string{"which can become cluster-admin equivalent in 2 steps", "ServiceAccount ci/runner --create-pods--> ServiceAccount ci/admin --cluster-admin--> cluster-admin"}},
		{name: "default service account",
			objs: []*inventory.Object{crb("oops", "cluster-admin", sa("shop", "default")), deployment("shop", "web", "", nil)},
			fail: []string{"Deployment/shop/web spec.template.spec.serviceAccountName"},
			msg:  []string{"runs as ServiceAccount shop/default"}},
		{name: "harmless service account",
			objs: []*inventory.Object{clusterRole("view-pods", rule("get", "", "pods")), crb("v", "view-pods", sa("shop", "web")), deployment("shop", "web", "web", nil)},
			pass: []string{"Deployment/shop/web"}},
	})
}

func TestEscalationPath(t *testing.T) {
	ci := []*inventory.Object{
		role("shop", "deployer", rule("get,list", "", "pods"), rule("create", "apps", "deployments")),
		rb("shop", "ci-deployer", "Role", "deployer", user("bob"), sa("shop", "ci")),
		clusterRole("secret-sync", rule("get,list,watch", "", "secrets")),
		crb("cart-sync", "secret-sync", sa("shop", "cart")),
	}
	runCases(t, CtlEscalationPath, []grantCase{
		{name: "create a pod as a service account that reads every secret",
			objs: ci,
			fail: []string{"RoleBinding/shop/ci-deployer subjects[0]", "RoleBinding/shop/ci-deployer subjects[1]"},
			pass: []string{"ClusterRoleBinding/cart-sync"},
			msg: []string{"User bob is not cluster-admin but can become cluster-admin equivalent in 2 steps, starting with RoleBinding shop/ci-deployer -> Role shop/deployer",
				"User bob --create-pods--> ServiceAccount shop/cart --read-all-secrets--> cluster-admin"}},
		{name: "depth 1 finds no chain",
			objs: ci, cfg: &analyzer.Config{RBACPathDepth: 1},
			pass: []string{"RoleBinding/shop/ci-deployer", "ClusterRoleBinding/cart-sync"}},
		{name: "impersonate a service account that is cluster-admin",
			objs: []*inventory.Object{clusterRole("as-sa", rule("impersonate", "", "serviceaccounts")), rb("ops", "as-sa", "ClusterRole", "as-sa", group("acme:support")),
				crb("ops-admin", "cluster-admin", sa("ops", "admin"))},
			fail: []string{"RoleBinding/ops/as-sa subjects[0]"},
			msg:  []string{"Group acme:support --impersonate--> ServiceAccount ops/admin --cluster-admin--> cluster-admin"}},
		{name: "system components exempt",
			objs: []*inventory.Object{clusterRole("rs", rule("create", "", "pods")),
				bootstrap(crb("system:controller:replicaset-controller", "rs", sa("kube-system", "replicaset-controller"))),
				crb("kube-system-admin", "cluster-admin", sa("kube-system", "admin")),
				crb("scheduler", "rs", user("system:kube-scheduler"))},
			pass: []string{"ClusterRoleBinding/system:controller:replicaset-controller", "ClusterRoleBinding/scheduler"}},
		{name: "via a group: reported on the group's binding",
			objs: []*inventory.Object{clusterRole("runner", rule("create", "", "pods")), rb("shop", "all-sa", "ClusterRole", "runner", group("system:serviceaccounts:shop")),
				crb("shop-admin", "cluster-admin", sa("shop", "admin")), rb("shop", "ci", "ClusterRole", "view", sa("shop", "ci"))},
			fail: []string{"RoleBinding/shop/all-sa subjects[0]"},
			pass: []string{"RoleBinding/shop/ci"},
			msg:  []string{"Group system:serviceaccounts:shop --create-pods--> ServiceAccount shop/admin"}},
	})
}

// TestAllAuthenticatedNotDuplicated: grants to everyone are reported by clusterconfig; the rbac
// controls judge the binding (a pass) but report neither the grant nor paths from it.
func TestAllAuthenticatedNotDuplicated(t *testing.T) {
	r := analyze(t, nil, crb("everyone-admin", "cluster-admin", group("system:authenticated"), user("system:anonymous")))
	if len(r.Findings) != 0 {
		t.Errorf("findings: %v", r.FailedOf(CtlClusterAdmin))
	}
	if got := r.PassedOf(CtlClusterAdmin); !slices.Contains(got, "ClusterRoleBinding/everyone-admin") {
		t.Errorf("binding not evaluated: %v", got)
	}
}

// TestPassesRecorded: every binding is evaluated for every binding control, every workload for the
// workload control, whatever they grant.
func TestPassesRecorded(t *testing.T) {
	objs := []*inventory.Object{
		role("shop", "r", rule("get", "", "configmaps")), rb("shop", "r", "Role", "r", sa("shop", "api")),
		crb("dangling", "missing", user("bob")), deployment("shop", "api", "api", nil),
	}
	r := analyze(t, nil, objs...)
	if len(r.Findings) != 0 {
		t.Fatalf("unexpected findings: %+v", r.Findings)
	}
	for _, id := range bindingControls {
		eq(t, id, r.PassedOf(id), []string{"ClusterRoleBinding/dangling", "RoleBinding/shop/r"})
	}
	eq(t, CtlWorkloadAdminSA, r.PassedOf(CtlWorkloadAdminSA), []string{"Deployment/shop/api"})
}

func TestControlsAndNeeds(t *testing.T) {
	a := New()
	needs, ok := a.(analyzer.KindNeeds)
	if !ok {
		t.Fatal("analyzer does not implement KindNeeds")
	}
	n := needs.Needs()
	ids := a.Controls()
	if len(ids) != 17 {
		t.Errorf("%d controls", len(ids))
	}
	for _, id := range ids {
		c, ok := catalog.Lookup(id)
		if !ok {
			t.Errorf("control %s not in the catalog", id)
			continue
		}
		if c.Layer != catalog.Cluster || !strings.HasPrefix(id, "cluster/rbac-") {
			t.Errorf("control %s: layer %s", id, c.Layer)
		}
		if len(c.References.NSA) == 0 || len(c.References.MITRE) == 0 {
			t.Errorf("control %s lacks NSA or MITRE references", id)
		}
		for _, k := range []string{"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"} {
			if !containsGK(n[id], schema.GroupKind{Group: rbacv1.GroupName, Kind: k}) {
				t.Errorf("%s does not need %s", id, k)
			}
		}
	}
	if len(n) != len(ids) {
		t.Errorf("Needs has %d entries, Controls %d", len(n), len(ids))
	}
	for _, id := range []string{CtlWorkloadAdminSA, CtlEscalationPath} {
		for _, gk := range []schema.GroupKind{{Kind: "ServiceAccount"}, {Kind: "Secret"}, {Group: "apps", Kind: "Deployment"}, {Kind: "Pod"}} {
			if !containsGK(n[id], gk) {
				t.Errorf("%s does not need %s", id, gk)
			}
		}
	}
	if containsGK(n[CtlSecretsRead], schema.GroupKind{Kind: "Secret"}) {
		t.Error("secrets-read reads no Secret")
	}
	cis := map[string]string{CtlClusterAdmin: "5.1.1", CtlSecretsRead: "5.1.2", CtlWildcard: "5.1.3", CtlCreatePods: "5.1.4",
		CtlDefaultSA: "5.1.5", CtlWorkloadAdminSA: "5.1.6", CtlEscalateBind: "5.1.8", CtlImpersonate: "5.1.8", CtlCreatePV: "5.1.9",
		CtlNodesProxy: "5.1.10", CtlApproveCSR: "5.1.11", CtlWebhookConfig: "5.1.12", CtlCreateToken: "5.1.13"}
	for id, want := range cis {
		c, _ := catalog.Lookup(id)
		if !slices.Contains(c.References.CIS, want) {
			t.Errorf("%s: CIS %v, want %s", id, c.References.CIS, want)
		}
	}
}

func containsGK(list []schema.GroupKind, gk schema.GroupKind) bool {
	for _, x := range list {
		if x == gk {
			return true
		}
	}
	return false
}

// TestCanceled: a canceled context stops the analysis with its error.
func TestCanceled(t *testing.T) {
	inv := inventory.New()
	inv.Add(crb("admins", "cluster-admin", user("alice")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Analyze(ctx, inv, analyzer.DefaultConfig(), &rec{}); err == nil {
		t.Error("no error from a canceled context")
	}
}
