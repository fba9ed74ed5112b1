package rbac

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Role is a Role or ClusterRole with its effective rules: for an aggregated ClusterRole, the rules
// of the ClusterRoles its aggregationRule selects.
type Role struct {
	Kind      string // "Role" or "ClusterRole"
	Namespace string // empty for ClusterRoles
	Name      string
	Rules     []rbacv1.PolicyRule
	// AggregatedFrom names the ClusterRoles an aggregated ClusterRole takes its rules from (nil
	// when the role has no aggregationRule).
	AggregatedFrom []string
	Object         *inventory.Object
	// BuiltIn is set for a bootstrap ClusterRole the inventory does not hold, taken from
	// BuiltinClusterRoles (manifests bind to cluster-admin, admin, edit and view without defining
	// them). Object is nil for such roles.
	BuiltIn     bool
	aggregation *rbacv1.AggregationRule
	labels      map[string]string
}

// Ref renders the role as "ClusterRole cluster-admin" or "Role shop/deployer".
func (r *Role) Ref() string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	Kind      string // "RoleBinding" or "ClusterRoleBinding"
	Namespace string // empty for ClusterRoleBindings
	Name      string
	RoleRef   rbacv1.RoleRef
	Subjects  []rbacv1.Subject
	// Role is the role the binding references; nil when it is not in the inventory (the binding then
	// grants nothing, as in the API server).
	Role   *Role
	Object *inventory.Object
	index  int
}

// ClusterWide reports whether the binding grants its role in every namespace and for cluster-scoped
// resources (a ClusterRoleBinding).
func (b *Binding) ClusterWide() bool { return b.Kind == "ClusterRoleBinding" }

// Ref renders the binding as "ClusterRoleBinding ops" or "RoleBinding shop/ci".
func (b *Binding) Ref() string {
	if b.Namespace != "" {
		return b.Kind + " " + b.Namespace + "/" + b.Name
	}
	return b.Kind + " " + b.Name
}

// RoleRefString renders the referenced role, whether or not it exists.
func (b *Binding) RoleRefString() string {
	if b.Role != nil {
		if b.Role.BuiltIn {
			return b.Role.Ref() + " (built-in)"
		}
		return b.Role.Ref()
	}
	if b.RoleRef.Kind == "Role" && b.Namespace != "" {
		return fmt.Sprintf("Role %s/%s (not found)", b.Namespace, b.RoleRef.Name)
	}
	return fmt.Sprintf("%s %s (not found)", b.RoleRef.Kind, b.RoleRef.Name)
}

// Scope describes where the binding applies: "cluster-wide" or "in namespace NS".
func (b *Binding) Scope() string {
	if b.ClusterWide() {
		return "cluster-wide"
	}
	return "in namespace " + b.Namespace
}

// Grant is one rule granted to one subject of a binding.
type Grant struct {
	Binding *Binding
	// SubjectIndex is the index of the subject in Binding.Subjects.
	SubjectIndex int
	Subject      Subject
	RuleIndex    int
}

// Role returns the role whose rule is granted.
func (g Grant) Role() *Role { return g.Binding.Role }

// Rule returns the granted rule.
func (g Grant) Rule() *rbacv1.PolicyRule { return &g.Binding.Role.Rules[g.RuleIndex] }

// Namespace is where the grant applies; empty for a cluster-wide grant.
func (g Grant) Namespace() string { return g.Binding.Namespace }

// Evidence renders the grant for messages: "ClusterRoleBinding ops -> ClusterRole admin".
func (g Grant) Evidence() string { return g.Binding.Evidence() }

// Evidence renders the binding and its role for messages: "ClusterRoleBinding ops -> ClusterRole
// admin", with "(built-in)" for a bootstrap role the input does not define.
func (b *Binding) Evidence() string { return b.Ref() + " -> " + b.RoleRefString() }

// Workload is an object that runs pods, with the service account they run as.
type Workload struct {
	Object         *inventory.Object
	ServiceAccount Subject
	// MountsToken is false when the pod template (or, if it says nothing, the service account)
	// disables automounting the service account token.
	MountsToken bool
	// Path is the field path of the pod spec inside the object.
	Path inventory.FieldPath
}

// TokenSecret is a legacy service account token Secret that still authenticates.
type TokenSecret struct {
	Object         *inventory.Object
	ServiceAccount Subject
}

type subjectRef struct {
	b *Binding
	i int
}

// Model is the RBAC state of an inventory.
type Model struct {
	roles        map[string]*Role // "ns/name"
	clusterRoles map[string]*Role
	// Bindings are sorted: ClusterRoleBindings by name, then RoleBindings by namespace and name.
	Bindings        []*Binding
	byUser, byGroup map[string][]subjectRef
	bySA            map[string][]subjectRef // "ns/name"
	// ServiceAccounts are the ServiceAccount objects in the inventory.
	ServiceAccounts map[Subject]*inventory.Object
	// Workloads are the objects that run pods (objects owned by workload controllers are left out).
	Workloads []Workload
	// TokenSecrets are the legacy token Secrets in the inventory.
	TokenSecrets []TokenSecret
	// Namespaces are the namespaces the inventory mentions, sorted.
	Namespaces []string
}

// Build reads the RBAC objects, service accounts, workloads and token Secrets of an inventory.
func Build(inv *inventory.Inventory) *Model {
	m := &Model{roles: map[string]*Role{}, clusterRoles: map[string]*Role{},
		byUser: map[string][]subjectRef{}, byGroup: map[string][]subjectRef{}, bySA: map[string][]subjectRef{},
		ServiceAccounts: map[Subject]*inventory.Object{}}
	nsSet := map[string]bool{}
	for _, o := range inv.OfKind(rbacv1.GroupName, "ClusterRole") {
		if cr, ok := o.Object.(*rbacv1.ClusterRole); ok {
			m.clusterRoles[o.Name] = &Role{Kind: "ClusterRole", Name: o.Name, Rules: cr.Rules, Object: o,
				aggregation: cr.AggregationRule, labels: cr.Labels}
		}
	}
	for _, cr := range BuiltinClusterRoles() {
		if _, ok := m.clusterRoles[cr.Name]; !ok {
			m.clusterRoles[cr.Name] = &Role{Kind: "ClusterRole", Name: cr.Name, Rules: cr.Rules, BuiltIn: true,
				aggregation: cr.AggregationRule, labels: cr.Labels}
		}
	}
	for _, o := range inv.OfKind(rbacv1.GroupName, "Role") {
		if r, ok := o.Object.(*rbacv1.Role); ok {
			m.roles[o.Namespace+"/"+o.Name] = &Role{Kind: "Role", Namespace: o.Namespace, Name: o.Name, Rules: r.Rules, Object: o}
			nsSet[o.Namespace] = true
		}
	}
	m.aggregate()

	for _, o := range inv.OfKind(rbacv1.GroupName, "ClusterRoleBinding") {
		if b, ok := o.Object.(*rbacv1.ClusterRoleBinding); ok {
			m.addBinding(&Binding{Kind: "ClusterRoleBinding", Name: o.Name, RoleRef: b.RoleRef, Subjects: b.Subjects, Object: o})
		}
	}
	for _, o := range inv.OfKind(rbacv1.GroupName, "RoleBinding") {
		if b, ok := o.Object.(*rbacv1.RoleBinding); ok {
			m.addBinding(&Binding{Kind: "RoleBinding", Namespace: o.Namespace, Name: o.Name, RoleRef: b.RoleRef, Subjects: b.Subjects, Object: o})
			nsSet[o.Namespace] = true
		}
	}
	sort.SliceStable(m.Bindings, func(i, j int) bool {
		a, b := m.Bindings[i], m.Bindings[j]
		if a.ClusterWide() != b.ClusterWide() {
			return a.ClusterWide()
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	for i, b := range m.Bindings {
		b.index = i
		for si, s := range b.Subjects {
			ref := subjectRef{b, si}
			switch s.Kind {
			case rbacv1.UserKind:
				m.byUser[s.Name] = append(m.byUser[s.Name], ref)
			case rbacv1.GroupKind:
				m.byGroup[s.Name] = append(m.byGroup[s.Name], ref)
			case rbacv1.ServiceAccountKind:
				if rs, ok := ResolveSubject(s, b.Namespace); ok {
					m.bySA[rs.Namespace+"/"+rs.Name] = append(m.bySA[rs.Namespace+"/"+rs.Name], ref)
				}
			}
		}
	}

	for _, o := range inv.OfKind("", "ServiceAccount") {
		m.ServiceAccounts[Subject{Kind: ServiceAccount, Namespace: o.Namespace, Name: o.Name}] = o
		nsSet[o.Namespace] = true
	}
	for _, o := range inv.Objects() {
		if o.Kind == "PodTemplate" || podspec.OwnedByWorkload(o) {
			continue
		}
		t, ok := podspec.Of(o)
		if !ok {
			continue
		}
		name := t.Spec.ServiceAccountName
		if name == "" {
			name = t.Spec.DeprecatedServiceAccount
		}
		if name == "" {
			name = "default"
		}
		sa := Subject{Kind: ServiceAccount, Namespace: o.Namespace, Name: name}
		mounts := true
		if t.Spec.AutomountServiceAccountToken != nil {
			mounts = *t.Spec.AutomountServiceAccountToken
		} else if so, ok := m.ServiceAccounts[sa]; ok {
			if s, ok := so.Object.(*corev1.ServiceAccount); ok && s.AutomountServiceAccountToken != nil {
				mounts = *s.AutomountServiceAccountToken
			}
		}
		m.Workloads = append(m.Workloads, Workload{Object: o, ServiceAccount: sa, MountsToken: mounts, Path: t.SpecPath})
		nsSet[o.Namespace] = true
	}
	for _, o := range inv.OfKind("", "Secret") {
		s, ok := o.Object.(*corev1.Secret)
		if !ok || s.Type != corev1.SecretTypeServiceAccountToken {
			continue
		}
		if o.Labels()["kubernetes.io/legacy-token-invalid-since"] != "" {
			continue
		}
		if name := o.Annotations()[corev1.ServiceAccountNameKey]; name != "" {
			m.TokenSecrets = append(m.TokenSecrets, TokenSecret{Object: o, ServiceAccount: Subject{Kind: ServiceAccount, Namespace: o.Namespace, Name: name}})
		}
	}
	for _, o := range inv.OfKind("", "Namespace") {
		nsSet[o.Name] = true
	}
	delete(nsSet, "")
	for ns := range nsSet {
		m.Namespaces = append(m.Namespaces, ns)
	}
	sort.Strings(m.Namespaces)
	return m
}

func (m *Model) addBinding(b *Binding) {
	switch b.RoleRef.Kind {
	case "ClusterRole":
		b.Role = m.clusterRoles[b.RoleRef.Name]
	case "Role":
		if !b.ClusterWide() { // a ClusterRoleBinding cannot reference a Role
			b.Role = m.roles[b.Namespace+"/"+b.RoleRef.Name]
		}
	}
	m.Bindings = append(m.Bindings, b)
}

// aggregate fills the rules of aggregated ClusterRoles the way the clusterrole-aggregation
// controller does: the union (without duplicates) of the rules of every other ClusterRole that a
// selector matches, in selector order and then by name. Aggregated roles may select aggregated
// roles, so it repeats until nothing changes (the controller converges the same way).
func (m *Model) aggregate() {
	var aggregated []*Role
	for _, r := range m.clusterRoles {
		if r.aggregation != nil {
			aggregated = append(aggregated, r)
		}
	}
	if len(aggregated) == 0 {
		return
	}
	sort.Slice(aggregated, func(i, j int) bool { return aggregated[i].Name < aggregated[j].Name })
	names := make([]string, 0, len(m.clusterRoles))
	for n := range m.clusterRoles {
		names = append(names, n)
	}
	sort.Strings(names)
	selectors := make(map[*Role][]labels.Selector, len(aggregated))
	for _, r := range aggregated {
		for i := range r.aggregation.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&r.aggregation.ClusterRoleSelectors[i])
			if err != nil {
				continue // the API server rejects invalid selectors; such a selector selects nothing
			}
			selectors[r] = append(selectors[r], sel)
		}
	}
	for round := 0; round <= len(aggregated); round++ {
		changed := false
		for _, r := range aggregated {
			var rules []rbacv1.PolicyRule
			var from []string
			seenRule, seenRole := map[string]bool{}, map[string]bool{}
			for _, sel := range selectors[r] {
				for _, n := range names {
					src := m.clusterRoles[n]
					if n == r.Name || !sel.Matches(labels.Set(src.labels)) {
						continue
					}
					if !seenRole[n] {
						seenRole[n] = true
						from = append(from, n)
					}
					for _, rule := range src.Rules {
						if k := ruleKey(&rule); !seenRule[k] {
							seenRule[k] = true
							rules = append(rules, rule)
						}
					}
				}
			}
			if from == nil {
				from = []string{}
			}
			if !equality.Semantic.DeepEqual(rules, r.Rules) {
				changed = true
			}
			r.Rules, r.AggregatedFrom = rules, from
		}
		if !changed {
			return
		}
	}
}

// ruleKey identifies a rule for deduplication the way the aggregation controller compares rules
// (semantic equality: an empty list equals a missing one). A map of keys keeps aggregation linear
// in the number of rules, even for a selector that matches every ClusterRole.
func ruleKey(r *rbacv1.PolicyRule) string {
	var b strings.Builder
	for _, list := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		for _, v := range list {
			b.WriteString(strconv.Itoa(len(v))) // length-prefixed: no value can fake a separator
			b.WriteByte(':')
			b.WriteString(v)
		}
		b.WriteByte('|')
	}
	return b.String()
}

// ClusterRole returns a ClusterRole by name.
func (m *Model) ClusterRole(name string) *Role { return m.clusterRoles[name] }

// Role returns a namespaced Role.
func (m *Model) Role(namespace, name string) *Role { return m.roles[namespace+"/"+name] }

// candidates returns the binding subjects that name the identity, in binding order.
func (m *Model) candidates(id Identity) []subjectRef {
	var refs []subjectRef
	refs = append(refs, m.byUser[id.User]...)
	if ns, name, ok := SplitServiceAccountUser(id.User); ok {
		refs = append(refs, m.bySA[ns+"/"+name]...)
	}
	for _, g := range id.Groups {
		refs = append(refs, m.byGroup[g]...)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].b.index != refs[j].b.index {
			return refs[i].b.index < refs[j].b.index
		}
		return refs[i].i < refs[j].i
	})
	return refs
}

// Allows reports whether the identity may make the request, and the first grant (in binding
// order) that allows it. Like the RBAC authorizer, ClusterRoleBindings apply to every request and
// RoleBindings only to requests in their namespace.
func (m *Model) Allows(id Identity, r Request) (Grant, bool) {
	for _, ref := range m.candidates(id) {
		b := ref.b
		if b.Role == nil || !(b.ClusterWide() || (r.Namespace != "" && b.Namespace == r.Namespace && !r.NonResource())) {
			continue
		}
		if !appliesTo(id, b.Subjects[ref.i], b.Namespace) {
			continue
		}
		for i := range b.Role.Rules {
			if RuleAllows(&b.Role.Rules[i], r) {
				s, _ := ResolveSubject(b.Subjects[ref.i], b.Namespace)
				return Grant{Binding: b, SubjectIndex: ref.i, Subject: s, RuleIndex: i}, true
			}
		}
	}
	return Grant{}, false
}

// GrantsTo returns every rule granted to the identity, in binding order.
func (m *Model) GrantsTo(id Identity) []Grant {
	var out []Grant
	seen := map[*Binding]bool{}
	for _, ref := range m.candidates(id) {
		b := ref.b
		if b.Role == nil || seen[b] || !appliesTo(id, b.Subjects[ref.i], b.Namespace) {
			continue
		}
		seen[b] = true // a binding naming the identity twice grants its rules once
		s, _ := ResolveSubject(b.Subjects[ref.i], b.Namespace)
		for i := range b.Role.Rules {
			out = append(out, Grant{Binding: b, SubjectIndex: ref.i, Subject: s, RuleIndex: i})
		}
	}
	return out
}

// WhoCan returns the grants that allow the request, one per binding subject (the first matching
// rule of the binding's role), in binding order. Subjects are as the bindings name them: a group
// stands for its members.
func (m *Model) WhoCan(r Request) []Grant {
	var out []Grant
	for _, b := range m.Bindings {
		if b.Role == nil || !(b.ClusterWide() || (r.Namespace != "" && b.Namespace == r.Namespace && !r.NonResource())) {
			continue
		}
		rule := -1
		for i := range b.Role.Rules {
			if RuleAllows(&b.Role.Rules[i], r) {
				rule = i
				break
			}
		}
		if rule < 0 {
			continue
		}
		for si, s := range b.Subjects {
			if rs, ok := ResolveSubject(s, b.Namespace); ok {
				out = append(out, Grant{Binding: b, SubjectIndex: si, Subject: rs, RuleIndex: rule})
			}
		}
	}
	return out
}

// Subjects returns every subject some binding names and every service account in the inventory,
// sorted by kind and name.
func (m *Model) Subjects() []Subject {
	set := map[Subject]bool{}
	for _, b := range m.Bindings {
		for _, s := range b.Subjects {
			if rs, ok := ResolveSubject(s, b.Namespace); ok {
				set[rs] = true
			}
		}
	}
	for s := range m.ServiceAccounts {
		set[s] = true
	}
	out := make([]Subject, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	SortSubjects(out)
	return out
}

// SortSubjects sorts subjects by kind (User, Group, ServiceAccount), namespace and name.
func SortSubjects(s []Subject) {
	order := map[string]int{User: 0, Group: 1, ServiceAccount: 2}
	sort.Slice(s, func(i, j int) bool {
		if s[i].Kind != s[j].Kind {
			return order[s[i].Kind] < order[s[j].Kind]
		}
		if s[i].Namespace != s[j].Namespace {
			return s[i].Namespace < s[j].Namespace
		}
		return s[i].Name < s[j].Name
	})
}
