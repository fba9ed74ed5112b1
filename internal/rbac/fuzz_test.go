package rbac_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/rbac"
	"github.com/kube4c/kube4c/internal/source/manifest"
)

// FuzzModel feeds arbitrary manifests (untrusted input: any file a user scans) through the model
// and every question asked of it: building (aggregation with arbitrary selectors and cycles),
// who-can, grants, and the escalation search. None may panic or loop.
//
//	go test ./internal/rbac -run '^$' -fuzz FuzzModel -fuzztime 30s -fuzzminimizetime 5s
//
// Each input builds a whole model (with the built-in roles), so minimizing an interesting input
// for the default 60 s stalls the run; keep -fuzzminimizetime short.
func FuzzModel(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("..", "..", "examples", "insecure-shop", "manifests", "rbac.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a, labels: {x: "1"}}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {x: "1"}
    - matchExpressions: [{key: x, operator: Bogus, values: ["1"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b, labels: {x: "1"}}
aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: x, operator: Exists}]}]}
rules: [{verbs: ["*"], apiGroups: ["*"], resources: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: c}
roleRef: {kind: ClusterRole, name: a}
subjects: [{kind: ServiceAccount, name: x}, {kind: User, name: ""}, {kind: Weird, name: y}]
`))
	f.Add([]byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: r, namespace: n}
roleRef: {kind: Role, name: missing}
subjects: [{kind: ServiceAccount, name: default}, {kind: Group, name: "system:serviceaccounts:n"}]
---
apiVersion: v1
kind: Secret
metadata: {name: t, namespace: n, annotations: {kubernetes.io/service-account.name: default}}
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: missing, namespace: n}
rules:
  - {verbs: [get, list, create], resources: [secrets, pods, "*/exec", serviceaccounts/token], apiGroups: [""], resourceNames: [default, ""]}
  - {verbs: [impersonate], resources: [serviceaccounts, users, groups], apiGroups: [""]}
  - {verbs: ["get"], nonResourceURLs: ["/logs**", "*"]}
`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		objs, _ := manifest.Parse(data, inventory.Source{Origin: inventory.FromFile, File: "fuzz.yaml"}, manifest.Options{DefaultNamespace: "default"})
		inv := inventory.New()
		inv.Add(objs...)
		m := rbac.Build(inv)
		subjects := m.Subjects()
		for _, s := range subjects {
			m.GrantsTo(s.Identity())
		}
		m.AdminPaths(subjects, rbac.PathOptions{})
		if len(subjects) > 0 {
			m.Paths(subjects[0], rbac.PathOptions{MaxDepth: 3})
		}
		for _, r := range []rbac.Request{{Verb: "get", Resource: "secrets", Namespace: "n"}, {Verb: "get", Path: "/logs/x"}, {Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "default", Name: "x"}} {
			m.WhoCan(r)
		}
	})
}
