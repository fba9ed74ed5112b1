package workload

import (
	"sort"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source/manifest"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type rec = analyzertest.Recorder

func analyze(t *testing.T, yaml string, mod func(*analyzer.Config)) *rec {
	t.Helper()
	objs, probs := manifest.Parse([]byte(yaml), inventory.Source{File: "t.yaml"}, manifest.Options{})
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	cfg := analyzer.DefaultConfig()
	if mod != nil {
		mod(cfg)
	}
	return analyzertest.Run(t, New(), analyzertest.Inventory("t.yaml", objs...), cfg)
}

// byControl returns "path: message" per finding of a control.
func byControl(r *rec, id string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.ControlID == id {
			out = append(out, f.Path.String()+": "+f.Message)
		}
	}
	sort.Strings(out)
	return out
}

const hardenedPod = `apiVersion: v1
kind: Pod
metadata: {name: good, namespace: shop}
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: ghcr.io/acme/app:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 200m, memory: 128Mi}
`

func TestHardenedPodHasNoFindings(t *testing.T) {
	r := analyze(t, hardenedPod, func(c *analyzer.Config) { c.AllowedRegistries = []string{"ghcr.io/acme"} })
	for _, f := range r.Findings {
		t.Errorf("unexpected finding %s at %s: %s", f.ControlID, f.Path, f.Message)
	}
	for _, id := range New().Controls() {
		if id == ctlUntrusted {
			continue // only evaluated for workloads labelled untrusted
		}
		if !r.WasEvaluated(id, "Pod/shop/good") {
			t.Errorf("control %s not evaluated", id)
		}
	}
}

func TestPSSFindingsPointAtTheField(t *testing.T) {
	r := analyze(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      hostPID: true
      volumes:
      - name: data
        emptyDir: {}
      - name: sock
        hostPath: {path: /var/run/docker.sock}
      containers:
      - name: ok
        image: nginx:1.27
      - name: bad
        image: nginx:1.27
        securityContext: {privileged: true}
`, nil)
	if got := byControl(r, "container/privileged"); len(got) != 1 || !strings.HasPrefix(got[0], "spec.template.spec.containers[1].securityContext.privileged: PSS baseline check privileged") {
		t.Errorf("privileged: %v", got)
	}
	if got := byControl(r, "container/host-namespaces"); len(got) != 1 || !strings.HasPrefix(got[0], "spec.template.spec.hostPID:") {
		t.Errorf("host namespaces: %v", got)
	}
	if got := byControl(r, "container/hostpath-volumes"); len(got) != 1 || !strings.HasPrefix(got[0], "spec.template.spec.volumes[1]:") {
		t.Errorf("hostPath: %v", got)
	}
	if got := byControl(r, "container/sensitive-hostpath"); len(got) != 1 || !strings.Contains(got[0], "/var/run/docker.sock") {
		t.Errorf("sensitive hostPath: %v", got)
	}
}

func TestPSSLevelAndVersionSelection(t *testing.T) {
	base, err := selectPSSChecks(psaapi.LevelBaseline, psaapi.LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	restricted, _ := selectPSSChecks(psaapi.LevelRestricted, psaapi.LatestVersion())
	if len(restricted) != len(policy.DefaultChecks()) || len(base) >= len(restricted) {
		t.Fatalf("baseline %d, restricted %d, upstream checks %d", len(base), len(restricted), len(policy.DefaultChecks()))
	}
	for _, c := range base {
		if c.level != psaapi.LevelBaseline {
			t.Errorf("baseline selection has restricted check %s", c.id)
		}
	}
	// hostProbesAndHostLifecycle exists from v1.34 on.
	old, _ := selectPSSChecks(psaapi.LevelBaseline, psaapi.MajorMinorVersion(1, 33))
	for _, c := range old {
		if c.id == "hostProbesAndHostLifecycle" {
			t.Error("check introduced in v1.34 selected for v1.33")
		}
	}
}

func TestImageControls(t *testing.T) {
	r := analyze(t, `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  initContainers:
  - {name: init, image: "registry.local:5000/tools/init"}
  containers:
  - {name: a, image: nginx}
  - {name: b, image: "nginx:latest"}
  - {name: c, image: "ghcr.io/acme-evil/x:1.0"}
  - {name: d, image: "ghcr.io/acme/x:1.0@sha256:abc"}
`, func(c *analyzer.Config) { c.AllowedRegistries = []string{"https://ghcr.io/acme/", "docker.io/library"} })
	if got := byControl(r, ctlImageLatest); len(got) != 3 {
		t.Errorf("latest/untagged: %v", got)
	}
	if got := byControl(r, ctlImageNotPinned); len(got) != 4 {
		t.Errorf("not pinned: %v", got)
	}
	got := byControl(r, ctlImageRegistry)
	if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "registry.local:5000") || !strings.Contains(strings.Join(got, "\n"), "acme-evil") {
		t.Errorf("registry: %v", got)
	}
}

func TestParseImage(t *testing.T) {
	for in, want := range map[string]imageRef{
		"nginx":                          {registry: "docker.io", path: "library/nginx"},
		"nginx:1.27":                     {registry: "docker.io", path: "library/nginx", tag: "1.27"},
		"bitnami/redis:7":                {registry: "docker.io", path: "bitnami/redis", tag: "7"},
		"localhost/app":                  {registry: "localhost", path: "app"},
		"registry.local:5000/a/b":        {registry: "registry.local:5000", path: "a/b"},
		"registry.local:5000/a/b:v1@sha": {registry: "registry.local:5000", path: "a/b", tag: "v1", digest: "sha"},
		"index.docker.io/library/nginx":  {registry: "docker.io", path: "library/nginx"},
	} {
		if got := parseImage(in); got != want {
			t.Errorf("parseImage(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestResourcesHonourLimitRangeDefaults(t *testing.T) {
	r := analyze(t, `apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: a}
spec:
  limits:
  - type: Container
    default: {memory: 256Mi}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec:
  containers:
  - name: c
    image: x:1
    resources:
      limits: {cpu: "1"}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: b}
spec:
  containers:
  - {name: c, image: "x:1"}
`, nil)
	got := byControl(r, ctlLimits)
	if len(got) != 1 || !strings.Contains(got[0], "no cpu or memory limit") {
		t.Errorf("limits: %v (namespace a has a default memory limit and the pod sets cpu)", got)
	}
	if got := byControl(r, ctlRequests); len(got) != 1 {
		t.Errorf("requests: %v (a limit without a request defaults the request)", got)
	}
}

func TestTokenAutomountFollowsServiceAccount(t *testing.T) {
	r := analyze(t, `apiVersion: v1
kind: ServiceAccount
metadata: {name: quiet, namespace: a}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: a}
spec: {serviceAccountName: quiet, containers: [{name: c, image: "x:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p2, namespace: a}
spec: {containers: [{name: c, image: "x:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p3, namespace: a}
spec: {serviceAccountName: quiet, automountServiceAccountToken: true, containers: [{name: c, image: "x:1"}]}
`, nil)
	var refs []string
	for _, f := range r.Findings {
		if f.ControlID == ctlTokenAutomount {
			refs = append(refs, f.Resource.Name)
		}
	}
	sort.Strings(refs)
	if strings.Join(refs, ",") != "p2,p3" {
		t.Errorf("automount findings on %v, want p2,p3", refs)
	}
}

func TestCredentialsInEnvAreRedacted(t *testing.T) {
	secret := "hunter2-Sup3rS3cret!"
	r := analyze(t, `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec:
  containers:
  - name: c
    image: x:1
    env:
    - {name: DB_PASSWORD, value: "`+secret+`"}
    - {name: LOG_LEVEL, value: debug}
    - {name: API_TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}
    envFrom:
    - secretRef: {name: all}
`, nil)
	got := byControl(r, ctlCredentialsInEnv)
	if len(got) != 1 || !strings.HasPrefix(got[0], "spec.containers[0].env[0].value:") {
		t.Fatalf("credentials: %v", got)
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Message, secret) || strings.Contains(f.Message, "hunter2") {
			t.Fatalf("secret value leaked in %s: %s", f.ControlID, f.Message)
		}
	}
	if got := byControl(r, ctlSecretsInEnv); len(got) != 2 {
		t.Errorf("secrets in env: %v", got)
	}
}

func TestUntrustedWorkloadsNeedSandbox(t *testing.T) {
	r := analyze(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: runner, namespace: ci, labels: {kube4c.io/untrusted: "true"}}
spec:
  template:
    spec:
      runtimeClassName: runc
      containers: [{name: c, image: "x:1"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sandboxed, namespace: ci}
spec:
  template:
    metadata: {labels: {kube4c.io/untrusted: "true"}}
    spec:
      runtimeClassName: gvisor
      containers: [{name: c, image: "x:1"}]
`, nil)
	got := byControl(r, ctlUntrusted)
	if len(got) != 1 || !strings.Contains(got[0], `"runc"`) {
		t.Errorf("untrusted: %v", got)
	}
	if !r.WasEvaluated(ctlUntrusted, "Deployment/ci/sandboxed") {
		t.Error("sandboxed workload not evaluated")
	}
}

func TestOwnedObjectsAndDefaultNamespace(t *testing.T) {
	r := analyze(t, `apiVersion: v1
kind: Pod
metadata:
  name: web-abc
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d, uid: u, controller: true}]
spec: {containers: [{name: c, image: nginx, securityContext: {privileged: true}}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: "x:1"}]
`, nil)
	for _, f := range r.Findings {
		if f.Resource.Name == "web-abc" {
			t.Fatalf("pod owned by a ReplicaSet analysed: %s", f.ControlID)
		}
	}
	got := byControl(r, ctlDefaultNamespace)
	if len(got) != 1 || !strings.Contains(got[0], "CronJob runs in the default namespace") {
		t.Errorf("default namespace: %v", got)
	}
	if got := byControl(r, "container/run-as-non-root"); len(got) != 1 || !strings.HasPrefix(got[0], "spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot") {
		t.Errorf("CronJob template path: %v", got)
	}
}

func TestSensitiveHostPath(t *testing.T) {
	for p, want := range map[string]bool{"/": true, "/etc": true, "/etc/kubernetes/pki": true, "/var/run/docker.sock": true,
		"/run/containerd/containerd.sock": true, "/var/lib/kubelet/pods": true, "/data": false, "/var/log": false,
		"/etcd-data": false, "//etc/../etc/": true, "/var/lib/kubeletx": false} {
		if got := sensitiveHostPath(p); got != want {
			t.Errorf("sensitiveHostPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestUnreadableKindsAreNotJudged(t *testing.T) {
	objs, _ := manifest.Parse([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c, image: \"x:1\"}]}\n"),
		inventory.Source{File: "t.yaml"}, manifest.Options{})
	inv := inventory.New()
	inv.Add(objs...)
	inv.MarkUnavailable(inventory.Unavailable{Kind: "ServiceAccount", Reason: "forbidden"})
	inv.MarkUnavailable(inventory.Unavailable{Kind: "LimitRange", Reason: "forbidden"})
	r := analyzertest.Run(t, New(), inv, nil)
	for _, id := range []string{ctlTokenAutomount, ctlLimits, ctlRequests} {
		if r.WasEvaluated(id, "Pod/a/p") || len(byControl(r, id)) > 0 {
			t.Errorf("%s judged although the kind it needs could not be read", id)
		}
	}
	if !r.WasEvaluated("container/privileged", "Pod/a/p") {
		t.Error("controls that do not need the unreadable kinds must still run")
	}
}
