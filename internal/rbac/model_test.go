package rbac_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/rbac"
)

// --- building inventories ---

func clusterRole(name string, labels map[string]string, agg *rbacv1.AggregationRule, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, AggregationRule: agg, Rules: rules}
}

func role(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func crb(name, roleKind, roleName string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName}, Subjects: subjects}
}

func rb(ns, name, roleKind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName}, Subjects: subjects}
}

func userSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}
}

func groupSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: name}
}

func saSubject(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func selector(matchLabels map[string]string, exprs ...metav1.LabelSelectorRequirement) metav1.LabelSelector {
	return metav1.LabelSelector{MatchLabels: matchLabels, MatchExpressions: exprs}
}

func aggregation(selectors ...metav1.LabelSelector) *rbacv1.AggregationRule {
	return &rbacv1.AggregationRule{ClusterRoleSelectors: selectors}
}

// inventoryOf wraps typed RBAC objects as inventory objects.
func inventoryOf(objs ...runtime.Object) *inventory.Inventory {
	inv := inventory.New()
	for _, obj := range objs {
		o := &inventory.Object{APIVersion: rbacv1.SchemeGroupVersion.String(), Object: obj}
		switch v := obj.(type) {
		case *rbacv1.ClusterRole:
			o.Kind, o.Name = "ClusterRole", v.Name
		case *rbacv1.Role:
			o.Kind, o.Namespace, o.Name = "Role", v.Namespace, v.Name
		case *rbacv1.ClusterRoleBinding:
			o.Kind, o.Name = "ClusterRoleBinding", v.Name
		case *rbacv1.RoleBinding:
			o.Kind, o.Namespace, o.Name = "RoleBinding", v.Namespace, v.Name
		default:
			panic(fmt.Sprintf("inventoryOf: %T", obj))
		}
		inv.Add(o)
	}
	return inv
}

func build(objs ...runtime.Object) *rbac.Model { return rbac.Build(inventoryOf(objs...)) }

func userID(name string, groups ...string) rbac.Identity {
	id := rbac.Subject{Kind: rbac.User, Name: name}.Identity()
	id.Groups = append(id.Groups, groups...)
	return id
}

func saID(ns, name string) rbac.Identity {
	return rbac.Subject{Kind: rbac.ServiceAccount, Namespace: ns, Name: name}.Identity()
}

func groupID(name string) rbac.Identity { return rbac.Subject{Kind: rbac.Group, Name: name}.Identity() }

// allowCase is one question to the model: want is the answer, and when allowed, wantBinding the
// binding whose grant Allows returns (empty: not checked).
type allowCase struct {
	id          rbac.Identity
	req         rbac.Request
	want        bool
	wantBinding string
}

func checkAllows(t *testing.T, m *rbac.Model, cases []allowCase) {
	t.Helper()
	for _, c := range cases {
		g, ok := m.Allows(c.id, c.req)
		if ok != c.want {
			t.Errorf("Allows(%v, %s) = %v, want %v", c.id, c.req, ok, c.want)
			continue
		}
		if !ok {
			if g.Binding != nil {
				t.Errorf("Allows(%v, %s) denied with a grant %s", c.id, c.req, g.Evidence())
			}
			continue
		}
		if !rbac.RuleAllows(g.Rule(), c.req) {
			t.Errorf("Allows(%v, %s): grant %s rule %d does not allow the request", c.id, c.req, g.Evidence(), g.RuleIndex)
		}
		if c.wantBinding != "" && g.Binding.Ref() != c.wantBinding {
			t.Errorf("Allows(%v, %s) granted by %s, want %s", c.id, c.req, g.Binding.Ref(), c.wantBinding)
		}
	}
}

var (
	getPods     = resourceRule(l("get"), l(""), l("pods"))
	getSecrets  = resourceRule(l("get"), l(""), l("secrets"))
	getHealthz  = urlRule(l("get"), "/healthz")
	listPods    = resourceRule(l("list"), l(""), l("pods"))
	getCM       = resourceRule(l("get"), l(""), l("configmaps"))
	listCM      = resourceRule(l("list"), l(""), l("configmaps"))
	deleteCM    = resourceRule(l("delete"), l(""), l("configmaps"))
	watchSvc    = resourceRule(l("watch"), l(""), l("services"))
	getAll      = resourceRule(l("get"), l("*"), l("*"))
	execPods    = resourceRule(l("create"), l(""), l("pods/exec"))
	podsInAlpha = res("get", "", "pods", "", "alpha", "web")
)

// --- bindings ---

func TestBindingScope(t *testing.T) {
	m := build(
		role("alpha", "reader", getPods),
		clusterRole("secrets", nil, nil, getSecrets),
		clusterRole("urls", nil, nil, getHealthz),
		clusterRole("everything", nil, nil, getAll, urlRule(l("*"), "*")),
		rb("alpha", "ann-reader", "Role", "reader", userSubject("ann")),
		rb("alpha", "ann-secrets", "ClusterRole", "secrets", userSubject("ann")),
		rb("alpha", "ann-urls", "ClusterRole", "urls", userSubject("ann")),
		rb("alpha", "ann-everything", "ClusterRole", "everything", userSubject("ann")),
		// A ClusterRoleBinding cannot reference a Role, even one of the same name.
		crb("bob-reader", "Role", "reader", userSubject("bob")),
		// Missing roles grant nothing.
		rb("alpha", "cat-missing", "Role", "missing", userSubject("cat")),
		crb("cat-missing", "ClusterRole", "missing", userSubject("cat")),
		// The Role is looked up in the RoleBinding's namespace.
		rb("beta", "dan-reader", "Role", "reader", userSubject("dan")),
		// An unknown roleRef kind grants nothing.
		rb("alpha", "dan-bogus", "Bogus", "reader", userSubject("dan")),
		crb("eve-secrets", "ClusterRole", "secrets", userSubject("eve")),
		crb("eve-urls", "ClusterRole", "urls", userSubject("eve")),
	)
	ann, bob, cat, dan, eve := userID("ann"), userID("bob"), userID("cat"), userID("dan"), userID("eve")
	checkAllows(t, m, []allowCase{
		{ann, podsInAlpha, true, "RoleBinding alpha/ann-everything"},
		{ann, res("list", "", "pods", "", "alpha", ""), false, ""},
		{ann, res("get", "", "pods", "", "beta", "web"), false, ""},
		{ann, res("get", "", "pods", "", "", "web"), false, ""}, // cluster-wide
		{ann, res("get", "", "secrets", "", "alpha", "s"), true, "RoleBinding alpha/ann-everything"},
		{ann, res("get", "", "secrets", "", "", "s"), false, ""},
		{ann, res("get", "", "nodes", "", "", "n1"), false, ""}, // a cluster-scoped resource
		{ann, res("get", "", "nodes", "", "alpha", "n1"), true, ""},
		{ann, url("get", "/healthz"), false, ""}, // never through a RoleBinding
		{ann, url("post", "/anything"), false, ""},
		{bob, podsInAlpha, false, ""},
		{bob, res("get", "", "pods", "", "", ""), false, ""},
		{cat, podsInAlpha, false, ""},
		{cat, res("get", "", "pods", "", "", ""), false, ""},
		{dan, res("get", "", "pods", "", "beta", "web"), false, ""},
		{dan, podsInAlpha, false, ""},
		{eve, res("get", "", "secrets", "", "alpha", "s"), true, "ClusterRoleBinding eve-secrets"},
		{eve, res("get", "", "secrets", "", "", ""), true, "ClusterRoleBinding eve-secrets"},
		{eve, res("get", "", "secrets", "", "kube-system", "token"), true, "ClusterRoleBinding eve-secrets"},
		{eve, url("get", "/healthz"), true, "ClusterRoleBinding eve-urls"},
		{eve, url("get", "/livez"), false, ""},
		{rbac.Identity{User: "ann"}, podsInAlpha, true, ""}, // no groups at all
	})

	b := findBinding(t, m, "ClusterRoleBinding bob-reader")
	if b.Role != nil {
		t.Errorf("ClusterRoleBinding bob-reader resolved Role %s", b.Role.Ref())
	}
	if got, want := b.RoleRefString(), "Role reader (not found)"; got != want {
		t.Errorf("RoleRefString = %q, want %q", got, want)
	}
	if got, want := findBinding(t, m, "RoleBinding alpha/cat-missing").RoleRefString(), "Role alpha/missing (not found)"; got != want {
		t.Errorf("RoleRefString = %q, want %q", got, want)
	}
	if got, want := findBinding(t, m, "ClusterRoleBinding cat-missing").RoleRefString(), "ClusterRole missing (not found)"; got != want {
		t.Errorf("RoleRefString = %q, want %q", got, want)
	}
	if got := findBinding(t, m, "RoleBinding beta/dan-reader").Role; got != nil {
		t.Errorf("RoleBinding beta/dan-reader resolved %s", got.Ref())
	}
	if got := findBinding(t, m, "RoleBinding alpha/ann-reader").Role; got == nil || got.Ref() != "Role alpha/reader" {
		t.Errorf("RoleBinding alpha/ann-reader resolved %v", got)
	}
	for _, b := range m.GrantsTo(cat) {
		t.Errorf("dangling binding grants %s", b.Evidence())
	}
}

func findBinding(t *testing.T, m *rbac.Model, ref string) *rbac.Binding {
	t.Helper()
	for _, b := range m.Bindings {
		if b.Ref() == ref {
			return b
		}
	}
	t.Fatalf("no binding %s", ref)
	return nil
}

func TestBindingOrder(t *testing.T) {
	m := build(
		clusterRole("pods", nil, nil, getPods),
		rb("alpha", "a", "ClusterRole", "pods", userSubject("ann")),
		rb("aaa", "a", "ClusterRole", "pods", userSubject("ann")),
		crb("z", "ClusterRole", "pods", userSubject("ann")),
		crb("m", "ClusterRole", "pods", groupSubject("devs"), userSubject("ann")),
	)
	var refs []string
	for _, b := range m.Bindings {
		refs = append(refs, b.Ref())
	}
	want := []string{"ClusterRoleBinding m", "ClusterRoleBinding z", "RoleBinding aaa/a", "RoleBinding alpha/a"}
	if !slices.Equal(refs, want) {
		t.Errorf("Bindings = %q, want %q", refs, want)
	}
	g, ok := m.Allows(userID("ann", "devs"), podsInAlpha)
	if !ok || g.Binding.Ref() != "ClusterRoleBinding m" || g.SubjectIndex != 0 || g.Subject.Key() != "group:devs" {
		t.Errorf("Allows = %v %+v, want ClusterRoleBinding m, subject 0 (group devs)", ok, g)
	}
	g, ok = m.Allows(userID("ann"), podsInAlpha)
	if !ok || g.Binding.Ref() != "ClusterRoleBinding m" || g.SubjectIndex != 1 || g.Subject.Key() != "user:ann" {
		t.Errorf("Allows = %v %+v, want ClusterRoleBinding m, subject 1 (user ann)", ok, g)
	}
	if got, want := g.Evidence(), "ClusterRoleBinding m -> ClusterRole pods"; got != want {
		t.Errorf("Evidence = %q, want %q", got, want)
	}
	if g.Namespace() != "" || g.Role().Ref() != "ClusterRole pods" || !g.Binding.ClusterWide() || g.Binding.Scope() != "cluster-wide" {
		t.Errorf("grant %+v: wrong namespace, role or scope", g)
	}
}

func TestSubjectMatching(t *testing.T) {
	m := build(
		clusterRole("pods", nil, nil, getPods),
		clusterRole("secrets", nil, nil, getSecrets),
		clusterRole("urls", nil, nil, getHealthz),
		clusterRole("exec", nil, nil, execPods),
		rb("alpha", "users", "ClusterRole", "pods", userSubject("ann"), userSubject("system:anonymous")),
		rb("alpha", "groups", "ClusterRole", "secrets", groupSubject("devs"), groupSubject("system:unauthenticated")),
		// A service account without a namespace is the RoleBinding's.
		rb("alpha", "sa-default-ns", "ClusterRole", "exec", saSubject("", "robot")),
		// A service account of another namespace, granted in alpha only.
		rb("alpha", "sa-other-ns", "ClusterRole", "pods", saSubject("beta", "ci")),
		// In a ClusterRoleBinding, a service account without a namespace matches nobody (the API
		// server rejects it, but manifests can hold it).
		crb("sa-no-ns", "ClusterRole", "urls", saSubject("", "ghost")),
		// A service account's user name as a User subject is that service account.
		rb("alpha", "sa-as-user", "ClusterRole", "secrets", userSubject("system:serviceaccount:alpha:legacy")),
		// Every service account of a namespace, through its group.
		crb("sa-group", "ClusterRole", "urls", groupSubject("system:serviceaccounts:gamma")),
		rb("beta", "all-sas", "ClusterRole", "exec", groupSubject("system:serviceaccounts")),
		rb("gamma", "authenticated", "ClusterRole", "secrets", groupSubject("system:authenticated")),
	)
	secretsIn := func(ns string) rbac.Request { return res("get", "", "secrets", "", ns, "s") }
	execIn := func(ns string) rbac.Request { return res("create", "", "pods", "exec", ns, "web") }
	checkAllows(t, m, []allowCase{
		{userID("ann"), podsInAlpha, true, "RoleBinding alpha/users"},
		{userID("Ann"), podsInAlpha, false, ""},
		{userID("bob", "devs"), secretsIn("alpha"), true, "RoleBinding alpha/groups"},
		{userID("bob"), secretsIn("alpha"), false, ""},
		{rbac.Identity{User: "devs"}, secretsIn("alpha"), false, ""}, // a user named like the group
		{groupID("devs"), secretsIn("alpha"), true, ""},
		{rbac.Subject{Kind: rbac.User, Name: "system:anonymous"}.Identity(), podsInAlpha, true, ""},
		{rbac.Subject{Kind: rbac.User, Name: "system:anonymous"}.Identity(), secretsIn("alpha"), true, ""}, // system:unauthenticated
		{rbac.Subject{Kind: rbac.User, Name: "system:anonymous"}.Identity(), secretsIn("gamma"), false, ""},
		{saID("alpha", "robot"), execIn("alpha"), true, "RoleBinding alpha/sa-default-ns"},
		{saID("beta", "robot"), execIn("alpha"), false, ""},
		{userID("robot"), execIn("alpha"), false, ""},
		{saID("beta", "ci"), podsInAlpha, true, "RoleBinding alpha/sa-other-ns"},
		{saID("beta", "ci"), res("get", "", "pods", "", "beta", "web"), false, ""},
		{saID("alpha", "ci"), podsInAlpha, false, ""},
		{saID("alpha", "ghost"), url("get", "/healthz"), false, ""},
		{saID("default", "ghost"), url("get", "/healthz"), false, ""},
		{rbac.Identity{User: "system:serviceaccount::ghost"}, url("get", "/healthz"), false, ""},
		{saID("alpha", "legacy"), secretsIn("alpha"), true, "RoleBinding alpha/sa-as-user"},
		{saID("gamma", "any"), url("get", "/healthz"), true, "ClusterRoleBinding sa-group"},
		{saID("gammas", "any"), url("get", "/healthz"), false, ""},
		{userID("system:serviceaccount:gamma:any"), url("get", "/healthz"), false, ""}, // the user name alone has no groups
		{saID("kube-system", "x"), execIn("beta"), true, "RoleBinding beta/all-sas"},
		{userID("eve"), execIn("beta"), false, ""},
		{userID("eve"), secretsIn("gamma"), true, "RoleBinding gamma/authenticated"},
		{saID("alpha", "x"), secretsIn("gamma"), true, "RoleBinding gamma/authenticated"},
		{groupID("anyone"), secretsIn("gamma"), true, "RoleBinding gamma/authenticated"},
	})

	g, ok := m.Allows(saID("alpha", "robot"), execIn("alpha"))
	if want := (rbac.Subject{Kind: rbac.ServiceAccount, Namespace: "alpha", Name: "robot"}); !ok || g.Subject != want {
		t.Errorf("grant subject = %v, want %v (namespace defaulted to the RoleBinding's)", g.Subject, want)
	}
}

func TestIdentity(t *testing.T) {
	tests := []struct {
		s    rbac.Subject
		want rbac.Identity
	}{
		{rbac.Subject{Kind: rbac.User, Name: "alice"}, rbac.Identity{User: "alice", Groups: l("system:authenticated")}},
		{rbac.Subject{Kind: rbac.User, Name: "system:anonymous"}, rbac.Identity{User: "system:anonymous", Groups: l("system:unauthenticated")}},
		{rbac.Subject{Kind: rbac.ServiceAccount, Namespace: "shop", Name: "ci"}, rbac.Identity{User: "system:serviceaccount:shop:ci",
			Groups: l("system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated")}},
		{rbac.Subject{Kind: rbac.Group, Name: "devs"}, rbac.Identity{Groups: l("devs", "system:authenticated")}},
		{rbac.Subject{Kind: rbac.Group, Name: "system:authenticated"}, rbac.Identity{Groups: l("system:authenticated")}},
		{rbac.Subject{Kind: rbac.Group, Name: "system:unauthenticated"}, rbac.Identity{Groups: l("system:unauthenticated")}},
		{rbac.Subject{Kind: rbac.Group, Name: "system:serviceaccounts:shop"}, rbac.Identity{Groups: l("system:serviceaccounts:shop", "system:authenticated")}},
	}
	for _, tc := range tests {
		got := tc.s.Identity()
		if got.User != tc.want.User || !slices.Equal(got.Groups, tc.want.Groups) {
			t.Errorf("%s: Identity() = %+v, want %+v", tc.s, got, tc.want)
		}
	}
}

func TestParseSubject(t *testing.T) {
	u := func(n string) rbac.Subject { return rbac.Subject{Kind: rbac.User, Name: n} }
	g := func(n string) rbac.Subject { return rbac.Subject{Kind: rbac.Group, Name: n} }
	sa := func(ns, n string) rbac.Subject {
		return rbac.Subject{Kind: rbac.ServiceAccount, Namespace: ns, Name: n}
	}
	tests := []struct {
		in   string
		want rbac.Subject
	}{
		{"alice", u("alice")},
		{"  alice ", u("alice")},
		{"user:alice", u("alice")},
		{"User:alice", u("alice")},
		{"USER/alice", u("alice")},
		{"u:alice", u("alice")},
		{"user:system:kube-scheduler", u("system:kube-scheduler")},
		{"system:kube-scheduler", u("system:kube-scheduler")},
		{"system:node:worker-1", u("system:node:worker-1")},
		{"oidc:alice@example.com", u("oidc:alice@example.com")},
		{"group:devs", g("devs")},
		{"Group/devs", g("devs")},
		{"g:devs", g("devs")},
		{"group:system:masters", g("system:masters")},
		{"sa:shop/ci", sa("shop", "ci")},
		{"sa:shop:ci", sa("shop", "ci")},
		{"SA:shop/ci", sa("shop", "ci")},
		{"serviceaccount:shop/ci", sa("shop", "ci")},
		{"serviceaccount/shop/ci", sa("shop", "ci")},
		{"ServiceAccount:shop:ci", sa("shop", "ci")},
		{"system:serviceaccount:shop:ci", sa("shop", "ci")},
		// Not a service account's user name: too few or too many parts.
		{"system:serviceaccount:shop", u("system:serviceaccount:shop")},
		{"system:serviceaccount:shop:ci:x", u("system:serviceaccount:shop:ci:x")},
	}
	for _, tc := range tests {
		got, err := rbac.ParseSubject(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSubject(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "   ", "user:", "group:", "g/", "sa:shop", "sa:shop/", "sa:/ci", "sa:shop/ci/x", "serviceaccount:shop:ci:x", "sa:"} {
		if got, err := rbac.ParseSubject(bad); err == nil {
			t.Errorf("ParseSubject(%q) = %v, want an error", bad, got)
		}
	}
}

func TestSubjectStrings(t *testing.T) {
	for _, tc := range []struct {
		s         rbac.Subject
		str, key  string
		isSystem  bool
		broadName bool
	}{
		{rbac.Subject{Kind: rbac.User, Name: "alice"}, "User alice", "user:alice", false, false},
		{rbac.Subject{Kind: rbac.User, Name: "system:kube-scheduler"}, "User system:kube-scheduler", "user:system:kube-scheduler", true, false},
		{rbac.Subject{Kind: rbac.User, Name: "system:anonymous"}, "User system:anonymous", "user:system:anonymous", false, false},
		{rbac.Subject{Kind: rbac.Group, Name: "system:masters"}, "Group system:masters", "group:system:masters", true, false},
		{rbac.Subject{Kind: rbac.Group, Name: "system:authenticated"}, "Group system:authenticated", "group:system:authenticated", false, true},
		{rbac.Subject{Kind: rbac.Group, Name: "system:serviceaccounts:shop"}, "Group system:serviceaccounts:shop", "group:system:serviceaccounts:shop", false, true},
		{rbac.Subject{Kind: rbac.ServiceAccount, Namespace: "shop", Name: "ci"}, "ServiceAccount shop/ci", "sa:shop/ci", false, false},
		{rbac.Subject{Kind: rbac.ServiceAccount, Namespace: "kube-system", Name: "system:x"}, "ServiceAccount kube-system/system:x", "sa:kube-system/system:x", false, false},
	} {
		if tc.s.String() != tc.str || tc.s.Key() != tc.key || rbac.IsSystemSubject(tc.s) != tc.isSystem ||
			(tc.s.Kind == rbac.Group && rbac.IsBroadGroup(tc.s.Name) != tc.broadName) {
			t.Errorf("%#v: String %q Key %q IsSystemSubject %v IsBroadGroup %v", tc.s, tc.s.String(), tc.s.Key(),
				rbac.IsSystemSubject(tc.s), rbac.IsBroadGroup(tc.s.Name))
		}
	}
	if ns, name, ok := rbac.SplitServiceAccountUser(rbac.ServiceAccountUser("shop", "ci")); !ok || ns != "shop" || name != "ci" {
		t.Errorf("SplitServiceAccountUser(ServiceAccountUser) = %q %q %v", ns, name, ok)
	}
	for _, bad := range []string{"alice", "system:serviceaccount:", "system:serviceaccount::ci", "system:serviceaccount:shop:", "system:serviceaccounts:shop:ci"} {
		if _, _, ok := rbac.SplitServiceAccountUser(bad); ok {
			t.Errorf("SplitServiceAccountUser(%q) ok", bad)
		}
	}
}

// --- aggregation ---

func TestAggregation(t *testing.T) {
	leaf := map[string]string{"level": "leaf"}
	m := build(
		// a-top selects m-mid, which selects the leaves: names sort against the order in which the
		// rules must be computed.
		clusterRole("a-top", nil, aggregation(selector(map[string]string{"level": "mid"}))),
		clusterRole("m-mid", map[string]string{"level": "mid"}, aggregation(selector(leaf))),
		clusterRole("z-leaf", leaf, nil, getPods),
		clusterRole("z-leaf2", map[string]string{"level": "leaf", "extra": "yes"}, nil, getPods, listPods), // getPods twice: once
		// A role's own selector matching itself is ignored; its own (stale) rules are replaced.
		clusterRole("self", map[string]string{"self": "yes"}, aggregation(selector(map[string]string{"self": "yes"}), selector(leaf)), getSecrets),
		// matchLabels with NotIn and DoesNotExist (a missing key is "not in").
		clusterRole("expr", nil, aggregation(selector(map[string]string{"fam": "x"},
			metav1.LabelSelectorRequirement{Key: "level", Operator: metav1.LabelSelectorOpNotIn, Values: l("high")},
			metav1.LabelSelectorRequirement{Key: "deprecated", Operator: metav1.LabelSelectorOpDoesNotExist}))),
		clusterRole("f1", map[string]string{"fam": "x", "level": "low"}, nil, getCM),
		clusterRole("f2", map[string]string{"fam": "x", "level": "high"}, nil, getSecrets),
		clusterRole("f3", map[string]string{"fam": "x", "deprecated": "true"}, nil, deleteCM),
		clusterRole("f4", map[string]string{"fam": "x"}, nil, listCM),
		clusterRole("f5", map[string]string{"fam": "y"}, nil, getSecrets),
		// Exists and In.
		clusterRole("exists", nil, aggregation(selector(nil, metav1.LabelSelectorRequirement{Key: "marker", Operator: metav1.LabelSelectorOpExists}))),
		clusterRole("e1", map[string]string{"marker": ""}, nil, watchSvc),
		clusterRole("in", nil, aggregation(selector(nil, metav1.LabelSelectorRequirement{Key: "level", Operator: metav1.LabelSelectorOpIn, Values: l("low", "high")}))),
		// Selector order first, then names; a role selected twice counts once.
		clusterRole("multi", nil, aggregation(selector(map[string]string{"fam": "x", "level": "low"}), selector(leaf), selector(map[string]string{"fam": "x"}))),
		// An aggregation that selects nothing has no rules, whatever the role says.
		clusterRole("none", nil, aggregation(selector(map[string]string{"nothing": "here"})), getAll),
		clusterRole("plain", leaf, nil, execPods),
		// Rules equal but for empty versus missing lists are one rule, as for the controller.
		clusterRole("sem", nil, aggregation(selector(map[string]string{"sem": "yes"}))),
		clusterRole("sem1", map[string]string{"sem": "yes"}, nil, rbacv1.PolicyRule{Verbs: l("get"), APIGroups: l(""), Resources: l("pods"), ResourceNames: []string{}}),
		clusterRole("sem2", map[string]string{"sem": "yes"}, nil, getPods),
		crb("top", "ClusterRole", "a-top", userSubject("ann")),
		crb("self", "ClusterRole", "self", userSubject("bob")),
		crb("none", "ClusterRole", "none", userSubject("cat")),
	)
	tests := []struct {
		name      string
		from      []string
		rules     []rbacv1.PolicyRule
		noAggFrom bool
	}{
		{"z-leaf", nil, []rbacv1.PolicyRule{getPods}, true},
		{"plain", nil, []rbacv1.PolicyRule{execPods}, true},
		{"m-mid", l("plain", "z-leaf", "z-leaf2"), []rbacv1.PolicyRule{execPods, getPods, listPods}, false},
		{"a-top", l("m-mid"), []rbacv1.PolicyRule{execPods, getPods, listPods}, false},
		{"self", l("plain", "z-leaf", "z-leaf2"), []rbacv1.PolicyRule{execPods, getPods, listPods}, false},
		{"expr", l("f1", "f4"), []rbacv1.PolicyRule{getCM, listCM}, false},
		{"exists", l("e1"), []rbacv1.PolicyRule{watchSvc}, false},
		{"in", l("f1", "f2"), []rbacv1.PolicyRule{getCM, getSecrets}, false},
		{"multi", l("f1", "plain", "z-leaf", "z-leaf2", "f2", "f3", "f4"), []rbacv1.PolicyRule{getCM, execPods, getPods, listPods, getSecrets, deleteCM, listCM}, false},
		{"none", l(), nil, false},
		{"sem", l("sem1", "sem2"), []rbacv1.PolicyRule{{Verbs: l("get"), APIGroups: l(""), Resources: l("pods"), ResourceNames: []string{}}}, false},
	}
	for _, tc := range tests {
		r := m.ClusterRole(tc.name)
		if r == nil {
			t.Errorf("no ClusterRole %s", tc.name)
			continue
		}
		if tc.noAggFrom != (r.AggregatedFrom == nil) || !slices.Equal(r.AggregatedFrom, tc.from) {
			t.Errorf("%s: AggregatedFrom = %#v, want %#v", tc.name, r.AggregatedFrom, tc.from)
		}
		if fmt.Sprint(r.Rules) != fmt.Sprint(tc.rules) {
			t.Errorf("%s: Rules =\n%v\nwant\n%v", tc.name, r.Rules, tc.rules)
		}
	}
	checkAllows(t, m, []allowCase{
		{userID("ann"), podsInAlpha, true, "ClusterRoleBinding top"},
		{userID("ann"), res("list", "", "pods", "", "", ""), true, "ClusterRoleBinding top"},
		{userID("ann"), res("create", "", "pods", "exec", "alpha", "web"), true, "ClusterRoleBinding top"},
		{userID("ann"), res("get", "", "secrets", "", "alpha", "s"), false, ""},
		{userID("bob"), podsInAlpha, true, "ClusterRoleBinding self"},
		{userID("bob"), res("get", "", "secrets", "", "alpha", "s"), false, ""}, // its own stale rule
		{userID("cat"), podsInAlpha, false, ""},
	})
}

func TestAggregationCycle(t *testing.T) {
	// Aggregated roles that select each other end up with the union of what the cycle selects.
	m := build(
		clusterRole("a", map[string]string{"ring": "yes"}, aggregation(selector(map[string]string{"ring": "yes"}))),
		clusterRole("b", map[string]string{"ring": "yes"}, aggregation(selector(map[string]string{"ring": "yes"}), selector(map[string]string{"src": "b"}))),
		clusterRole("c", map[string]string{"ring": "yes"}, aggregation(selector(map[string]string{"ring": "yes"}), selector(map[string]string{"src": "c"}))),
		clusterRole("sb", map[string]string{"src": "b"}, nil, getPods),
		clusterRole("sc", map[string]string{"src": "c"}, nil, getCM),
	)
	for _, name := range l("a", "b", "c") {
		r := m.ClusterRole(name)
		var got []string
		for _, rule := range r.Rules {
			got = append(got, rule.Resources...)
		}
		slices.Sort(got)
		if !slices.Equal(got, l("configmaps", "pods")) {
			t.Errorf("%s: rules on %q, want configmaps and pods", name, got)
		}
	}
}

// --- reverse questions ---

func grantStrings(gs []rbac.Grant) []string {
	var out []string
	for _, g := range gs {
		out = append(out, fmt.Sprintf("%s %s #%d", g.Binding.Ref(), g.Subject.Key(), g.RuleIndex))
	}
	return out
}

func TestWhoCan(t *testing.T) {
	m := build(
		clusterRole("pods", nil, nil, getSecrets, getPods),
		clusterRole("urls", nil, nil, getHealthz),
		role("alpha", "pods", listPods, getPods),
		crb("admins", "ClusterRole", "pods", groupSubject("admins"), userSubject("root"), saSubject("", "nons")),
		crb("health", "ClusterRole", "urls", groupSubject("system:authenticated")),
		crb("dangling", "ClusterRole", "missing", userSubject("nobody")),
		crb("to-role", "Role", "pods", userSubject("nobody")),
		rb("alpha", "devs", "Role", "pods", groupSubject("devs"), saSubject("", "ci"), saSubject("beta", "deployer")),
		rb("alpha", "clusterrole", "ClusterRole", "pods", userSubject("ann")),
		rb("beta", "devs", "ClusterRole", "pods", userSubject("bob")),
		rb("alpha", "urls", "ClusterRole", "urls", userSubject("cat")),
	)
	tests := []struct {
		req  rbac.Request
		want []string
	}{
		{podsInAlpha, l(
			"ClusterRoleBinding admins group:admins #1", "ClusterRoleBinding admins user:root #1",
			"RoleBinding alpha/clusterrole user:ann #1",
			"RoleBinding alpha/devs group:devs #1", "RoleBinding alpha/devs sa:alpha/ci #1", "RoleBinding alpha/devs sa:beta/deployer #1")},
		{res("get", "", "pods", "", "", "web"), l("ClusterRoleBinding admins group:admins #1", "ClusterRoleBinding admins user:root #1")},
		{res("list", "", "pods", "", "alpha", ""), l("RoleBinding alpha/devs group:devs #0", "RoleBinding alpha/devs sa:alpha/ci #0", "RoleBinding alpha/devs sa:beta/deployer #0")},
		{res("get", "", "secrets", "", "beta", "s"), l("ClusterRoleBinding admins group:admins #0", "ClusterRoleBinding admins user:root #0", "RoleBinding beta/devs user:bob #0")},
		{url("get", "/healthz"), l("ClusterRoleBinding health group:system:authenticated #0")},
		{res("delete", "", "pods", "", "alpha", "web"), nil},
	}
	for _, tc := range tests {
		if got := grantStrings(m.WhoCan(tc.req)); !slices.Equal(got, tc.want) {
			t.Errorf("WhoCan(%s) =\n  %s\nwant\n  %s", tc.req, strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
		}
		// WhoCan and Allows agree for every subject WhoCan returns.
		for _, g := range m.WhoCan(tc.req) {
			if _, ok := m.Allows(g.Subject.Identity(), tc.req); !ok {
				t.Errorf("WhoCan(%s) returns %s, which Allows denies", tc.req, g.Subject)
			}
		}
	}

	subjects := m.Subjects()
	var keys []string
	for _, s := range subjects {
		keys = append(keys, s.Key())
	}
	want := l("user:ann", "user:bob", "user:cat", "user:nobody", "user:root",
		"group:admins", "group:devs", "group:system:authenticated", "sa:alpha/ci", "sa:beta/deployer")
	if !slices.Equal(keys, want) {
		t.Errorf("Subjects() = %q, want %q", keys, want)
	}
}

func TestGrantsTo(t *testing.T) {
	m := build(
		clusterRole("pods", nil, nil, getSecrets, getPods),
		clusterRole("urls", nil, nil, getHealthz),
		role("alpha", "pods", listPods),
		crb("twice", "ClusterRole", "urls", userSubject("ann"), groupSubject("devs"), userSubject("ann")),
		crb("dangling", "ClusterRole", "missing", userSubject("ann")),
		crb("to-role", "Role", "pods", userSubject("ann")),
		rb("alpha", "devs", "Role", "pods", groupSubject("devs")),
		rb("alpha", "missing", "Role", "missing", groupSubject("devs")),
		rb("beta", "sa", "ClusterRole", "pods", saSubject("", "ci"), userSubject("ann")),
		rb("gamma", "other", "ClusterRole", "pods", userSubject("bob")),
	)
	tests := []struct {
		id   rbac.Identity
		want []string
	}{
		{userID("ann", "devs"), l("ClusterRoleBinding twice user:ann #0", "RoleBinding alpha/devs group:devs #0",
			"RoleBinding beta/sa user:ann #0", "RoleBinding beta/sa user:ann #1")},
		{groupID("devs"), l("ClusterRoleBinding twice group:devs #0", "RoleBinding alpha/devs group:devs #0")},
		{saID("beta", "ci"), l("RoleBinding beta/sa sa:beta/ci #0", "RoleBinding beta/sa sa:beta/ci #1")},
		{saID("alpha", "ci"), nil},
		{userID("cat"), nil},
	}
	for _, tc := range tests {
		gs := m.GrantsTo(tc.id)
		if got := grantStrings(gs); !slices.Equal(got, tc.want) {
			t.Errorf("GrantsTo(%v) =\n  %s\nwant\n  %s", tc.id, strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
		}
	}

	// Find and the scope helpers over the grants.
	gs := m.GrantsTo(userID("ann", "devs"))
	acc := rbac.Find(gs, "get", "", "secrets", "")
	if len(acc) != 1 || acc[0].Namespace != "beta" || !acc[0].All() || acc[0].Where() != "in namespace beta" {
		t.Fatalf("Find(get secrets) = %+v", acc)
	}
	if _, ok := rbac.ClusterWide(acc); ok {
		t.Error("ClusterWide: get secrets is granted in beta only")
	}
	if _, ok := rbac.In(acc, "beta"); !ok {
		t.Error("In(beta): get secrets is granted in beta")
	}
	if _, ok := rbac.In(acc, "alpha"); ok {
		t.Error("In(alpha): get secrets is granted in beta only")
	}
	if !acc[0].Covers("beta", "x") || acc[0].Covers("alpha", "x") {
		t.Error("Covers: wrong namespace handling")
	}
}

// TestAggregationSelectAll: an empty selector selects every ClusterRole (the built-in ones
// included). Aggregation must stay linear in the number of rules: two thousand roles of distinct
// rules, aggregated twice, used to take quadratic time in rule comparisons.
func TestAggregationSelectAll(t *testing.T) {
	var objs []runtime.Object
	for i := range 2000 {
		objs = append(objs, clusterRole(fmt.Sprintf("r%d", i), nil, nil,
			rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{fmt.Sprintf("res%d", i)}}))
	}
	all := &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{}}}
	objs = append(objs, clusterRole("everything", nil, all), clusterRole("everything-too", nil, all))
	m := rbac.Build(inventoryOf(objs...))
	got := len(m.ClusterRole("everything").Rules)
	if got < 2000 {
		t.Fatalf("an empty selector aggregates every role's rules: got %d rules", got)
	}
	if n := len(m.ClusterRole("everything-too").Rules); n != got {
		t.Errorf("two select-all roles have %d and %d rules", got, n)
	}
}
