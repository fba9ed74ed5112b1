// Package rbac analyzes what Kubernetes RBAC grants: for every subject of every RoleBinding and
// ClusterRoleBinding, the effective permissions of the role it is bound to (internal/rbac), judged
// against risk controls (cluster-admin, reading Secrets, creating pods, escalate/bind,
// impersonation, token creation, nodes/proxy, CSR approval, admission configuration, exec,
// modifying nodes or namespaces, deleting events, wildcards, default service accounts), and the
// privilege-escalation paths those permissions open to workloads and subjects. Grants meant for
// platform components are exempt. See docs/rbac.md.
package rbac

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	rbacmodel "github.com/kube4c/kube4c/internal/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Control IDs owned by this analyzer.
const (
	CtlClusterAdmin          = "cluster/rbac-cluster-admin"
	CtlWildcard              = "cluster/rbac-wildcard"
	CtlSecretsRead           = "cluster/rbac-secrets-read"
	CtlCreateToken           = "cluster/rbac-create-token"
	CtlApproveCSR            = "cluster/rbac-approve-csr"
	CtlEscalateBind          = "cluster/rbac-escalate-bind"
	CtlImpersonate           = "cluster/rbac-impersonate"
	CtlDefaultSA             = "cluster/rbac-default-sa-bound"
	CtlCreatePods            = "cluster/rbac-create-pods"
	CtlPodsExec              = "cluster/rbac-pods-exec"
	CtlNodesProxy            = "cluster/rbac-nodes-proxy"
	CtlModifyNodesNamespaces = "cluster/rbac-modify-nodes-namespaces"
	CtlCreatePV              = "cluster/rbac-create-persistentvolumes"
	CtlWebhookConfig         = "cluster/rbac-webhook-config"
	CtlDeleteEvents          = "cluster/rbac-delete-events"
	CtlWorkloadAdminSA       = "cluster/rbac-workload-admin-sa"
	CtlEscalationPath        = "cluster/rbac-escalation-path"
)

const kubeSystem = "kube-system"

// bindingControls are evaluated for every RoleBinding and ClusterRoleBinding.
var bindingControls = func() []string {
	ids := []string{CtlClusterAdmin, CtlWildcard, CtlApproveCSR, CtlDefaultSA, CtlEscalationPath}
	for _, c := range checks {
		ids = append(ids, c.id)
	}
	return ids
}()

type rbacAnalyzer struct{}

// New returns the rbac analyzer.
func New() analyzer.Analyzer { return rbacAnalyzer{} }

func (rbacAnalyzer) Name() string { return "rbac" }

func (rbacAnalyzer) Controls() []string {
	ids := append([]string{CtlWorkloadAdminSA}, bindingControls...)
	sort.Strings(ids)
	return ids
}

// rbacKinds are the kinds every control reads.
var rbacKinds = []schema.GroupKind{
	{Group: rbacv1.GroupName, Kind: "Role"}, {Group: rbacv1.GroupName, Kind: "ClusterRole"},
	{Group: rbacv1.GroupName, Kind: "RoleBinding"}, {Group: rbacv1.GroupName, Kind: "ClusterRoleBinding"},
}

// Needs maps each control to the kinds it reads: the grant controls read roles and bindings; the
// path controls also read workloads (pods run as service accounts), ServiceAccounts (whether
// they mount tokens) and Secrets (legacy token Secrets are a step of a path).
func (rbacAnalyzer) Needs() map[string][]schema.GroupKind {
	paths := append(append(append([]schema.GroupKind{}, rbacKinds...), analyzer.WorkloadKinds...),
		schema.GroupKind{Kind: "ServiceAccount"}, schema.GroupKind{Kind: "Secret"})
	out := map[string][]schema.GroupKind{}
	for _, id := range bindingControls {
		out[id] = rbacKinds
	}
	out[CtlWorkloadAdminSA] = paths
	out[CtlEscalationPath] = paths
	return out
}

// run holds one analysis.
type run struct {
	m        *rbacmodel.Model
	rec      analyzer.Recorder
	profiles map[*rbacmodel.Role]*profile
	// csr lists the binding subjects that hold one half of CSR approval.
	csr []bindingSubject
}

type bindingSubject struct {
	b *rbacmodel.Binding
	i int
	s rbacmodel.Subject
}

func (rbacAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, cfg *analyzer.Config, rec analyzer.Recorder) error {
	m := rbacmodel.Build(inv)
	r := &run{m: m, rec: rec, profiles: map[*rbacmodel.Role]*profile{}}
	if err := r.bindings(ctx); err != nil {
		return err
	}
	r.approveCSR()
	depth := 0
	if cfg != nil {
		depth = cfg.RBACPathDepth
	}
	return r.paths(ctx, depth)
}

func (r *run) profile(role *rbacmodel.Role) *profile {
	p := r.profiles[role]
	if p == nil {
		p = newProfile(role)
		r.profiles[role] = p
	}
	return p
}

// coveredElsewhere reports subjects whose bindings clusterconfig already reports whatever they
// grant (cluster/binding-to-anonymous, cluster/binding-to-all-authenticated).
func coveredElsewhere(s rbacmodel.Subject) bool {
	return (s.Kind == rbacmodel.User && s.Name == rbacmodel.UserAnonymous) ||
		(s.Kind == rbacmodel.Group && (s.Name == rbacmodel.GroupUnauthenticated || s.Name == rbacmodel.GroupAuthenticated))
}

// systemGrant reports whether a binding's subject is a platform component the grant is meant for.
func systemGrant(b *rbacmodel.Binding, s rbacmodel.Subject) bool {
	return rbacmodel.IsSystemGrant(b, s)
}

// subjectsOf resolves a binding's subjects, each once (at its first index).
func subjectsOf(b *rbacmodel.Binding) []bindingSubject {
	out := make([]bindingSubject, 0, len(b.Subjects))
	for i, s := range b.Subjects {
		rs, ok := rbacmodel.ResolveSubject(s, b.Namespace)
		if !ok {
			continue
		}
		dup := false
		for _, x := range out {
			dup = dup || x.s == rs
		}
		if !dup {
			out = append(out, bindingSubject{b, i, rs})
		}
	}
	return out
}

// fail records a finding on a binding's subject.
func (r *run) fail(id string, bs bindingSubject, msg string) {
	r.rec.Fail(finding.New(id, bs.b.Object, inventory.Path("subjects", bs.i), msg))
}

// maxRules is how many matching rules a message quotes.
const maxRules = 3

func joinRules(parts []string) string {
	if len(parts) > maxRules {
		parts = append(parts[:maxRules:maxRules], fmt.Sprintf("and %d more rules", len(parts)-maxRules))
	}
	return strings.Join(parts, "; ")
}

func (r *run) bindings(ctx context.Context) error {
	for n, b := range r.m.Bindings {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if b.Object == nil {
			continue
		}
		for _, id := range bindingControls {
			r.rec.Evaluated(id, b.Object)
		}
		var p *profile
		if b.Role != nil {
			p = r.profile(b.Role)
		}
		for _, bs := range subjectsOf(b) {
			s := bs.s
			if s.Kind == rbacmodel.Group && s.Name == rbacmodel.GroupMasters && !rbacmodel.IsBootstrap(b.Object) {
				r.fail(CtlClusterAdmin, bs, fmt.Sprintf(
					"%s binds Group system:masters to %s: members of system:masters bypass RBAC (the API server authorizes every request of theirs before RBAC is asked), so this binding adds nothing and suggests system:masters credentials are in use, which no binding can revoke; issue credentials for ordinary groups and bind roles to those",
					b.Ref(), b.RoleRefString()))
				continue
			}
			if p == nil || coveredElsewhere(s) || systemGrant(b, s) {
				continue
			}
			r.judge(bs, p)
		}
	}
	return nil
}

// judge evaluates one non-system subject of a binding against the grant controls.
func (r *run) judge(bs bindingSubject, p *profile) {
	b, s := bs.b, bs.s
	role := b.Role
	admin := false
	if b.ClusterWide() && len(p.clusterAdmin) > 0 {
		admin = true
		parts := make([]string, len(p.clusterAdmin))
		for i, ri := range p.clusterAdmin {
			parts[i] = describeRule(role, ri)
		}
		r.fail(CtlClusterAdmin, bs, fmt.Sprintf(
			"%s has cluster-admin access (every verb on every resource in every namespace) through %s (%s); bind a role with only the permissions it needs, or a namespaced role with a RoleBinding",
			s, b.Evidence(), joinRules(parts)))
	}
	if s.Kind == rbacmodel.ServiceAccount && s.Name == "default" && len(role.Rules) > 0 {
		r.fail(CtlDefaultSA, bs, fmt.Sprintf(
			"%s, the ServiceAccount of every pod in namespace %s that names no other, is granted %s %s through %s (%d rules); bind the role to a dedicated ServiceAccount of the workload that needs it instead",
			s, s.Namespace, b.RoleRef.Kind+" "+b.RoleRef.Name, b.Scope(), b.Evidence(), len(role.Rules)))
	}
	if admin {
		// Every verb on every resource implies what the other grant controls look for: the
		// cluster-admin finding stands for them all.
		return
	}
	if len(p.wildcard) > 0 {
		parts := make([]string, len(p.wildcard))
		for i, ri := range p.wildcard {
			parts[i] = describeRule(role, ri)
		}
		r.fail(CtlWildcard, bs, fmt.Sprintf(
			"%s is granted wildcard verbs or resources %s through %s (%s); list the verbs and resources it needs",
			s, b.Scope(), b.Evidence(), joinRules(parts)))
	}
	for ci, c := range checks {
		hits := p.hits[ci]
		if len(hits) == 0 {
			continue
		}
		var parts []string
		var verbs []string
		var targets []target
		for _, h := range hits {
			h, ok := c.inScope(h, b)
			if !ok {
				continue
			}
			parts = append(parts, describe(role, h))
			verbs = union(verbs, h.verbs)
			targets = unionTargets(targets, h.targets)
		}
		if len(parts) == 0 {
			continue
		}
		sortLike(verbs, c.verbs)
		r.fail(c.id, bs, fmt.Sprintf("%s %s %s through %s (%s); %s",
			s, c.phrase(verbs, targets), scopePhrase(c, b, targets), b.Evidence(), joinRules(parts), c.fix))
	}
	if b.ClusterWide() && (len(p.approval) > 0 || len(p.signers) > 0) {
		r.csr = append(r.csr, bs)
	}
}

// scopePhrase says where the grant applies, with what a RoleBinding means for the check.
func scopePhrase(c *check, b *rbacmodel.Binding, targets []target) string {
	if b.ClusterWide() {
		switch c.id {
		case CtlCreatePods:
			return "in every namespace, kube-system included, and so run pods as any service account,"
		case CtlCreateToken:
			return "in every namespace"
		}
		return "cluster-wide"
	}
	switch c.id {
	case CtlCreatePods:
		return "in namespace " + b.Namespace + ", and so run pods as any service account of that namespace,"
	case CtlModifyNodesNamespaces:
		return "for its own Namespace object " + b.Namespace + " (a RoleBinding grants namespaces requests on the namespace itself, Pod Security labels included)"
	}
	return "in namespace " + b.Namespace
}

func union(a, b []string) []string {
	for _, x := range b {
		if !contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

func unionTargets(a, b []target) []target {
	for _, x := range b {
		dup := false
		for _, y := range a {
			dup = dup || x == y
		}
		if !dup {
			a = append(a, x)
		}
	}
	return a
}

// sortLike orders values as they appear in order.
func sortLike(values, order []string) {
	pos := map[string]int{}
	for i, v := range order {
		pos[v] = i
	}
	sort.SliceStable(values, func(i, j int) bool { return pos[values[i]] < pos[values[j]] })
}

// approveCSR judges CSR approval per subject: the subjects of ClusterRoleBindings that grant one
// half (update certificatesigningrequests/approval, approve signers) are judged on all of their
// grants, and fail when they hold both. The finding is on the binding that grants them a half.
func (r *run) approveCSR() {
	bySubject := map[rbacmodel.Subject][]rbacmodel.Grant{}
	for _, bs := range r.csr {
		gs, ok := bySubject[bs.s]
		if !ok {
			gs = r.m.GrantsTo(bs.s.Identity())
			bySubject[bs.s] = gs
		}
		approval, okA := csrHalf(gs, csrApproval, bs.b, false)
		signers, okS := csrHalf(gs, csrSigners, bs.b, true)
		if !okA || !okS {
			continue
		}
		names := "every signer"
		if signers.h.names != nil {
			names = strings.Join(signers.h.names, ", ")
		}
		grants := fmt.Sprintf("%s (%s) and %s (%s)", approval.g.Binding.Evidence(), describe(approval.g.Role(), approval.h),
			signers.g.Binding.Evidence(), describe(signers.g.Role(), signers.h))
		if approval.g.Binding == signers.g.Binding {
			grants = fmt.Sprintf("%s (%s; %s)", approval.g.Binding.Evidence(), describe(approval.g.Role(), approval.h), describe(signers.g.Role(), signers.h))
		}
		r.fail(CtlApproveCSR, bs, fmt.Sprintf(
			"%s can approve certificate signing requests for %s cluster-wide through %s: it can have the cluster's CA issue a client certificate for any user or group (a cluster administrator's included) that RBAC cannot revoke; leave approval to the controllers, or limit approve to custom signers with resourceNames",
			bs.s, names, grants))
	}
}

type grantHit struct {
	g rbacmodel.Grant
	h hit
}

// csrHalf finds a cluster-wide grant among gs that matches a half of CSR approval, preferring
// one of binding b.
func csrHalf(gs []rbacmodel.Grant, c *check, b *rbacmodel.Binding, signers bool) (grantHit, bool) {
	var best grantHit
	found := false
	for _, g := range gs {
		if !g.Binding.ClusterWide() {
			continue
		}
		h, ok := c.match(g.Rule(), g.RuleIndex)
		if !ok || (signers && !dangerousSigners(h.names)) {
			continue
		}
		if g.Binding == b {
			return grantHit{g, h}, true
		}
		if !found {
			best, found = grantHit{g, h}, true
		}
	}
	return best, found
}
