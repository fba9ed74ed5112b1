package rbac_test

// The differential test: the model's answers against the RBAC authorizer of a real kube-apiserver
// (internal/testenv), asked through SubjectAccessReviews.
//
//	go test ./internal/rbac -run TestAgainstSubjectAccessReview -v
//
// Phase 1 loads hand-written RBAC objects and checks cases whose answers are known. Phase 2 adds a
// few hundred pseudo-random roles and bindings (seed sarSeed, or $KUBE4C_RBAC_SEED) and compares
// the model with the authorizer on 20,000 sampled (identity, request) pairs, the API server's own
// bootstrap policy included. Zero disagreements is the requirement.

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/rbac"
	"github.com/kube4c/kube4c/internal/source/cluster"
	"github.com/kube4c/kube4c/internal/testenv"
)

const (
	// sarSeed seeds the generator of phase 2; $KUBE4C_RBAC_SEED overrides it.
	sarSeed = 20260214
	// sarSamples is the number of sampled (identity, request) pairs phase 2 asks about, besides
	// the hand-written ones (some 15 s of reviews on two CPUs).
	sarSamples = 20000
	sarWorkers = 16
	// maxReported bounds the disagreements a failure lists.
	maxReported = 20
)

// sarNamespaces exist in the cluster; requests also go to namespaces that do not.
var sarNamespaces = []string{"alpha", "beta", "gamma"}

func TestAgainstSubjectAccessReview(t *testing.T) {
	// The reviews authenticate with a static token: kube-apiserver verifies a client certificate's
	// signature on every request, a sixth of its work for a SubjectAccessReview.
	dir := t.TempDir()
	token := crand.Text()
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",kube4c-sar,kube4c-sar,system:masters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := testenv.DefaultOptions()
	opts.APIServerFlags = append(opts.APIServerFlags, "--token-auth-file="+tokens)
	env := testenv.StartWithOptions(t, opts)
	cfg := rest.CopyConfig(env.Admin)
	cfg.CertData, cfg.KeyData, cfg.BearerToken = nil, nil, token
	cfg.QPS, cfg.Burst = -1, 0 // no client-side rate limit
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	h := &sarHarness{t: t, cs: kubernetes.NewForConfigOrDie(cfg), kubeconfig: filepath.Join(dir, "admin.kubeconfig")}
	if err := env.Kubeconfig(h.kubeconfig, env.Admin); err != nil {
		t.Fatal(err)
	}
	for _, ns := range sarNamespaces {
		if _, err := h.cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// Phase 1: hand-written objects and cases with known answers.
	began := time.Now()
	h.create(handWrittenObjects())
	m := h.settle()
	cases := handWrittenCases()
	probes := make([]probe, len(cases))
	for i, c := range cases {
		probes[i] = probe{id: c.id, req: c.req, origin: "hand-written: " + c.name}
	}
	answers := h.review(probes)
	for i, c := range cases {
		_, got := m.Allows(c.id, c.req)
		if answers[i].allowed != c.want || got != c.want {
			t.Errorf("%s: may user %q groups %q %s? SubjectAccessReview %v (%s), model %v, want %v",
				c.name, c.id.User, c.id.Groups, c.req, answers[i].allowed, answers[i].reason, got, c.want)
		}
	}
	t.Logf("phase 1: %d hand-written cases in %s", len(cases), time.Since(began).Round(time.Millisecond))

	// Phase 2: pseudo-random objects, sampled questions.
	began = time.Now()
	seed := uint64(sarSeed)
	if s := os.Getenv("KUBE4C_RBAC_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KUBE4C_RBAC_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("phase 2: seed %d (set KUBE4C_RBAC_SEED to change it)", seed)
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	objs := g.objects()
	h.create(objs)
	m = h.settle()
	probes = probes[:0]
	for _, c := range cases { // the hand-written questions again, now answered with everything loaded
		probes = append(probes, probe{id: c.id, req: c.req, origin: "hand-written: " + c.name})
	}
	probes = append(probes, g.probes(m, sarSamples)...)
	answers = h.review(probes)
	h.compare(m, probes, answers)
	t.Logf("phase 2: %d random RBAC objects, %d probes in %s", len(objs), len(probes), time.Since(began).Round(time.Millisecond))
}

type sarHarness struct {
	t          *testing.T
	cs         kubernetes.Interface
	kubeconfig string
	syncs      int
}

// create creates the objects, concurrently.
func (h *sarHarness) create(objs []runtime.Object) {
	h.t.Helper()
	ctx := h.t.Context()
	errs := parallel(len(objs), func(i int) error {
		var err error
		switch o := objs[i].(type) {
		case *rbacv1.ClusterRole:
			_, err = h.cs.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = h.cs.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = h.cs.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = h.cs.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		default:
			err = fmt.Errorf("cannot create %T", o)
		}
		if err != nil {
			m, _ := objs[i].(metav1.Object)
			return fmt.Errorf("create %T %s/%s: %w", objs[i], m.GetNamespace(), m.GetName(), err)
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		h.t.Fatal(err)
	}
}

// settle waits until the clusterrole-aggregation controller is done and the authorizer has seen
// every object, then reads the cluster and builds the model.
//
// The controller is done when every aggregated ClusterRole holds the rules its selectors produce
// from the stored rules of the others (a fixpoint). The model computes them; if it computes them
// differently, this times out and shows the difference.
func (h *sarHarness) settle() *rbac.Model {
	h.t.Helper()
	ctx := h.t.Context()
	deadline := time.Now().Add(45 * time.Second)
	for {
		diff, reordered, err := aggregationDiff(ctx, h.cs)
		if err == nil && diff == "" {
			if reordered > 0 {
				h.t.Logf("%d aggregated ClusterRoles hold the rules the model computes, in another order", reordered)
			}
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("aggregated ClusterRoles did not reach the rules the model computes:\n%v%s", err, diff)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The authorizer reads RBAC objects through informers, one watch per kind, in order: once it
	// allows what objects created last grant, it has seen every earlier object. (The rules of the
	// aggregated roles have reached their final sets, and nothing selects the sentinel
	// ClusterRole.)
	h.syncs++
	name := "zz-sentinel-" + strconv.Itoa(h.syncs)
	h.create([]runtime.Object{
		clusterRole(name, nil, nil, urlRule(l("get"), "/"+name)),
		crb(name, "ClusterRole", name, userSubject(name)),
		role("alpha", name, resourceRule(l("get"), l("example.com"), l("sentinels"), name)),
		rb("alpha", name, "Role", name, userSubject(name)),
	})
	id := rbac.Identity{User: name}
	sentinels := []probe{{id: id, req: url("get", "/"+name)}, {id: id, req: res("get", "example.com", "sentinels", "", "alpha", name)}}
	for deadline := time.Now().Add(30 * time.Second); ; {
		a := h.review(sentinels)
		if a[0].allowed && a[1].allowed {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the authorizer never allowed the sentinel's requests: %+v", a)
		}
		time.Sleep(50 * time.Millisecond)
	}

	inv := inventory.New()
	if _, err := cluster.Load(ctx, cluster.Options{Kubeconfig: h.kubeconfig, QPS: 500, Burst: 1000}, inv); err != nil {
		h.t.Fatal(err)
	}
	if p := inv.Problems(); len(p) > 0 {
		h.t.Fatalf("reading the cluster: %v", p)
	}
	m := rbac.Build(inv)
	if _, ok := m.Allows(id, sentinels[1].req); !ok {
		h.t.Fatal("the model read from the cluster does not have the sentinel")
	}
	return m
}

// aggregationDiff describes the aggregated ClusterRoles whose stored rules differ from what the
// model computes; empty when there are none.
//
// The rules must come in the model's order too, except for roles that select themselves through
// other aggregated roles, or select such roles: there, only the sets of rules must agree. The
// controller never settles on an order for a cycle (it keeps rewriting the roles, several times a
// second, with the same rules reordered, as its workers read each other's previous writes), and
// the set is what the authorizer decides on. reordered counts those roles.
func aggregationDiff(ctx context.Context, cs kubernetes.Interface) (diff string, reordered int, err error) {
	list, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", 0, err
	}
	var objs []runtime.Object
	for i := range list.Items {
		objs = append(objs, &list.Items[i])
	}
	m := build(objs...)
	unsettled := cyclic(m, list.Items)
	var b strings.Builder
	for i := range list.Items {
		cr := &list.Items[i]
		if cr.AggregationRule == nil {
			continue
		}
		got := m.ClusterRole(cr.Name).Rules
		switch {
		case equality.Semantic.DeepEqual(got, cr.Rules):
		case unsettled[cr.Name] && sameRules(got, cr.Rules):
			reordered++
		default:
			fmt.Fprintf(&b, "ClusterRole %s:\n  stored %v\n  model  %v\n", cr.Name, cr.Rules, got)
		}
	}
	return b.String(), reordered, nil
}

// cyclic returns the aggregated ClusterRoles that reach a cycle of aggregation.
func cyclic(m *rbac.Model, roles []rbacv1.ClusterRole) map[string]bool {
	reach := func(from string) map[string]bool {
		seen := map[string]bool{}
		todo := []string{from}
		for len(todo) > 0 {
			r := m.ClusterRole(todo[0])
			todo = todo[1:]
			for _, src := range r.AggregatedFrom {
				if !seen[src] {
					seen[src] = true
					todo = append(todo, src)
				}
			}
		}
		return seen
	}
	reaches := map[string]map[string]bool{}
	for _, cr := range roles {
		reaches[cr.Name] = reach(cr.Name)
	}
	out := map[string]bool{}
	for _, cr := range roles {
		for x := range reaches[cr.Name] {
			if reaches[x][x] {
				out[cr.Name] = true
			}
		}
	}
	return out
}

// sameRules reports whether two lists hold the same rules, in any order.
func sameRules(a, b []rbacv1.PolicyRule) bool {
	in := func(rules []rbacv1.PolicyRule, r rbacv1.PolicyRule) bool {
		return slices.ContainsFunc(rules, func(x rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(x, r) })
	}
	for _, r := range a {
		if !in(b, r) {
			return false
		}
	}
	for _, r := range b {
		if !in(a, r) {
			return false
		}
	}
	return true
}

// probe is one question: may id make req?
type probe struct {
	id     rbac.Identity
	req    rbac.Request
	origin string
}

type answer struct {
	allowed bool
	reason  string
}

// review asks the API server about every probe with SubjectAccessReviews, concurrently.
func (h *sarHarness) review(probes []probe) []answer {
	h.t.Helper()
	ctx := h.t.Context()
	out := make([]answer, len(probes))
	errs := parallel(len(probes), func(i int) error {
		p := probes[i]
		spec := authorizationv1.SubjectAccessReviewSpec{User: p.id.User, Groups: p.id.Groups}
		if p.req.NonResource() {
			spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Verb: p.req.Verb, Path: p.req.Path}
		} else {
			spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Verb: p.req.Verb, Group: p.req.APIGroup,
				Resource: p.req.Resource, Subresource: p.req.Subresource, Namespace: p.req.Namespace, Name: p.req.Name}
		}
		sar, err := h.cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("SubjectAccessReview for %v: %s: %w", p.id, p.req, err)
		}
		out[i] = answer{allowed: sar.Status.Allowed, reason: sar.Status.Reason}
		if sar.Status.EvaluationError != "" {
			out[i].reason += " (evaluation error: " + sar.Status.EvaluationError + ")"
		}
		if sar.Status.Denied {
			out[i].reason += " (denied explicitly)"
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// parallel runs f(0..n-1) on sarWorkers goroutines and returns the errors (at most 10).
func parallel(n int, f func(i int) error) []error {
	var (
		next atomic.Int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range sarWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if len(errs) < 10 {
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// compare checks the model against the authorizer's answers: Allows, and the reverse views
// (WhoCan, GrantsTo) that must lead to the same answer.
func (h *sarHarness) compare(m *rbac.Model, probes []probe, answers []answer) {
	t := h.t
	t.Helper()
	var (
		allowed, nonResource, viaRoleBinding, viaClusterRoleBinding int
		bad                                                         []string
		grantsTo                                                    = map[string][]rbac.Grant{}
	)
	for i, p := range probes {
		a := answers[i]
		g, got := m.Allows(p.id, p.req)
		key := p.id.User + "|" + strings.Join(p.id.Groups, ",")
		gs, ok := grantsTo[key]
		if !ok {
			gs = m.GrantsTo(p.id)
			grantsTo[key] = gs
		}
		byGrantsTo := allowedBy(gs, p.req, nil)
		byWhoCan, whoCan := a.allowed, "not checked" // WhoCan is slower: a quarter of the sample is enough
		if i%4 == 0 {
			byWhoCan = allowedBy(m.WhoCan(p.req), p.req, &p.id)
			whoCan = strconv.FormatBool(byWhoCan)
		}
		if a.allowed {
			allowed++
		}
		if p.req.NonResource() {
			nonResource++
		}
		if got && g.Binding.ClusterWide() {
			viaClusterRoleBinding++
		} else if got {
			viaRoleBinding++
		}
		if got == a.allowed && byGrantsTo == a.allowed && byWhoCan == a.allowed {
			continue
		}
		if len(bad) == maxReported {
			bad = append(bad, "...")
		}
		if len(bad) > maxReported {
			continue
		}
		var b strings.Builder
		r := p.req
		fmt.Fprintf(&b, "#%d (%s)\n    identity: user %q groups %q\n", i, p.origin, p.id.User, p.id.Groups)
		if r.NonResource() {
			fmt.Fprintf(&b, "    request:  verb %q path %q\n", r.Verb, r.Path)
		} else {
			fmt.Fprintf(&b, "    request:  verb %q group %q resource %q subresource %q namespace %q name %q\n",
				r.Verb, r.APIGroup, r.Resource, r.Subresource, r.Namespace, r.Name)
		}
		fmt.Fprintf(&b, "    SubjectAccessReview: allowed=%v reason=%q\n    model: Allows=%v GrantsTo=%v WhoCan=%s", a.allowed, a.reason, got, byGrantsTo, whoCan)
		if got {
			fmt.Fprintf(&b, "\n    model grant: %s, subject %s, rule %d %+v", g.Evidence(), g.Subject, g.RuleIndex, *g.Rule())
		}
		bad = append(bad, b.String())
	}
	n := len(probes)
	t.Logf("%d probes (%d non-resource): SubjectAccessReview allowed %d (%.1f%%), denied %d; the model allowed %d through ClusterRoleBindings and %d through RoleBindings; %d bindings in the cluster",
		n, nonResource, allowed, 100*float64(allowed)/float64(n), n-allowed, viaClusterRoleBinding, viaRoleBinding, len(m.Bindings))
	if len(bad) > 0 {
		t.Errorf("the model disagrees with the RBAC authorizer:\n%s", strings.Join(bad, "\n"))
	}
	if allowed < n/10 || n-allowed < n/10 {
		t.Errorf("a poor sample: %d of %d allowed; both answers should be at least 10%%", allowed, n)
	}
	if viaRoleBinding < n/50 || viaClusterRoleBinding < n/50 {
		t.Errorf("a poor sample: %d allowed through RoleBindings and %d through ClusterRoleBindings", viaRoleBinding, viaClusterRoleBinding)
	}
}

// allowedBy reports whether one of the grants allows the request in its scope; with id, only the
// grants whose subject names the identity count (as WhoCan returns every subject).
func allowedBy(gs []rbac.Grant, r rbac.Request, id *rbac.Identity) bool {
	for _, g := range gs {
		if !g.Binding.ClusterWide() && (r.NonResource() || g.Namespace() != r.Namespace) {
			continue
		}
		if !rbac.RuleAllows(g.Rule(), r) {
			continue
		}
		if id == nil {
			return true
		}
		switch s := g.Subject; s.Kind {
		case rbac.User:
			if id.User == s.Name {
				return true
			}
		case rbac.Group:
			if slices.Contains(id.Groups, s.Name) {
				return true
			}
		case rbac.ServiceAccount:
			if id.User == rbac.ServiceAccountUser(s.Namespace, s.Name) {
				return true
			}
		}
	}
	return false
}

// --- phase 1: hand-written objects and cases ---

func handWrittenObjects() []runtime.Object {
	labels := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	verbs := func(v ...string) []string { return v }
	return []runtime.Object{
		// Subresources and wildcards.
		clusterRole("hw-exec", nil, nil,
			resourceRule(l("create"), l(""), l("pods/exec")),
			resourceRule(l("get"), l("*"), l("*/status")),
			resourceRule(l("update", "patch"), l("apps"), l("deployments/scale"))),
		clusterRole("hw-wild", nil, nil, resourceRule(l("*"), l("example.com"), l("*"))),
		clusterRole("hw-wild-verbs", nil, nil, resourceRule(l("*"), l(""), l("configmaps"))),
		clusterRole("hw-wild-groups", nil, nil, resourceRule(l("get"), l("*"), l("deployments"))),
		clusterRole("hw-star-star", nil, nil, resourceRule(l("get"), l(""), l("*/*"))),
		// Non-resource URLs.
		clusterRole("hw-nonres", nil, nil,
			urlRule(verbs("get"), "/custom", "/logs/*", "/metrics*", "/deep**"),
			urlRule(verbs("*"), "/any-verb")),
		clusterRole("hw-nonres-all", nil, nil, urlRule(verbs("get"), "*")),
		// An empty resource name.
		clusterRole("hw-empty-name", nil, nil, resourceRule(l("list"), l(""), l("configmaps"), "")),
		// Aggregation.
		clusterRole("hw-agg-grandparent", nil, aggregation(selector(labels("hw/agg", "grandparent")))),
		clusterRole("hw-agg-parent", labels("hw/agg", "grandparent"), aggregation(
			selector(labels("hw/agg", "parent")),
			selector(nil, metav1.LabelSelectorRequirement{Key: "hw/tier", Operator: metav1.LabelSelectorOpIn, Values: l("gold", "silver")})),
			getSecrets), // stale: the controller replaces it
		clusterRole("hw-agg-child-a", labels("hw/agg", "parent"), nil, resourceRule(l("get", "list"), l(""), l("pods"))),
		clusterRole("hw-agg-child-b", labels("hw/tier", "gold"), nil, execPods, resourceRule(l("get", "list"), l(""), l("pods"))),
		clusterRole("hw-agg-child-c", labels("hw/tier", "bronze"), nil, resourceRule(l("delete"), l(""), l("pods"))),
		clusterRole("hw-agg-self", labels("hw/self", "yes"), aggregation(selector(labels("hw/self", "yes")), selector(labels("hw/agg", "parent"))), getCM),
		clusterRole("hw-agg-expr", nil, aggregation(selector(labels("hw/family", "x"),
			metav1.LabelSelectorRequirement{Key: "hw/level", Operator: metav1.LabelSelectorOpNotIn, Values: l("high")},
			metav1.LabelSelectorRequirement{Key: "hw/deprecated", Operator: metav1.LabelSelectorOpDoesNotExist}))),
		clusterRole("hw-fam-1", labels("hw/family", "x", "hw/level", "low"), nil, getCM),
		clusterRole("hw-fam-2", labels("hw/family", "x", "hw/level", "high"), nil, getSecrets),
		clusterRole("hw-fam-3", labels("hw/family", "x", "hw/deprecated", "true"), nil, deleteCM),
		clusterRole("hw-fam-4", labels("hw/family", "x"), nil, listCM),
		clusterRole("hw-agg-exists", nil, aggregation(selector(nil, metav1.LabelSelectorRequirement{Key: "hw/marker", Operator: metav1.LabelSelectorOpExists}))),
		clusterRole("hw-ex-1", labels("hw/marker", ""), nil, watchSvc),
		// Aggregated roles that select each other.
		clusterRole("hw-cycle-a", labels("hw/cycle", "yes"), aggregation(selector(labels("hw/cycle", "yes")), selector(labels("hw/cycle-src", "a")))),
		clusterRole("hw-cycle-b", labels("hw/cycle", "yes"), aggregation(selector(labels("hw/cycle", "yes")), selector(labels("hw/cycle-src", "b")))),
		clusterRole("hw-cycle-src-a", labels("hw/cycle-src", "a"), nil, resourceRule(l("get"), l("example.com"), l("gadgets"))),
		clusterRole("hw-cycle-src-b", labels("hw/cycle-src", "b"), nil, resourceRule(l("list"), l("example.com"), l("gadgets"))),
		// Into the bootstrap aggregated roles: view, and through it edit and admin.
		clusterRole("hw-to-view", labels("rbac.authorization.k8s.io/aggregate-to-view", "true"), nil,
			resourceRule(l("get", "list"), l("example.com"), l("widgets"))),

		role("alpha", "hw-names", resourceRule(l("get", "update", "list"), l(""), l("secrets"), "token", "cfg")),
		role("alpha", "hw-pods", getPods),

		crb("hw-alice-exec", "ClusterRole", "hw-exec", userSubject("alice")),
		rb("alpha", "hw-names", "Role", "hw-names", userSubject("bob"), groupSubject("hw-devs")),
		rb("beta", "hw-carol", "ClusterRole", "hw-wild-verbs", userSubject("carol")),
		rb("alpha", "hw-sa", "ClusterRole", "hw-wild-groups", saSubject("", "robot"), saSubject("beta", "ci")),
		crb("hw-nonres", "ClusterRole", "hw-nonres", saSubject("gamma", "deployer"), groupSubject("hw-ops")),
		rb("alpha", "hw-dangling-role", "Role", "hw-missing", userSubject("dave")),
		crb("hw-dangling", "ClusterRole", "hw-missing", userSubject("dave")),
		rb("gamma", "hw-agg", "ClusterRole", "hw-agg-grandparent", userSubject("erin")),
		crb("hw-agg-self", "ClusterRole", "hw-agg-self", userSubject("frank")),
		crb("hw-agg-expr", "ClusterRole", "hw-agg-expr", userSubject("grace")),
		crb("hw-agg-exists", "ClusterRole", "hw-agg-exists", userSubject("grace")),
		rb("alpha", "hw-view", "ClusterRole", "view", userSubject("viewer")),
		rb("alpha", "hw-admin", "ClusterRole", "admin", groupSubject("hw-admins")),
		rb("alpha", "hw-usersa", "ClusterRole", "hw-wild", userSubject("system:serviceaccount:alpha:ghost")),
		crb("hw-sa-group", "ClusterRole", "hw-wild", groupSubject("system:serviceaccounts:gamma")),
		crb("hw-empty-name", "ClusterRole", "hw-empty-name", userSubject("heidi")),
		rb("beta", "hw-pods-from-alpha", "Role", "hw-pods", userSubject("ivan")),
		crb("hw-nonres-all", "ClusterRole", "hw-nonres-all", userSubject("judy")),
		rb("alpha", "hw-nonres-via-rb", "ClusterRole", "hw-nonres-all", userSubject("karl")),
		crb("hw-star-star", "ClusterRole", "hw-star-star", userSubject("mallory")),
		crb("hw-cycle", "ClusterRole", "hw-cycle-a", userSubject("olivia")),
	}
}

type sarCase struct {
	name string
	id   rbac.Identity
	req  rbac.Request
	want bool
}

func handWrittenCases() []sarCase {
	anonymous := rbac.Subject{Kind: rbac.User, Name: rbac.UserAnonymous}.Identity()
	return []sarCase{
		// Subresources.
		{"R/S", userID("alice"), res("create", "", "pods", "exec", "alpha", "web"), true},
		{"R/S cluster-wide", userID("alice"), res("create", "", "pods", "exec", "", ""), true},
		{"R/S other verb", userID("alice"), res("get", "", "pods", "exec", "alpha", "web"), false},
		{"R/S does not grant R", userID("alice"), res("create", "", "pods", "", "alpha", ""), false},
		{"*/S in any group", userID("alice"), res("get", "apps", "deployments", "status", "beta", "d"), true},
		{"*/S core", userID("alice"), res("get", "", "pods", "status", "", ""), true},
		{"*/S does not grant R", userID("alice"), res("get", "", "pods", "", "alpha", "web"), false},
		{"deployments/scale", userID("alice"), res("update", "apps", "deployments", "scale", "alpha", "d"), true},
		{"deployments/scale patch", userID("alice"), res("patch", "apps", "deployments", "scale", "gamma", "d"), true},
		{"deployments/scale other group", userID("alice"), res("update", "", "deployments", "scale", "alpha", "d"), false},
		{"deployments/scale does not grant deployments", userID("alice"), res("update", "apps", "deployments", "", "alpha", "d"), false},
		{"*/* is not every subresource", userID("mallory"), res("get", "", "pods", "log", "alpha", "web"), false},
		{"*/* is the subresource *", userID("mallory"), res("get", "", "pods", "*", "alpha", "web"), true},
		{"bootstrap basic-user", userID("alice"), res("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", ""), true},

		// Resource names.
		{"name listed", userID("bob"), res("get", "", "secrets", "", "alpha", "token"), true},
		{"name not listed", userID("bob"), res("get", "", "secrets", "", "alpha", "other"), false},
		{"list without name", userID("bob"), res("list", "", "secrets", "", "alpha", ""), false},
		{"list with a name", userID("bob"), res("list", "", "secrets", "", "alpha", "token"), true},
		{"create without name", userID("bob"), res("create", "", "secrets", "", "alpha", ""), false},
		{"name in another namespace", userID("bob"), res("get", "", "secrets", "", "beta", "token"), false},
		{"name cluster-wide", userID("bob"), res("get", "", "secrets", "", "", "token"), false},
		{"name through a group", groupID("hw-devs"), res("update", "", "secrets", "", "alpha", "cfg"), true},
		{"empty name matches no name", userID("heidi"), res("list", "", "configmaps", "", "alpha", ""), true},
		{"empty name does not match a name", userID("heidi"), res("list", "", "configmaps", "", "alpha", "x"), false},

		// Wildcards, RoleBinding to a ClusterRole.
		{"verb * in RoleBinding's namespace", userID("carol"), res("delete", "", "configmaps", "", "beta", "c"), true},
		{"verb * covers unknown verbs", userID("carol"), res("frobnicate", "", "configmaps", "", "beta", ""), true},
		{"RoleBinding in another namespace", userID("carol"), res("get", "", "configmaps", "", "alpha", "c"), false},
		{"RoleBinding cluster-wide", userID("carol"), res("get", "", "configmaps", "", "", ""), false},
		{"resource does not grant its subresources", userID("carol"), res("get", "", "configmaps", "status", "beta", "c"), false},
		{"resource * in a group", userID("system:serviceaccount:alpha:ghost"), res("delete", "example.com", "widgets", "", "alpha", "w"), true},
		{"resource * covers subresources", userID("system:serviceaccount:alpha:ghost"), res("update", "example.com", "widgets", "status", "alpha", "w"), true},
		{"resource * in another group", userID("system:serviceaccount:alpha:ghost"), res("delete", "apps", "widgets", "", "alpha", "w"), false},

		// Service accounts.
		{"SA without namespace is the RoleBinding's", saID("alpha", "robot"), res("get", "example.com", "deployments", "", "alpha", "d"), true},
		{"SA without namespace, other namespace", saID("beta", "robot"), res("get", "example.com", "deployments", "", "alpha", "d"), false},
		{"SA granted only in the RoleBinding's namespace", saID("alpha", "robot"), res("get", "apps", "deployments", "", "beta", "d"), false},
		{"SA of another namespace", saID("beta", "ci"), res("get", "apps", "deployments", "", "alpha", "d"), true},
		{"SA of another namespace, in its own", saID("beta", "ci"), res("get", "apps", "deployments", "", "beta", "d"), false},
		{"SA user name as User subject", saID("alpha", "ghost"), res("get", "example.com", "widgets", "", "alpha", "w"), true},
		{"SA namespace group", saID("gamma", "anyone"), res("get", "example.com", "widgets", "", "beta", "w"), true},
		{"SA namespace group, group only", groupID("system:serviceaccounts:gamma"), res("list", "example.com", "gadgets", "", "", ""), true},
		{"SA namespace group, other namespace", saID("beta", "anyone"), res("get", "example.com", "widgets", "", "beta", "w"), false},

		// Non-resource URLs.
		{"URL exact", saID("gamma", "deployer"), url("get", "/custom"), true},
		{"URL exact is not a prefix", saID("gamma", "deployer"), url("get", "/custom/x"), false},
		{"URL other verb", saID("gamma", "deployer"), url("post", "/custom"), false},
		{"URL /* prefix", saID("gamma", "deployer"), url("get", "/logs/kube.log"), true},
		{"URL /* needs the slash", saID("gamma", "deployer"), url("get", "/logs"), false},
		{"URL * prefix", saID("gamma", "deployer"), url("get", "/metricsfoo"), true},
		{"URL * prefix itself", saID("gamma", "deployer"), url("get", "/metrics"), true},
		{"URL ** prefix itself", saID("gamma", "deployer"), url("get", "/deep"), true},
		{"URL ** prefix", saID("gamma", "deployer"), url("get", "/deepest/x"), true},
		{"URL verb *", saID("gamma", "deployer"), url("delete", "/any-verb"), true},
		{"URL through a group", groupID("hw-ops"), url("get", "/logs/a"), true},
		{"URL *", userID("judy"), url("get", "/anything/at/all"), true},
		{"URL * other verb", userID("judy"), url("post", "/anything"), false},
		{"URL never through a RoleBinding", userID("karl"), url("get", "/karl"), false},
		{"bootstrap public-info-viewer", anonymous, url("get", "/healthz"), true},
		{"bootstrap discovery needs authentication", anonymous, url("get", "/api"), false},
		{"bootstrap discovery", userID("dave"), url("get", "/apis/apps"), true},

		// Dangling references.
		{"missing Role", userID("dave"), res("get", "", "pods", "", "alpha", "web"), false},
		{"missing ClusterRole", userID("dave"), url("get", "/custom"), false},
		{"Role of another namespace", userID("ivan"), res("get", "", "pods", "", "beta", "web"), false},

		// Aggregation.
		{"aggregated through an aggregated role", userID("erin"), res("get", "", "pods", "", "gamma", "web"), true},
		{"aggregated list", userID("erin"), res("list", "", "pods", "", "gamma", ""), true},
		{"aggregated by In", userID("erin"), res("create", "", "pods", "exec", "gamma", "web"), true},
		{"not selected by In", userID("erin"), res("delete", "", "pods", "", "gamma", "web"), false},
		{"stale rules of an aggregated role", userID("erin"), res("get", "", "secrets", "", "gamma", "s"), false},
		{"aggregated role in a RoleBinding", userID("erin"), res("get", "", "pods", "", "alpha", "web"), false},
		{"self-selection ignored", userID("frank"), res("get", "", "pods", "", "", ""), true},
		{"self-selection stale rules", userID("frank"), res("get", "", "configmaps", "", "", ""), false},
		{"NotIn, key missing", userID("grace"), res("list", "", "configmaps", "", "", ""), true},
		{"NotIn, other value", userID("grace"), res("get", "", "configmaps", "", "beta", "c"), true},
		{"NotIn, excluded value", userID("grace"), res("get", "", "secrets", "", "", ""), false},
		{"DoesNotExist", userID("grace"), res("delete", "", "configmaps", "", "", ""), false},
		{"Exists with an empty value", userID("grace"), res("watch", "", "services", "", "", ""), true},
		{"cycle, own source", userID("olivia"), res("get", "example.com", "gadgets", "", "", "g"), true},
		{"cycle, the other's source", userID("olivia"), res("list", "example.com", "gadgets", "", "beta", ""), true},
		{"cycle, neither", userID("olivia"), res("delete", "example.com", "gadgets", "", "beta", "g"), false},
		{"aggregate-to-view", userID("viewer"), res("get", "example.com", "widgets", "", "alpha", "w"), true},
		{"view", userID("viewer"), res("list", "", "pods", "", "alpha", ""), true},
		{"view has no secrets", userID("viewer"), res("get", "", "secrets", "", "alpha", "s"), false},
		{"view is read-only", userID("viewer"), res("create", "", "pods", "", "alpha", ""), false},
		{"view in another namespace", userID("viewer"), res("get", "example.com", "widgets", "", "beta", "w"), false},
		{"admin has view's aggregated rules", groupID("hw-admins"), res("list", "example.com", "widgets", "", "alpha", ""), true},
		{"admin", groupID("hw-admins"), res("create", "", "pods", "exec", "alpha", "web"), true},
		{"admin has secrets", userID("zed", "hw-admins"), res("get", "", "secrets", "", "alpha", "s"), true},
		{"admin only in its namespace", groupID("hw-admins"), res("get", "example.com", "widgets", "", "", ""), false},

		// Groups.
		{"system:masters", groupID("system:masters"), res("delete", "", "nodes", "", "", "n1"), true},
		{"no groups at all", rbac.Identity{User: "bob"}, res("get", "", "secrets", "", "alpha", "cfg"), true},
		{"a user named like a group", rbac.Identity{User: "hw-devs"}, res("get", "", "secrets", "", "alpha", "cfg"), false},
	}
}

// --- phase 2: the generator ---

var (
	genVerbs       = l("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "use")
	genExtraVerbs  = l("frobnicate", "*", "approve", "") // only in requests
	genURLVerbs    = l("get", "post", "put", "delete", "head", "patch")
	genGroups      = l("", "apps", "batch", "rbac.authorization.k8s.io", "example.com")
	genResources   = l("pods", "secrets", "configmaps", "deployments", "services", "jobs", "roles", "nodes", "widgets")
	genSubs        = l("exec", "status", "scale", "log", "proxy")
	genNames       = l("web", "db", "token", "cfg")
	genURLs        = l("/healthz", "/healthz/*", "/metrics", "/logs/*", "/logs*", "/api", "/apis/*", "/custom**", "/version", "/openapi/*", "/", "/x/*/y")
	genPaths       = l("/healthz", "/healthz/etcd", "/healthzx", "/metrics", "/metrics/x", "/logs", "/logs/", "/logs/kube.log", "/logsx", "/api", "/api/v1", "/apis", "/apis/apps", "/custom", "/custom/x", "/customer", "/version", "/openapi/v2", "/", "/x/*/y", "/x/a/y", "/livez", "/readyz", "/debug/pprof")
	genUsers       = l("ann", "ben", "cat", "dan", "eve", "fay")
	genSubjGroups  = l("g-red", "g-blue", "g-green", "devs", "ops", "system:authenticated", "system:serviceaccounts", "system:serviceaccounts:beta", "system:unauthenticated")
	genExtraGroups = l("g-red", "g-blue", "g-green", "devs", "ops")
	genSANames     = l("default", "builder", "runner")
	genSANS        = l("alpha", "beta", "gamma", "default")
	genReqNS       = l("", "alpha", "beta", "gamma", "delta", "default", "kube-system")
	// Identities of the bootstrap policy.
	genSystemUsers  = l("system:kube-scheduler", "system:kube-controller-manager", "system:kube-proxy", "system:volume-scheduler", "system:anonymous")
	genSystemGroups = l("system:masters", "system:bootstrappers", "system:monitoring", "system:serviceaccounts:kube-system")
	genColors       = l("red", "blue", "green")
	genSizes        = l("s", "m", "l")
)

type generator struct {
	r            *rand.Rand
	clusterRoles []string
	roles        map[string][]string
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *generator) chance(percent int) bool { return g.r.IntN(100) < percent }

// some picks between lo and hi distinct elements.
func (g *generator) some(list []string, lo, hi int) []string {
	n := lo + g.r.IntN(hi-lo+1)
	perm := g.r.Perm(len(list))
	out := make([]string, 0, n)
	for _, i := range perm[:min(n, len(list))] {
		out = append(out, list[i])
	}
	return out
}

func (g *generator) resourceRule() rbacv1.PolicyRule {
	rule := rbacv1.PolicyRule{Verbs: g.some(genVerbs, 1, 3), APIGroups: g.some(genGroups, 1, 2)}
	if g.chance(6) {
		rule.Verbs = append(rule.Verbs, "*")
	}
	if g.chance(6) {
		rule.APIGroups = l("*")
	}
	for range 1 + g.r.IntN(3) {
		var r string
		switch x := g.r.IntN(100); {
		case x < 60:
			r = g.pick(genResources)
		case x < 85:
			r = g.pick(genResources) + "/" + g.pick(genSubs)
		case x < 92:
			r = "*/" + g.pick(genSubs)
		case x < 96:
			r = "*"
		case x < 98:
			r = "*/*"
		default:
			r = g.pick(genResources) + "/*"
		}
		if !slices.Contains(rule.Resources, r) {
			rule.Resources = append(rule.Resources, r)
		}
	}
	switch x := g.r.IntN(100); {
	case x < 25:
		rule.ResourceNames = g.some(genNames, 1, 2)
	case x < 28:
		rule.ResourceNames = l("")
	}
	return rule
}

func (g *generator) urlRule() rbacv1.PolicyRule {
	verbs := g.some(genURLVerbs, 1, 2)
	if g.chance(10) {
		verbs = l("*")
	}
	urls := g.some(genURLs, 1, 3)
	if g.chance(3) {
		urls = l("*")
	}
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
}

func (g *generator) rules(urls bool) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for range 1 + g.r.IntN(3) {
		if urls && g.chance(20) {
			out = append(out, g.urlRule())
		} else {
			out = append(out, g.resourceRule())
		}
	}
	return out
}

func (g *generator) labels() map[string]string {
	m := map[string]string{}
	if g.chance(50) {
		m["rnd/color"] = g.pick(genColors)
	}
	if g.chance(50) {
		m["rnd/size"] = g.pick(genSizes)
	}
	if g.chance(8) {
		m["rbac.authorization.k8s.io/aggregate-to-"+g.pick(l("view", "edit", "admin"))] = "true"
	}
	return m
}

// selector always requires a color, so that it never selects ClusterRoles that are not the
// generator's (a ClusterRole created later must not change an aggregation: see settle).
func (g *generator) selector() metav1.LabelSelector {
	return g.selectorOf("rnd/color", g.pick(genColors))
}

func (g *generator) selectorOf(key, value string) metav1.LabelSelector {
	s := selector(map[string]string{key: value})
	ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
	if g.chance(60) {
		req := metav1.LabelSelectorRequirement{Key: "rnd/size", Operator: ops[g.r.IntN(len(ops))]}
		if req.Operator == metav1.LabelSelectorOpIn || req.Operator == metav1.LabelSelectorOpNotIn {
			req.Values = g.some(genSizes, 1, 2)
		}
		s.MatchExpressions = append(s.MatchExpressions, req)
	}
	return s
}

func (g *generator) subjects(bindingNS string) []rbacv1.Subject {
	var out []rbacv1.Subject
	for range 1 + g.r.IntN(3) {
		switch x := g.r.IntN(100); {
		case x < 40:
			out = append(out, userSubject(g.pick(genUsers)))
		case x < 70:
			out = append(out, groupSubject(g.pick(genSubjGroups)))
		default:
			ns := g.pick(genSANS)
			if bindingNS != "" && g.chance(40) {
				ns = "" // the RoleBinding's
			}
			out = append(out, saSubject(ns, g.pick(genSANames)))
		}
	}
	return out
}

// objects returns the random RBAC objects: ClusterRoles (some aggregated, possibly in cycles),
// Roles, ClusterRoleBindings and RoleBindings, some of them to missing or bootstrap roles.
func (g *generator) objects() []runtime.Object {
	var objs []runtime.Object
	g.roles = map[string][]string{}
	for i := range 60 {
		name := fmt.Sprintf("rnd-cr-%02d", i)
		objs = append(objs, clusterRole(name, g.labels(), nil, g.rules(true)...))
		g.clusterRoles = append(g.clusterRoles, name)
	}
	// Aggregated roles select other aggregated roles only down a chain (rnd-agg-N may select
	// rnd-agg-M for M < N), never in a cycle: the controller keeps rewriting the roles of a
	// cycle, which is costly for large ones (phase 1 has a small cycle).
	for i := range 6 {
		name := fmt.Sprintf("rnd-agg-%d", i)
		var sels []metav1.LabelSelector
		for range 1 + g.r.IntN(2) {
			sels = append(sels, g.selector())
		}
		if i > 0 && g.chance(60) {
			sels = append(sels, g.selectorOf("rnd/chain", strconv.Itoa(g.r.IntN(i))))
		}
		labels := g.labels()
		delete(labels, "rnd/color")
		labels["rnd/chain"] = strconv.Itoa(i)
		objs = append(objs, clusterRole(name, labels, aggregation(sels...)))
		g.clusterRoles = append(g.clusterRoles, name)
	}
	for _, ns := range sarNamespaces {
		for i := range 20 {
			name := fmt.Sprintf("rnd-role-%02d", i)
			objs = append(objs, role(ns, name, g.rules(false)...))
			g.roles[ns] = append(g.roles[ns], name)
		}
	}
	clusterRoleRef := func() string {
		switch x := g.r.IntN(100); {
		case x < 5:
			return "rnd-missing"
		case x < 12:
			return g.pick(l("view", "edit", "admin", "system:basic-user"))
		}
		return g.pick(g.clusterRoles)
	}
	for i := range 35 {
		objs = append(objs, crb(fmt.Sprintf("rnd-crb-%02d", i), "ClusterRole", clusterRoleRef(), g.subjects("")...))
	}
	for _, ns := range sarNamespaces {
		for i := range 30 {
			name := fmt.Sprintf("rnd-rb-%02d", i)
			switch x := g.r.IntN(100); {
			case x < 5:
				objs = append(objs, rb(ns, name, "Role", "rnd-missing", g.subjects(ns)...))
			case x < 50:
				objs = append(objs, rb(ns, name, "Role", g.pick(g.roles[ns]), g.subjects(ns)...))
			default:
				objs = append(objs, rb(ns, name, "ClusterRole", clusterRoleRef(), g.subjects(ns)...))
			}
		}
	}
	return objs
}

// nodeIdentity reports identities the Node authorizer would answer for.
func nodeIdentity(id rbac.Identity) bool {
	return strings.HasPrefix(id.User, "system:node:") || slices.Contains(id.Groups, "system:nodes")
}

func (g *generator) identity() rbac.Identity {
	switch x := g.r.IntN(100); {
	case x < 30:
		id := userID(g.pick(genUsers))
		if g.chance(40) {
			id.Groups = append(id.Groups, g.some(genExtraGroups, 1, 2)...)
		}
		return id
	case x < 60:
		return saID(g.pick(l("alpha", "beta", "gamma", "default", "kube-system")), g.pick(slices.Concat(l("other"), genSANames)))
	case x < 82:
		id := groupID(g.pick(genSubjGroups))
		if g.chance(25) {
			id.Groups = append(id.Groups, g.pick(genExtraGroups))
		}
		return id
	case x < 92:
		return userID(g.pick(genSystemUsers))
	default:
		return groupID(g.pick(genSystemGroups))
	}
}

func (g *generator) request() rbac.Request {
	if g.chance(20) {
		return url(g.pick(slices.Concat(l("*"), genURLVerbs)), g.pick(genPaths))
	}
	r := rbac.Request{Verb: g.pick(genVerbs), APIGroup: g.pick(genGroups), Resource: g.pick(genResources), Namespace: g.pick(genReqNS)}
	if g.chance(8) {
		r.Verb = g.pick(genExtraVerbs)
	}
	if g.chance(35) {
		r.Subresource = g.pick(genSubs)
	}
	if g.chance(70) {
		r.Name = g.pick(genNames)
	}
	return r
}

// guided returns a question aimed at one rule of one binding of the model, so that matches and
// near misses are frequent; ok is false when the binding cannot be used.
func (g *generator) guided(m *rbac.Model) (probe, bool) {
	b := m.Bindings[g.r.IntN(len(m.Bindings))]
	if b.Role == nil || len(b.Subjects) == 0 || len(b.Role.Rules) == 0 {
		return probe{}, false
	}
	s := b.Subjects[g.r.IntN(len(b.Subjects))]
	var id rbac.Identity
	switch s.Kind {
	case rbacv1.UserKind:
		id = userID(s.Name)
	case rbacv1.GroupKind:
		id = groupID(s.Name)
		if g.chance(50) {
			id = userID(g.pick(genUsers), s.Name)
		}
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = b.Namespace
		}
		if ns == "" {
			return probe{}, false
		}
		id = saID(ns, s.Name)
	}
	rule := b.Role.Rules[g.r.IntN(len(b.Role.Rules))]
	pickOr := func(list, vocab []string) string {
		v := g.pick(list)
		if v == "*" {
			v = g.pick(vocab)
		}
		return v
	}
	var r rbac.Request
	if len(rule.NonResourceURLs) > 0 {
		r = url(pickOr(rule.Verbs, genURLVerbs), pickOr(rule.NonResourceURLs, genPaths))
		if strings.HasSuffix(r.Path, "*") {
			r.Path = strings.TrimRight(r.Path, "*") + g.pick(l("", "x", "/y", "/a/b"))
		}
	} else {
		r = rbac.Request{Verb: pickOr(rule.Verbs, genVerbs), APIGroup: pickOr(rule.APIGroups, genGroups), Namespace: b.Namespace}
		switch res, sub, _ := strings.Cut(pickOr(rule.Resources, genResources), "/"); {
		case res == "*":
			r.Resource, r.Subresource = g.pick(genResources), sub
		default:
			r.Resource, r.Subresource = res, sub
		}
		if b.ClusterWide() {
			r.Namespace = g.pick(genReqNS)
		}
		if len(rule.ResourceNames) > 0 {
			r.Name = g.pick(rule.ResourceNames)
		} else if g.chance(60) {
			r.Name = g.pick(genNames)
		}
	}
	// A near miss: change one thing.
	if g.chance(35) {
		switch g.r.IntN(7) {
		case 0:
			id = g.identity()
		case 1:
			r.Verb = g.pick(slices.Concat(genVerbs, genExtraVerbs))
		case 2:
			if r.NonResource() {
				r.Path = g.pick(genPaths)
			} else {
				r.APIGroup = g.pick(genGroups)
			}
		case 3:
			if r.NonResource() {
				r.Path += g.pick(l("/", "x", "*"))
			} else {
				r.Resource = g.pick(genResources)
			}
		case 4:
			r.Subresource = g.pick(slices.Concat(l(""), genSubs))
		case 5:
			r.Name = g.pick(slices.Concat(l(""), genNames))
		case 6:
			r.Namespace = g.pick(genReqNS)
		}
		if r.NonResource() {
			r.Subresource, r.Name, r.Namespace = "", "", ""
		}
	}
	return probe{id: id, req: r, origin: "aimed at " + b.Ref()}, true
}

// probes returns n questions: about half aimed at the model's bindings, half uniformly random.
func (g *generator) probes(m *rbac.Model, n int) []probe {
	out := make([]probe, 0, n)
	for len(out) < n {
		var p probe
		if g.chance(50) {
			var ok bool
			if p, ok = g.guided(m); !ok {
				continue
			}
		} else {
			p = probe{id: g.identity(), req: g.request(), origin: "random"}
		}
		if nodeIdentity(p.id) || (p.req.NonResource() && p.req.Path == "") {
			continue
		}
		out = append(out, p)
	}
	return out
}
