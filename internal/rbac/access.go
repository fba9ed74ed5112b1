package rbac

import (
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
)

// Access is a grant of one verb on one resource: where (Namespace, empty for cluster-wide) and to
// which objects (Names, nil for every object).
type Access struct {
	Grant     Grant
	Namespace string
	Names     []string
}

// All reports whether the access covers every object (no resourceNames).
func (a Access) All() bool { return a.Names == nil }

// Covers reports whether the access covers the named object in the namespace.
func (a Access) Covers(namespace, name string) bool {
	if a.Namespace != "" && a.Namespace != namespace {
		return false
	}
	return a.Names == nil || contains(a.Names, name)
}

// Where renders the scope: "cluster-wide" or "in namespace NS", with the names when restricted.
func (a Access) Where() string {
	s := "cluster-wide"
	if a.Namespace != "" {
		s = "in namespace " + a.Namespace
	}
	if a.Names != nil {
		s += " (only " + strings.Join(a.Names, ", ") + ")"
	}
	return s
}

// Find returns the grants among grants that allow verb on the resource (group, resource and
// subresource as in a request), each with its scope. Grants are typically GrantsTo(identity) or
// the grants of one binding.
func Find(grants []Grant, verb, group, resource, sub string) []Access {
	var out []Access
	for _, g := range grants {
		if ok, names := Grants(g.Rule(), verb, group, resource, sub); ok {
			out = append(out, Access{Grant: g, Namespace: g.Namespace(), Names: names})
		}
	}
	return out
}

// ClusterWide returns the first access that covers every object in every namespace.
func ClusterWide(as []Access) (Access, bool) {
	for _, a := range as {
		if a.Namespace == "" && a.All() {
			return a, true
		}
	}
	return Access{}, false
}

// In returns the first access that covers every object of namespace ns (a cluster-wide one or one
// in ns).
func In(as []Access, ns string) (Access, bool) {
	for _, a := range as {
		if a.All() && (a.Namespace == "" || a.Namespace == ns) {
			return a, true
		}
	}
	return Access{}, false
}

// BootstrapLabel marks the roles and bindings of the API server's RBAC bootstrap policy
// ("kubernetes.io/bootstrapping: rbac-defaults").
const BootstrapLabel = "kubernetes.io/bootstrapping"

// IsBootstrap reports whether an RBAC object belongs to the API server's bootstrap policy.
func IsBootstrap(o *inventory.Object) bool {
	return o != nil && o.Labels()[BootstrapLabel] == "rbac-defaults"
}

// systemPrefixes are the user and group name prefixes reserved for platform components: "system:"
// (Kubernetes itself) and "eks:" (Amazon EKS's control plane components).
var systemPrefixes = []string{"system:", "eks:"}

// IsSystemSubject reports whether a subject is a platform component rather than a customer
// identity: a user or group whose name starts with "system:" or "eks:" (such as
// system:kube-scheduler, system:node:NAME, system:masters, system:nodes, system:bootstrappers),
// except the broad groups that stand for everyone (system:authenticated, system:unauthenticated,
// system:serviceaccounts[:NS]) and system:anonymous. Service accounts are judged by their grant:
// see IsSystemGrant.
func IsSystemSubject(s Subject) bool {
	if s.Kind == ServiceAccount || s.Name == UserAnonymous || (s.Kind == Group && IsBroadGroup(s.Name)) {
		return false
	}
	if _, _, ok := SplitServiceAccountUser(s.Name); ok && s.Kind == User {
		return false // a service account's user name: judged as the service account
	}
	for _, p := range systemPrefixes {
		if strings.HasPrefix(s.Name, p) {
			return true
		}
	}
	return false
}

// IsSystemGrant reports whether a binding's subject is a platform component the binding's grant
// is meant for, so risk controls do not report it as customer risk: a system subject
// (IsSystemSubject) in any binding, or a kube-system service account in a binding of the
// bootstrap policy (the controllers' system:controller:* bindings).
func IsSystemGrant(b *Binding, s Subject) bool {
	if IsSystemSubject(s) {
		return true
	}
	if s.Kind == User { // a User named system:serviceaccount:NS:NAME is that service account
		if ns, name, ok := SplitServiceAccountUser(s.Name); ok {
			s = Subject{Kind: ServiceAccount, Namespace: ns, Name: name}
		}
	}
	return s.Kind == ServiceAccount && s.Namespace == "kube-system" && IsBootstrap(b.Object)
}
