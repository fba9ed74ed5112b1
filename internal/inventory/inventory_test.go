package inventory

import "testing"

func TestFieldPathString(t *testing.T) {
	for _, tc := range []struct {
		p    FieldPath
		want string
	}{
		{Path("spec", "containers", 0, "image"), "spec.containers[0].image"},
		{Path("metadata", "annotations", "kube4c.io/ignore"), `metadata.annotations["kube4c.io/ignore"]`},
		{Path("data", "app.properties"), `data["app.properties"]`},
		{Path("spec").Child("volumes", 2), "spec.volumes[2]"},
		{nil, ""},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	objs := []*Object{{Kind: "Deployment", Name: "a"}, {Kind: "Job", Name: "b"}, {Kind: "Pod", Name: "c"}, {Kind: "Pod", Name: "d"}}
	if got := Names(objs, 3); got != "Deployment/a, Job/b, Pod/c, and 1 more" {
		t.Errorf("Names = %q", got)
	}
	if got := Names(objs[:2], 3); got != "Deployment/a, Job/b" {
		t.Errorf("Names = %q", got)
	}
}

func TestObjectsAreOrderedBySource(t *testing.T) {
	inv := New()
	inv.Add(&Object{Kind: "Pod", Name: "b", Source: Source{File: "b.yaml", Line: 1}},
		&Object{Kind: "Pod", Name: "a2", Source: Source{File: "a.yaml", Line: 9}},
		&Object{Kind: "Pod", Name: "a1", Source: Source{File: "a.yaml", Line: 2}})
	var got []string
	for _, o := range inv.Objects() {
		got = append(got, o.Name)
	}
	if len(got) != 3 || got[0] != "a1" || got[1] != "a2" || got[2] != "b" {
		t.Errorf("order %v", got)
	}
	if n := len(inv.OfKind("", "Pod")); n != 3 {
		t.Errorf("OfKind = %d", n)
	}
}
