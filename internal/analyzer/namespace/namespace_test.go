package namespace

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var nsControls = []string{CtlPSSMissing, CtlPSSPrivileged, CtlNoResourceQuota, CtlNoLimitRange, CtlNoDenyIngress, CtlNoDenyEgress}

var (
	ingressOnly = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	egressOnly  = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	bothTypes   = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
)

func denyAll(ns string) *inventory.Object {
	return netpol(ns, "default-deny", networkingv1.NetworkPolicySpec{PolicyTypes: bothTypes})
}

func judgeAll() *analyzer.Config {
	c := analyzer.DefaultConfig()
	c.JudgeAllNamespaces = true
	return c
}

func all(ns string, ids ...string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id+" Namespace/"+ns)
	}
	sort.Strings(out)
	return out
}

func fails(ns string, idPaths ...string) []string {
	var out []string
	for _, ip := range idPaths {
		id, path, _ := strings.Cut(ip, "@")
		out = append(out, strings.TrimSpace(id+" Namespace/"+ns+" "+path))
	}
	sort.Strings(out)
	return out
}

func TestNamespaceControls(t *testing.T) {
	web := func(ns string) *inventory.Object {
		return deployment(ns, "web", "nginx:1.27", map[string]string{"app": "web"})
	}
	const labelsPath = `metadata.labels`
	const enforcePath = `metadata.labels["pod-security.kubernetes.io/enforce"]`
	tests := []struct {
		name   string
		cfg    *analyzer.Config
		objs   []*inventory.Object
		failed []string
		passed []string
	}{
		{
			name:   "hardened namespace",
			objs:   []*inventory.Object{namespace("app", enforce("restricted")), web("app"), quota("app", "q", true), limitRange("app", "lr", corev1.LimitTypeContainer), denyAll("app")},
			passed: all("app", nsControls...),
		},
		{
			name:   "bare namespace with a workload",
			objs:   []*inventory.Object{namespace("app", nil), web("app")},
			failed: fails("app", CtlPSSMissing+"@"+labelsPath, CtlNoResourceQuota+"@", CtlNoLimitRange+"@", CtlNoDenyIngress+"@", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSPrivileged),
		},
		{
			name:   "labels without the enforce label point at the labels",
			objs:   []*inventory.Object{namespace("app", map[string]string{"team": "a", "pod-security.kubernetes.io/warn": "restricted"}), denyAll("app")},
			failed: fails("app", CtlPSSMissing+"@"+labelsPath),
			passed: all("app", CtlPSSPrivileged, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name:   "empty enforce label is missing",
			objs:   []*inventory.Object{namespace("app", enforce(" ")), denyAll("app")},
			failed: fails("app", CtlPSSMissing+"@"+labelsPath),
			passed: all("app", CtlPSSPrivileged, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name:   "namespace without workloads: no quota or limit range judgement",
			objs:   []*inventory.Object{namespace("app", enforce("baseline"))},
			failed: fails("app", CtlNoDenyIngress+"@", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged),
		},
		{
			name:   "enforce=privileged",
			objs:   []*inventory.Object{namespace("app", enforce("privileged")), denyAll("app")},
			failed: fails("app", CtlPSSPrivileged+"@"+enforcePath),
			passed: all("app", CtlPSSMissing, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name:   "invalid enforce level is enforced as restricted",
			objs:   []*inventory.Object{namespace("app", enforce("strict")), denyAll("app")},
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name:   "quota without hard limits and a LimitRange for PVCs only",
			objs:   []*inventory.Object{namespace("app", enforce("restricted")), web("app"), quota("app", "q", false), limitRange("app", "lr", corev1.LimitTypePersistentVolumeClaim), denyAll("app")},
			failed: fails("app", CtlNoResourceQuota+"@", CtlNoLimitRange+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name:   "pod-level LimitRange counts",
			objs:   []*inventory.Object{namespace("app", enforce("restricted")), web("app"), quota("app", "q", true), limitRange("app", "lr", corev1.LimitTypePod), denyAll("app")},
			passed: all("app", nsControls...),
		},
		{
			name:   "quota and limit range in another namespace do not count",
			objs:   []*inventory.Object{namespace("app", enforce("restricted")), web("app"), quota("other", "q", true), limitRange("other", "lr", corev1.LimitTypeContainer), denyAll("app")},
			failed: fails("app", CtlNoResourceQuota+"@", CtlNoLimitRange+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyIngress, CtlNoDenyEgress),
		},

		// --- default deny edge cases ---
		{
			name: "empty podSelector with an allow-all ingress rule is not default-deny",
			objs: []*inventory.Object{namespace("app", enforce("restricted")),
				netpol("app", "allow-all", networkingv1.NetworkPolicySpec{PolicyTypes: ingressOnly, Ingress: []networkingv1.NetworkPolicyIngressRule{{}}})},
			failed: fails("app", CtlNoDenyIngress+"@", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged),
		},
		{
			name: "empty podSelector allowing some sources is not default-deny",
			objs: []*inventory.Object{namespace("app", enforce("restricted")),
				netpol("app", "same-ns", networkingv1.NetworkPolicySpec{PolicyTypes: bothTypes,
					Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}},
					Egress:  []networkingv1.NetworkPolicyEgressRule{{}}})},
			failed: fails("app", CtlNoDenyIngress+"@", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged),
		},
		{
			name:   "policyTypes absent and no rules: ingress deny only",
			objs:   []*inventory.Object{namespace("app", enforce("restricted")), netpol("app", "deny", networkingv1.NetworkPolicySpec{})},
			failed: fails("app", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyIngress),
		},
		{
			name: "policyTypes absent with egress rules: Ingress and Egress, ingress denied, egress allowed",
			objs: []*inventory.Object{namespace("app", enforce("restricted")),
				netpol("app", "deny-in-allow-out", networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{}}})},
			failed: fails("app", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyIngress),
		},
		{
			name: "egress-only deny",
			objs: []*inventory.Object{namespace("app", enforce("restricted")),
				netpol("app", "deny-egress", networkingv1.NetworkPolicySpec{PolicyTypes: egressOnly})},
			failed: fails("app", CtlNoDenyIngress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyEgress),
		},
		{
			name: "egress-only policy with ingress rules does not deny ingress",
			objs: []*inventory.Object{namespace("app", enforce("restricted")),
				netpol("app", "odd", networkingv1.NetworkPolicySpec{PolicyTypes: egressOnly, Ingress: []networkingv1.NetworkPolicyIngressRule{{}}})},
			failed: fails("app", CtlNoDenyIngress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyEgress),
		},
		{
			name: "separate ingress and egress deny policies",
			objs: []*inventory.Object{namespace("app", enforce("restricted")),
				netpol("app", "deny-in", networkingv1.NetworkPolicySpec{PolicyTypes: ingressOnly}),
				netpol("app", "deny-out", networkingv1.NetworkPolicySpec{PolicyTypes: egressOnly})},
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name: "deny policy plus allow policies is still default-deny",
			objs: []*inventory.Object{namespace("app", enforce("restricted")), denyAll("app"),
				netpol("app", "allow-web", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{}}})},
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name: "policies selecting some pods are not default-deny",
			objs: []*inventory.Object{namespace("app", enforce("restricted")),
				netpol("app", "labels", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, PolicyTypes: bothTypes}),
				netpol("app", "exprs", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}}, PolicyTypes: bothTypes})},
			failed: fails("app", CtlNoDenyIngress+"@", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged),
		},
		{
			name:   "deny policy in another namespace does not count",
			objs:   []*inventory.Object{namespace("app", enforce("restricted")), denyAll("other")},
			failed: fails("app", CtlNoDenyIngress+"@", CtlNoDenyEgress+"@"),
			passed: all("app", CtlPSSMissing, CtlPSSPrivileged),
		},

		// --- partial scans ---
		{
			name: "workload namespace without a Namespace object is not judged by default",
			objs: []*inventory.Object{web("app"), configMap("app", "cfg", map[string]string{"a": "b"}, nil)},
		},
		{
			name:   "with JudgeAllNamespaces the workload namespace is judged",
			cfg:    judgeAll(),
			objs:   []*inventory.Object{web("app")},
			failed: fails("app", CtlPSSMissing+"@", CtlNoResourceQuota+"@", CtlNoLimitRange+"@", CtlNoDenyIngress+"@", CtlNoDenyEgress+"@"),
		},
		{
			name:   "with JudgeAllNamespaces, passes in a namespace without a Namespace object",
			cfg:    judgeAll(),
			objs:   []*inventory.Object{web("app"), quota("app", "q", true), limitRange("app", "lr", corev1.LimitTypeContainer), denyAll("app")},
			failed: fails("app", CtlPSSMissing+"@"),
			passed: all("app", CtlNoResourceQuota, CtlNoLimitRange, CtlNoDenyIngress, CtlNoDenyEgress),
		},
		{
			name:   "JudgeAllNamespaces does not judge namespaces that only non-workloads use",
			cfg:    judgeAll(),
			objs:   []*inventory.Object{configMap("cfg-only", "cfg", nil, nil), denyAll("netpol-only")},
			failed: nil,
		},
		{
			name:   "declared namespace is judged once with JudgeAllNamespaces",
			cfg:    judgeAll(),
			objs:   []*inventory.Object{namespace("app", enforce("restricted")), web("app"), quota("app", "q", true), limitRange("app", "lr", corev1.LimitTypeContainer), denyAll("app")},
			passed: all("app", nsControls...),
		},

		// --- system namespaces ---
		{
			name:   "kube-system: only the explicit enforce label is judged",
			objs:   []*inventory.Object{namespace("kube-system", nil), deployment("kube-system", "coredns", "coredns:1.11", nil)},
			failed: fails("kube-system", CtlPSSMissing+"@metadata.labels"),
		},
		{
			name:   "kube-system may enforce privileged",
			objs:   []*inventory.Object{namespace("kube-system", enforce("privileged")), deployment("kube-system", "coredns", "coredns:1.11", nil)},
			passed: all("kube-system", CtlPSSMissing),
		},
		{
			name:   "kube-system referred to with JudgeAllNamespaces",
			cfg:    judgeAll(),
			objs:   []*inventory.Object{deployment("kube-system", "coredns", "coredns:1.11", nil)},
			failed: fails("kube-system", CtlPSSMissing+"@"),
		},
		{
			name:   "kube-public and kube-node-lease: Pod Security labels only",
			objs:   []*inventory.Object{namespace("kube-public", nil), namespace("kube-node-lease", enforce("restricted"))},
			failed: fails("kube-public", CtlPSSMissing+"@metadata.labels"),
			passed: append(all("kube-node-lease", CtlPSSMissing, CtlPSSPrivileged), all("kube-public", CtlPSSPrivileged)...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.cfg, tt.objs...)
			eq(t, "failed", r.Failed(nsControls...), tt.failed)
			eq(t, "passed", r.Passed(nsControls...), tt.passed)
		})
	}
}

func TestJudgeAllNamespacesFindingShape(t *testing.T) {
	first := deployment("app", "api", "api:1", nil)
	first.Source = inventory.Source{Origin: inventory.FromFile, File: "a/api.yaml", Line: 7}
	second := deployment("app", "web", "web:1", nil)
	second.Source = inventory.Source{Origin: inventory.FromFile, File: "b/web.yaml", Line: 3}
	r := run(t, judgeAll(), second, first)
	if len(r.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range r.Findings {
		if !slices.Contains(nsControls, f.ControlID) {
			continue
		}
		if f.Object != nil {
			t.Errorf("%s: Object = %v, want nil", f.ControlID, f.Object.Ref())
		}
		if f.Resource.APIVersion != "v1" || f.Resource.Kind != "Namespace" || f.Resource.Name != "app" || f.Resource.Namespace != "" {
			t.Errorf("%s: Resource = %+v", f.ControlID, f.Resource)
		}
		if f.Location != (inventory.Location{File: "a/api.yaml", Line: 7}) {
			t.Errorf("%s: Location = %+v, want the first workload's", f.ControlID, f.Location)
		}
		if !strings.Contains(f.Message, "Deployment/app/api") || !strings.Contains(f.Message, "no Namespace object") {
			t.Errorf("%s: message does not explain why the namespace is judged: %s", f.ControlID, f.Message)
		}
	}
	// Passes in referred-to namespaces are recorded on a stand-in Namespace object that is never
	// also failed.
	r = run(t, judgeAll(), first, quota("app", "q", true))
	for _, p := range r.Evaluations {
		if p.Control == CtlNoResourceQuota && (p.Object.Kind != "Namespace" || p.Object.Name != "app" || p.Object.Source.File != "a/api.yaml") {
			t.Errorf("stand-in = %+v", p.Object)
		}
	}
}

func TestNamespaceMessages(t *testing.T) {
	r := run(t, nil, namespace("app", nil), deployment("app", "web", "nginx", nil),
		netpol("app", "open", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{}}}))
	want := map[string][]string{
		CtlPSSMissing:      {`namespace "app"`, "pod-security.kubernetes.io/enforce", "restricted"},
		CtlNoResourceQuota: {`namespace "app"`, "Deployment/web", "ResourceQuota"},
		CtlNoLimitRange:    {`namespace "app"`, "Deployment/web", "LimitRange"},
		CtlNoDenyIngress:   {`namespace "app"`, "open selects all pods but allows some ingress traffic", "podSelector: {}"},
		CtlNoDenyEgress:    {`namespace "app"`, "1 policy does not restrict egress"},
	}
	for _, f := range r.Findings {
		for _, s := range want[f.ControlID] {
			if !strings.Contains(f.Message, s) {
				t.Errorf("%s message %q lacks %q", f.ControlID, f.Message, s)
			}
		}
		delete(want, f.ControlID)
	}
	for id := range want {
		t.Errorf("no %s finding", id)
	}
}

func TestConfigMapCredentials(t *testing.T) {
	const (
		secretA = "Sup3r-S3cret-Value-A!"
		secretB = "An0ther-S3cret-Value-B"
	)
	pem := "-----BEGIN " + "EC PRIVATE KEY-----\nMHcCAQEEIBOGUSKEYMATERIALxyz\n-----END EC PRIVATE KEY-----\n"
	leaky := configMap("app", "settings", map[string]string{
		"DB_PASSWORD":            secretA,
		"LOG_LEVEL":              "debug",
		"application.properties": "server.port=8080\nspring.datasource.password=" + secretB + "\n",
		"API_KEY":                "${API_KEY}",
		"token_ttl":              "3600",
	}, map[string][]byte{"tls.key": []byte(pem), "logo.png": {0x89, 'P', 'N', 'G', 0, 1, 2}})
	clean := configMap("app", "clean", map[string]string{"nginx.conf": "server { listen 80; }", "PASSWORD_FILE": "/etc/secret/pw"}, nil)
	r := run(t, nil, leaky, clean)
	eq(t, "failed", r.Failed(CtlConfigMapCreds), []string{
		`cluster/configmap-credentials ConfigMap/app/settings binaryData["tls.key"]`,
		`cluster/configmap-credentials ConfigMap/app/settings data.DB_PASSWORD`,
		`cluster/configmap-credentials ConfigMap/app/settings data["application.properties"]`,
	})
	eq(t, "passed", r.Passed(CtlConfigMapCreds), []string{"cluster/configmap-credentials ConfigMap/app/clean"})
	for _, f := range r.Findings {
		for _, secret := range []string{secretA, secretB, "MHcCAQEE", "BOGUSKEYMATERIAL", "S3cret"} {
			if strings.Contains(f.Message, secret) {
				t.Errorf("message leaks the value: %s", f.Message)
			}
		}
		if !strings.Contains(f.Message, "redacted") || !strings.Contains(f.Message, "Secret") {
			t.Errorf("message %q should show the redacted value and suggest a Secret", f.Message)
		}
	}
	for _, f := range r.Findings {
		if f.Path.String() == "data.DB_PASSWORD" && !strings.Contains(f.Message, `key "DB_PASSWORD"`) {
			t.Errorf("message does not name the key: %s", f.Message)
		}
	}
}

func TestServiceExposure(t *testing.T) {
	lb := corev1.ServiceTypeLoadBalancer
	ranges := func(r ...string) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = r }
	}
	ann := func(k, v string) func(*corev1.Service) {
		return func(s *corev1.Service) {
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[k] = v
		}
	}
	objs := []*inventory.Object{
		service("app", "cluster-ip", corev1.ServiceTypeClusterIP, nil),
		service("app", "default-type", "", nil),
		service("app", "external-name", corev1.ServiceTypeExternalName, nil),
		service("app", "node-port", corev1.ServiceTypeNodePort, nil, func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30443 }),
		service("app", "lb-open", lb, nil),
		service("app", "lb-restricted", lb, nil, ranges("10.0.0.0/8", "192.168.0.0/16")),
		service("app", "lb-any", lb, nil, ranges("10.0.0.0/8", " 0.0.0.0/0")),
		service("app", "lb-any6", lb, nil, ranges("::/0")),
		service("app", "lb-aws-internal", lb, nil, ann("service.beta.kubernetes.io/aws-load-balancer-internal", "true")),
		service("app", "lb-aws-not-internal", lb, nil, ann("service.beta.kubernetes.io/aws-load-balancer-internal", "false")),
		service("app", "lb-gke-internal", lb, nil, ann("networking.gke.io/load-balancer-type", "Internal")),
		service("app", "lb-azure-internal", lb, nil, ann("service.beta.kubernetes.io/azure-load-balancer-internal", "true")),
		service("app", "lb-ann-ranges", lb, nil, ann(sourceRangesAnnotation, "10.0.0.0/8,172.16.0.0/12")),
		service("app", "lb-ann-any", lb, nil, ann(sourceRangesAnnotation, "10.0.0.0/8, ::/0")),
	}
	r := run(t, nil, objs...)
	eq(t, "failed", r.Failed(CtlServiceExposed), []string{
		`cluster/service-exposed-no-source-ranges Service/app/lb-ann-any metadata.annotations["service.beta.kubernetes.io/load-balancer-source-ranges"]`,
		"cluster/service-exposed-no-source-ranges Service/app/lb-any spec.loadBalancerSourceRanges[1]",
		"cluster/service-exposed-no-source-ranges Service/app/lb-any6 spec.loadBalancerSourceRanges[0]",
		"cluster/service-exposed-no-source-ranges Service/app/lb-aws-not-internal spec.type",
		"cluster/service-exposed-no-source-ranges Service/app/lb-open spec.type",
		"cluster/service-exposed-no-source-ranges Service/app/node-port spec.type",
	})
	eq(t, "passed", r.Passed(CtlServiceExposed), []string{
		"cluster/service-exposed-no-source-ranges Service/app/cluster-ip",
		"cluster/service-exposed-no-source-ranges Service/app/default-type",
		"cluster/service-exposed-no-source-ranges Service/app/external-name",
		"cluster/service-exposed-no-source-ranges Service/app/lb-ann-ranges",
		"cluster/service-exposed-no-source-ranges Service/app/lb-aws-internal",
		"cluster/service-exposed-no-source-ranges Service/app/lb-azure-internal",
		"cluster/service-exposed-no-source-ranges Service/app/lb-gke-internal",
		"cluster/service-exposed-no-source-ranges Service/app/lb-restricted",
	})
	for _, f := range r.Findings {
		if f.Resource.Name == "node-port" && !strings.Contains(f.Message, "30443") {
			t.Errorf("NodePort message should name the port: %s", f.Message)
		}
		if f.Resource.Name == "lb-open" && !strings.Contains(f.Message, "loadBalancerSourceRanges") {
			t.Errorf("LoadBalancer message should name the field: %s", f.Message)
		}
	}
}

func TestIngressTLS(t *testing.T) {
	tls := func(hosts ...string) networkingv1.IngressTLS {
		return networkingv1.IngressTLS{Hosts: hosts, SecretName: "cert"}
	}
	objs := []*inventory.Object{
		ingress("app", "plain", networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{rule("a.example.com", "web")}}),
		ingress("app", "default-backend-only", networkingv1.IngressSpec{DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web"}}}),
		ingress("app", "covered", networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{tls("a.example.com")}, Rules: []networkingv1.IngressRule{rule("A.example.com", "web")}}),
		ingress("app", "wildcard", networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{tls("*.example.com")}, Rules: []networkingv1.IngressRule{rule("a.example.com", "web"), rule("b.example.com", "web")}}),
		ingress("app", "wildcard-too-deep", networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{tls("*.example.com")}, Rules: []networkingv1.IngressRule{rule("a.b.example.com", "web")}}),
		ingress("app", "tls-without-hosts", networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{SecretName: "cert"}}, Rules: []networkingv1.IngressRule{rule("a.example.com", "web")}}),
		ingress("app", "partly", networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{tls("a.example.com")}, Rules: []networkingv1.IngressRule{rule("a.example.com", "web"), rule("b.example.com", "web"), rule("b.example.com", "api")}}),
		ingress("app", "hostless-rule", networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{tls("a.example.com")}, Rules: []networkingv1.IngressRule{rule("", "web")}}),
	}
	r := run(t, nil, objs...)
	eq(t, "failed", r.Failed(CtlIngressNoTLS), []string{
		"cluster/ingress-no-tls Ingress/app/default-backend-only spec",
		"cluster/ingress-no-tls Ingress/app/partly spec.rules[1].host",
		"cluster/ingress-no-tls Ingress/app/plain spec.rules",
		"cluster/ingress-no-tls Ingress/app/wildcard-too-deep spec.rules[0].host",
	})
	eq(t, "passed", r.Passed(CtlIngressNoTLS), []string{
		"cluster/ingress-no-tls Ingress/app/covered",
		"cluster/ingress-no-tls Ingress/app/hostless-rule",
		"cluster/ingress-no-tls Ingress/app/tls-without-hosts",
		"cluster/ingress-no-tls Ingress/app/wildcard",
	})
	for _, f := range r.Findings {
		if f.Resource.Name == "partly" && !strings.Contains(f.Message, `"b.example.com"`) {
			t.Errorf("message should name the uncovered host: %s", f.Message)
		}
		if f.Resource.Name == "plain" && !strings.Contains(f.Message, "a.example.com") {
			t.Errorf("message should name the hosts: %s", f.Message)
		}
	}
}

func TestHostCovered(t *testing.T) {
	tests := []struct {
		tls, host string
		want      bool
	}{
		{"a.example.com", "a.example.com", true},
		{"A.Example.com", "a.example.COM", true},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "*.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", ".example.com", false},
		{"a.example.com", "b.example.com", false},
		{"", "a.example.com", false},
	}
	for _, tt := range tests {
		if got := hostCovered(tt.tls, tt.host); got != tt.want {
			t.Errorf("hostCovered(%q, %q) = %v, want %v", tt.tls, tt.host, got, tt.want)
		}
	}
}

func TestDashboardImageAndName(t *testing.T) {
	images := map[string]bool{
		"kubernetesui/dashboard:v2.7.0":                                 true,
		"docker.io/kubernetesui/dashboard-api:1.10.1":                   true,
		"docker.io/kubernetesui/dashboard-web:1.6.0":                    true,
		"docker.io/kubernetesui/dashboard-auth:1.2.2":                   true,
		"registry.example.com:5000/mirror/kubernetesui/dashboard:v2":    true,
		"KubernetesUI/Dashboard@sha256:" + strings.Repeat("0", 64):      true,
		"k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.1":                 true,
		"gcr.io/google_containers/kubernetes-dashboard-init-amd64:v1.0": true,
		"kubernetesui/metrics-scraper:v1.0.8":                           false,
		"docker.io/kubernetesui/metrics-scraper:v1.0.9":                 false,
		"nginx:1.27":              false,
		"example.com/dashboard:1": false,
		"grafana/grafana:11":      false,
		"":                        false,
	}
	for img, want := range images {
		if got := DashboardImage(img); got != want {
			t.Errorf("DashboardImage(%q) = %v, want %v", img, got, want)
		}
	}
	names := map[string]bool{
		"kubernetes-dashboard":                 true,
		"kubernetes-dashboard-kong":            true,
		"kubernetes-dashboard-web":             true,
		"kubernetes-dashboard-metrics-scraper": false,
		"dashboard-metrics-scraper":            false,
		"grafana-dashboard":                    false,
	}
	for n, want := range names {
		if got := DashboardName(n); got != want {
			t.Errorf("DashboardName(%q) = %v, want %v", n, got, want)
		}
	}
}

func TestDashboard(t *testing.T) {
	const ns = "kubernetes-dashboard"
	podLabels := map[string]string{"k8s-app": "kubernetes-dashboard", "tier": "ui"}
	dash := func() *inventory.Object {
		return deployment(ns, "kubernetes-dashboard", "docker.io/kubernetesui/dashboard:v2.7.0", podLabels)
	}
	sel := map[string]string{"k8s-app": "kubernetes-dashboard"}
	const imagePath = "spec.template.spec.containers[0].image"
	const labelsPath = "spec.template.metadata.labels"
	ids := []string{CtlDashboardDeployed, CtlDashboardExposed}
	tests := []struct {
		name   string
		objs   []*inventory.Object
		failed []string
		passed []string
	}{
		{
			name:   "no dashboard",
			objs:   []*inventory.Object{deployment("app", "web", "nginx", nil)},
			passed: []string{CtlDashboardDeployed + " Deployment/app/web"},
		},
		{
			name:   "dashboard behind a ClusterIP Service",
			objs:   []*inventory.Object{dash(), service(ns, "kubernetes-dashboard", corev1.ServiceTypeClusterIP, sel)},
			failed: []string{CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + imagePath},
			passed: []string{CtlDashboardExposed + " Deployment/kubernetes-dashboard/kubernetes-dashboard"},
		},
		{
			name: "dashboard behind a NodePort Service",
			objs: []*inventory.Object{dash(), service(ns, "kubernetes-dashboard", corev1.ServiceTypeNodePort, sel)},
			failed: []string{
				CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + imagePath,
				CtlDashboardExposed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + labelsPath,
			},
		},
		{
			name: "dashboard behind a LoadBalancer Service",
			objs: []*inventory.Object{dash(), service(ns, "ui", corev1.ServiceTypeLoadBalancer, sel)},
			failed: []string{
				CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + imagePath,
				CtlDashboardExposed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + labelsPath,
			},
		},
		{
			name: "dashboard routed by an Ingress",
			objs: []*inventory.Object{dash(), service(ns, "kubernetes-dashboard", corev1.ServiceTypeClusterIP, sel),
				ingress(ns, "dash", networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{rule("dash.example.com", "kubernetes-dashboard")}})},
			failed: []string{
				CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + imagePath,
				CtlDashboardExposed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + labelsPath,
			},
		},
		{
			name: "exposing objects elsewhere or selecting other pods do not count",
			objs: []*inventory.Object{dash(),
				service("other", "kubernetes-dashboard", corev1.ServiceTypeLoadBalancer, sel),
				service(ns, "other", corev1.ServiceTypeNodePort, map[string]string{"k8s-app": "other"}),
				service(ns, "no-selector", corev1.ServiceTypeNodePort, nil),
				service(ns, "internal", corev1.ServiceTypeClusterIP, sel),
				ingress(ns, "other", networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{rule("x.example.com", "other")}}),
				ingress("other", "dash", networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{rule("x.example.com", "internal")}})},
			failed: []string{CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + imagePath},
			passed: []string{CtlDashboardExposed + " Deployment/kubernetes-dashboard/kubernetes-dashboard"},
		},
		{
			name: "Helm chart component found by name; metrics scraper is not a dashboard",
			objs: []*inventory.Object{
				deployment(ns, "kubernetes-dashboard-kong", "kong:3.6", map[string]string{"app": "kong"}),
				deployment(ns, "kubernetes-dashboard-metrics-scraper", "docker.io/kubernetesui/metrics-scraper:v1.0.9", nil),
				service(ns, "kubernetes-dashboard-kong-proxy", corev1.ServiceTypeLoadBalancer, map[string]string{"app": "kong"}),
			},
			failed: []string{
				CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard-kong metadata.name",
				CtlDashboardExposed + " Deployment/kubernetes-dashboard/kubernetes-dashboard-kong " + labelsPath,
			},
			passed: []string{CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard-metrics-scraper"},
		},
		{
			name: "objects owned by a workload are not reported again",
			objs: []*inventory.Object{dash(), ownedReplicaSet(ns, "kubernetes-dashboard-abc", "docker.io/kubernetesui/dashboard:v2.7.0")},
			failed: []string{
				CtlDashboardDeployed + " Deployment/kubernetes-dashboard/kubernetes-dashboard " + imagePath,
			},
			passed: []string{CtlDashboardExposed + " Deployment/kubernetes-dashboard/kubernetes-dashboard"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, tt.objs...)
			eq(t, "failed", r.Failed(ids...), tt.failed)
			eq(t, "passed", r.Passed(ids...), tt.passed)
			for _, f := range r.Findings {
				if f.ControlID == CtlDashboardExposed && !strings.Contains(f.Message, "Service") {
					t.Errorf("exposure message should name the Service: %s", f.Message)
				}
			}
		})
	}
}

func ownedReplicaSet(ns, name, image string) *inventory.Object {
	yes := true
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "kubernetes-dashboard", Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image}}},
		}},
	}
	return obj("apps/v1", "ReplicaSet", ns, name, rs)
}

func TestControlsInCatalog(t *testing.T) {
	ids := New().Controls()
	if !sort.StringsAreSorted(ids) {
		t.Errorf("Controls() not sorted: %v", ids)
	}
	if len(ids) != 11 {
		t.Errorf("Controls() = %d controls, want 11", len(ids))
	}
	for _, id := range ids {
		c, ok := catalog.Lookup(id)
		if !ok {
			t.Errorf("control %s not in the catalog", id)
			continue
		}
		if c.Layer != catalog.Cluster {
			t.Errorf("control %s layer %s", id, c.Layer)
		}
	}
	if New().Name() != "namespace" {
		t.Errorf("Name() = %q", New().Name())
	}
}

// TestOddInput feeds objects the analyzer does not expect: it must not panic and must not judge
// them.
func TestOddInput(t *testing.T) {
	u := func(kind string) *inventory.Object {
		o := &unstructured.Unstructured{}
		o.SetKind(kind)
		o.SetName("u")
		return &inventory.Object{APIVersion: "v1", Kind: kind, Namespace: "app", Name: "u", Object: o}
	}
	objs := []*inventory.Object{
		u("ConfigMap"), u("Service"), u("Namespace"),
		{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: "app", Name: "nil"},
		{APIVersion: "v1", Kind: "ConfigMap", Namespace: "app", Name: "nil"},
		{APIVersion: "v1", Kind: "Namespace", Name: ""},
		namespace("", nil),
		netpol("", "no-namespace", networkingv1.NetworkPolicySpec{}),
		ingress("app", "empty", networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{}}, DefaultBackend: &networkingv1.IngressBackend{}}),
		service("app", "empty", corev1.ServiceTypeLoadBalancer, nil, func(s *corev1.Service) { s.Spec.Ports = nil; s.Spec.LoadBalancerSourceRanges = []string{""} }),
		deployment("", "no-namespace", "", nil),
		configMap("app", "empty", map[string]string{"": ""}, map[string][]byte{"": nil}),
	}
	inv := inventory.New()
	inv.Add(objs...)
	for _, cfg := range []*analyzer.Config{nil, judgeAll()} {
		r := &rec{}
		if err := New().Analyze(context.Background(), inv, cfg, r); err != nil {
			t.Fatal(err)
		}
	}
	// A cancelled context stops the analysis.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Analyze(ctx, inv, nil, &rec{}); err == nil {
		t.Error("Analyze with a cancelled context returned nil")
	}
}

func TestWhyNoDeny(t *testing.T) {
	sel := metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	policies := []*inventory.Object{
		netpol("app", "allow-all-in", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{}}}),
		netpol("app", "web-a", networkingv1.NetworkPolicySpec{PodSelector: sel, PolicyTypes: bothTypes}),
		netpol("app", "web-b", networkingv1.NetworkPolicySpec{PodSelector: sel, PolicyTypes: bothTypes}),
	}
	if got, want := whyNoDeny(policies, true), "allow-all-in selects all pods but allows some ingress traffic; 2 policies select only some pods"; got != want {
		t.Errorf("ingress: %q, want %q", got, want)
	}
	if got, want := whyNoDeny(policies, false), "2 policies select only some pods; 1 policy does not restrict egress"; got != want {
		t.Errorf("egress: %q, want %q", got, want)
	}
	if got, want := whyNoDeny(nil, false), "it has no NetworkPolicy at all"; got != want {
		t.Errorf("none: %q, want %q", got, want)
	}
}

// TestUnreadableKindsAreNotAbsent: when a cluster identity may not list NetworkPolicies,
// ResourceQuotas or LimitRanges, the scan reports the controls that look for them as not
// evaluated; the analyzer must not judge them as if every namespace had none.
func TestUnreadableKindsAreNotAbsent(t *testing.T) {
	controls := []string{CtlNoDenyIngress, CtlNoDenyEgress, CtlNoResourceQuota, CtlNoLimitRange}
	inv := inventory.New()
	inv.Add(namespace("shop", enforce("restricted")), deployment("shop", "web", "nginx:1.27", nil))
	for _, o := range inv.Objects() {
		o.Source = inventory.Source{Origin: inventory.FromCluster}
	}
	for _, u := range []inventory.Unavailable{
		{Group: "networking.k8s.io", Kind: "NetworkPolicy", Reason: "forbidden"},
		{Kind: "ResourceQuota", Reason: "forbidden"},
		{Kind: "LimitRange", Reason: "forbidden"},
	} {
		inv.MarkUnavailable(u)
	}
	r := &rec{}
	if err := New().Analyze(context.Background(), inv, analyzer.DefaultConfig(), r); err != nil {
		t.Fatal(err)
	}
	eq(t, "findings", r.Failed(controls...), nil)
	eq(t, "passes", r.Passed(controls...), nil)
	// The namespace itself is still judged.
	eq(t, "PSS passes", r.Passed(CtlPSSMissing), []string{CtlPSSMissing + " Namespace/shop"})
}
