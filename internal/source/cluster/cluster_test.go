package cluster

import (
	"os"
	"slices"
	"testing"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source/manifest"
	rbacv1 "k8s.io/api/rbac/v1"
)

// TestReaderRoleCoversKinds keeps deploy/rbac-reader.yaml and the kinds the scan lists in step:
// the role must grant get and list on each of them and nothing else.
func TestReaderRoleCoversKinds(t *testing.T) {
	data, err := os.ReadFile("../../../deploy/rbac-reader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, probs := manifest.Parse(data, inventory.Source{File: "rbac-reader.yaml"}, manifest.Options{})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	granted := map[string][]string{}
	for _, o := range objs {
		cr, ok := o.Object.(*rbacv1.ClusterRole)
		if !ok {
			continue
		}
		for _, r := range cr.Rules {
			v := slices.Clone(r.Verbs)
			slices.Sort(v)
			if !slices.Equal(v, []string{"get", "list"}) || len(r.NonResourceURLs) > 0 || len(r.ResourceNames) > 0 {
				t.Errorf("rule %+v grants more than get/list", r)
			}
			for _, g := range r.APIGroups {
				granted[g] = append(granted[g], r.Resources...)
			}
		}
	}
	want := Resources()
	for g, rs := range want {
		for _, r := range rs {
			if !slices.Contains(granted[g], r) {
				t.Errorf("rbac-reader.yaml does not grant %s/%s", g, r)
			}
		}
	}
	for g, rs := range granted {
		for _, r := range rs {
			if !slices.Contains(want[g], r) {
				t.Errorf("rbac-reader.yaml grants %s/%s, which the scan does not read", g, r)
			}
		}
	}
}
