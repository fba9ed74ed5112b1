// Package rbac models the effective permissions Kubernetes RBAC grants: Roles, ClusterRoles
// (with aggregation), RoleBindings and ClusterRoleBindings, the subjects they name and the
// implicit groups the API server adds to every identity. It answers the questions the RBAC
// authorizer answers (may this identity do this request?) and the reverse ones (who may do it,
// what may this subject do), with the binding, role and rule that grant each answer.
//
// Its semantics follow the API server's RBAC authorizer (k8s.io/kubernetes
// plugin/pkg/auth/authorizer/rbac and pkg/registry/rbac/validation), which kube4c does not import;
// a differential test compares the answers with SubjectAccessReviews of a real kube-apiserver.
package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Subject kinds, as in rbacv1.Subject.Kind.
const (
	User           = rbacv1.UserKind
	Group          = rbacv1.GroupKind
	ServiceAccount = rbacv1.ServiceAccountKind
)

// Well-known identities and groups the API server's authenticators assign.
const (
	UserAnonymous           = "system:anonymous"
	GroupUnauthenticated    = "system:unauthenticated"
	GroupAuthenticated      = "system:authenticated"
	GroupServiceAccounts    = "system:serviceaccounts"
	GroupMasters            = "system:masters"
	serviceAccountGroupPfx  = "system:serviceaccounts:"
	serviceAccountUserPfx   = "system:serviceaccount:"
	serviceAccountUserParts = 4 // system:serviceaccount:<ns>:<name>
)

// Subject is a user, a group or a service account, as RBAC bindings name them. Namespace is set
// only for service accounts.
type Subject struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String renders the subject as "User alice", "Group devs" or "ServiceAccount shop/ci".
func (s Subject) String() string {
	if s.Kind == ServiceAccount {
		return fmt.Sprintf("%s %s/%s", s.Kind, s.Namespace, s.Name)
	}
	return s.Kind + " " + s.Name
}

// Key is a compact unique form: "user:alice", "group:devs", "sa:shop/ci".
func (s Subject) Key() string {
	switch s.Kind {
	case ServiceAccount:
		return "sa:" + s.Namespace + "/" + s.Name
	case Group:
		return "group:" + s.Name
	}
	return "user:" + s.Name
}

// ParseSubject reads a subject from the command line. Accepted forms (kind case-insensitive):
//
//	user:alice  User:alice  user/alice
//	group:system:masters  group/devs
//	sa:shop/ci  serviceaccount:shop/ci  serviceaccount/shop/ci  sa:shop:ci
//	system:serviceaccount:shop:ci   (a service account's user name)
//
// A name without a kind is a user name.
func ParseSubject(s string) (Subject, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Subject{}, fmt.Errorf("empty subject")
	}
	if ns, name, ok := SplitServiceAccountUser(s); ok {
		return Subject{Kind: ServiceAccount, Namespace: ns, Name: name}, nil
	}
	i := strings.IndexAny(s, ":/")
	if i < 0 {
		return Subject{Kind: User, Name: s}, nil
	}
	kind, rest := strings.ToLower(s[:i]), s[i+1:]
	switch kind {
	case "user", "u":
		if rest == "" {
			return Subject{}, fmt.Errorf("subject %q: missing user name", s)
		}
		return Subject{Kind: User, Name: rest}, nil
	case "group", "g":
		if rest == "" {
			return Subject{}, fmt.Errorf("subject %q: missing group name", s)
		}
		return Subject{Kind: Group, Name: rest}, nil
	case "sa", "serviceaccount":
		j := strings.IndexAny(rest, "/:")
		if j <= 0 || j == len(rest)-1 || strings.ContainsAny(rest[j+1:], "/:") {
			return Subject{}, fmt.Errorf("subject %q: want %s:NAMESPACE/NAME", s, kind)
		}
		return Subject{Kind: ServiceAccount, Namespace: rest[:j], Name: rest[j+1:]}, nil
	}
	// Not a kind prefix: a user name that contains ':' or '/' (e.g. system:kube-scheduler).
	return Subject{Kind: User, Name: s}, nil
}

// ServiceAccountUser is the user name a service account authenticates as.
func ServiceAccountUser(namespace, name string) string {
	return serviceAccountUserPfx + namespace + ":" + name
}

// SplitServiceAccountUser splits a service account's user name into namespace and name.
func SplitServiceAccountUser(user string) (namespace, name string, ok bool) {
	if !strings.HasPrefix(user, serviceAccountUserPfx) {
		return "", "", false
	}
	parts := strings.Split(user, ":")
	if len(parts) != serviceAccountUserParts || parts[2] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[2], parts[3], true
}

// Identity is what the authorizer sees of a request: a user name and groups.
type Identity struct {
	User   string   `json:"user,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// Identity returns the identity a request of the subject carries, with the groups the API server's
// authenticators add:
//   - a service account: user system:serviceaccount:NS:NAME, groups system:serviceaccounts,
//     system:serviceaccounts:NS and system:authenticated;
//   - a user: its name and system:authenticated (system:anonymous gets system:unauthenticated);
//   - a group: a member of the group (no user name) who is also in system:authenticated, except for
//     system:unauthenticated. Other groups a member may hold are unknown to kube4c.
func (s Subject) Identity() Identity {
	switch s.Kind {
	case ServiceAccount:
		return Identity{User: ServiceAccountUser(s.Namespace, s.Name),
			Groups: []string{GroupServiceAccounts, serviceAccountGroupPfx + s.Namespace, GroupAuthenticated}}
	case Group:
		if s.Name == GroupUnauthenticated || s.Name == GroupAuthenticated {
			return Identity{Groups: []string{s.Name}}
		}
		return Identity{Groups: []string{s.Name, GroupAuthenticated}}
	}
	if s.Name == UserAnonymous {
		return Identity{User: s.Name, Groups: []string{GroupUnauthenticated}}
	}
	return Identity{User: s.Name, Groups: []string{GroupAuthenticated}}
}

// appliesTo reports whether a binding's subject names the identity, the way the RBAC authorizer
// decides it: users by name, groups by membership, service accounts by user name, with a missing
// service account namespace defaulting to the RoleBinding's namespace (never for
// ClusterRoleBindings).
func appliesTo(id Identity, s rbacv1.Subject, bindingNamespace string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return id.User == s.Name
	case rbacv1.GroupKind:
		for _, g := range id.Groups {
			if g == s.Name {
				return true
			}
		}
		return false
	case rbacv1.ServiceAccountKind:
		ns := bindingNamespace
		if s.Namespace != "" {
			ns = s.Namespace
		}
		return ns != "" && id.User == ServiceAccountUser(ns, s.Name)
	}
	return false
}

// ResolveSubject returns the subject a binding names, with a service account's namespace defaulted
// to the binding's; ok is false for subjects that can never match (unknown kind, a service account
// without any namespace).
func ResolveSubject(s rbacv1.Subject, bindingNamespace string) (Subject, bool) {
	switch s.Kind {
	case rbacv1.UserKind, rbacv1.GroupKind:
		return Subject{Kind: s.Kind, Name: s.Name}, s.Name != ""
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		return Subject{Kind: ServiceAccount, Namespace: ns, Name: s.Name}, ns != "" && s.Name != ""
	}
	return Subject{}, false
}

// IsBroadGroup reports whether a group stands for everyone of a kind rather than chosen members:
// system:authenticated, system:unauthenticated, system:serviceaccounts and
// system:serviceaccounts:NS.
func IsBroadGroup(name string) bool {
	return name == GroupAuthenticated || name == GroupUnauthenticated || name == GroupServiceAccounts ||
		strings.HasPrefix(name, serviceAccountGroupPfx)
}
