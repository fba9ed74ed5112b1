package rbac

import (
	_ "embed"
	"fmt"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// BuiltinVersion is the Kubernetes version whose bootstrap ClusterRoles builtin/clusterroles.yaml
// holds (read from a real kube-apiserver by TestBuiltinClusterRoles; `go test ./internal/rbac
// -run TestBuiltinClusterRoles -update` refreshes it).
const BuiltinVersion = "v1.37.2"

//go:embed builtin/clusterroles.yaml
var builtinYAML []byte

var builtin = sync.OnceValues(func() ([]rbacv1.ClusterRole, error) {
	var list rbacv1.ClusterRoleList
	if err := yaml.UnmarshalStrict(builtinYAML, &list); err != nil {
		return nil, fmt.Errorf("builtin cluster roles: %w", err)
	}
	return list.Items, nil
})

// BuiltinClusterRoles returns the ClusterRoles every Kubernetes API server creates (cluster-admin,
// admin, edit, view, the system:aggregate-to-* roles they aggregate, and the system:* roles of
// components), as of BuiltinVersion. Manifests bind to them without defining them.
func BuiltinClusterRoles() []rbacv1.ClusterRole {
	roles, err := builtin()
	if err != nil {
		panic(err) // the embedded file is generated and tested; a parse error is a build defect
	}
	return roles
}
