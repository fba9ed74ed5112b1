package report

import (
	"os"
	"testing"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
)

// Test-only controls, so the goldens do not change when the real catalog does.
var testControls = []catalog.Control{
	{
		ID: "cloud/zz-test-imds", Title: "Pods cannot reach the cloud metadata service", Layer: catalog.Cloud,
		Severity: catalog.High, Rationale: "The instance metadata service hands out node credentials.",
		Remediation: "Block 169.254.169.254 with a NetworkPolicy.",
		References:  catalog.References{MITRE: []string{"T1552.005"}},
	},
	{
		ID: "cluster/zz-test-admin-binding", Title: "No subject is bound to cluster-admin", Layer: catalog.Cluster,
		Severity: catalog.Critical, Rationale: "cluster-admin grants every permission on every resource.",
		Remediation: "Bind narrower roles.",
		References:  catalog.References{CIS: []string{"5.1.1"}, NSA: []string{"Authentication and authorization"}},
	},
	{
		ID: "container/zz-test-privileged", Title: "Containers do not run privileged", Layer: catalog.Container,
		Severity: catalog.Critical, Rationale: "A privileged container has all capabilities of the host.",
		Remediation: "Remove securityContext.privileged or set it to false.",
		References: catalog.References{PSS: &catalog.PSSRef{Check: "privileged", Level: "baseline"},
			CIS: []string{"5.2.2"}, MITRE: []string{"T1611"}},
	},
	{
		ID: "container/zz-test-run-as-non-root", Title: "Containers run as a non-root user", Layer: catalog.Container,
		Severity: catalog.Medium, Rationale: "Root in a container is root on the host after an escape.",
		Remediation: "Set securityContext.runAsNonRoot: true.",
		References:  catalog.References{PSS: &catalog.PSSRef{Check: "runAsNonRoot", Level: "restricted"}},
	},
	{
		ID: "container/zz-test-latest-tag", Title: "Images are pinned", Layer: catalog.Container,
		Severity: catalog.Low, Rationale: "A mutable tag can change under you.",
		Remediation: "Pin images by digest.",
	},
	{
		ID: "code/zz-test-info", Title: "Config maps are labelled", Layer: catalog.Code,
		Severity: catalog.Info, Rationale: "Labels help ownership.", Remediation: "Add an app label.",
	},
}

func TestMain(m *testing.M) {
	var undo []func()
	for _, c := range testControls {
		undo = append(undo, catalog.RegisterForTest(c))
	}
	code := m.Run()
	for _, u := range undo {
		u()
	}
	os.Exit(code)
}

const testBaseDir = "/work/project"

func res(kind, ns, name string) finding.Resource {
	api := "v1"
	switch kind {
	case "Deployment":
		api = "apps/v1"
	case "ClusterRoleBinding":
		api = "rbac.authorization.k8s.io/v1"
	}
	return finding.Resource{APIVersion: api, Kind: kind, Namespace: ns, Name: name}
}

// fixture is a hand-built result covering every case reports must handle: several layers and
// severities, suppressed findings (exception and inline), a finding without a file (a cluster
// object), a file outside the base directory, a finding without a line, hostile characters,
// problems, warnings, passes and a control that was not evaluated.
func fixture() *finding.Result {
	web := res("Deployment", "default", "web")
	api := res("Deployment", "default", "api")
	debug := res("Pod", "default", "debug")
	return &finding.Result{
		// Deliberately not in report order: reports sort.
		Findings: []finding.Finding{
			{
				ControlID: "code/zz-test-info", Resource: res("ConfigMap", "default", "app-config"),
				Path:     inventory.Path("metadata", "labels"),
				Location: inventory.Location{File: "charts/app/templates/cm.yaml", Line: 7},
				Message:  "config map <app-config> has no \"app\" label & no 'owner'\tlabel\x1b[31m",
			},
			{
				ControlID: "container/zz-test-run-as-non-root", Resource: web,
				Path:     inventory.Path("spec", "template", "spec", "securityContext"),
				Location: inventory.Location{File: "deploy/web.yaml", Line: 18},
				Message:  "runAsNonRoot is not set",
			},
			{
				ControlID: "container/zz-test-privileged", Resource: web,
				Path:     inventory.Path("spec", "template", "spec", "containers", 0, "securityContext", "privileged"),
				Location: inventory.Location{File: "deploy/web.yaml", Line: 21},
				Message:  "container \"nginx\" is privileged",
			},
			{
				ControlID: "container/zz-test-run-as-non-root", Resource: api,
				Path:     inventory.Path("spec", "template", "spec", "securityContext"),
				Location: inventory.Location{File: "deploy/api.yaml"},
				Message:  "runAsNonRoot is not set",
				Suppression: &finding.Suppression{Kind: "exception", Justification: "legacy image, tracked in OPS-1",
					Exception: "exceptions.yaml:3", Expires: "2030-01-01"},
			},
			{
				ControlID: "container/zz-test-latest-tag", Resource: debug,
				Path:        inventory.Path("spec", "containers", 0, "image"),
				Location:    inventory.Location{File: "deploy/debug.yaml", Line: 9},
				Message:     "image \"busybox:latest\" is not pinned",
				Suppression: &finding.Suppression{Kind: "inline", Justification: "debug pod, deleted after use"},
			},
			{
				ControlID: "cluster/zz-test-admin-binding", Resource: res("ClusterRoleBinding", "", "ops-admin"),
				Path:    inventory.Path("roleRef", "name"),
				Message: "group \"ops\" is bound to cluster-admin",
			},
			{
				ControlID: "cloud/zz-test-imds", Resource: res("Pod", "kube-system", "metrics"),
				Location: inventory.Location{File: "/etc/kube4c/outside.yaml", Line: 4},
				Message:  "no NetworkPolicy blocks the metadata service",
			},
		},
		Passed: []finding.Check{
			{ControlID: "container/zz-test-privileged", Resource: api, Location: inventory.Location{File: "deploy/api.yaml", Line: 1}},
			{ControlID: "container/zz-test-privileged", Resource: debug, Location: inventory.Location{File: "deploy/debug.yaml", Line: 1}},
			{ControlID: "container/zz-test-run-as-non-root", Resource: debug, Location: inventory.Location{File: "deploy/debug.yaml", Line: 1}},
			{ControlID: "cluster/zz-test-admin-binding", Resource: res("ClusterRoleBinding", "", "view-all")},
		},
		NotEvaluated: []finding.NotEvaluated{
			{ControlID: "cloud/zz-test-imds", Reason: "the scan cannot list NetworkPolicies in namespace \"prod\""},
		},
		Problems: []inventory.Problem{
			{Severity: "error", File: "broken.yaml", Line: 3, Message: "yaml: mapping values are not allowed in this context"},
			{Severity: "warning", File: "big/values.yaml", Resource: "ConfigMap/default/huge", Message: "object larger than 1 MiB, skipped"},
		},
		Warnings: []finding.Warning{
			{Message: "exception \"old-debug\" matched no finding", File: "exceptions.yaml", Line: 9},
		},
		Objects:    9,
		Sources:    6,
		PSSLevel:   "restricted",
		PSSVersion: "latest",
	}
}

func opts() Options {
	return Options{ToolVersion: "v0.1.0", BaseDir: testBaseDir}
}
