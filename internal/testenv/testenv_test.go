package testenv_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kube4c/kube4c/internal/testenv"
)

// TestControlPlane proves the control plane is a real, working cluster and
// that stopping it leaves no process behind.
func TestControlPlane(t *testing.T) {
	var (
		pids map[string]int
		dir  string
	)
	t.Run("cluster", func(t *testing.T) {
		env := testenv.Start(t)
		pids, dir = env.PIDs(), env.Dir
		ctx := t.Context()
		admin := kubernetes.NewForConfigOrDie(env.Admin)
		restricted := kubernetes.NewForConfigOrDie(env.Restricted)

		t.Run("version", func(t *testing.T) {
			v, err := admin.Discovery().ServerVersion()
			if err != nil {
				t.Fatal(err)
			}
			if v.GitVersion != testenv.KubernetesVersion || v.Major != "1" || v.Minor != "37" {
				t.Errorf("/version = %s (major %q, minor %q), want %s", v.GitVersion, v.Major, v.Minor, testenv.KubernetesVersion)
			}
		})

		const ns = "kube4c-testenv"
		t.Run("admin creates a namespace; controllers populate it", func(t *testing.T) {
			if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			// The serviceaccount controller creates "default" in every namespace.
			eventually(t, 30*time.Second, func() error {
				_, err := admin.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
				return err
			})
			// The clusterrole-aggregation controller fills in "view".
			view, err := admin.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if view.AggregationRule == nil || len(view.Rules) == 0 {
				t.Errorf("ClusterRole view: aggregationRule %v, %d rules; want aggregated rules", view.AggregationRule, len(view.Rules))
			}
		})

		t.Run("restricted identity has no RBAC until a test binds it", func(t *testing.T) {
			review, err := restricted.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if u := review.Status.UserInfo; u.Username != testenv.RestrictedUser || !slices.Equal(u.Groups, []string{"system:authenticated"}) {
				t.Errorf("restricted identity = %q in %v, want %q in [system:authenticated]", u.Username, u.Groups, testenv.RestrictedUser)
			}
			if _, err := restricted.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
				t.Fatalf("restricted list pods before binding: err = %v, want 403 Forbidden", err)
			}
			role := &rbacv1.Role{
				ObjectMeta: metav1.ObjectMeta{Name: "pod-reader", Namespace: ns},
				Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
			}
			if _, err := admin.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			binding := &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "pod-reader", Namespace: ns},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
				Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: testenv.RestrictedUser}},
			}
			if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			// The RBAC authorizer sees the binding through an informer: poll.
			eventually(t, 10*time.Second, func() error {
				_, err := restricted.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
				return err
			})
			if _, err := restricted.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
				t.Errorf("restricted list pods in another namespace: err = %v, want 403 Forbidden", err)
			}
		})

		t.Run("kubeconfig", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kubeconfig")
			if err := env.Kubeconfig(path, env.Restricted); err != nil {
				t.Fatal(err)
			}
			cfg, err := clientcmd.BuildConfigFromFlags("", path)
			if err != nil {
				t.Fatal(err)
			}
			review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := review.Status.UserInfo.Username; got != testenv.RestrictedUser {
				t.Errorf("kubeconfig user = %q, want %q", got, testenv.RestrictedUser)
			}
		})

		t.Run("user config", func(t *testing.T) {
			cfg, err := env.UserConfig("alice", "team-a")
			if err != nil {
				t.Fatal(err)
			}
			review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if u := review.Status.UserInfo; u.Username != "alice" || !slices.Contains(u.Groups, "team-a") {
				t.Errorf("user config identity = %q in %v, want alice in team-a", u.Username, u.Groups)
			}
		})

		t.Run("anonymous allowed by default, RBAC applies", func(t *testing.T) {
			if code := anonymousGet(t, env, "/version"); code != http.StatusOK {
				t.Errorf("anonymous /version = %d, want 200", code)
			}
			if code := anonymousGet(t, env, "/api/v1/namespaces"); code != http.StatusForbidden {
				t.Errorf("anonymous list namespaces = %d, want 403", code)
			}
		})
	})
	if pids == nil {
		t.Skip("control plane did not start") // already skipped, or failed
	}

	// The subtest's cleanup has run: every process must be gone.
	for name, pid := range pids {
		if alive(pid) {
			t.Errorf("%s (pid %d) still running after cleanup", name, pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) && os.Getenv(testenv.KeepEnv) == "" {
		t.Errorf("temporary directory %s not removed (stat: %v)", dir, err)
	}
}

func TestAnonymousAuthDisabled(t *testing.T) {
	opts := testenv.DefaultOptions()
	opts.AnonymousAuth = false
	env := testenv.StartWithOptions(t, opts)
	if code := anonymousGet(t, env, "/version"); code != http.StatusUnauthorized {
		t.Errorf("anonymous /version with --anonymous-auth=false = %d, want 401", code)
	}
}

func anonymousGet(t *testing.T, env *testenv.Env, path string) int {
	t.Helper()
	client, err := rest.HTTPClientFor(&rest.Config{Host: env.Server, TLSClientConfig: rest.TLSClientConfig{CAData: env.CAData}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(env.Server + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	for {
		err := f()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("still failing after %s: %v", timeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// alive reports whether a process with this id exists (a reaped child does
// not).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}
