// Package testcorpus generates realistic manifest corpora for benchmarks: namespaces holding
// workloads of every kind with their Services, plus each namespace's ResourceQuota, LimitRange,
// NetworkPolicies, Role and RoleBinding. About a third of the workloads are hardened, the rest carry typical problems,
// so every analyzer does real work.
package testcorpus

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PerNamespace is the number of workloads in each generated namespace.
const PerNamespace = 50

// Generate writes a corpus of n workloads under dir (one directory per namespace, one file per
// application) and returns the number of bytes written.
func Generate(dir string, n int) (int64, error) {
	var total int64
	for ns := 0; ns*PerNamespace < n; ns++ {
		name := fmt.Sprintf("team-%03d", ns)
		nsDir := filepath.Join(dir, name)
		if err := os.MkdirAll(nsDir, 0o755); err != nil {
			return total, err
		}
		b := namespaceObjects(name, ns)
		if err := os.WriteFile(filepath.Join(nsDir, "namespace.yaml"), []byte(b), 0o644); err != nil {
			return total, err
		}
		total += int64(len(b))
		for i := 0; i < PerNamespace && ns*PerNamespace+i < n; i++ {
			b := app(name, i)
			if err := os.WriteFile(filepath.Join(nsDir, fmt.Sprintf("app-%03d.yaml", i)), []byte(b), 0o644); err != nil {
				return total, err
			}
			total += int64(len(b))
		}
	}
	return total, nil
}

func namespaceObjects(ns string, idx int) string {
	enforce := "restricted"
	if idx%4 == 0 {
		enforce = "baseline"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
  labels:
    team: %[1]s
    pod-security.kubernetes.io/enforce: %[2]s
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: quota
  namespace: %[1]s
spec:
  hard:
    requests.cpu: "40"
    requests.memory: 80Gi
    limits.cpu: "80"
    limits.memory: 160Gi
    pods: "200"
---
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: %[1]s
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 512Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: %[1]s
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: %[1]s
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: deployer
  namespace: %[1]s
rules:
- apiGroups: [apps]
  resources: [deployments, statefulsets]
  verbs: [get, list, watch, update, patch]
- apiGroups: [""]
  resources: [configmaps, services]
  verbs: [get, list, watch, create, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: deployer
  namespace: %[1]s
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: Group, name: %[1]s-developers, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: ci, namespace: %[1]s}
`, ns, enforce)
	return b.String()
}

var kinds = []string{"Deployment", "Deployment", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}

func app(ns string, i int) string {
	name := fmt.Sprintf("svc-%03d", i)
	kind := kinds[i%len(kinds)]
	hardened := i%3 == 0
	image := fmt.Sprintf("registry.example.com/%s/%s:1.%d.%d", ns, name, i%7, i%13)
	if hardened {
		image += "@sha256:" + strings.Repeat(fmt.Sprintf("%x", i%16), 64)
	} else if i%5 == 1 {
		image = "nginx:latest"
	}
	pod := podSpec(name, image, hardened, i)
	var spec string
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		extra := "  replicas: 3\n"
		if kind == "StatefulSet" {
			extra += "  serviceName: " + name + "\n"
		}
		if kind == "DaemonSet" {
			extra = ""
		}
		spec = fmt.Sprintf("spec:\n%s  selector:\n    matchLabels: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s, tier: backend}\n    spec:\n%s", extra, name, name, indent(pod, 6))
	case "Job":
		spec = fmt.Sprintf("spec:\n  backoffLimit: 2\n  template:\n    metadata:\n      labels: {app: %s}\n    spec:\n      restartPolicy: OnFailure\n%s", name, indent(pod, 6))
	case "CronJob":
		spec = fmt.Sprintf("spec:\n  schedule: \"%d * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels: {app: %s}\n        spec:\n          restartPolicy: OnFailure\n%s", i%60, name, indent(pod, 10))
	}
	apiVersion := "apps/v1"
	if kind == "Job" || kind == "CronJob" {
		apiVersion = "batch/v1"
	}
	svcType := "ClusterIP"
	if i%17 == 5 {
		svcType = "LoadBalancer"
	}
	return fmt.Sprintf(`apiVersion: %s
kind: %s
metadata:
  name: %s
  namespace: %s
  labels:
    app: %s
    app.kubernetes.io/part-of: %s
  annotations:
    owner: platform-team@example.com
%s---
apiVersion: v1
kind: Service
metadata:
  name: %s
  namespace: %s
spec:
  type: %s
  selector: {app: %s}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
`, apiVersion, kind, name, ns, name, ns, spec, name, ns, svcType, name)
}

func podSpec(name, image string, hardened bool, i int) string {
	if hardened {
		return fmt.Sprintf(`automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  seccompProfile: {type: RuntimeDefault}
containers:
- name: %s
  image: %s
  ports:
  - {containerPort: 8080, name: http}
  env:
  - {name: LOG_LEVEL, value: info}
  - {name: PORT, value: "8080"}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities: {drop: [ALL]}
  resources:
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 256Mi}
  readinessProbe:
    httpGet: {path: /healthz, port: http}
  volumeMounts:
  - {name: tmp, mountPath: /tmp}
volumes:
- name: tmp
  emptyDir: {}
`, name, image)
	}
	extra := ""
	switch i % 6 {
	case 1:
		extra = "  securityContext:\n    privileged: true\n"
	case 2:
		extra = "  securityContext:\n    capabilities: {add: [NET_ADMIN]}\n"
	case 4:
		extra = "  securityContext:\n    runAsUser: 0\n"
	}
	vols := ""
	if i%11 == 7 {
		vols = "volumes:\n- name: sock\n  hostPath: {path: /var/run/docker.sock}\n"
	}
	return fmt.Sprintf(`containers:
- name: %s
  image: %s
  ports:
  - {containerPort: 8080, name: http}
  env:
  - {name: LOG_LEVEL, value: debug}
  - {name: DB_HOST, value: postgres.%s.svc}
  - name: DB_PASSWORD
    valueFrom:
      secretKeyRef: {name: db, key: password}
%s  resources:
    requests: {cpu: 50m}
%s`, name, image, name, extra, vols)
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}
