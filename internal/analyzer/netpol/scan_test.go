package netpol_test

// Tests through the scan: the not-evaluated contract with a source that could not read a kind,
// and the findings of the bundled examples.

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer/netpol"
	"github.com/kube4c/kube4c/internal/exception"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/scan"
	"github.com/kube4c/kube4c/internal/source/manifest"
)

const shopYAML = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {env: prod}
---
apiVersion: v1
kind: Namespace
metadata:
  name: dev
  labels: {env: dev}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: dev}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: typo, namespace: shop}
spec:
  podSelector: {matchLabels: {app: wbe}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]
`

func netpolControls() []string { return netpol.New().Controls() }

// TestForbiddenNetworkPolicies: when the source may not list NetworkPolicies (403), every netpol
// control is reported not evaluated, with neither findings nor passes; the other controls go on.
func TestForbiddenNetworkPolicies(t *testing.T) {
	objs, probs := manifest.Parse([]byte(shopYAML), inventory.Source{Origin: inventory.FromFile, File: "shop.yaml"}, manifest.Options{})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	analyze := func(unavailable ...inventory.Unavailable) *finding.Result {
		inv := inventory.New()
		inv.Add(objs...)
		for _, u := range unavailable {
			inv.MarkUnavailable(u)
		}
		res, err := scan.Analyze(context.Background(), inv, scan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := analyze()
	for _, id := range netpolControls() {
		if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.ControlID == id }) &&
			!slices.ContainsFunc(res.Passed, func(c finding.Check) bool { return c.ControlID == id }) {
			t.Errorf("%s: neither finding nor pass with every kind readable", id)
		}
	}

	res = analyze(inventory.Unavailable{Group: "networking.k8s.io", Kind: "NetworkPolicy", Reason: "networkpolicies is forbidden"})
	var notEval []string
	for _, n := range res.NotEvaluated {
		if strings.HasPrefix(n.ControlID, "cluster/netpol-") || n.ControlID == netpol.CtlNoPolicy {
			notEval = append(notEval, n.ControlID)
			if !strings.Contains(n.Reason, "forbidden") {
				t.Errorf("%s: reason %q", n.ControlID, n.Reason)
			}
		}
	}
	if want := netpolControls(); !slices.Equal(notEval, want) {
		t.Errorf("not evaluated = %v, want %v", notEval, want)
	}
	for _, id := range netpolControls() {
		if slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.ControlID == id }) ||
			slices.ContainsFunc(res.Passed, func(c finding.Check) bool { return c.ControlID == id }) {
			t.Errorf("%s is not evaluated but has findings or passes", id)
		}
	}
	if !slices.ContainsFunc(res.Findings, func(f finding.Finding) bool { return f.ControlID == "container/run-as-non-root" }) {
		t.Error("the rest of the scan did not go on")
	}

	// Services unreadable: only the control that looks for exposing Services is not evaluated.
	res = analyze(inventory.Unavailable{Kind: "Service", Reason: "services is forbidden"})
	var ids []string
	for _, n := range res.NotEvaluated {
		if slices.Contains(netpolControls(), n.ControlID) {
			ids = append(ids, n.ControlID)
		}
	}
	if want := []string{netpol.CtlInternetIngress}; !slices.Equal(ids, want) {
		t.Errorf("not evaluated with Services forbidden = %v, want %v", ids, want)
	}
}

type exampleFinding struct{ control, resource, path string }

func scanExample(t *testing.T, name string) *finding.Result {
	t.Helper()
	res, err := scan.Run(context.Background(), scan.Options{
		Paths:     []string{filepath.Join("..", "..", "..", "examples", name)},
		Exception: exception.Options{Now: time.Now(), InlineIgnores: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("%s: problems %v", name, res.Problems)
	}
	return res
}

// TestExamples: the insecure shop shows each network control failing where its manifests say so;
// the hardened shop passes every one of them.
func TestExamples(t *testing.T) {
	res := scanExample(t, "insecure-shop")
	got := map[exampleFinding]bool{}
	for _, f := range res.Findings {
		got[exampleFinding{f.ControlID, f.Resource.Key(), f.Path.String()}] = true
	}
	labels := "spec.template.metadata.labels"
	for _, w := range []exampleFinding{
		{netpol.CtlNoPolicy, "Namespace/shop-dev", ""},
		{netpol.CtlNoPolicy, "Namespace/kubernetes-dashboard", ""},
		{netpol.CtlReachableFromAll, "StatefulSet/shop/postgres", labels},
		{netpol.CtlReachableFromAll, "Deployment/shop/orders-worker", "spec.template.spec.hostNetwork"},
		{netpol.CtlEgressMetadata, "CronJob/shop-batch/nightly-report", "spec.jobTemplate.spec.template.metadata.labels"},
		{netpol.CtlEgressMetadata, "Deployment/shop/frontend", labels},
		{netpol.CtlCrossEnvironment, "StatefulSet/shop/postgres", labels},
		{netpol.CtlSelectsNoPod, "NetworkPolicy/shop/cart-api", "spec.podSelector"},
		{netpol.CtlInternetIngress, "StatefulSet/shop/postgres", labels},
		{netpol.CtlUnrestrictedEgress, "CronJob/shop-batch/nightly-report", "spec.jobTemplate.spec.template.metadata.labels"},
	} {
		if !got[w] {
			t.Errorf("insecure-shop: no %s finding on %s at %q", w.control, w.resource, w.path)
		}
	}
	// shop and shop-batch have policies; their namespace is not reported.
	for _, ns := range []string{"Namespace/shop", "Namespace/shop-batch"} {
		if got[exampleFinding{netpol.CtlNoPolicy, ns, ""}] {
			t.Errorf("insecure-shop: %s reported without NetworkPolicy", ns)
		}
	}
	// The frontend is exposed by its LoadBalancer Service, but its ingress is not isolated: not
	// judged by internet-ingress-unexposed.
	for _, c := range res.Passed {
		if c.ControlID == netpol.CtlInternetIngress && c.Resource.Key() == "Deployment/shop/frontend" {
			t.Error("internet-ingress-unexposed judged a workload whose ingress is not isolated")
		}
	}

	res = scanExample(t, "hardened-shop")
	for _, f := range res.Findings {
		t.Errorf("hardened-shop: %s %s %s: %s", f.ControlID, f.Resource.Key(), f.Path, f.Message)
	}
	passed := map[string]int{}
	for _, c := range res.Passed {
		passed[c.ControlID]++
	}
	for _, id := range netpolControls() {
		if passed[id] == 0 {
			t.Errorf("hardened-shop: %s evaluated nothing", id)
		}
	}
}
