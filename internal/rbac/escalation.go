package rbac

// Privilege-escalation paths: which identities a subject can become through its permissions, and
// the shortest chain of such moves that ends in cluster-admin equivalence.
//
// The search runs over subjects (users, groups, service accounts). A move from S to T is allowed by
// S's grants (GrantsTo(S.Identity())):
//
//   - create-pods: create pods, or a workload that creates pods (deployments, replicasets,
//     statefulsets, daemonsets, jobs, cronjobs, replicationcontrollers), in namespace N lets S run
//     a pod as any service account of N and use its token;
//   - create-token: create serviceaccounts/token mints a token for the service accounts it covers;
//   - read-token-secret: get (or list/watch) on a legacy token Secret reveals its token;
//   - create-token-secret: create and read secrets in N lets S create a
//     kubernetes.io/service-account-token Secret for any service account of N, which the token
//     controller fills with a token;
//   - exec: create pods/exec (or get, which API servers before 1.35 accept for exec over
//     WebSockets) lets S run commands in a workload's pods and read the token they mount;
//   - impersonate: impersonate users, groups (with a user or service account to impersonate, which
//     the API server requires) or service accounts lets S act as them.
//
// A step is terminal when its subject is cluster-admin equivalent (see AdminEquivalent).
//
// Service accounts of a namespace are those the inventory holds, those its workloads run as, those
// bindings name, those legacy token Secrets belong to and the namespace's "default".
//
// Each search reads every subject's grants at most once. AdminPath and Paths index the model's
// subjects first (tens of milliseconds on a model of 5,000 service accounts and 20,000 bindings):
// use AdminPaths for many subjects.

import (
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Techniques, the stable IDs of Step.Technique.
const (
	// Moves to another identity.
	TechniqueCreatePods        = "create-pods"
	TechniqueCreateToken       = "create-token"
	TechniqueReadTokenSecret   = "read-token-secret"
	TechniqueCreateTokenSecret = "create-token-secret"
	TechniqueExec              = "exec"
	TechniqueImpersonate       = "impersonate"
	// Terminal admin-equivalence.
	TechniqueClusterAdmin     = "cluster-admin"
	TechniqueMasters          = "masters"
	TechniqueReadAllSecrets   = "read-all-secrets"
	TechniqueBind             = "bind"
	TechniqueEscalate         = "escalate"
	TechniqueNodesProxy       = "nodes-proxy"
	TechniqueApproveCSR       = "approve-csr"
	TechniqueAdmissionWebhook = "admission-webhook"
)

// DefaultMaxDepth is the longest chain followed when PathOptions.MaxDepth is 0.
const DefaultMaxDepth = 5

// PathOptions bounds the search.
type PathOptions struct {
	// MaxDepth is the largest number of steps of a path, the final admin-equivalence step
	// included; 0 (or less) means DefaultMaxDepth.
	MaxDepth int
}

func (o PathOptions) depth() int {
	if o.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return o.MaxDepth
}

// Step is one move of an escalation chain.
type Step struct {
	From Subject
	// Technique is one of the Technique* IDs.
	Technique string
	// Grants are the grants that allow the step (none for TechniqueMasters).
	Grants []Grant
	// Via is the object the step uses when there is one: the token Secret read, the workload exec'd
	// into; nil otherwise.
	Via *inventory.Object
	// To is the identity gained; the zero Subject for a terminal step, which makes From
	// cluster-admin equivalent.
	To Subject
	// Text explains the step in one sentence, naming the bindings and roles.
	Text string
}

// Path is a chain of steps from a subject.
type Path struct {
	From  Subject
	Steps []Step
	// Admin is set when the last step makes its From cluster-admin equivalent (its To is zero).
	Admin bool
}

// String renders the path on one line: "User alice --create-pods--> ServiceAccount shop/backup
// --read-all-secrets--> cluster-admin".
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.From.String())
	for _, s := range p.Steps {
		b.WriteString(" --" + s.Technique + "--> ")
		if s.To == (Subject{}) {
			b.WriteString("cluster-admin")
		} else {
			b.WriteString(s.To.String())
		}
	}
	return b.String()
}

// AdminEquivalent reports whether the subject is cluster-admin equivalent by itself, and the
// terminal step that shows it. Checked in this order:
//
//   - masters: the subject is Group system:masters, which the API server authorizes for every
//     request without consulting RBAC;
//   - cluster-admin: every verb on every resource of every API group, cluster-wide;
//   - read-all-secrets: get, list or watch on every secret cluster-wide (an identity that can read
//     every secret, the tokens of controllers and operators included, is effectively
//     cluster-admin);
//   - impersonate: impersonate every user cluster-wide (cluster administrators included), or every
//     group (or system:masters) together with some user or service account (the API server does
//     not accept group impersonation alone);
//   - bind: bind on clusterroles (all of them, or cluster-admin or another ClusterRole that grants
//     everything) plus create clusterrolebindings: it can bind cluster-admin to itself;
//   - escalate: escalate plus update or patch on a ClusterRole a ClusterRoleBinding binds to the
//     subject: it can add any permission to it;
//   - nodes-proxy: get or create nodes/proxy on every node: the kubelet API runs commands in any pod;
//   - approve-csr: create certificatesigningrequests, update (or patch) their approval and approve
//     for the kubernetes.io/kube-apiserver-client signer (by name or through kubernetes.io/*): it
//     can issue itself a client certificate for any user and group (the default
//     CertificateSubjectRestriction admission plugin blocks only system:masters), such as a
//     cluster administrator's;
//   - admission-webhook: create, update or patch mutatingwebhookconfigurations: its webhook can
//     rewrite every pod (and every other object) the API server admits.
//
// Cluster-scoped permissions count only from ClusterRoleBindings, as in the API server.
func (m *Model) AdminEquivalent(s Subject) (Step, bool) {
	a := newAnalysis(m)
	return a.adminStep(s, a.capsOf(s), true)
}

// AdminPath returns the shortest chain from the subject to cluster-admin equivalence within
// opts.MaxDepth steps (one step when the subject is directly admin-equivalent). Among chains of
// the same length it prefers earlier techniques (impersonate, create-token, read-token-secret,
// create-pods, exec, create-token-secret) and then targets in SortSubjects order, so the answer
// is deterministic and the same as AdminPaths'.
func (m *Model) AdminPath(from Subject, opts PathOptions) (Path, bool) {
	a := newAnalysis(m)
	a.universe([]Subject{from})
	admin, _ := a.forward(from, opts.depth(), true)
	return admin, admin.Admin
}

// AdminPaths returns AdminPath for each subject that has one, computed together: one search
// backwards from the admin-equivalent subjects, each subject's permissions read once.
func (m *Model) AdminPaths(subjects []Subject, opts PathOptions) map[Subject]Path {
	a := newAnalysis(m)
	a.universe(subjects)
	return a.adminPaths(subjects, opts.depth())
}

// Paths returns the shortest chain from the subject to every identity it can become within
// opts.MaxDepth steps, and the shortest chain to cluster-admin equivalence if there is one: that
// one first, then by length and target (in SortSubjects order).
func (m *Model) Paths(from Subject, opts PathOptions) []Path {
	a := newAnalysis(m)
	a.universe([]Subject{from})
	admin, paths := a.forward(from, opts.depth(), false)
	if admin.Admin {
		paths = append([]Path{admin}, paths...)
	}
	return paths
}

// --- capabilities: the (verb, resource) pairs the techniques look at ---

type capID uint8

const (
	capCreatePods capID = iota
	capCreateDeployments
	capCreateReplicaSets
	capCreateStatefulSets
	capCreateDaemonSets
	capCreateJobs
	capCreateCronJobs
	capCreateRCs
	capCreateToken
	capGetSecrets
	capListSecrets
	capWatchSecrets
	capCreateSecrets
	capCreateExec
	capGetExec
	capImpersonateUsers
	capImpersonateGroups
	capImpersonateSAs
	capEverything
	capBindClusterRoles
	capCreateClusterRoleBindings
	capEscalateClusterRoles
	capUpdateClusterRoles
	capPatchClusterRoles
	capGetNodesProxy
	capCreateNodesProxy
	capUpdateApproval
	capPatchApproval
	capApproveSigners
	capCreateCSRs
	capCreateMutatingWebhooks
	capUpdateMutatingWebhooks
	capPatchMutatingWebhooks
	numCaps
)

const (
	certificatesGroup = "certificates.k8s.io"
	admissionGroup    = "admissionregistration.k8s.io"
	apiClientSigner   = "kubernetes.io/kube-apiserver-client"
	apiClientSigners  = "kubernetes.io/*"
)

// capDefs are the requests each capability stands for. cluster marks cluster-scoped resources,
// which only ClusterRoleBindings grant (capEverything too: only cluster-wide it is cluster-admin).
var capDefs = [numCaps]struct {
	verb, group, resource, sub string
	cluster                    bool
}{
	capCreatePods:                {"create", "", "pods", "", false},
	capCreateDeployments:         {"create", "apps", "deployments", "", false},
	capCreateReplicaSets:         {"create", "apps", "replicasets", "", false},
	capCreateStatefulSets:        {"create", "apps", "statefulsets", "", false},
	capCreateDaemonSets:          {"create", "apps", "daemonsets", "", false},
	capCreateJobs:                {"create", "batch", "jobs", "", false},
	capCreateCronJobs:            {"create", "batch", "cronjobs", "", false},
	capCreateRCs:                 {"create", "", "replicationcontrollers", "", false},
	capCreateToken:               {"create", "", "serviceaccounts", "token", false},
	capGetSecrets:                {"get", "", "secrets", "", false},
	capListSecrets:               {"list", "", "secrets", "", false},
	capWatchSecrets:              {"watch", "", "secrets", "", false},
	capCreateSecrets:             {"create", "", "secrets", "", false},
	capCreateExec:                {"create", "", "pods", "exec", false},
	capGetExec:                   {"get", "", "pods", "exec", false},
	capImpersonateUsers:          {"impersonate", "", "users", "", true},
	capImpersonateGroups:         {"impersonate", "", "groups", "", true},
	capImpersonateSAs:            {"impersonate", "", "serviceaccounts", "", false},
	capEverything:                {"*", "*", "*", "", true},
	capBindClusterRoles:          {"bind", rbacv1.GroupName, "clusterroles", "", true},
	capCreateClusterRoleBindings: {"create", rbacv1.GroupName, "clusterrolebindings", "", true},
	capEscalateClusterRoles:      {"escalate", rbacv1.GroupName, "clusterroles", "", true},
	capUpdateClusterRoles:        {"update", rbacv1.GroupName, "clusterroles", "", true},
	capPatchClusterRoles:         {"patch", rbacv1.GroupName, "clusterroles", "", true},
	capGetNodesProxy:             {"get", "", "nodes", "proxy", true},
	capCreateNodesProxy:          {"create", "", "nodes", "proxy", true},
	capUpdateApproval:            {"update", certificatesGroup, "certificatesigningrequests", "approval", true},
	capPatchApproval:             {"patch", certificatesGroup, "certificatesigningrequests", "approval", true},
	capApproveSigners:            {"approve", certificatesGroup, "signers", "", true},
	capCreateCSRs:                {"create", certificatesGroup, "certificatesigningrequests", "", true},
	capCreateMutatingWebhooks:    {"create", admissionGroup, "mutatingwebhookconfigurations", "", true},
	capUpdateMutatingWebhooks:    {"update", admissionGroup, "mutatingwebhookconfigurations", "", true},
	capPatchMutatingWebhooks:     {"patch", admissionGroup, "mutatingwebhookconfigurations", "", true},
}

// podCreators are the capabilities of create-pods, pods first.
var podCreators = []capID{capCreatePods, capCreateDeployments, capCreateReplicaSets, capCreateStatefulSets,
	capCreateDaemonSets, capCreateJobs, capCreateCronJobs, capCreateRCs}

// capAccess is an Access to one capability.
type capAccess struct {
	cap capID
	Access
}

// describe renders the access for step texts: "create pods in namespace shop (RoleBinding shop/ci
// -> Role shop/deployer)".
func (c capAccess) describe() string {
	d := capDefs[c.cap]
	if c.cap == capEverything {
		return "do every verb on every resource " + c.Where() + " (" + c.Grant.Evidence() + ")"
	}
	return d.verb + " " + qualifiedResource(d.group, d.resource, d.sub) + " " + c.Where() + " (" + c.Grant.Evidence() + ")"
}

// --- the analysis: subjects, their moves, the search ---

// technique of a move, in the order shortest paths prefer them.
type technique uint8

const (
	mvImpersonate technique = iota
	mvCreateToken
	mvReadTokenSecret
	mvCreatePods
	mvExec
	mvCreateTokenSecret
	numMoves
)

var moveNames = [numMoves]string{TechniqueImpersonate, TechniqueCreateToken, TechniqueReadTokenSecret,
	TechniqueCreatePods, TechniqueExec, TechniqueCreateTokenSecret}

// An edge leads to one node (set < 0) or to every member of a set of service accounts.
type edge struct {
	t   technique
	set int32
	to  int32
}

type node struct {
	s        Subject
	caps     []capAccess
	loaded   bool
	terminal bool
	edges    []edge
	edgesOK  bool
	exec     bool // a workload running as it mounts its token
}

type setKind uint8

const (
	setServiceAccounts setKind = iota // the service accounts of a namespace
	setExec                           // the service accounts whose token a workload of the namespace mounts
)

// setKey names a set; namespace "" is every namespace.
type setKey struct {
	kind setKind
	ns   string
}

type analysis struct {
	m          *Model
	ruleCaps   map[*rbacv1.PolicyRule]uint64
	adminRoles map[string]bool // ClusterRoles that grant everything

	// The universe: every subject bindings name, every service account known, Group
	// system:masters, in subject order (ids compare like subjects); then the subjects asked about
	// that are none of those (ids >= base), which are never move targets.
	ids        map[Subject]int32
	nodes      []node
	base       int32
	users      map[string]int32
	groups     map[string]int32
	userIDs    []int32
	groupIDs   []int32
	saByName   map[string][]int32
	sets       [][]int32 // members, sorted
	setIDs     map[setKey]int32
	tokensByNS map[string][]TokenSecret // sorted by name
	tokens     []TokenSecret            // sorted by namespace and name
	workByNS   map[string][]Workload    // sorted by kind and name
}

func newAnalysis(m *Model) *analysis {
	return &analysis{m: m, ruleCaps: map[*rbacv1.PolicyRule]uint64{}}
}

func subjectLess(a, b Subject) bool {
	ka, kb := kindOrder(a.Kind), kindOrder(b.Kind)
	if ka != kb {
		return ka < kb
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func kindOrder(k string) int {
	switch k {
	case User:
		return 0
	case Group:
		return 1
	case ServiceAccount:
		return 2
	}
	return 3
}

// universe builds the nodes, the service account sets and the indexes of token Secrets and
// workloads; extra are the subjects asked about.
func (a *analysis) universe(extra []Subject) {
	m := a.m
	seen := map[Subject]bool{}
	var subs []Subject
	add := func(s Subject) {
		if !seen[s] {
			seen[s] = true
			subs = append(subs, s)
		}
	}
	for _, b := range m.Bindings {
		for _, s := range b.Subjects {
			if rs, ok := ResolveSubject(s, b.Namespace); ok {
				add(rs)
			}
		}
	}
	for s := range m.ServiceAccounts {
		add(s)
	}
	for _, w := range m.Workloads {
		add(w.ServiceAccount)
	}
	for _, t := range m.TokenSecrets {
		add(t.ServiceAccount)
	}
	namespaces := map[string]bool{}
	for _, ns := range m.Namespaces {
		namespaces[ns] = true
	}
	for _, s := range subs {
		if s.Kind == ServiceAccount {
			namespaces[s.Namespace] = true
		}
	}
	for ns := range namespaces {
		add(Subject{Kind: ServiceAccount, Namespace: ns, Name: "default"})
	}
	add(Subject{Kind: Group, Name: GroupMasters})
	sort.Slice(subs, func(i, j int) bool { return subjectLess(subs[i], subs[j]) })
	a.base = int32(len(subs))
	for _, s := range extra {
		add(s)
	}

	a.ids = make(map[Subject]int32, len(subs))
	a.nodes = make([]node, len(subs))
	a.users, a.groups, a.saByName = map[string]int32{}, map[string]int32{}, map[string][]int32{}
	a.setIDs = map[setKey]int32{}
	var allSAs []int32
	for i, s := range subs {
		id := int32(i)
		a.ids[s] = id
		a.nodes[i].s = s
		if id >= a.base {
			continue
		}
		switch s.Kind {
		case User:
			a.users[s.Name] = id
			a.userIDs = append(a.userIDs, id)
		case Group:
			a.groups[s.Name] = id
			a.groupIDs = append(a.groupIDs, id)
		case ServiceAccount:
			a.saByName[s.Name] = append(a.saByName[s.Name], id)
			k := setKey{setServiceAccounts, s.Namespace}
			set, ok := a.setIDs[k]
			if !ok {
				set = int32(len(a.sets))
				a.setIDs[k] = set
				a.sets = append(a.sets, nil)
			}
			a.sets[set] = append(a.sets[set], id) // ids ascend, so sets stay sorted
			allSAs = append(allSAs, id)
		}
	}
	if len(allSAs) > 0 {
		a.setIDs[setKey{setServiceAccounts, ""}] = int32(len(a.sets))
		a.sets = append(a.sets, allSAs)
	}

	a.workByNS = map[string][]Workload{}
	for _, w := range m.Workloads {
		a.workByNS[w.Object.Namespace] = append(a.workByNS[w.Object.Namespace], w)
		if w.MountsToken {
			a.nodes[a.ids[w.ServiceAccount]].exec = true
		}
	}
	var execAll []int32
	workNS := make([]string, 0, len(a.workByNS))
	for ns := range a.workByNS {
		workNS = append(workNS, ns)
	}
	sort.Strings(workNS)
	for _, ns := range workNS {
		ws := a.workByNS[ns]
		sort.SliceStable(ws, func(i, j int) bool { return workloadLess(ws[i], ws[j]) })
		var members []int32
		for _, w := range ws {
			if w.MountsToken {
				members = append(members, a.ids[w.ServiceAccount])
			}
		}
		if members = sortedUnique(members); len(members) > 0 {
			a.setIDs[setKey{setExec, ns}] = int32(len(a.sets))
			a.sets = append(a.sets, members)
			execAll = append(execAll, members...)
		}
	}
	if len(execAll) > 0 {
		a.setIDs[setKey{setExec, ""}] = int32(len(a.sets))
		a.sets = append(a.sets, sortedUnique(execAll))
	}

	a.tokens = append([]TokenSecret(nil), m.TokenSecrets...)
	sort.SliceStable(a.tokens, func(i, j int) bool {
		x, y := a.tokens[i].Object, a.tokens[j].Object
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		return x.Name < y.Name
	})
	a.tokensByNS = map[string][]TokenSecret{}
	for _, t := range a.tokens {
		a.tokensByNS[t.Object.Namespace] = append(a.tokensByNS[t.Object.Namespace], t)
	}
}

func workloadLess(x, y Workload) bool {
	if x.Object.Kind != y.Object.Kind {
		return x.Object.Kind < y.Object.Kind
	}
	return x.Object.Name < y.Object.Name
}

func sortedUnique(ids []int32) []int32 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := ids[:0]
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			out = append(out, id)
		}
	}
	return out
}

// capsOf returns the subject's accesses to the capabilities, in capability order and then in
// binding order. Cluster-scoped capabilities count only from ClusterRoleBindings.
func (a *analysis) capsOf(s Subject) []capAccess {
	var out []capAccess
	for _, g := range a.m.GrantsTo(s.Identity()) {
		rule := g.Rule()
		mask, ok := a.ruleCaps[rule]
		if !ok {
			mask = ruleMask(rule)
			a.ruleCaps[rule] = mask
		}
		if mask == 0 {
			continue
		}
		var names []string
		if len(rule.ResourceNames) > 0 {
			names = rule.ResourceNames
		}
		ns := g.Namespace()
		for c := capID(0); c < numCaps; c++ {
			if mask&(1<<c) != 0 && (ns == "" || !capDefs[c].cluster) {
				out = append(out, capAccess{c, Access{Grant: g, Namespace: ns, Names: names}})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].cap < out[j].cap })
	return out
}

func ruleMask(rule *rbacv1.PolicyRule) uint64 {
	var mask uint64
	for c := capID(0); c < numCaps; c++ {
		d := capDefs[c]
		if ok, _ := Grants(rule, d.verb, d.group, d.resource, d.sub); ok {
			mask |= 1 << c
		}
	}
	return mask
}

func (a *analysis) load(id int32) *node {
	n := &a.nodes[id]
	if !n.loaded {
		n.loaded = true
		n.caps = a.capsOf(n.s)
		_, n.terminal = a.adminStep(n.s, n.caps, false)
	}
	return n
}

// --- terminal steps ---

// adminStep decides whether the subject is cluster-admin equivalent (see AdminEquivalent); the
// step's Grants and Text are filled only when full is set.
func (a *analysis) adminStep(s Subject, caps []capAccess, full bool) (Step, bool) {
	step := Step{From: s}
	done := func(t string, text func() string, accs ...capAccess) (Step, bool) {
		step.Technique = t
		if full {
			step.Grants = grantsOf(accs)
			step.Text = text()
		}
		return step, true
	}
	if s.Kind == Group && s.Name == GroupMasters {
		return done(TechniqueMasters, func() string {
			return s.String() + " is authorized for every request: the API server allows its members everything without consulting RBAC"
		})
	}
	if c, ok := firstCap(caps, allNames, capEverything); ok {
		return done(TechniqueClusterAdmin, func() string {
			return s.String() + " can " + c.describe() + ": it is cluster-admin"
		}, c)
	}
	if c, ok := firstCap(caps, allNames, capGetSecrets, capListSecrets, capWatchSecrets); ok {
		return done(TechniqueReadAllSecrets, func() string {
			return s.String() + " can " + c.describe() + "; an identity that can read every secret, the tokens of " +
				"controllers and operators included, is effectively cluster-admin"
		}, c)
	}
	if c, ok := firstCap(caps, allNames, capImpersonateUsers); ok {
		return done(TechniqueImpersonate, func() string {
			return s.String() + " can " + c.describe() + ", so it can act as any user, cluster administrators included"
		}, c)
	}
	if u, ok := firstCapAnyNS(caps, capImpersonateUsers, capImpersonateSAs); ok {
		if c, ok := firstCap(caps, namesInclude(GroupMasters), capImpersonateGroups); ok {
			return done(TechniqueImpersonate, func() string {
				return s.String() + " can " + c.describe() + " and " + u.describe() +
					", so it can act as a member of Group system:masters"
			}, c, u)
		}
	}
	if cr, ok := firstCap(caps, allNames, capCreateClusterRoleBindings); ok {
		for _, c := range caps {
			if c.cap != capBindClusterRoles {
				continue
			}
			if role, ok := a.adminRoleIn(c.Names); ok {
				return done(TechniqueBind, func() string {
					return s.String() + " can " + c.describe() + " and " + cr.describe() +
						", so it can bind ClusterRole " + role + " to itself"
				}, c, cr)
			}
		}
	}
	if step, ok := a.escalateStep(s, caps, full); ok {
		return step, true
	}
	if c, ok := firstCap(caps, allNames, capGetNodesProxy, capCreateNodesProxy); ok {
		return done(TechniqueNodesProxy, func() string {
			return s.String() + " can " + c.describe() + "; the kubelet API it reaches runs commands in every pod on every node"
		}, c)
	}
	if cr, ok := firstCap(caps, allNames, capCreateCSRs); ok {
		if ap, ok := firstCap(caps, anyNames, capUpdateApproval, capPatchApproval); ok {
			if sg, ok := firstCap(caps, namesInclude(apiClientSigner, apiClientSigners), capApproveSigners); ok {
				return done(TechniqueApproveCSR, func() string {
					return s.String() + " can " + cr.describe() + ", " + ap.describe() + " and " + sg.describe() +
						", so it can issue itself a " + apiClientSigner + " client certificate for any user or group " +
						"(CertificateSubjectRestriction blocks only system:masters), such as a cluster administrator's"
				}, cr, ap, sg)
			}
		}
	}
	if c, ok := firstCap(caps, allNames, capCreateMutatingWebhooks); ok {
		return done(TechniqueAdmissionWebhook, func() string {
			return s.String() + " can " + c.describe() + ", so its webhook can rewrite every pod the API server admits"
		}, c)
	}
	if c, ok := firstCap(caps, anyNames, capUpdateMutatingWebhooks, capPatchMutatingWebhooks); ok {
		return done(TechniqueAdmissionWebhook, func() string {
			return s.String() + " can " + c.describe() + ", so it can point a webhook at its own server and rewrite every pod the API server admits"
		}, c)
	}
	return Step{}, false
}

// escalateStep: escalate and update (or patch) on a ClusterRole that a ClusterRoleBinding binds to
// the subject let it add every permission to that role.
func (a *analysis) escalateStep(s Subject, caps []capAccess, full bool) (Step, bool) {
	if _, ok := firstCap(caps, anyNames, capEscalateClusterRoles); !ok {
		return Step{}, false
	}
	if _, ok := firstCap(caps, anyNames, capUpdateClusterRoles, capPatchClusterRoles); !ok {
		return Step{}, false
	}
	id := s.Identity()
	for _, ref := range a.m.candidates(id) {
		b := ref.b
		if b.Role == nil || !b.ClusterWide() || b.Role.Kind != "ClusterRole" || !appliesTo(id, b.Subjects[ref.i], b.Namespace) {
			continue
		}
		name := b.Role.Name
		e, ok := firstCap(caps, namesInclude(name), capEscalateClusterRoles)
		if !ok {
			continue
		}
		u, ok := firstCap(caps, namesInclude(name), capUpdateClusterRoles, capPatchClusterRoles)
		if !ok {
			continue
		}
		step := Step{From: s, Technique: TechniqueEscalate}
		if full {
			step.Grants = grantsOf([]capAccess{e, u})
			step.Text = s.String() + " can " + e.describe() + " and " + u.describe() + ", so it can add every permission to " +
				b.Role.Ref() + ", which " + b.Ref() + " binds to it"
		}
		return step, true
	}
	return Step{}, false
}

// adminRoleIn returns a ClusterRole that grants everything among names (nil: every ClusterRole),
// preferring cluster-admin.
func (a *analysis) adminRoleIn(names []string) (string, bool) {
	if a.adminRoles == nil {
		a.adminRoles = map[string]bool{}
		for name, r := range a.m.clusterRoles {
			for i := range r.Rules {
				if ok, n := Grants(&r.Rules[i], "*", "*", "*", ""); ok && n == nil {
					a.adminRoles[name] = true
					break
				}
			}
		}
	}
	if names == nil || contains(names, "cluster-admin") {
		return "cluster-admin", true
	}
	best := ""
	for _, n := range names {
		if a.adminRoles[n] && (best == "" || n < best) {
			best = n
		}
	}
	return best, best != ""
}

type namesFilter func([]string) bool

func allNames(names []string) bool { return names == nil }
func anyNames([]string) bool       { return true }
func namesInclude(want ...string) namesFilter {
	return func(names []string) bool {
		if names == nil {
			return true
		}
		for _, w := range want {
			if contains(names, w) {
				return true
			}
		}
		return false
	}
}

// firstCap returns the first cluster-wide access to one of the capabilities whose names pass the
// filter, in the order of the capabilities given.
func firstCap(caps []capAccess, ok namesFilter, want ...capID) (capAccess, bool) {
	for _, w := range want {
		for _, c := range caps {
			if c.cap == w && c.Namespace == "" && ok(c.Names) {
				return c, true
			}
		}
	}
	return capAccess{}, false
}

func grantsOf(accs []capAccess) []Grant {
	var out []Grant
	for _, c := range accs {
		dup := false
		for _, g := range out {
			if g.Binding == c.Grant.Binding && g.SubjectIndex == c.Grant.SubjectIndex && g.RuleIndex == c.Grant.RuleIndex {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c.Grant)
		}
	}
	return out
}

// --- moves ---

// edgesOf returns the node's moves. Explicit targets may repeat; the searches skip them.
func (a *analysis) edgesOf(id int32) []edge {
	n := a.load(id)
	if n.edgesOK {
		return n.edges
	}
	n.edgesOK = true
	var es []edge
	addSet := func(t technique, kind setKind, ns string) {
		set, ok := a.setIDs[setKey{kind, ns}]
		if !ok {
			return
		}
		for _, e := range es {
			if e.t == t && e.set == set {
				return
			}
		}
		es = append(es, edge{t: t, set: set, to: -1})
	}
	addTo := func(t technique, to int32) {
		if to >= 0 && to < a.base && to != id {
			es = append(es, edge{t: t, set: -1, to: to})
		}
	}
	addSA := func(t technique, ns, name string) {
		if id, ok := a.ids[Subject{Kind: ServiceAccount, Namespace: ns, Name: name}]; ok {
			addTo(t, id)
		}
	}
	// addNamedSAs adds the service accounts an access covers by name.
	addNamedSAs := func(t technique, c capAccess) {
		for _, name := range c.Names {
			if c.Namespace != "" {
				addSA(t, c.Namespace, name)
				continue
			}
			for _, to := range a.saByName[name] {
				addTo(t, to)
			}
		}
	}
	caps := n.caps

	// impersonate
	canUser := false
	for _, c := range caps {
		if c.cap == capImpersonateUsers || c.cap == capImpersonateSAs {
			canUser = true
		}
	}
	for _, c := range caps {
		switch {
		case c.cap == capImpersonateUsers:
			if c.All() {
				for _, to := range a.userIDs {
					if _, _, sa := SplitServiceAccountUser(a.nodes[to].s.Name); !sa {
						addTo(mvImpersonate, to)
					}
				}
				continue
			}
			for _, name := range c.Names {
				if _, _, sa := SplitServiceAccountUser(name); !sa {
					if to, ok := a.users[name]; ok {
						addTo(mvImpersonate, to)
					}
				}
			}
		case c.cap == capImpersonateGroups && canUser:
			if c.All() {
				for _, to := range a.groupIDs {
					addTo(mvImpersonate, to)
				}
				continue
			}
			for _, name := range c.Names {
				if to, ok := a.groups[name]; ok {
					addTo(mvImpersonate, to)
				}
			}
		case c.cap == capImpersonateSAs:
			if c.All() {
				addSet(mvImpersonate, setServiceAccounts, c.Namespace)
			} else {
				addNamedSAs(mvImpersonate, c)
			}
		}
	}

	// create-token
	for _, c := range caps {
		if c.cap != capCreateToken {
			continue
		}
		if c.All() {
			addSet(mvCreateToken, setServiceAccounts, c.Namespace)
		} else {
			addNamedSAs(mvCreateToken, c)
		}
	}

	// read-token-secret
	for _, c := range caps {
		if c.cap != capGetSecrets && c.cap != capListSecrets && c.cap != capWatchSecrets {
			continue
		}
		if c.cap != capGetSecrets && !c.All() {
			continue // list and watch name no object
		}
		tokens := a.tokens
		if c.Namespace != "" {
			tokens = a.tokensByNS[c.Namespace]
		}
		for _, t := range tokens {
			if c.Covers(t.Object.Namespace, t.Object.Name) {
				addTo(mvReadTokenSecret, a.ids[t.ServiceAccount])
			}
		}
	}

	// create-pods
	for _, c := range caps {
		if isPodCreator(c.cap) && c.All() {
			addSet(mvCreatePods, setServiceAccounts, c.Namespace)
		}
	}

	// exec
	for _, c := range caps {
		if c.cap != capCreateExec && c.cap != capGetExec {
			continue
		}
		if c.All() {
			addSet(mvExec, setExec, c.Namespace)
			continue
		}
		for ns, ws := range a.workByNS {
			if c.Namespace != "" && ns != c.Namespace {
				continue
			}
			for _, w := range ws {
				if w.MountsToken && podNamesCovered(w, c.Names) {
					addTo(mvExec, a.ids[w.ServiceAccount])
				}
			}
		}
	}

	// create-token-secret
	for _, r := range caps {
		if (r.cap != capGetSecrets && r.cap != capListSecrets && r.cap != capWatchSecrets) || !r.All() {
			continue
		}
		for _, c := range caps {
			if c.cap != capCreateSecrets || !c.All() {
				continue
			}
			switch {
			case r.Namespace == c.Namespace:
				addSet(mvCreateTokenSecret, setServiceAccounts, r.Namespace)
			case r.Namespace == "":
				addSet(mvCreateTokenSecret, setServiceAccounts, c.Namespace)
			case c.Namespace == "":
				addSet(mvCreateTokenSecret, setServiceAccounts, r.Namespace)
			}
		}
	}
	n.edges = es
	return es
}

func isPodCreator(c capID) bool { return c >= capCreatePods && c <= capCreateRCs }

// podNamesCovered reports whether resourceNames cover a pod of the workload: a bare Pod by name, a
// StatefulSet's pods by their NAME-ORDINAL names. Other workloads' pods have generated names.
func podNamesCovered(w Workload, names []string) bool {
	switch w.Object.Kind {
	case "Pod":
		return contains(names, w.Object.Name)
	case "StatefulSet":
		for _, n := range names {
			if ord, ok := strings.CutPrefix(n, w.Object.Name+"-"); ok && ord != "" && strings.Trim(ord, "0123456789") == "" {
				return true
			}
		}
	}
	return false
}

// members returns the targets of an edge.
func (a *analysis) members(e edge) []int32 {
	if e.set >= 0 {
		return a.sets[e.set]
	}
	return []int32{e.to}
}

// moveStep builds the step of a move from node from to node to.
func (a *analysis) moveStep(from int32, t technique, to int32) Step {
	n := a.load(from)
	s, target := n.s, a.nodes[to].s
	step := Step{From: s, Technique: moveNames[t], To: target}
	var accs []capAccess
	pick := func(match func(capAccess) bool) {
		for _, c := range n.caps {
			if match(c) {
				accs = append(accs, c)
			}
		}
	}
	inNS := func(c capAccess) bool { return c.Namespace == "" || c.Namespace == target.Namespace }
	readsAll := func(c capAccess) bool {
		return (c.cap == capGetSecrets || c.cap == capListSecrets || c.cap == capWatchSecrets) && c.All() && inNS(c)
	}
	switch t {
	case mvImpersonate:
		switch target.Kind {
		case User:
			pick(func(c capAccess) bool {
				return c.cap == capImpersonateUsers && (c.All() || contains(c.Names, target.Name))
			})
			step.Text = s.String() + " can " + accs[0].describe() + ", so it can act as " + target.String()
		case Group:
			pick(func(c capAccess) bool {
				return c.cap == capImpersonateGroups && (c.All() || contains(c.Names, target.Name))
			})
			u, _ := firstCapAnyNS(n.caps, capImpersonateUsers, capImpersonateSAs)
			step.Text = s.String() + " can " + accs[0].describe() + " and " + u.describe() + ", so it can act as a member of " + target.String()
			accs = append(accs, u)
		default:
			pick(func(c capAccess) bool { return c.cap == capImpersonateSAs && c.Covers(target.Namespace, target.Name) })
			step.Text = s.String() + " can " + accs[0].describe() + ", so it can act as " + target.String()
		}
	case mvCreateToken:
		pick(func(c capAccess) bool { return c.cap == capCreateToken && c.Covers(target.Namespace, target.Name) })
		step.Text = s.String() + " can " + accs[0].describe() + ", so it can request a token for " + target.String()
	case mvReadTokenSecret:
		reads := func(c capAccess, t TokenSecret) bool {
			switch c.cap {
			case capGetSecrets:
				return c.Covers(t.Object.Namespace, t.Object.Name)
			case capListSecrets, capWatchSecrets:
				return c.All() && c.Covers(t.Object.Namespace, t.Object.Name)
			}
			return false
		}
		for _, tok := range a.tokensByNS[target.Namespace] {
			if tok.ServiceAccount != target {
				continue
			}
			pick(func(c capAccess) bool { return reads(c, tok) })
			if len(accs) > 0 {
				step.Via = tok.Object
				break
			}
		}
		step.Text = s.String() + " can " + accs[0].describe() + ", so it can read the token of " + target.String() +
			" in Secret " + step.Via.Namespace + "/" + step.Via.Name
	case mvCreatePods:
		for _, pc := range podCreators {
			pick(func(c capAccess) bool { return c.cap == pc && c.All() && inNS(c) })
		}
		step.Text = s.String() + " can " + accs[0].describe() + ", so it can run a pod as " + target.String()
	case mvExec:
		for _, w := range a.workByNS[target.Namespace] {
			if w.ServiceAccount != target || !w.MountsToken {
				continue
			}
			pick(func(c capAccess) bool {
				return (c.cap == capCreateExec || c.cap == capGetExec) && inNS(c) && (c.All() || podNamesCovered(w, c.Names))
			})
			if len(accs) > 0 {
				step.Via = w.Object
				break
			}
		}
		text := s.String() + " can " + accs[0].describe()
		if accs[0].cap == capGetExec {
			text += " (API servers before 1.35 accept get for exec over WebSockets)"
		}
		step.Text = text + ", so it can run commands in " + step.Via.Kind + " " + step.Via.Namespace + "/" + step.Via.Name +
			", whose pods mount the token of " + target.String()
	case mvCreateTokenSecret:
		pick(func(c capAccess) bool { return c.cap == capCreateSecrets && c.All() && inNS(c) })
		create := len(accs)
		pick(readsAll)
		step.Text = s.String() + " can " + accs[0].describe() + " and " + accs[create].describe() +
			", so it can create a kubernetes.io/service-account-token Secret for " + target.String() +
			" and read the token the token controller puts in it"
	}
	step.Grants = grantsOf(accs)
	return step
}

// firstCapAnyNS returns the first access to one of the capabilities, in any namespace.
func firstCapAnyNS(caps []capAccess, want ...capID) (capAccess, bool) {
	for _, w := range want {
		for _, c := range caps {
			if c.cap == w {
				return c, true
			}
		}
	}
	return capAccess{}, false
}

// --- searches ---

// forward searches breadth-first from a subject, moves in canonical order (technique, then target
// id), so the first path found to a node is the smallest of its shortest paths in that order. It
// returns the admin path (Admin false when there is none within depth) and, unless adminOnly, the
// path to every node reached within depth, sorted by length and target.
func (a *analysis) forward(from Subject, depth int, adminOnly bool) (Path, []Path) {
	src := a.ids[from]
	type visit struct {
		parent int32
		t      technique
		level  int
	}
	visited := map[int32]visit{src: {parent: -1}}
	expanded := map[int32]bool{} // sets whose members are all visited
	queue := []int32{src}
	var admin Path
	var buf [numMoves][]int32
	for qi := 0; qi < len(queue); qi++ {
		id := queue[qi]
		v := visited[id]
		n := a.load(id)
		if n.terminal && !admin.Admin && v.level+1 <= depth {
			admin = a.chain(from, id, func(x int32) (int32, technique) { return visited[x].parent, visited[x].t })
			step, _ := a.adminStep(n.s, n.caps, true)
			admin.Steps = append(admin.Steps, step)
			admin.Admin = true
			if adminOnly {
				return admin, nil
			}
		}
		limit := depth
		if adminOnly {
			limit = depth - 1 // a node found at this level could not add its admin step
		}
		if v.level >= limit {
			continue
		}
		for t := range buf {
			buf[t] = buf[t][:0]
		}
		for _, e := range a.edgesOf(id) {
			if e.set >= 0 {
				if expanded[e.set] {
					continue
				}
				expanded[e.set] = true
			}
			buf[e.t] = append(buf[e.t], a.members(e)...)
		}
		for t := range buf {
			targets := buf[t]
			sort.Slice(targets, func(i, j int) bool { return targets[i] < targets[j] })
			for _, to := range targets {
				if _, ok := visited[to]; ok {
					continue
				}
				visited[to] = visit{parent: id, t: technique(t), level: v.level + 1}
				queue = append(queue, to)
			}
		}
	}
	if adminOnly {
		return admin, nil
	}
	reached := queue[1:]
	sort.Slice(reached, func(i, j int) bool {
		li, lj := visited[reached[i]].level, visited[reached[j]].level
		if li != lj {
			return li < lj
		}
		return reached[i] < reached[j]
	})
	paths := make([]Path, 0, len(reached))
	steps := map[int32]Step{} // the step into each node, shared by the paths through it
	for _, id := range reached {
		paths = append(paths, a.chainMemo(from, id, visited[id].level, func(x int32) (int32, technique) {
			return visited[x].parent, visited[x].t
		}, steps))
	}
	return admin, paths
}

// chain returns the path of moves from the source to node id, following parent.
func (a *analysis) chain(from Subject, id int32, parent func(int32) (int32, technique)) Path {
	var rev []Step
	for {
		p, t := parent(id)
		if p < 0 {
			break
		}
		rev = append(rev, a.moveStep(p, t, id))
		id = p
	}
	steps := make([]Step, len(rev), len(rev)+1)
	for i := range rev {
		steps[i] = rev[len(rev)-1-i]
	}
	return Path{From: from, Steps: steps}
}

func (a *analysis) chainMemo(from Subject, id int32, level int, parent func(int32) (int32, technique), memo map[int32]Step) Path {
	steps := make([]Step, level)
	for i := level - 1; i >= 0; i-- {
		p, t := parent(id)
		st, ok := memo[id]
		if !ok {
			st = a.moveStep(p, t, id)
			memo[id] = st
		}
		steps[i] = st
		id = p
	}
	return Path{From: from, Steps: steps}
}

// adminPaths searches backwards, breadth-first, from every admin-equivalent node at once: a node's
// distance is the length of its shortest admin path. Each node's path then follows, from the
// node, its first move (in the canonical order of forward) to a node one step closer, which gives
// the same paths as forward.
func (a *analysis) adminPaths(subjects []Subject, depth int) map[Subject]Path {
	nn := int32(len(a.nodes))
	dist := make([]int32, nn)
	setDist := make([]int32, len(a.sets))
	for i := range setDist {
		setDist[i] = -1
	}
	var queue []int32
	for id := int32(0); id < nn; id++ {
		dist[id] = -1
		if a.load(id).terminal {
			dist[id] = 1
			queue = append(queue, id)
		}
	}
	// Reverse edges of the non-terminal nodes.
	revStart := make([]int32, nn+1) // counting sort into one array per kind of target
	setStart := make([]int32, len(a.sets)+1)
	for id := int32(0); id < nn; id++ {
		if dist[id] == 1 {
			continue
		}
		for _, e := range a.edgesOf(id) {
			if e.set >= 0 {
				setStart[e.set+1]++
			} else {
				revStart[e.to+1]++
			}
		}
	}
	for i := 1; i < len(revStart); i++ {
		revStart[i] += revStart[i-1]
	}
	for i := 1; i < len(setStart); i++ {
		setStart[i] += setStart[i-1]
	}
	rev := make([]int32, revStart[nn])
	revSet := make([]int32, setStart[len(a.sets)])
	revFill := append([]int32(nil), revStart[:nn]...)
	setFill := append([]int32(nil), setStart[:len(a.sets)]...)
	for id := int32(0); id < nn; id++ {
		if dist[id] == 1 {
			continue
		}
		for _, e := range a.nodes[id].edges {
			if e.set >= 0 {
				revSet[setFill[e.set]] = id
				setFill[e.set]++
			} else {
				rev[revFill[e.to]] = id
				revFill[e.to]++
			}
		}
	}
	relax := func(us []int32, d int32) {
		for _, u := range us {
			if dist[u] < 0 {
				dist[u] = d
				queue = append(queue, u)
			}
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		t := queue[qi]
		d := dist[t]
		if int(d) >= depth {
			continue
		}
		relax(rev[revStart[t]:revStart[t+1]], d+1)
		n := &a.nodes[t]
		if n.s.Kind != ServiceAccount || t >= a.base {
			continue
		}
		for _, k := range [...]setKey{{setServiceAccounts, n.s.Namespace}, {setServiceAccounts, ""},
			{setExec, n.s.Namespace}, {setExec, ""}} {
			if k.kind == setExec && !n.exec {
				continue
			}
			set := a.setIDs[k]
			if setDist[set] < 0 {
				setDist[set] = d
				relax(revSet[setStart[set]:setStart[set+1]], d+1)
			}
		}
	}

	// next returns a node's first move to a node one step closer to admin.
	setBest := make([]int32, len(a.sets))
	for i := range setBest {
		setBest[i] = -1
	}
	type hop struct {
		step Step
		next int32
	}
	hops := map[int32]hop{}
	next := func(id int32) hop {
		if h, ok := hops[id]; ok {
			return h
		}
		d := dist[id]
		var h hop
		if d == 1 {
			h.step, _ = a.adminStep(a.nodes[id].s, a.nodes[id].caps, true)
			h.next = -1
		} else {
			best, bestT := int32(-1), technique(0)
			for _, e := range a.nodes[id].edges {
				if best >= 0 && e.t > bestT {
					break // edges come grouped by technique, in order
				}
				cand := int32(-1)
				if e.set >= 0 {
					if setDist[e.set] == d-1 {
						if setBest[e.set] < 0 {
							for _, m := range a.sets[e.set] {
								if dist[m] == d-1 {
									setBest[e.set] = m
									break
								}
							}
						}
						cand = setBest[e.set]
					}
				} else if dist[e.to] == d-1 {
					cand = e.to
				}
				if cand >= 0 && (best < 0 || cand < best) {
					best, bestT = cand, e.t
				}
			}
			h.step, h.next = a.moveStep(id, bestT, best), best
		}
		hops[id] = h
		return h
	}

	out := make(map[Subject]Path, len(subjects))
	for _, s := range subjects {
		id, ok := a.ids[s]
		if !ok || dist[id] < 0 || int(dist[id]) > depth {
			continue
		}
		p := Path{From: s, Steps: make([]Step, 0, dist[id]), Admin: true}
		for x := id; x >= 0; {
			h := next(x)
			p.Steps = append(p.Steps, h.step)
			x = h.next
		}
		out[s] = p
	}
	return out
}
