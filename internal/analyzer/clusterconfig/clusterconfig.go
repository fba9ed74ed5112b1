// Package clusterconfig analyzes cluster-wide configuration: the API server's Kubernetes version
// against a support table (versions.go) and what it serves to anonymous clients, both judged only
// for inventories read from a live cluster; and, from any source, bootstrap token and legacy
// service account token Secrets, RBAC bindings to anonymous or to all authenticated users, and
// default ServiceAccounts that mount their token into pods. See docs/cluster.md.
package clusterconfig

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Control IDs owned by this analyzer.
const (
	CtlVersionUnsupported = "cluster/kubernetes-version-unsupported"
	CtlVersionOutdated    = "cluster/kubernetes-version-outdated-patch"
	CtlAnonymousAccess    = "cluster/apiserver-anonymous-access"
	CtlAnonymousVersion   = "cluster/apiserver-anonymous-version"
	CtlBootstrapToken     = "cluster/bootstrap-token-secret"
	CtlLegacySAToken      = "cluster/legacy-sa-token-secret"
	CtlBindingAnonymous   = "cluster/binding-to-anonymous"
	CtlBindingAllAuthn    = "cluster/binding-to-all-authenticated"
	CtlDefaultSAAutomount = "cluster/default-sa-automount"
)

// Well-known subjects.
const (
	userAnonymous        = "system:anonymous"
	groupUnauthenticated = "system:unauthenticated"
	groupAuthenticated   = "system:authenticated"
)

const kubeSystem = "kube-system"

type clusterAnalyzer struct {
	now func() time.Time
}

// New returns the clusterconfig analyzer.
func New() analyzer.Analyzer { return clusterAnalyzer{now: time.Now} }

func (clusterAnalyzer) Name() string { return "clusterconfig" }

func (clusterAnalyzer) Controls() []string {
	ids := []string{CtlVersionUnsupported, CtlVersionOutdated, CtlAnonymousAccess, CtlAnonymousVersion, CtlBootstrapToken,
		CtlLegacySAToken, CtlBindingAnonymous, CtlBindingAllAuthn, CtlDefaultSAAutomount}
	sort.Strings(ids)
	return ids
}

// Needs maps each control to the kinds it reads. The version and anonymous-access controls read
// no kind: they use the cluster information a live-cluster source records.
func (clusterAnalyzer) Needs() map[string][]schema.GroupKind {
	secrets := []schema.GroupKind{{Kind: "Secret"}}
	bindings := []schema.GroupKind{{Group: rbacv1.GroupName, Kind: "RoleBinding"}, {Group: rbacv1.GroupName, Kind: "ClusterRoleBinding"}}
	sa := append([]schema.GroupKind{{Kind: "ServiceAccount"}}, analyzer.WorkloadKinds...)
	return map[string][]schema.GroupKind{
		CtlVersionUnsupported: nil,
		CtlVersionOutdated:    nil,
		CtlAnonymousAccess:    nil,
		CtlAnonymousVersion:   nil,
		CtlBootstrapToken:     secrets,
		CtlLegacySAToken:      secrets,
		CtlBindingAnonymous:   bindings,
		CtlBindingAllAuthn:    bindings,
		CtlDefaultSAAutomount: sa,
	}
}

func (a clusterAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, _ *analyzer.Config, rec analyzer.Recorder) error {
	now := time.Now
	if a.now != nil {
		now = a.now
	}
	steps := []func(){
		func() { clusterInfo(inv.Cluster(), now(), rec) },
		func() { secrets(inv, rec) },
		func() { bindings(inv, rec) },
		func() { defaultServiceAccounts(inv, rec) },
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		step()
	}
	return nil
}

// --- live cluster: version and anonymous access ---

// clusterObject is the synthetic object findings and passes about the cluster itself are
// recorded on: one per scan, so a recorder sees consistent pairs. It is never in the inventory.
func clusterObject(ci *inventory.ClusterInfo) *inventory.Object {
	name := ci.Context
	if name == "" {
		name = ci.Server
	}
	if name == "" {
		name = "cluster"
	}
	return &inventory.Object{APIVersion: "v1", Kind: "Cluster", Name: name,
		Source: inventory.Source{Origin: inventory.FromCluster, Context: ci.Context}}
}

func clusterInfo(ci *inventory.ClusterInfo, now time.Time, rec analyzer.Recorder) {
	if ci == nil {
		return // not a live cluster: these controls are not evaluated at all
	}
	o := clusterObject(ci)
	judgeVersion(ci, o, now, rec)
	judgeAnonymous(ci, o, rec)
}

func judgeVersion(ci *inventory.ClusterInfo, o *inventory.Object, now time.Time, rec analyzer.Recorder) {
	if strings.TrimSpace(ci.Version) == "" {
		return // the version could not be read: nothing to judge
	}
	v, err := ParseVersion(strings.TrimSpace(ci.Version))
	if err != nil {
		return
	}
	verdict := Judge(v, now)
	msg := verdict.Message
	if gv := strings.TrimSpace(ci.Version); gv != "v"+v.String() {
		msg += fmt.Sprintf(" (gitVersion %s)", gv)
	}
	rec.Evaluated(CtlVersionUnsupported, o)
	if verdict.Unsupported {
		// An end-of-life minor must be upgraded; its patch level is moot, so the outdated-patch
		// control is not evaluated.
		rec.Fail(finding.New(CtlVersionUnsupported, o, nil, msg))
		return
	}
	rec.Evaluated(CtlVersionOutdated, o)
	if verdict.Outdated {
		rec.Fail(finding.New(CtlVersionOutdated, o, nil, msg))
	}
}

// publicInfoPaths are the paths the default ClusterRole system:public-info-viewer grants to
// system:unauthenticated: answering 200 on them to anonymous clients is the default behaviour.
var publicInfoPaths = map[string]bool{"/version": true, "/healthz": true, "/livez": true, "/readyz": true}

// statusMeaning explains an anonymous probe's HTTP status.
func statusMeaning(code int) string {
	switch {
	case code == 0:
		return "request failed"
	case code >= 200 && code < 300:
		return "allowed"
	case code == 401:
		return "anonymous authentication disabled"
	case code == 403:
		return "anonymous authentication enabled, authorization denied"
	default:
		return "unexpected status"
	}
}

func allowed(code int) bool { return code >= 200 && code < 300 }

// judgeAnonymous judges the anonymous probes: 2xx means the API server authenticated the request
// as system:anonymous and authorized it; 401 that anonymous authentication is disabled; 403 that
// it is enabled but RBAC denied the path; 0 that the request failed (not judged).
func judgeAnonymous(ci *inventory.ClusterInfo, o *inventory.Object, rec analyzer.Recorder) {
	probes := ci.AnonymousAccess
	var paths []string
	for p := range probes {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var beyond []string // non-public paths answered 2xx
	judgedBeyond := false
	for _, p := range paths {
		if publicInfoPaths[p] || probes[p] == 0 {
			continue
		}
		judgedBeyond = true
		if allowed(probes[p]) {
			beyond = append(beyond, fmt.Sprintf("%s answered %d", p, probes[p]))
		}
	}
	if judgedBeyond {
		rec.Evaluated(CtlAnonymousAccess, o)
		if len(beyond) > 0 {
			rec.Fail(finding.New(CtlAnonymousAccess, o, nil, fmt.Sprintf(
				"the API server%s serves requests without credentials beyond the public health and version endpoints (%s): anonymous authentication is enabled and RBAC grants system:anonymous or system:unauthenticated more than system:public-info-viewer; remove those bindings and set --anonymous-auth=false or restrict anonymous requests to health endpoints",
				serverName(ci), strings.Join(beyond, ", "))))
			// The version disclosure is part of this finding: not judged separately.
			return
		}
	}
	code, probed := probes["/version"]
	if !probed || code == 0 {
		return
	}
	rec.Evaluated(CtlAnonymousVersion, o)
	if allowed(code) {
		rec.Fail(finding.New(CtlAnonymousVersion, o, nil, fmt.Sprintf(
			"the API server%s answers /version to requests without credentials (status %d: %s), disclosing its exact Kubernetes version; this is the default with anonymous authentication enabled. Set --anonymous-auth=false, or restrict anonymous requests to /healthz, /livez and /readyz",
			serverName(ci), code, statusMeaning(code))))
	}
}

// serverName names the API server for messages, with a leading space (empty when unknown).
func serverName(ci *inventory.ClusterInfo) string {
	switch {
	case ci.Server != "" && ci.Context != "":
		return fmt.Sprintf(" %s (context %s)", ci.Server, ci.Context)
	case ci.Server != "":
		return " " + ci.Server
	case ci.Context != "":
		return " of context " + ci.Context
	}
	return ""
}

// --- Secrets ---

// legacyTokenInvalidSince is the label the legacy token cleaner (Kubernetes 1.29+) puts on
// unused legacy token Secrets when it invalidates them; legacyTokenLastUsed records the day the
// token was last used (1.28+).
const (
	legacyTokenInvalidSince = "kubernetes.io/legacy-token-invalid-since"
	legacyTokenLastUsed     = "kubernetes.io/legacy-token-last-used"
)

func secrets(inv *inventory.Inventory, rec analyzer.Recorder) {
	for _, o := range inv.OfKind("", "Secret") {
		s, ok := o.Object.(*corev1.Secret)
		if !ok {
			continue
		}
		rec.Evaluated(CtlBootstrapToken, o)
		// The API server reads bootstrap tokens only from kube-system; a Secret without a
		// namespace (a manifest) may be applied there.
		if s.Type == corev1.SecretTypeBootstrapToken && (o.Namespace == kubeSystem || o.Namespace == "") {
			where := "in kube-system"
			if o.Namespace == "" {
				where = "without a namespace (it authenticates once applied to kube-system)"
			}
			rec.Fail(finding.New(CtlBootstrapToken, o, inventory.Path("type"), fmt.Sprintf(
				"bootstrap token Secret %s %s lets its holder join machines to the cluster as nodes; delete it once nodes have joined (`kubeadm token delete %s`) and create short-lived tokens when adding nodes (its expiration is not visible to kube4c)",
				o.Name, where, strings.TrimPrefix(o.Name, "bootstrap-token-"))))
		}

		rec.Evaluated(CtlLegacySAToken, o)
		if s.Type != corev1.SecretTypeServiceAccountToken {
			continue
		}
		labels := o.Labels()
		if since := labels[legacyTokenInvalidSince]; since != "" {
			continue // invalidated by the legacy token cleaner: it no longer authenticates
		}
		sa := o.Annotations()[corev1.ServiceAccountNameKey]
		who := "a service account"
		if sa != "" {
			who = "ServiceAccount " + sa
		}
		used := ""
		if last := labels[legacyTokenLastUsed]; last != "" {
			used = fmt.Sprintf(" (last used %s)", last)
		}
		rec.Fail(finding.New(CtlLegacySAToken, o, inventory.Path("type"), fmt.Sprintf(
			"Secret %s holds a long-lived, never-expiring token for %s%s; use projected tokens in pods or `kubectl create token` (TokenRequest) for outside clients, then delete the Secret",
			o.Name, who, used)))
	}
}

// --- RBAC bindings ---

type subjectKey struct{ kind, name string }

// defaultBinding is a binding the cluster creates itself with subjects these controls would
// otherwise report: it is recognised by kind, namespace, name and role (a role of the same name),
// and only its default subjects are exempt.
type defaultBinding struct {
	kind, namespace, name string
	roleKind              string
	subjects              []subjectKey
}

// defaultBindings are exempt from the binding controls (see docs/cluster.md):
//   - the ClusterRoleBindings the API server's RBAC bootstrap policy creates for every cluster:
//     system:basic-user and system:discovery (Group system:authenticated) and
//     system:public-info-viewer (Groups system:authenticated and system:unauthenticated);
//   - the RoleBinding kubeadm creates in kube-public so nodes can read the cluster-info ConfigMap
//     before they have credentials: kubeadm:bootstrap-signer-clusterinfo (User system:anonymous).
//
// Clusters created before Kubernetes 1.14 bound system:discovery and system:basic-user to
// system:unauthenticated too; those subjects are not exempt (1.14 removed them from the defaults).
var defaultBindings = []defaultBinding{
	{kind: "ClusterRoleBinding", name: "system:basic-user", roleKind: "ClusterRole",
		subjects: []subjectKey{{rbacv1.GroupKind, groupAuthenticated}}},
	{kind: "ClusterRoleBinding", name: "system:discovery", roleKind: "ClusterRole",
		subjects: []subjectKey{{rbacv1.GroupKind, groupAuthenticated}}},
	{kind: "ClusterRoleBinding", name: "system:public-info-viewer", roleKind: "ClusterRole",
		subjects: []subjectKey{{rbacv1.GroupKind, groupAuthenticated}, {rbacv1.GroupKind, groupUnauthenticated}}},
	{kind: "RoleBinding", namespace: "kube-public", name: "kubeadm:bootstrap-signer-clusterinfo", roleKind: "Role",
		subjects: []subjectKey{{rbacv1.UserKind, userAnonymous}}},
}

// exempt reports whether a subject of a binding is a default one.
func exempt(kind, namespace, name string, role rbacv1.RoleRef, s subjectKey) bool {
	for _, d := range defaultBindings {
		if d.kind != kind || d.namespace != namespace || d.name != name || role.Kind != d.roleKind || role.Name != d.name {
			continue
		}
		for _, ds := range d.subjects {
			if ds == s {
				return true
			}
		}
	}
	return false
}

func bindings(inv *inventory.Inventory, rec analyzer.Recorder) {
	var objs []*inventory.Object
	objs = append(objs, inv.OfKind(rbacv1.GroupName, "ClusterRoleBinding")...)
	objs = append(objs, inv.OfKind(rbacv1.GroupName, "RoleBinding")...)
	for _, o := range objs {
		var subjects []rbacv1.Subject
		var role rbacv1.RoleRef
		switch b := o.Object.(type) {
		case *rbacv1.ClusterRoleBinding:
			subjects, role = b.Subjects, b.RoleRef
		case *rbacv1.RoleBinding:
			subjects, role = b.Subjects, b.RoleRef
		default:
			continue
		}
		rec.Evaluated(CtlBindingAnonymous, o)
		rec.Evaluated(CtlBindingAllAuthn, o)
		scope := "the cluster"
		if o.Kind == "RoleBinding" {
			scope = fmt.Sprintf("namespace %q", o.Namespace)
			if o.Namespace == "" {
				scope = "its namespace"
			}
		}
		grant := fmt.Sprintf("%s %s %s in %s", o.Kind, o.Name, roleName(role), scope)
		for i, s := range subjects {
			key := subjectKey{s.Kind, s.Name}
			var id, who string
			switch key {
			case subjectKey{rbacv1.UserKind, userAnonymous}:
				id, who = CtlBindingAnonymous, "User system:anonymous (every request without credentials)"
			case subjectKey{rbacv1.GroupKind, groupUnauthenticated}:
				id, who = CtlBindingAnonymous, "Group system:unauthenticated (every request without credentials)"
			case subjectKey{rbacv1.GroupKind, groupAuthenticated}:
				id, who = CtlBindingAllAuthn, "Group system:authenticated (every identity the API server accepts, including every pod's service account)"
			default:
				continue
			}
			if exempt(o.Kind, o.Namespace, o.Name, role, key) {
				continue
			}
			fix := "remove the subject or bind the role to the specific identities that need it"
			rec.Fail(finding.New(id, o, inventory.Path("subjects", i), fmt.Sprintf("%s to %s; %s", grant, who, fix)))
		}
	}
}

func roleName(r rbacv1.RoleRef) string {
	kind := r.Kind
	if kind == "" {
		kind = "role"
	}
	return fmt.Sprintf("grants %s %s", kind, r.Name)
}

// --- default ServiceAccounts ---

// runsPods reports whether an object makes pods run (PodTemplates only describe pods).
func runsPods(o *inventory.Object) bool {
	return o.Kind != "PodTemplate" && podspec.IsWorkload(o)
}

func defaultServiceAccounts(inv *inventory.Inventory, rec analyzer.Recorder) {
	workloads := map[string][]*inventory.Object{}
	for _, o := range inv.Objects() {
		if runsPods(o) {
			workloads[o.Namespace] = append(workloads[o.Namespace], o)
		}
	}
	// Name the objects users write first (a cluster also holds their ReplicaSets and Pods).
	for _, ws := range workloads {
		sort.SliceStable(ws, func(i, j int) bool { return !owned(ws[i]) && owned(ws[j]) })
	}
	for _, o := range inv.OfKind("", "ServiceAccount") {
		sa, ok := o.Object.(*corev1.ServiceAccount)
		if !ok || o.Name != "default" {
			continue
		}
		ws := workloads[o.Namespace]
		if len(ws) == 0 {
			continue // no pods run in the namespace: nothing mounts its token
		}
		rec.Evaluated(CtlDefaultSAAutomount, o)
		if a := sa.AutomountServiceAccountToken; a != nil && !*a {
			continue
		}
		state := "does not set automountServiceAccountToken"
		if sa.AutomountServiceAccountToken != nil {
			state = "sets automountServiceAccountToken: true"
		}
		ns := o.Namespace
		if ns == "" {
			ns = "(unset)"
		}
		rec.Fail(finding.New(CtlDefaultSAAutomount, o, inventory.Path("automountServiceAccountToken"), fmt.Sprintf(
			"the default ServiceAccount of namespace %s %s, so every pod there that names no service account gets an API token mounted (workloads in the namespace: %s); set automountServiceAccountToken: false and give workloads that call the API their own ServiceAccount",
			ns, state, inventory.Names(ws, 3))))
	}
}

// owned reports whether a controller owns the object.
func owned(o *inventory.Object) bool {
	m := o.Meta()
	if m == nil {
		return false
	}
	for _, r := range m.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller {
			return true
		}
	}
	return false
}
