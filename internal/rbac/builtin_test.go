package rbac_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/rbac"
	"github.com/kube4c/kube4c/internal/testenv"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite builtin/clusterroles.yaml from the test API server")

// TestBuiltinClusterRoles checks that the embedded bootstrap ClusterRoles are exactly the ones a
// real kube-apiserver of BuiltinVersion creates, so manifest scans judge bindings to cluster-admin,
// admin, edit and view by the rules a cluster would give them.
func TestBuiltinClusterRoles(t *testing.T) {
	env := testenv.Start(t)
	client := kubernetes.NewForConfigOrDie(env.Admin)
	ctx := context.Background()
	v, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != rbac.BuiltinVersion {
		t.Fatalf("test API server is %s, builtin roles are of %s: update BuiltinVersion and run with -update", v.GitVersion, rbac.BuiltinVersion)
	}
	// The aggregated roles (admin, edit, view) get their rules from the clusterrole-aggregation
	// controller shortly after start-up, admin only after edit (which it aggregates): wait until
	// every aggregated role has rules and the rule sets have not changed for a second.
	var list *rbacv1.ClusterRoleList
	deadline := time.Now().Add(60 * time.Second)
	var last string
	stableSince := time.Now()
	for {
		if list, err = client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{LabelSelector: rbac.BootstrapLabel + "=rbac-defaults"}); err != nil {
			t.Fatal(err)
		}
		pending := ""
		var state strings.Builder
		for _, cr := range list.Items {
			if cr.AggregationRule != nil && len(cr.Rules) == 0 {
				pending = cr.Name
			}
			state.WriteString(cr.Name + ":" + strings.Join(ruleSet(cr.Rules), ";") + "\n")
		}
		if state.String() != last {
			last, stableSince = state.String(), time.Now()
		}
		if pending == "" && time.Since(stableSince) >= time.Second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aggregated ClusterRoles still changing (or %q empty) after 60 s", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var want []rbacv1.ClusterRole
	for _, cr := range list.Items {
		want = append(want, rbacv1.ClusterRole{
			TypeMeta:        metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta:      metav1.ObjectMeta{Name: cr.Name, Labels: cr.Labels, Annotations: cr.Annotations},
			Rules:           cr.Rules,
			AggregationRule: cr.AggregationRule,
		})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Name < want[j].Name })
	if len(want) < 50 {
		t.Fatalf("only %d bootstrap cluster roles: is the RBAC bootstrap policy running?", len(want))
	}
	if *update {
		out, err := yaml.Marshal(rbacv1.ClusterRoleList{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleList"}, Items: want})
		if err != nil {
			t.Fatal(err)
		}
		header := "# The bootstrap ClusterRoles of kube-apiserver " + v.GitVersion + ", read from a running API server by\n# TestBuiltinClusterRoles (internal/rbac/builtin_test.go). Do not edit: run that test with -update.\n"
		if err := os.WriteFile("builtin/clusterroles.yaml", append([]byte(header), out...), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got := rbac.BuiltinClusterRoles()
	if len(got) != len(want) {
		t.Fatalf("embedded %d builtin cluster roles, the API server has %d: run with -update", len(got), len(want))
	}
	for i := range want {
		// Rules compare as sets: the aggregation controller's order is not stable.
		if !slices.Equal(ruleSet(got[i].Rules), ruleSet(want[i].Rules)) || !equality.Semantic.DeepEqual(got[i].AggregationRule, want[i].AggregationRule) || got[i].Name != want[i].Name {
			t.Errorf("builtin cluster role %s differs from the API server's %s: run with -update", got[i].Name, want[i].Name)
		}
	}
}

// ruleSet renders rules as sorted JSON strings, for comparing them as sets.
func ruleSet(rules []rbacv1.PolicyRule) []string {
	out := make([]string, 0, len(rules))
	for _, r := range rules {
		b, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		out = append(out, string(b))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
