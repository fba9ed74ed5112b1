package exception

import (
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
)

// Test controls, named so they cannot collide with the real catalog.
const (
	ctlRoot       = "container/k4ctest-run-as-root"
	ctlUser       = "container/k4ctest-run-as-user"
	ctlPrivileged = "container/k4ctest-privileged"
	ctlWildcard   = "cluster/k4ctest-rbac-wildcard"
)

func TestMain(m *testing.M) {
	var unregister []func()
	for _, c := range []struct {
		id    string
		layer catalog.Layer
	}{
		{ctlRoot, catalog.Container},
		{ctlUser, catalog.Container},
		{ctlPrivileged, catalog.Container},
		{ctlWildcard, catalog.Cluster},
	} {
		unregister = append(unregister, catalog.RegisterForTest(catalog.Control{
			ID: c.id, Title: "test " + c.id, Layer: c.layer, Severity: catalog.High,
			Rationale: "test", Remediation: "test",
		}))
	}
	code := m.Run()
	for _, u := range unregister {
		u()
	}
	os.Exit(code)
}

type objOpt func(*unstructured.Unstructured)

func labels(kv ...string) objOpt {
	return func(u *unstructured.Unstructured) { u.SetLabels(pairs(kv)) }
}

func annotations(kv ...string) objOpt {
	return func(u *unstructured.Unstructured) { u.SetAnnotations(pairs(kv)) }
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func object(kind, ns, name string, opts ...objOpt) *inventory.Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	for _, o := range opts {
		o(u)
	}
	return &inventory.Object{
		APIVersion: "v1", Kind: kind, Namespace: ns, Name: name, Object: u,
		Source: inventory.Source{Origin: inventory.FromFile, File: "manifests/" + name + ".yaml", Line: 1},
	}
}

func find(control string, o *inventory.Object) finding.Finding {
	return finding.New(control, o, nil, "test finding")
}

// fixedLocator answers every path with one location.
type fixedLocator inventory.Location

func (l fixedLocator) Locate(paths []inventory.FieldPath) []inventory.Location {
	out := make([]inventory.Location, len(paths))
	for i := range out {
		out[i] = inventory.Location(l)
	}
	return out
}

func mustParse(t *testing.T, src string) *Set {
	t.Helper()
	s, err := Parse([]byte(src), "exc.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

const header = "apiVersion: kube4c.io/v1alpha1\nkind: Exceptions\nexceptions:\n"

// nilPod is a typed nil object: its metadata accessors panic.
func nilPod() *unstructured.Unstructured { return nil }
