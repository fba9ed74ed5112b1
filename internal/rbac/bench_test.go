package rbac_test

import (
	"testing"

	"github.com/kube4c/kube4c/internal/rbac"
	"github.com/kube4c/kube4c/internal/testcorpus"
)

// The RBAC benchmarks run on testcorpus.RBACBenchmarkSize: 20,000 roles, 20,000 bindings and
// 5,000 service accounts (with a Deployment each). Numbers are in docs/performance.md.
//
//	go test ./internal/rbac -run '^$' -bench 'Build|WhoCan|GrantsTo' -benchmem

func BenchmarkBuild(b *testing.B) {
	inv := testcorpus.RBACInventory(testcorpus.RBACBenchmarkSize)
	inv.Objects()
	b.ResetTimer()
	for b.Loop() {
		rbac.Build(inv)
	}
}

func BenchmarkWhoCan(b *testing.B) {
	m := rbac.Build(testcorpus.RBACInventory(testcorpus.RBACBenchmarkSize))
	req := rbac.Request{Verb: "get", Resource: "secrets", Namespace: "team-7"}
	if len(m.WhoCan(req)) == 0 {
		b.Fatal("corpus: nobody can get secrets in team-7")
	}
	b.ResetTimer()
	for b.Loop() {
		m.WhoCan(req)
	}
}

func BenchmarkGrantsTo(b *testing.B) {
	m := rbac.Build(testcorpus.RBACInventory(testcorpus.RBACBenchmarkSize))
	id := rbac.Subject{Kind: rbac.ServiceAccount, Namespace: "team-7", Name: "sa-3"}.Identity()
	if len(m.GrantsTo(id)) == 0 {
		b.Fatal("corpus: team-7/sa-3 has no grants")
	}
	b.ResetTimer()
	for b.Loop() {
		m.GrantsTo(id)
	}
}
