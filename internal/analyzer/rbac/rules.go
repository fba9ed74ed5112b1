package rbac

import (
	"strconv"
	"strings"

	rbacmodel "github.com/kube4c/kube4c/internal/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
)

// A target is one resource (or subresource) a check looks for in rules.
type target struct {
	group, resource, sub string
	// clusterScoped resources are granted only by ClusterRoleBindings: a RoleBinding's grant applies
	// to requests in its namespace, which never reach cluster-scoped objects.
	clusterScoped bool
	// ownNamespace marks the namespaces resource: a request on namespace N is a request in N, so a
	// RoleBinding in N grants it for its own Namespace object.
	ownNamespace bool
	// anySub matches every subresource of the resource (userextras/<key>).
	anySub bool
	// bindOnly: in a RoleBinding the target counts only for the bind verb (binding a ClusterRole
	// in the namespace is a namespaced request; escalating a ClusterRole is not).
	bindOnly bool
}

func (t target) String() string {
	s := t.resource
	switch {
	case t.anySub:
		s += "/*"
	case t.sub != "":
		s += "/" + t.sub
	}
	if t.group != "" {
		s += "." + t.group
	}
	return s
}

// A check is a grant-based control: which verbs on which targets fail it.
type check struct {
	id      string
	verbs   []string
	targets []target
	// namesNarrow: a rule limited by resourceNames does not count (it reaches only named objects).
	namesNarrow bool
	// kubeSystemOnly: RoleBindings count only in kube-system.
	kubeSystemOnly bool
	// phrase says what the subject can do, given the matched verbs and targets.
	phrase func(verbs []string, targets []target) string
	// fix is the remediation appended to messages.
	fix string
}

const (
	groupCore      = ""
	groupApps      = "apps"
	groupBatch     = "batch"
	groupCerts     = "certificates.k8s.io"
	groupAuthn     = "authentication.k8s.io"
	groupAdmission = "admissionregistration.k8s.io"
	groupEvents    = "events.k8s.io"
)

var (
	readVerbs   = []string{"get", "list", "watch"}
	changeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
)

func simple(s string) func([]string, []target) string {
	return func([]string, []target) string { return s }
}

// checks are the grant-based controls, in the order findings are recorded.
var checks = []*check{
	{id: CtlSecretsRead, verbs: readVerbs, namesNarrow: true, kubeSystemOnly: true,
		targets: []target{{resource: "secrets"}},
		phrase: func(verbs []string, _ []target) string {
			return "can read secrets (" + strings.Join(verbs, ", ") + ")"
		},
		fix: "grant Secret access per namespace with RoleBindings, limited with resourceNames where possible"},
	{id: CtlCreateToken, verbs: []string{"create"},
		targets: []target{{resource: "serviceaccounts", sub: "token"}},
		phrase:  simple("can create tokens for service accounts (serviceaccounts/token)"),
		fix:     "remove create on serviceaccounts/token or limit it with resourceNames to the service accounts it must serve"},
	{id: CtlEscalateBind, verbs: []string{"escalate", "bind"},
		targets: []target{{group: rbacv1.GroupName, resource: "roles"}, {group: rbacv1.GroupName, resource: "clusterroles", bindOnly: true}},
		phrase: func(verbs []string, _ []target) string {
			return "can " + strings.Join(verbs, " and ") + " roles (and so grant permissions it does not hold)"
		},
		fix: "remove escalate and bind, or limit bind with resourceNames to the roles it may hand out"},
	{id: CtlImpersonate, verbs: []string{"impersonate"},
		targets: []target{{resource: "users", clusterScoped: true}, {resource: "groups", clusterScoped: true},
			{resource: "serviceaccounts"}, {group: groupAuthn, resource: "uids", clusterScoped: true},
			{group: groupAuthn, resource: "userextras", anySub: true, clusterScoped: true}},
		phrase: func(_ []string, ts []target) string {
			return "can impersonate " + targetNames(ts)
		},
		fix: "remove impersonate or limit it with resourceNames to the identities it must act as"},
	{id: CtlCreatePods, verbs: []string{"create"},
		targets: []target{{resource: "pods"}, {group: groupApps, resource: "deployments"}, {group: groupApps, resource: "replicasets"},
			{group: groupApps, resource: "statefulsets"}, {group: groupApps, resource: "daemonsets"}, {group: groupBatch, resource: "jobs"},
			{group: groupBatch, resource: "cronjobs"}, {resource: "replicationcontrollers"}},
		phrase: func(_ []string, ts []target) string {
			return "can create " + targetNames(ts)
		},
		fix: "grant pod and workload creation per namespace, to deployment pipelines, away from powerful service accounts"},
	{id: CtlPodsExec, verbs: []string{"create", "get"},
		targets: []target{{resource: "pods", sub: "exec"}, {resource: "pods", sub: "attach"}, {resource: "pods", sub: "portforward"}},
		phrase: func(verbs []string, ts []target) string {
			return "can use " + targetNames(ts) + " (" + strings.Join(verbs, ", ") + ")"
		},
		fix: "grant exec, attach and port-forward only for time-limited debugging"},
	{id: CtlNodesProxy, verbs: []string{"get", "create", "update", "patch", "delete"},
		targets: []target{{resource: "nodes", sub: "proxy", clusterScoped: true}},
		phrase: func(verbs []string, _ []target) string {
			return "can reach the kubelet API of every node through nodes/proxy (" + strings.Join(verbs, ", ") + ")"
		},
		fix: "grant nodes/metrics or nodes/stats instead"},
	{id: CtlModifyNodesNamespaces, verbs: []string{"update", "patch"},
		targets: []target{{resource: "nodes", clusterScoped: true}, {resource: "namespaces", clusterScoped: true, ownNamespace: true}},
		phrase: func(verbs []string, ts []target) string {
			return "can " + strings.Join(verbs, " and ") + " " + targetNames(ts)
		},
		fix: "leave node and namespace changes to cluster administrators"},
	{id: CtlCreatePV, verbs: []string{"create"},
		targets: []target{{resource: "persistentvolumes", clusterScoped: true}},
		phrase:  simple("can create PersistentVolumes (hostPath volumes included)"),
		fix:     "leave PersistentVolume creation to storage provisioners"},
	{id: CtlWebhookConfig, verbs: changeVerbs,
		targets: []target{{group: groupAdmission, resource: "mutatingwebhookconfigurations", clusterScoped: true},
			{group: groupAdmission, resource: "validatingwebhookconfigurations", clusterScoped: true},
			{group: groupAdmission, resource: "validatingadmissionpolicies", clusterScoped: true},
			{group: groupAdmission, resource: "validatingadmissionpolicybindings", clusterScoped: true},
			{group: groupAdmission, resource: "mutatingadmissionpolicies", clusterScoped: true},
			{group: groupAdmission, resource: "mutatingadmissionpolicybindings", clusterScoped: true}},
		phrase: func(verbs []string, ts []target) string {
			return "can " + strings.Join(verbs, ", ") + " " + targetNames(ts)
		},
		fix: "leave admission configuration to cluster administrators"},
	{id: CtlDeleteEvents, verbs: []string{"delete", "deletecollection"},
		targets: []target{{resource: "events"}, {group: groupEvents, resource: "events"}},
		phrase: func(verbs []string, ts []target) string {
			return "can " + strings.Join(verbs, " and ") + " " + targetNames(ts)
		},
		fix: "remove delete and deletecollection on events"},
}

// The two halves of CSR approval (cluster/rbac-approve-csr), both cluster-scoped.
var (
	csrApproval = &check{id: CtlApproveCSR, verbs: []string{"update", "patch"},
		targets: []target{{group: groupCerts, resource: "certificatesigningrequests", sub: "approval", clusterScoped: true}}}
	csrSigners = &check{id: CtlApproveCSR, verbs: []string{"approve"},
		targets: []target{{group: groupCerts, resource: "signers", clusterScoped: true}}}
)

// kubernetesSignerPrefix is the prefix of the signers the cluster's own CA serves
// (kubernetes.io/kube-apiserver-client, kubernetes.io/kubelet-serving, ...).
const kubernetesSignerPrefix = "kubernetes.io/"

func targetNames(ts []target) string {
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}

// A hit is one rule of a role that matches a check.
type hit struct {
	rule    int      // index in Role.Rules
	verbs   []string // the check's verbs the rule grants, in the check's order
	targets []target // the check's targets the rule grants
	names   []string // resourceNames (nil: every object)
	// wildcard: the rule grants them through "*" (verbs, groups or resources).
	wildcard bool
}

// match reports the hit of a rule for a check, if any.
func (c *check) match(rule *rbacv1.PolicyRule, index int) (hit, bool) {
	if len(rule.Resources) == 0 || !anyVerb(rule.Verbs, c.verbs) {
		return hit{}, false
	}
	h := hit{rule: index}
	verbSeen := make([]bool, len(c.verbs))
	for _, t := range c.targets {
		matched := false
		for vi, v := range c.verbs {
			ok, names := grants(rule, v, t)
			if !ok {
				continue
			}
			matched = true
			verbSeen[vi] = true
			h.names = names
		}
		if matched {
			h.targets = append(h.targets, t)
		}
	}
	if len(h.targets) == 0 {
		return hit{}, false
	}
	for vi, v := range c.verbs {
		if verbSeen[vi] {
			h.verbs = append(h.verbs, v)
		}
	}
	h.wildcard = hasStar(rule.Verbs) || hasStar(rule.APIGroups) || hasStarResource(rule.Resources)
	return h, true
}

// grants asks the model's rule matching whether the rule grants verb on the target. anySub
// targets match any subresource, including the literal "userextras/*".
func grants(rule *rbacv1.PolicyRule, verb string, t target) (bool, []string) {
	if !t.anySub {
		ok, names := rbacmodel.Grants(rule, verb, t.group, t.resource, t.sub)
		if ok && names != nil && t.sub == "" && (verb == "create" || verb == "deletecollection") {
			return false, nil // such requests name no object: resourceNames never match them
		}
		return ok, names
	}
	if ok, names := rbacmodel.Grants(rule, verb, t.group, t.resource, "*"); ok {
		return true, names
	}
	for _, r := range rule.Resources {
		if strings.HasPrefix(r, t.resource+"/") {
			if ok, names := rbacmodel.Grants(rule, verb, t.group, t.resource, r[len(t.resource)+1:]); ok {
				return true, names
			}
		}
	}
	return false, nil
}

func anyVerb(ruleVerbs, want []string) bool {
	for _, v := range ruleVerbs {
		if v == "*" {
			return true
		}
		for _, w := range want {
			if v == w {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasStar(list []string) bool {
	for _, v := range list {
		if v == "*" {
			return true
		}
	}
	return false
}

func hasStarResource(list []string) bool {
	for _, v := range list {
		if strings.Contains(v, "*") {
			return true
		}
	}
	return false
}

// isClusterAdminRule reports whether a rule grants every verb on every resource of every group,
// for every object.
func isClusterAdminRule(r *rbacv1.PolicyRule) bool {
	return hasStar(r.Verbs) && hasStar(r.APIGroups) && hasStar(r.Resources) && len(r.ResourceNames) == 0
}

// isWildcardRule reports whether a resource rule has "*" in its verbs or resources.
func isWildcardRule(r *rbacv1.PolicyRule) bool {
	return len(r.Resources) > 0 && (hasStar(r.Verbs) || hasStarResource(r.Resources))
}

// profile is what a role grants, per control, independent of where it is bound.
type profile struct {
	hits         [][]hit // per checks index
	approval     []hit   // CSR approval half
	signers      []hit   // CSR signers half, dangerous signers only
	clusterAdmin []int   // rule indexes
	wildcard     []int
}

func newProfile(role *rbacmodel.Role) *profile {
	p := &profile{hits: make([][]hit, len(checks))}
	for i := range role.Rules {
		r := &role.Rules[i]
		if len(r.Resources) == 0 {
			continue // non-resource rules: no control here reads them
		}
		for ci, c := range checks {
			if h, ok := c.match(r, i); ok {
				p.hits[ci] = append(p.hits[ci], h)
			}
		}
		if h, ok := csrApproval.match(r, i); ok {
			p.approval = append(p.approval, h)
		}
		if h, ok := csrSigners.match(r, i); ok && dangerousSigners(h.names) {
			p.signers = append(p.signers, h)
		}
		if isClusterAdminRule(r) {
			p.clusterAdmin = append(p.clusterAdmin, i)
		}
		if isWildcardRule(r) {
			p.wildcard = append(p.wildcard, i)
		}
	}
	return p
}

// dangerousSigners reports whether approve on signers limited to names (nil: every signer)
// reaches a signer of the cluster's own CA.
func dangerousSigners(names []string) bool {
	if names == nil {
		return true
	}
	for _, n := range names {
		if strings.HasPrefix(n, kubernetesSignerPrefix) {
			return true
		}
	}
	return false
}

// inScope filters a hit for a binding: the targets the binding really grants, or false.
func (c *check) inScope(h hit, b *rbacmodel.Binding) (hit, bool) {
	if c.namesNarrow && h.names != nil {
		return hit{}, false
	}
	if b.ClusterWide() {
		return h, true
	}
	if c.kubeSystemOnly && b.Namespace != kubeSystem {
		return hit{}, false
	}
	var ts []target
	for _, t := range h.targets {
		if t.bindOnly && !contains(h.verbs, "bind") {
			continue
		}
		if !t.clusterScoped || t.ownNamespace {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return hit{}, false
	}
	h.targets = ts
	return h, true
}

// describe renders a hit for messages: "rule 2: get, list secrets (only app-config)".
func describe(role *rbacmodel.Role, h hit) string {
	var b strings.Builder
	if role.AggregatedFrom != nil {
		b.WriteString("aggregated ")
	}
	b.WriteString("rule ")
	b.WriteString(strconv.Itoa(h.rule + 1))
	b.WriteString(": ")
	b.WriteString(strings.Join(h.verbs, ","))
	b.WriteString(" ")
	b.WriteString(targetNames(h.targets))
	if h.wildcard {
		b.WriteString(" through \"*\"")
	}
	if h.names != nil {
		b.WriteString(" (only " + strings.Join(h.names, ", ") + ")")
	}
	return b.String()
}

// describeRule renders a whole rule: "rule 1: * *.*".
func describeRule(role *rbacmodel.Role, i int) string {
	r := &role.Rules[i]
	var b strings.Builder
	if role.AggregatedFrom != nil {
		b.WriteString("aggregated ")
	}
	b.WriteString("rule ")
	b.WriteString(strconv.Itoa(i + 1))
	b.WriteString(": ")
	b.WriteString(strings.Join(r.Verbs, ","))
	b.WriteString(" ")
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			if g == "" {
				res = append(res, x)
			} else {
				res = append(res, x+"."+g)
			}
		}
	}
	if len(res) > 6 {
		res = append(res[:6], "…")
	}
	b.WriteString(strings.Join(res, ", "))
	if len(r.ResourceNames) > 0 {
		b.WriteString(" (only " + strings.Join(r.ResourceNames, ", ") + ")")
	}
	return b.String()
}
