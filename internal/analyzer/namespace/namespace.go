// Package namespace analyzes namespaces and the cluster-facing objects in them: Pod Security
// admission labels, ResourceQuotas, LimitRanges and default-deny NetworkPolicies per namespace;
// credentials in ConfigMaps; Services and Ingresses that expose workloads; and the Kubernetes
// Dashboard.
//
// Which namespaces are judged is documented in docs/namespaces.md: a namespace is judged when its
// Namespace object is in the scan, or, with Config.JudgeAllNamespaces, when a workload in the scan
// lives in it. kube-public and kube-node-lease are never judged for the controls about pods
// (quota, limit range, default-deny policies); kube-system is judged only for the presence of an
// explicit Pod Security enforce label.
package namespace

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/nstarget"
	"github.com/kube4c/kube4c/internal/credential"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	netpolengine "github.com/kube4c/kube4c/internal/netpol"
	"github.com/kube4c/kube4c/internal/podspec"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	psaapi "k8s.io/pod-security-admission/api"
)

// Control IDs owned by this analyzer.
const (
	CtlPSSMissing        = "cluster/namespace-pss-enforce-missing"
	CtlPSSPrivileged     = "cluster/namespace-pss-privileged"
	CtlNoResourceQuota   = "cluster/namespace-no-resourcequota"
	CtlNoLimitRange      = "cluster/namespace-no-limitrange"
	CtlNoDenyIngress     = "cluster/namespace-no-default-deny-ingress"
	CtlNoDenyEgress      = "cluster/namespace-no-default-deny-egress"
	CtlConfigMapCreds    = "cluster/configmap-credentials"
	CtlServiceExposed    = "cluster/service-exposed-no-source-ranges"
	CtlIngressNoTLS      = "cluster/ingress-no-tls"
	CtlDashboardDeployed = "cluster/dashboard-deployed"
	CtlDashboardExposed  = "cluster/dashboard-exposed"
)

// System namespaces with special treatment (see docs/namespaces.md).
const (
	kubeSystem    = "kube-system"
	kubePublic    = "kube-public"
	kubeNodeLease = "kube-node-lease"
)

type nsAnalyzer struct{}

// New returns the namespace analyzer.
func New() analyzer.Analyzer { return nsAnalyzer{} }

func (nsAnalyzer) Name() string { return "namespace" }

func (nsAnalyzer) Controls() []string {
	ids := []string{CtlPSSMissing, CtlPSSPrivileged, CtlNoResourceQuota, CtlNoLimitRange, CtlNoDenyIngress,
		CtlNoDenyEgress, CtlConfigMapCreds, CtlServiceExposed, CtlIngressNoTLS, CtlDashboardDeployed, CtlDashboardExposed}
	sort.Strings(ids)
	return ids
}

func (a nsAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, cfg *analyzer.Config, rec analyzer.Recorder) error {
	if cfg == nil {
		cfg = analyzer.DefaultConfig()
	}
	idx := buildIndex(inv)
	steps := []func(*index, analyzer.Recorder){
		func(idx *index, rec analyzer.Recorder) { judgeNamespaces(idx, cfg, rec) },
		configMaps,
		services,
		ingresses,
		dashboards,
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		step(idx, rec)
	}
	return nil
}

// index holds what the controls look up across objects.
type index struct {
	inv        *inventory.Inventory
	namespaces []*inventory.Object            // Namespace objects, in inventory order
	workloads  map[string][]*inventory.Object // namespace → pod-bearing objects
	quotas     map[string][]*corev1.ResourceQuota
	limits     map[string][]*corev1.LimitRange
	policies   map[string][]*inventory.Object // namespace → NetworkPolicy objects
	services   map[string][]*inventory.Object // namespace → Service objects
	ingresses  map[string][]*inventory.Object // namespace → Ingress objects
}

func buildIndex(inv *inventory.Inventory) *index {
	idx := &index{
		inv:       inv,
		workloads: map[string][]*inventory.Object{},
		quotas:    map[string][]*corev1.ResourceQuota{},
		limits:    map[string][]*corev1.LimitRange{},
		policies:  map[string][]*inventory.Object{},
		services:  map[string][]*inventory.Object{},
		ingresses: map[string][]*inventory.Object{},
	}
	for _, o := range inv.Objects() {
		if podspec.IsWorkload(o) && o.Namespace != "" {
			idx.workloads[o.Namespace] = append(idx.workloads[o.Namespace], o)
		}
		switch v := o.Object.(type) {
		case *corev1.Namespace:
			idx.namespaces = append(idx.namespaces, o)
		case *corev1.ResourceQuota:
			idx.quotas[o.Namespace] = append(idx.quotas[o.Namespace], v)
		case *corev1.LimitRange:
			idx.limits[o.Namespace] = append(idx.limits[o.Namespace], v)
		case *networkingv1.NetworkPolicy:
			idx.policies[o.Namespace] = append(idx.policies[o.Namespace], o)
		case *corev1.Service:
			idx.services[o.Namespace] = append(idx.services[o.Namespace], o)
		case *networkingv1.Ingress:
			idx.ingresses[o.Namespace] = append(idx.ingresses[o.Namespace], o)
		}
	}
	return idx
}

// --- namespaces ---

// target is a namespace being judged (see nstarget).
type target = nstarget.Target

func judgeNamespaces(idx *index, cfg *analyzer.Config, rec analyzer.Recorder) {
	// A kind the source could not read (a cluster identity without list on it) is not "none":
	// the controls that look for it are reported not evaluated, and must not fail every namespace.
	unread := map[schema.GroupKind]bool{}
	for _, u := range idx.inv.Unavailable() {
		unread[schema.GroupKind{Group: u.Group, Kind: u.Kind}] = true
	}
	for _, t := range nstarget.List(idx.inv, cfg.JudgeAllNamespaces) {
		judgePSS(t, rec)
		podControls := t.Name != kubeSystem && t.Name != kubePublic && t.Name != kubeNodeLease
		if !podControls {
			continue
		}
		if ws := idx.workloads[t.Name]; len(ws) > 0 {
			if !unread[schema.GroupKind{Kind: "ResourceQuota"}] {
				judgeQuota(idx, t, ws, rec)
			}
			if !unread[schema.GroupKind{Kind: "LimitRange"}] {
				judgeLimitRange(idx, t, ws, rec)
			}
		}
		if !unread[schema.GroupKind{Group: networkingv1.GroupName, Kind: "NetworkPolicy"}] {
			judgeDefaultDeny(idx, t, rec)
		}
	}
}

func judgePSS(t *target, rec analyzer.Recorder) {
	var labels map[string]string
	if t.Object != nil {
		labels = t.Object.Labels()
	}
	level, has := labels[psaapi.EnforceLevelLabel]
	has = has && strings.TrimSpace(level) != ""
	// Always metadata.labels, even when the object has none (the location falls back to
	// metadata): the API server labels every Namespace with kubernetes.io/metadata.name, so a
	// manifest and the same Namespace read from a cluster must give the same finding (and
	// fingerprint).
	path := inventory.Path("metadata", "labels")
	msg := fmt.Sprintf("namespace %q has no %s label, so Pod Security admission enforces only the cluster default (privileged unless configured otherwise); label it %s=restricted (or baseline)",
		t.Name, psaapi.EnforceLevelLabel, psaapi.EnforceLevelLabel)
	if t.Name == kubeSystem {
		msg = fmt.Sprintf("namespace %q has no %s label; set it explicitly (privileged is acceptable for kube-system, which runs node-level system components) so the level it runs at is a decision, not the cluster default",
			t.Name, psaapi.EnforceLevelLabel)
	}
	t.Check(rec, CtlPSSMissing, has, path, msg)

	// The privileged level is only judged where the labels are known (a Namespace object in the
	// scan) and not for kube-system, where privileged is the expected level.
	if t.Object == nil || t.Name == kubeSystem {
		return
	}
	privileged := has && psaapi.Level(strings.TrimSpace(level)) == psaapi.LevelPrivileged
	t.Check(rec, CtlPSSPrivileged, !privileged, inventory.Path("metadata", "labels", psaapi.EnforceLevelLabel),
		fmt.Sprintf("namespace %q enforces the privileged Pod Security level (%s=privileged), which admits privileged and host-access pods; set it to restricted or baseline",
			t.Name, psaapi.EnforceLevelLabel))
}

func judgeQuota(idx *index, t *target, ws []*inventory.Object, rec analyzer.Recorder) {
	ok := false
	for _, q := range idx.quotas[t.Name] {
		if len(q.Spec.Hard) > 0 {
			ok = true
			break
		}
	}
	msg := fmt.Sprintf("namespace %q runs workloads (%s) but has no ResourceQuota with spec.hard limits; add one capping requests/limits for cpu and memory and the number of pods",
		t.Name, inventory.Names(ws, 3))
	if len(idx.quotas[t.Name]) > 0 {
		msg = fmt.Sprintf("namespace %q runs workloads (%s) but its ResourceQuotas set no spec.hard limits; add hard limits for cpu, memory and pods",
			t.Name, inventory.Names(ws, 3))
	}
	t.Check(rec, CtlNoResourceQuota, ok, nil, msg)
}

func judgeLimitRange(idx *index, t *target, ws []*inventory.Object, rec analyzer.Recorder) {
	ok := false
	for _, lr := range idx.limits[t.Name] {
		for _, item := range lr.Spec.Limits {
			if item.Type == corev1.LimitTypeContainer || item.Type == corev1.LimitTypePod {
				ok = true
			}
		}
	}
	msg := fmt.Sprintf("namespace %q runs workloads (%s) but has no LimitRange; add one with a limit of type Container giving default requests and limits for cpu and memory",
		t.Name, inventory.Names(ws, 3))
	if len(idx.limits[t.Name]) > 0 {
		msg = fmt.Sprintf("namespace %q runs workloads (%s) but its LimitRanges constrain neither containers nor pods; add a limit of type Container with default requests and limits",
			t.Name, inventory.Names(ws, 3))
	}
	t.Check(rec, CtlNoLimitRange, ok, nil, msg)
}

// selectsAll reports whether a pod selector is empty (selects every pod of the namespace).
func selectsAll(s metav1.LabelSelector) bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// DefaultDeny reports whether a NetworkPolicy denies all ingress (resp. egress) of every pod in
// its namespace: it selects all pods, its policy types include the direction, and it has no rule
// for that direction (any rule allows some traffic; an empty rule allows all).
func DefaultDeny(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if !selectsAll(np.Spec.PodSelector) {
		return false, false
	}
	in, eg := netpolengine.PolicyTypes(np)
	return in && len(np.Spec.Ingress) == 0, eg && len(np.Spec.Egress) == 0
}

func judgeDefaultDeny(idx *index, t *target, rec analyzer.Recorder) {
	policies := idx.policies[t.Name]
	var denyIn, denyEg bool
	for _, o := range policies {
		in, eg := DefaultDeny(o.Object.(*networkingv1.NetworkPolicy))
		denyIn = denyIn || in
		denyEg = denyEg || eg
	}
	t.Check(rec, CtlNoDenyIngress, denyIn, nil, fmt.Sprintf(
		"namespace %q has no default-deny ingress NetworkPolicy (%s); add one with podSelector: {}, policyTypes: [Ingress] and no ingress rules",
		t.Name, whyNoDeny(policies, true)))
	t.Check(rec, CtlNoDenyEgress, denyEg, nil, fmt.Sprintf(
		"namespace %q has no default-deny egress NetworkPolicy (%s); add one with podSelector: {}, policyTypes: [Egress] and no egress rules, then allow DNS and required destinations",
		t.Name, whyNoDeny(policies, false)))
}

// whyNoDeny explains why none of a namespace's policies is a default-deny for one direction.
func whyNoDeny(policies []*inventory.Object, ingress bool) string {
	if len(policies) == 0 {
		return "it has no NetworkPolicy at all"
	}
	dir := "egress"
	if ingress {
		dir = "ingress"
	}
	var allowing []string
	some, uncovered := 0, 0
	for _, o := range policies {
		np := o.Object.(*networkingv1.NetworkPolicy)
		in, eg := netpolengine.PolicyTypes(np)
		covers := (ingress && in) || (!ingress && eg)
		switch {
		case !selectsAll(np.Spec.PodSelector):
			some++
		case covers:
			allowing = append(allowing, o.Name)
		default:
			uncovered++
		}
	}
	var parts []string
	if len(allowing) > 0 {
		parts = append(parts, fmt.Sprintf("%s selects all pods but allows some %s traffic", strings.Join(allowing, ", "), dir))
	}
	if some > 0 {
		parts = append(parts, fmt.Sprintf("%d %s only some pods", some, plural(some, "policy selects", "policies select")))
	}
	if uncovered > 0 {
		parts = append(parts, fmt.Sprintf("%d %s not restrict %s", uncovered, plural(uncovered, "policy does", "policies do"), dir))
	}
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// --- ConfigMaps ---

func configMaps(idx *index, rec analyzer.Recorder) {
	for _, o := range idx.inv.OfKind("", "ConfigMap") {
		cm, ok := o.Object.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		rec.Evaluated(CtlConfigMapCreds, o)
		report := func(field, key, value string) {
			reason, ok := credential.LooksLikeCredential(key, value)
			if !ok {
				return
			}
			rec.Fail(finding.New(CtlConfigMapCreds, o, inventory.Path(field, key), fmt.Sprintf(
				"ConfigMap %s key %q holds what looks like a credential (%s; value %s); move it to a Secret and rotate it",
				field, key, reason, credential.Redact(value))))
		}
		for _, k := range sortedKeys(cm.Data) {
			report("data", k, cm.Data[k])
		}
		for _, k := range sortedKeys(cm.BinaryData) {
			report("binaryData", k, string(cm.BinaryData[k]))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// --- Services ---

// internalLBAnnotations make a cloud load balancer internal (reachable only from the private
// network), mapped to the values that mean internal ("" = any value except "false").
var internalLBAnnotations = map[string]string{
	"service.beta.kubernetes.io/aws-load-balancer-internal":              "",
	"service.beta.kubernetes.io/aws-load-balancer-scheme":                "internal",
	"networking.gke.io/load-balancer-type":                               "internal",
	"cloud.google.com/load-balancer-type":                                "internal",
	"service.beta.kubernetes.io/azure-load-balancer-internal":            "true",
	"service.beta.kubernetes.io/oci-load-balancer-internal":              "true",
	"service.beta.kubernetes.io/openstack-internal-load-balancer":        "true",
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type":     "private",
	"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet",
}

const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

func internalLB(ann map[string]string) (string, bool) {
	for _, k := range sortedKeys(internalLBAnnotations) {
		v, ok := ann[k]
		if !ok {
			continue
		}
		want := internalLBAnnotations[k]
		v = strings.ToLower(strings.TrimSpace(v))
		if (want == "" && v != "false" && v != "") || (want != "" && v == want) {
			return k, true
		}
	}
	return "", false
}

func openRange(r string) bool {
	r = strings.TrimSpace(r)
	return r == "0.0.0.0/0" || r == "::/0"
}

func nodePorts(svc *corev1.Service) string {
	var ps []string
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			ps = append(ps, fmt.Sprint(p.NodePort))
		} else {
			ps = append(ps, fmt.Sprintf("a node port for port %d", p.Port))
		}
	}
	if len(ps) == 0 {
		return "its node ports"
	}
	return strings.Join(ps, ", ")
}

func services(idx *index, rec analyzer.Recorder) {
	for _, o := range idx.inv.OfKind("", "Service") {
		svc, ok := o.Object.(*corev1.Service)
		if !ok {
			continue
		}
		rec.Evaluated(CtlServiceExposed, o)
		fail := func(path inventory.FieldPath, format string, args ...any) {
			rec.Fail(finding.New(CtlServiceExposed, o, path, fmt.Sprintf(format, args...)))
		}
		switch svc.Spec.Type {
		case corev1.ServiceTypeNodePort:
			fail(inventory.Path("spec", "type"),
				"Service type NodePort opens %s on every node's addresses, with no way to restrict sources; use type ClusterIP behind an Ingress or Gateway, or firewall the node ports",
				nodePorts(svc))
		case corev1.ServiceTypeLoadBalancer:
			if _, internal := internalLB(svc.Annotations); internal {
				continue
			}
			if len(svc.Spec.LoadBalancerSourceRanges) > 0 {
				for i, r := range svc.Spec.LoadBalancerSourceRanges {
					if openRange(r) {
						fail(inventory.Path("spec", "loadBalancerSourceRanges", i),
							"LoadBalancer Service allows every source (loadBalancerSourceRanges contains %s); list only the client networks", strings.TrimSpace(r))
						break
					}
				}
				continue
			}
			if ann, ok := svc.Annotations[sourceRangesAnnotation]; ok && strings.TrimSpace(ann) != "" {
				for _, r := range strings.Split(ann, ",") {
					if openRange(r) {
						fail(inventory.Path("metadata", "annotations", sourceRangesAnnotation),
							"LoadBalancer Service allows every source (annotation %s contains %s); list only the client networks", sourceRangesAnnotation, strings.TrimSpace(r))
						break
					}
				}
				continue
			}
			fail(inventory.Path("spec", "type"),
				"LoadBalancer Service has no spec.loadBalancerSourceRanges, so it accepts connections from any address; set loadBalancerSourceRanges to the client networks or make the load balancer internal")
		}
	}
}

// --- Ingresses ---

// hostCovered reports whether a TLS host pattern covers a rule host (exact, or a "*." wildcard
// covering exactly one label).
func hostCovered(tlsHost, host string) bool {
	tlsHost, host = strings.ToLower(strings.TrimSpace(tlsHost)), strings.ToLower(strings.TrimSpace(host))
	if tlsHost == host {
		return true
	}
	if suffix, ok := strings.CutPrefix(tlsHost, "*."); ok {
		first, rest, found := strings.Cut(host, ".")
		return found && first != "" && first != "*" && rest == suffix
	}
	return false
}

func ingresses(idx *index, rec analyzer.Recorder) {
	for _, o := range idx.inv.OfKind("networking.k8s.io", "Ingress") {
		ing, ok := o.Object.(*networkingv1.Ingress)
		if !ok {
			continue
		}
		rec.Evaluated(CtlIngressNoTLS, o)
		if len(ing.Spec.TLS) == 0 {
			var hosts []string
			for _, r := range ing.Spec.Rules {
				if r.Host != "" {
					hosts = append(hosts, r.Host)
				}
			}
			what := "all its traffic is"
			switch len(hosts) {
			case 0:
			case 1:
				what = "host " + hosts[0] + " is"
			default:
				what = "hosts " + strings.Join(hosts, ", ") + " are"
			}
			path := inventory.Path("spec")
			if len(ing.Spec.Rules) > 0 {
				path = inventory.Path("spec", "rules")
			}
			rec.Fail(finding.New(CtlIngressNoTLS, o, path, fmt.Sprintf(
				"Ingress has no spec.tls, so %s served over plain HTTP; add a tls entry with a certificate Secret covering the hosts", what)))
			continue
		}
		// A tls entry without hosts covers every host (the controller's certificate for this
		// Ingress); so does any tls entry for rules without a host.
		wildcard := false
		for _, tls := range ing.Spec.TLS {
			if len(tls.Hosts) == 0 {
				wildcard = true
			}
		}
		seen := map[string]bool{}
		for i, r := range ing.Spec.Rules {
			if r.Host == "" || wildcard || seen[strings.ToLower(r.Host)] {
				continue
			}
			seen[strings.ToLower(r.Host)] = true
			covered := false
			for _, tls := range ing.Spec.TLS {
				for _, h := range tls.Hosts {
					if hostCovered(h, r.Host) {
						covered = true
					}
				}
			}
			if !covered {
				rec.Fail(finding.New(CtlIngressNoTLS, o, inventory.Path("spec", "rules", i, "host"), fmt.Sprintf(
					"Ingress host %q is not listed in any spec.tls hosts, so it is served over plain HTTP; add it to a tls entry with a certificate that covers it", r.Host)))
			}
		}
	}
}

// --- Kubernetes Dashboard ---

// imageRepository strips the tag and digest from an image reference and lower-cases it.
func imageRepository(image string) string {
	ref := strings.TrimSpace(image)
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return strings.ToLower(ref)
}

// DashboardImage reports whether an image is a Kubernetes Dashboard component:
// [registry/]kubernetesui/dashboard* (dashboard, dashboard-api, dashboard-web, dashboard-auth) or
// the pre-2.0 */kubernetes-dashboard* images. kubernetesui/metrics-scraper, which serves no UI,
// is not.
func DashboardImage(image string) bool {
	parts := strings.Split(imageRepository(image), "/")
	last := parts[len(parts)-1]
	if len(parts) >= 2 && parts[len(parts)-2] == "kubernetesui" && strings.HasPrefix(last, "dashboard") {
		return true
	}
	return strings.HasPrefix(last, "kubernetes-dashboard")
}

// DashboardName reports whether a workload name is one of the Dashboard's: kubernetes-dashboard
// or kubernetes-dashboard-* (the Helm chart's api, web, auth and kong components), except the
// metrics scraper.
func DashboardName(name string) bool {
	n := strings.ToLower(name)
	return n == "kubernetes-dashboard" ||
		(strings.HasPrefix(n, "kubernetes-dashboard-") && !strings.HasSuffix(n, "metrics-scraper"))
}

type dashboard struct {
	o    *inventory.Object
	t    podspec.Template
	path inventory.FieldPath
	why  string
}

func findDashboard(o *inventory.Object) (dashboard, bool) {
	t, ok := podspec.Of(o)
	if !ok {
		return dashboard{}, false
	}
	for _, c := range t.Containers() {
		if DashboardImage(c.C.Image) {
			return dashboard{o: o, t: t, path: c.Path.Child("image"), why: fmt.Sprintf("%s %q runs image %s", c.Kind, c.C.Name, c.C.Image)}, true
		}
	}
	if DashboardName(o.Name) {
		return dashboard{o: o, t: t, path: inventory.Path("metadata", "name"), why: fmt.Sprintf("it is named %s", o.Name)}, true
	}
	return dashboard{}, false
}

// selects reports whether a Service selector (non-empty) matches pod labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

func dashboards(idx *index, rec analyzer.Recorder) {
	for _, o := range idx.inv.Objects() {
		t, ok := podspec.Of(o)
		if !ok || podspec.OwnedByWorkload(o) {
			continue
		}
		rec.Evaluated(CtlDashboardDeployed, o)
		d, ok := findDashboard(o)
		if !ok {
			continue
		}
		rec.Fail(finding.New(CtlDashboardDeployed, o, d.path, fmt.Sprintf(
			"%s %s is a Kubernetes Dashboard (%s); remove it if unused, otherwise give it a minimal service account and reach it only through kubectl port-forward or an authenticating proxy",
			o.Kind, o.Name, d.why)))

		rec.Evaluated(CtlDashboardExposed, o)
		var podLabels map[string]string
		if t.Meta != nil {
			podLabels = t.Meta.Labels
		}
		labelsPath := t.MetaPath.Child("labels")
		selecting := map[string]*inventory.Object{}
		for _, so := range idx.services[o.Namespace] {
			svc := so.Object.(*corev1.Service)
			if !selects(svc.Spec.Selector, podLabels) {
				continue
			}
			selecting[so.Name] = so
			if svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeNodePort {
				rec.Fail(finding.New(CtlDashboardExposed, o, labelsPath, fmt.Sprintf(
					"the Dashboard's pods are selected by Service %s of type %s (%s), which exposes them outside the cluster; make the Service ClusterIP and use kubectl port-forward",
					so.Name, svc.Spec.Type, so.Where())))
			}
		}
		for _, io := range idx.ingresses[o.Namespace] {
			ing := io.Object.(*networkingv1.Ingress)
			for _, name := range IngressServices(ing) {
				if _, ok := selecting[name]; ok {
					rec.Fail(finding.New(CtlDashboardExposed, o, labelsPath, fmt.Sprintf(
						"Ingress %s (%s) routes to Service %s, which selects the Dashboard's pods; remove the route or put an authenticating proxy in front",
						io.Name, io.Where(), name)))
				}
			}
		}
	}
}

// IngressServices lists the distinct Service names an Ingress routes to (default backend and
// paths), in order.
func IngressServices(ing *networkingv1.Ingress) []string {
	var out []string
	seen := map[string]bool{}
	add := func(b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil || b.Service.Name == "" || seen[b.Service.Name] {
			return
		}
		seen[b.Service.Name] = true
		out = append(out, b.Service.Name)
	}
	add(ing.Spec.DefaultBackend)
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for i := range r.HTTP.Paths {
			add(&r.HTTP.Paths[i].Backend)
		}
	}
	return out
}
