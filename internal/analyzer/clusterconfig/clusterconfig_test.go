package clusterconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type rec = analyzertest.Recorder

var testNow = time.Date(2026, time.November, 15, 12, 0, 0, 0, time.UTC)

func run(t *testing.T, ci *inventory.ClusterInfo, now time.Time, objs ...*inventory.Object) *rec {
	t.Helper()
	inv := analyzertest.Inventory("manifests.yaml", objs...)
	if ci != nil {
		inv.SetCluster(ci)
	}
	r := analyzertest.Run(t, clusterAnalyzer{now: func() time.Time { return now }}, inv, nil)
	for _, f := range r.Findings {
		if f.Object == nil {
			t.Errorf("finding %s %s without an object", f.ControlID, f.Resource.Key())
		}
	}
	return r
}

// message returns the message of the control's first finding ("" when there is none).
func message(r *rec, control string) string {
	if ms := r.Messages(control); len(ms) > 0 {
		return ms[0]
	}
	return ""
}

var eq = analyzertest.Eq

// --- builders ---

func obj(apiVersion, kind, ns, name string, o runtime.Object) *inventory.Object {
	return &inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: o}
}

func secret(ns, name string, typ corev1.SecretType, mut ...func(*corev1.Secret)) *inventory.Object {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: typ}
	for _, m := range mut {
		m(s)
	}
	return obj("v1", "Secret", ns, name, s)
}

func subj(kind, name string) rbacv1.Subject {
	s := rbacv1.Subject{Kind: kind, Name: name}
	if kind != rbacv1.ServiceAccountKind {
		s.APIGroup = rbacv1.GroupName
	}
	return s
}

func crb(name, role string, subjects ...rbacv1.Subject) *inventory.Object {
	return obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", name, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   subjects,
	})
}

func rb(ns, name, roleKind, role string, subjects ...rbacv1.Subject) *inventory.Object {
	return obj("rbac.authorization.k8s.io/v1", "RoleBinding", ns, name, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: role},
		Subjects:   subjects,
	})
}

func serviceAccount(ns, name string, automount *bool) *inventory.Object {
	return obj("v1", "ServiceAccount", ns, name, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, AutomountServiceAccountToken: automount})
}

func deployment(ns, name string) *inventory.Object {
	return obj("apps/v1", "Deployment", ns, name, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27"}}}}},
	})
}

func podTemplate(ns, name string) *inventory.Object {
	return obj("v1", "PodTemplate", ns, name, &corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}})
}

func ptr[T any](v T) *T { return &v }

// --- version ---

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		err  bool
	}{
		{in: "v1.37.2", want: Version{1, 37, 2}},
		{in: "1.36.0", want: Version{1, 36, 0}},
		{in: "v1.35.3-eks-1234", want: Version{1, 35, 3}},
		{in: "v1.35.3-eks-a1b2c3d", want: Version{1, 35, 3}},
		{in: "v1.34.2-gke.100", want: Version{1, 34, 2}},
		{in: "v1.33.1+k3s1", want: Version{1, 33, 1}},
		{in: "v1.32.4+rke2r1", want: Version{1, 32, 4}},
		{in: "v1.37.0-rc.1", want: Version{1, 37, 0}},
		{in: "v1.31.14-aks.20251111", want: Version{1, 31, 14}},
		{in: "", err: true},
		{in: "v1.35", err: true},
		{in: "latest", err: true},
		{in: "v1.35.x", err: true},
		{in: "v1.35.3eks", err: true},
	} {
		got, err := ParseVersion(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParseVersion(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSupportTable(t *testing.T) {
	if Releases[0].Minor != 28 || Releases[len(Releases)-1].Minor != 37 {
		t.Fatalf("table covers 1.%d to 1.%d, want 1.28 to 1.37", Releases[0].Minor, Releases[len(Releases)-1].Minor)
	}
	for i, r := range Releases {
		if i > 0 {
			prev := Releases[i-1]
			if r.Minor != prev.Minor+1 {
				t.Errorf("gap in the table after 1.%d", prev.Minor)
			}
			if !r.Released.After(prev.Released) || !r.EndOfLife.After(prev.EndOfLife) {
				t.Errorf("1.%d: dates do not follow 1.%d's", r.Minor, prev.Minor)
			}
		}
		// About 14 months of patch support (12 + 2): allow 13 to 15.
		months := r.EndOfLife.Sub(r.Released).Hours() / 24 / 30.44
		if months < 13 || months > 15.5 {
			t.Errorf("1.%d: %.1f months of support, policy says about 14", r.Minor, months)
		}
		if r.LatestPatch < 1 {
			t.Errorf("1.%d: no latest patch", r.Minor)
		}
	}
}

func TestJudge(t *testing.T) {
	type want struct{ unsupported, outdated, newer bool }
	for _, tc := range []struct {
		version string
		now     time.Time
		want    want
		msg     string
	}{
		{version: "v1.37.2", now: testNow, want: want{}, msg: "latest patch release of 1.37"},
		{version: "v1.37.1", now: testNow, want: want{outdated: true}, msg: "1.37.2 is the latest patch"},
		{version: "v1.35.3-eks-1234", now: testNow, want: want{outdated: true}, msg: "1.35.10"},
		{version: "v1.36.6-gke.100", now: testNow, want: want{}},
		{version: "v1.37.9", now: testNow, want: want{newer: true}, msg: "newer than kube4c's support table"},
		{version: "v1.38.0", now: testNow, want: want{newer: true}, msg: "newer than kube4c's support table"},
		{version: "v2.0.0", now: testNow, want: want{newer: true}},
		{version: "v1.34.13", now: testNow, want: want{unsupported: true}, msg: "reached end of life on 2026-10-27"},
		{version: "v1.29.3", now: testNow, want: want{unsupported: true}, msg: "upgrade one minor version at a time to 1.35"},
		{version: "v1.20.15", now: testNow, want: want{unsupported: true}, msg: "1.20 reached end of life before 1.28"},
		// End-of-life boundary: 1.34 is supported through 2026-10-27 and unsupported from 10-28.
		{version: "v1.34.13", now: time.Date(2026, time.October, 27, 23, 59, 0, 0, time.UTC), want: want{}},
		{version: "v1.34.12", now: time.Date(2026, time.October, 27, 8, 0, 0, 0, time.UTC), want: want{outdated: true}},
		{version: "v1.34.13", now: time.Date(2026, time.October, 28, 0, 0, 0, 0, time.UTC), want: want{unsupported: true}},
		// The table ages: in March 2027 1.35 is past end of life.
		{version: "v1.35.10", now: time.Date(2027, time.March, 1, 0, 0, 0, 0, time.UTC), want: want{unsupported: true}},
		// After the last entry's end of life nothing in the table is supported.
		{version: "v1.37.2", now: time.Date(2028, time.January, 1, 0, 0, 0, 0, time.UTC), want: want{unsupported: true}, msg: "upgrade to a supported minor version"},
	} {
		v, err := ParseVersion(tc.version)
		if err != nil {
			t.Fatal(err)
		}
		got := Judge(v, tc.now)
		if (want{got.Unsupported, got.Outdated, got.Newer}) != tc.want {
			t.Errorf("Judge(%s, %s) = %+v, want %+v (%s)", tc.version, tc.now.Format(time.DateOnly), got, tc.want, got.Message)
		}
		if !strings.Contains(got.Message, tc.msg) {
			t.Errorf("Judge(%s): message %q does not contain %q", tc.version, got.Message, tc.msg)
		}
	}
}

func TestVersionControls(t *testing.T) {
	all := []string{CtlVersionUnsupported, CtlVersionOutdated}
	for _, tc := range []struct {
		name           string
		ci             *inventory.ClusterInfo
		failed, passed []string
		msg            string
	}{
		{name: "no cluster info: not evaluated", ci: nil},
		{name: "no version: not evaluated", ci: &inventory.ClusterInfo{Context: "prod"}},
		{name: "unparseable: not evaluated", ci: &inventory.ClusterInfo{Context: "prod", Version: "v1.x"}},
		{name: "current", ci: &inventory.ClusterInfo{Context: "prod", Version: "v1.37.2"},
			passed: []string{CtlVersionOutdated + " Cluster/prod", CtlVersionUnsupported + " Cluster/prod"}},
		{name: "outdated managed patch", ci: &inventory.ClusterInfo{Context: "eks", Version: "v1.35.3-eks-1234"},
			failed: []string{CtlVersionOutdated + " Cluster/eks"},
			passed: []string{CtlVersionUnsupported + " Cluster/eks"},
			msg:    "gitVersion v1.35.3-eks-1234"},
		{name: "end of life: patch level not judged", ci: &inventory.ClusterInfo{Server: "https://10.0.0.1:6443", Version: "v1.30.2"},
			failed: []string{CtlVersionUnsupported + " Cluster/https://10.0.0.1:6443"}},
		{name: "newer than the table", ci: &inventory.ClusterInfo{Context: "edge", Version: "v1.38.1"},
			passed: []string{CtlVersionOutdated + " Cluster/edge", CtlVersionUnsupported + " Cluster/edge"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.ci, testNow)
			eq(t, "failed", r.Failed(all...), tc.failed)
			eq(t, "passed", r.Passed(all...), tc.passed)
			if tc.msg != "" {
				var msgs []string
				for _, f := range r.Findings {
					msgs = append(msgs, f.Message)
				}
				if !strings.Contains(strings.Join(msgs, "\n"), tc.msg) {
					t.Errorf("messages %q do not contain %q", msgs, tc.msg)
				}
			}
			for _, f := range r.Findings {
				if f.Object.Source.Origin != inventory.FromCluster || f.Resource.Kind != "Cluster" || f.Location != (inventory.Location{}) {
					t.Errorf("finding %s: object %+v, resource %+v, location %+v", f.ControlID, f.Object, f.Resource, f.Location)
				}
			}
		})
	}
}

// --- anonymous access ---

func TestAnonymousAccess(t *testing.T) {
	all := []string{CtlAnonymousAccess, CtlAnonymousVersion}
	ci := func(probes map[string]int) *inventory.ClusterInfo {
		return &inventory.ClusterInfo{Context: "prod", Server: "https://api.example.com", Version: "v1.37.2", AnonymousAccess: probes}
	}
	access, version := CtlAnonymousAccess+" Cluster/prod", CtlAnonymousVersion+" Cluster/prod"
	for _, tc := range []struct {
		name           string
		ci             *inventory.ClusterInfo
		failed, passed []string
	}{
		{name: "no cluster info: not evaluated", ci: nil},
		{name: "no probes: not evaluated", ci: ci(nil)},
		{name: "all probes failed: not evaluated", ci: ci(map[string]int{"/version": 0, "/api": 0, "/apis": 0})},
		{name: "anonymous auth disabled", ci: ci(map[string]int{"/version": 401, "/api": 401, "/apis": 401}),
			passed: []string{access, version}},
		{name: "default: only version answers", ci: ci(map[string]int{"/version": 200, "/api": 403, "/apis": 403}),
			failed: []string{version}, passed: []string{access}},
		{name: "discovery open to anonymous", ci: ci(map[string]int{"/version": 200, "/api": 200, "/apis": 403}),
			failed: []string{access}},
		{name: "apis open, version not probed", ci: ci(map[string]int{"/apis": 200}),
			failed: []string{access}},
		{name: "only version probed", ci: ci(map[string]int{"/version": 200}),
			failed: []string{version}},
		{name: "health endpoints are public info", ci: ci(map[string]int{"/healthz": 200, "/livez": 200, "/readyz": 200, "/api": 403, "/version": 403}),
			passed: []string{access, version}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.ci, testNow)
			eq(t, "failed", r.Failed(all...), tc.failed)
			eq(t, "passed", r.Passed(all...), tc.passed)
		})
	}
	r := run(t, ci(map[string]int{"/version": 200, "/api": 200, "/apis": 200}), testNow)
	if msg := message(r, CtlAnonymousAccess); !strings.Contains(msg, "/api answered 200, /apis answered 200") || !strings.Contains(msg, "https://api.example.com") {
		t.Errorf("message %q does not name the paths and the server", msg)
	}
}

// --- Secrets ---

func TestSecrets(t *testing.T) {
	all := []string{CtlBootstrapToken, CtlLegacySAToken}
	legacy := func(s *corev1.Secret) { s.Annotations = map[string]string{corev1.ServiceAccountNameKey: "deployer"} }
	objs := []*inventory.Object{
		secret("kube-system", "bootstrap-token-abcdef", corev1.SecretTypeBootstrapToken),
		secret("", "bootstrap-token-123456", corev1.SecretTypeBootstrapToken),
		secret("default", "bootstrap-token-ignored", corev1.SecretTypeBootstrapToken), // inert outside kube-system
		secret("ci", "deployer-token", corev1.SecretTypeServiceAccountToken, legacy),
		secret("ci", "old-token", corev1.SecretTypeServiceAccountToken, legacy, func(s *corev1.Secret) {
			s.Labels = map[string]string{legacyTokenInvalidSince: "2026-01-02"}
		}),
		secret("app", "tls", corev1.SecretTypeTLS),
	}
	r := run(t, nil, testNow, objs...)
	eq(t, "failed", r.Failed(all...), []string{
		CtlBootstrapToken + " Secret/bootstrap-token-123456 type",
		CtlBootstrapToken + " Secret/kube-system/bootstrap-token-abcdef type",
		CtlLegacySAToken + " Secret/ci/deployer-token type",
	})
	eq(t, "passed", r.Passed(all...), []string{
		CtlBootstrapToken + " Secret/app/tls",
		CtlBootstrapToken + " Secret/ci/deployer-token",
		CtlBootstrapToken + " Secret/ci/old-token",
		CtlBootstrapToken + " Secret/default/bootstrap-token-ignored",
		CtlLegacySAToken + " Secret/app/tls",
		CtlLegacySAToken + " Secret/bootstrap-token-123456",
		CtlLegacySAToken + " Secret/ci/old-token",
		CtlLegacySAToken + " Secret/default/bootstrap-token-ignored",
		CtlLegacySAToken + " Secret/kube-system/bootstrap-token-abcdef",
	})
	if msg := message(r, CtlLegacySAToken); !strings.Contains(msg, "ServiceAccount deployer") {
		t.Errorf("message %q does not name the service account", msg)
	}
	var boot []string
	for _, f := range r.Findings {
		if f.ControlID == CtlBootstrapToken {
			boot = append(boot, f.Message)
		}
	}
	if !strings.Contains(strings.Join(boot, "\n"), "bootstrap-token-abcdef in kube-system") ||
		!strings.Contains(strings.Join(boot, "\n"), "kubeadm token delete abcdef") {
		t.Errorf("bootstrap messages %q do not name the secret and token ID", boot)
	}
}

// --- RBAC bindings ---

func TestBindings(t *testing.T) {
	all := []string{CtlBindingAnonymous, CtlBindingAllAuthn}
	authn := subj(rbacv1.GroupKind, groupAuthenticated)
	unauthn := subj(rbacv1.GroupKind, groupUnauthenticated)
	anon := subj(rbacv1.UserKind, userAnonymous)
	for _, tc := range []struct {
		name           string
		objs           []*inventory.Object
		failed, passed []string
	}{
		{name: "default bindings are exempt",
			objs: []*inventory.Object{
				crb("system:basic-user", "system:basic-user", authn),
				crb("system:discovery", "system:discovery", authn),
				crb("system:public-info-viewer", "system:public-info-viewer", authn, unauthn),
				rb("kube-public", "kubeadm:bootstrap-signer-clusterinfo", "Role", "kubeadm:bootstrap-signer-clusterinfo", anon),
			},
			passed: []string{
				CtlBindingAllAuthn + " ClusterRoleBinding/system:basic-user",
				CtlBindingAllAuthn + " ClusterRoleBinding/system:discovery",
				CtlBindingAllAuthn + " ClusterRoleBinding/system:public-info-viewer",
				CtlBindingAllAuthn + " RoleBinding/kube-public/kubeadm:bootstrap-signer-clusterinfo",
				CtlBindingAnonymous + " ClusterRoleBinding/system:basic-user",
				CtlBindingAnonymous + " ClusterRoleBinding/system:discovery",
				CtlBindingAnonymous + " ClusterRoleBinding/system:public-info-viewer",
				CtlBindingAnonymous + " RoleBinding/kube-public/kubeadm:bootstrap-signer-clusterinfo",
			}},
		{name: "default name with another role is not exempt",
			objs:   []*inventory.Object{crb("system:discovery", "cluster-admin", authn)},
			failed: []string{CtlBindingAllAuthn + " ClusterRoleBinding/system:discovery subjects[0]"},
			passed: []string{CtlBindingAnonymous + " ClusterRoleBinding/system:discovery"}},
		{name: "pre-1.14 discovery binding to unauthenticated is not exempt",
			objs:   []*inventory.Object{crb("system:discovery", "system:discovery", authn, unauthn)},
			failed: []string{CtlBindingAnonymous + " ClusterRoleBinding/system:discovery subjects[1]"},
			passed: []string{CtlBindingAllAuthn + " ClusterRoleBinding/system:discovery"}},
		{name: "kubeadm binding elsewhere is not exempt",
			objs:   []*inventory.Object{rb("default", "kubeadm:bootstrap-signer-clusterinfo", "Role", "kubeadm:bootstrap-signer-clusterinfo", anon)},
			failed: []string{CtlBindingAnonymous + " RoleBinding/default/kubeadm:bootstrap-signer-clusterinfo subjects[0]"},
			passed: []string{CtlBindingAllAuthn + " RoleBinding/default/kubeadm:bootstrap-signer-clusterinfo"}},
		{name: "custom bindings",
			objs: []*inventory.Object{
				crb("open-admin", "cluster-admin", subj(rbacv1.UserKind, "alice"), anon, unauthn),
				rb("shop", "read-all", "ClusterRole", "view", authn),
				crb("ops", "edit", subj(rbacv1.GroupKind, "ops"), subj(rbacv1.ServiceAccountKind, "deployer")),
			},
			failed: []string{
				CtlBindingAllAuthn + " RoleBinding/shop/read-all subjects[0]",
				CtlBindingAnonymous + " ClusterRoleBinding/open-admin subjects[1]",
				CtlBindingAnonymous + " ClusterRoleBinding/open-admin subjects[2]",
			},
			passed: []string{
				CtlBindingAllAuthn + " ClusterRoleBinding/open-admin",
				CtlBindingAllAuthn + " ClusterRoleBinding/ops",
				CtlBindingAnonymous + " ClusterRoleBinding/ops",
				CtlBindingAnonymous + " RoleBinding/shop/read-all",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, testNow, tc.objs...)
			eq(t, "failed", r.Failed(all...), tc.failed)
			eq(t, "passed", r.Passed(all...), tc.passed)
		})
	}
	r := run(t, nil, testNow, crb("open-admin", "cluster-admin", anon))
	if msg := message(r, CtlBindingAnonymous); !strings.Contains(msg, "ClusterRoleBinding open-admin grants ClusterRole cluster-admin") ||
		!strings.Contains(msg, "system:anonymous") {
		t.Errorf("message %q", msg)
	}
}

// --- default ServiceAccounts ---

func TestDefaultServiceAccount(t *testing.T) {
	all := []string{CtlDefaultSAAutomount}
	objs := []*inventory.Object{
		serviceAccount("shop", "default", nil),
		deployment("shop", "web"),
		serviceAccount("billing", "default", ptr(false)),
		deployment("billing", "api"),
		serviceAccount("legacy", "default", ptr(true)),
		deployment("legacy", "app"),
		serviceAccount("idle", "default", nil),      // no pods run there: not judged
		serviceAccount("templates", "default", nil), // only a PodTemplate: not judged
		podTemplate("templates", "tpl"),
		serviceAccount("shop", "web", nil), // not the default ServiceAccount
		serviceAccount("", "default", nil), // manifests without namespaces
		deployment("", "worker"),
	}
	r := run(t, nil, testNow, objs...)
	eq(t, "failed", r.Failed(all...), []string{
		CtlDefaultSAAutomount + " ServiceAccount/default automountServiceAccountToken",
		CtlDefaultSAAutomount + " ServiceAccount/legacy/default automountServiceAccountToken",
		CtlDefaultSAAutomount + " ServiceAccount/shop/default automountServiceAccountToken",
	})
	eq(t, "passed", r.Passed(all...), []string{CtlDefaultSAAutomount + " ServiceAccount/billing/default"})
	if msg := message(r, CtlDefaultSAAutomount); !strings.Contains(msg, "Deployment/") {
		t.Errorf("message %q does not name the workloads", msg)
	}
}

// --- contracts ---

func TestControlsAndNeeds(t *testing.T) {
	a := New()
	needs, ok := a.(analyzer.KindNeeds)
	if !ok {
		t.Fatal("analyzer does not implement KindNeeds")
	}
	n := needs.Needs()
	for _, id := range a.Controls() {
		c, ok := catalog.Lookup(id)
		if !ok {
			t.Errorf("control %s not in the catalog", id)
			continue
		}
		if c.Layer != catalog.Cluster {
			t.Errorf("control %s: layer %s", id, c.Layer)
		}
		if _, ok := n[id]; !ok {
			t.Errorf("control %s has no entry in Needs", id)
		}
	}
	if len(n) != len(a.Controls()) {
		t.Errorf("Needs has %d entries, Controls %d", len(n), len(a.Controls()))
	}
	has := func(id string, gk schema.GroupKind) bool {
		for _, k := range n[id] {
			if k == gk {
				return true
			}
		}
		return false
	}
	if !has(CtlBootstrapToken, schema.GroupKind{Kind: "Secret"}) || !has(CtlLegacySAToken, schema.GroupKind{Kind: "Secret"}) {
		t.Error("secret controls do not need Secrets")
	}
	if !has(CtlBindingAnonymous, schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}) ||
		!has(CtlBindingAllAuthn, schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}) {
		t.Error("binding controls do not need bindings")
	}
	if !has(CtlDefaultSAAutomount, schema.GroupKind{Kind: "ServiceAccount"}) || !has(CtlDefaultSAAutomount, schema.GroupKind{Group: "apps", Kind: "Deployment"}) {
		t.Error("default-sa-automount does not need ServiceAccounts and workloads")
	}
	for _, id := range []string{CtlVersionUnsupported, CtlVersionOutdated, CtlAnonymousAccess, CtlAnonymousVersion} {
		if len(n[id]) != 0 {
			t.Errorf("%s needs %v, want no kind", id, n[id])
		}
	}
}

// TestNothingFromFilesWithoutClusterInfo: an inventory from files records no version or
// anonymous-access pair at all.
func TestNothingFromFilesWithoutClusterInfo(t *testing.T) {
	r := run(t, nil, testNow, secret("kube-system", "x", corev1.SecretTypeOpaque), crb("b", "view", subj(rbacv1.UserKind, "bob")))
	for _, p := range r.Evaluations {
		switch p.Control {
		case CtlVersionUnsupported, CtlVersionOutdated, CtlAnonymousAccess, CtlAnonymousVersion:
			t.Errorf("%s evaluated without cluster info", p.Control)
		}
	}
}
