// Package workload analyzes pod-bearing objects (Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob, PodTemplate): every Pod Security Standards check
// through k8s.io/pod-security-admission, and the container controls beyond PSS.
package workload

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/credential"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
	corev1 "k8s.io/api/core/v1"
)

// Control IDs owned by this analyzer beyond the PSS ones.
const (
	ctlImageLatest      = "container/image-tag-latest"
	ctlImageNotPinned   = "container/image-not-pinned"
	ctlImageRegistry    = "container/image-registry-not-allowed"
	ctlLimits           = "container/limits-missing"
	ctlRequests         = "container/requests-missing"
	ctlWritableRoot     = "container/writable-root-filesystem"
	ctlSensitiveHost    = "container/sensitive-hostpath"
	ctlTokenAutomount   = "container/sa-token-automount"
	ctlCredentialsInEnv = "container/credentials-in-env"
	ctlSecretsInEnv     = "container/secrets-in-env"
	ctlUntrusted        = "container/untrusted-not-sandboxed"
	ctlDefaultNamespace = "cluster/workload-default-namespace"
)

type workloadAnalyzer struct{}

// New returns the workload analyzer.
func New() analyzer.Analyzer { return workloadAnalyzer{} }

func (workloadAnalyzer) Name() string { return "workload" }

func (workloadAnalyzer) Controls() []string {
	ids := []string{ctlImageLatest, ctlImageNotPinned, ctlImageRegistry, ctlLimits, ctlRequests, ctlWritableRoot,
		ctlSensitiveHost, ctlTokenAutomount, ctlCredentialsInEnv, ctlSecretsInEnv, ctlUntrusted, ctlDefaultNamespace}
	for _, c := range pssControls() {
		ids = append(ids, c)
	}
	sort.Strings(ids)
	return ids
}

func (a workloadAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, cfg *analyzer.Config, rec analyzer.Recorder) error {
	checks, err := selectPSSChecks(cfg.PSSLevel, cfg.PSSVersion)
	if err != nil {
		return err
	}
	env := newEnvironment(inv, cfg)
	for _, o := range inv.Objects() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t, ok := podspec.Of(o)
		if !ok {
			continue
		}
		if podspec.OwnedByWorkload(o) {
			continue // reported on the object the user wrote (see podspec.OwnedByWorkload)
		}
		w := &work{o: o, t: t, cfg: cfg, env: env, rec: rec}
		w.pss(checks)
		w.images()
		w.resources()
		w.rootFilesystem()
		w.hostPaths()
		w.tokenAutomount()
		w.envVars()
		w.sandbox()
		w.defaultNamespace()
	}
	return nil
}

// environment holds what controls need from other objects of the inventory.
type environment struct {
	// saAutomount: namespace/name of ServiceAccounts → their automountServiceAccountToken.
	saAutomount map[string]*bool
	// defaultLimits: namespace → resources a LimitRange gives containers a default limit for.
	defaultLimits map[string]map[corev1.ResourceName]bool
	allowed       []string
	// saUnreadable / lrUnreadable: the source could not read ServiceAccounts / LimitRanges, so
	// the controls that depend on them are not judged (the scan reports them as not evaluated).
	saUnreadable, lrUnreadable bool
}

func newEnvironment(inv *inventory.Inventory, cfg *analyzer.Config) *environment {
	e := &environment{saAutomount: map[string]*bool{}, defaultLimits: map[string]map[corev1.ResourceName]bool{}}
	for _, u := range inv.Unavailable() {
		if u.Group == "" && u.Kind == "ServiceAccount" {
			e.saUnreadable = true
		}
		if u.Group == "" && u.Kind == "LimitRange" {
			e.lrUnreadable = true
		}
	}
	for _, o := range inv.OfKind("", "ServiceAccount") {
		if sa, ok := o.Object.(*corev1.ServiceAccount); ok {
			e.saAutomount[o.Namespace+"/"+o.Name] = sa.AutomountServiceAccountToken
		}
	}
	for _, o := range inv.OfKind("", "LimitRange") {
		lr, ok := o.Object.(*corev1.LimitRange)
		if !ok {
			continue
		}
		for _, item := range lr.Spec.Limits {
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			for r := range item.Default {
				if e.defaultLimits[o.Namespace] == nil {
					e.defaultLimits[o.Namespace] = map[corev1.ResourceName]bool{}
				}
				e.defaultLimits[o.Namespace][r] = true
			}
		}
	}
	for _, r := range cfg.AllowedRegistries {
		if r = normalizeRegistryPrefix(r); r != "" {
			e.allowed = append(e.allowed, r)
		}
	}
	return e
}

type work struct {
	o   *inventory.Object
	t   podspec.Template
	cfg *analyzer.Config
	env *environment
	rec analyzer.Recorder
}

func (w *work) eval(control string) { w.rec.Evaluated(control, w.o) }

func (w *work) fail(control string, p inventory.FieldPath, format string, args ...any) {
	w.rec.Fail(finding.New(control, w.o, p, fmt.Sprintf(format, args...)))
}

// admissionView returns the pod spec as the API server hands it to Pod Security admission: a volume
// without any source is defaulted to emptyDir (SetDefaults_Volume). The inventory object is not
// changed.
func admissionView(spec *corev1.PodSpec) *corev1.PodSpec {
	var out *corev1.PodSpec
	for i, v := range spec.Volumes {
		if v.VolumeSource != (corev1.VolumeSource{}) {
			continue
		}
		if out == nil {
			cp := *spec
			cp.Volumes = append([]corev1.Volume(nil), spec.Volumes...)
			out = &cp
		}
		out.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	if out == nil {
		return spec
	}
	return out
}

func (w *work) pss(checks []pssCheck) {
	spec := admissionView(w.t.Spec)
	for _, c := range checks {
		w.eval(c.control)
		res := c.fn(w.t.Meta, spec)
		if res.Allowed {
			continue
		}
		msg := res.ForbiddenReason
		if res.ForbiddenDetail != "" {
			msg += " (" + res.ForbiddenDetail + ")"
		}
		w.fail(c.control, pssPath(c.id, w.t, res), "PSS %s check %s: %s", c.level, c.id, msg)
	}
}

// containers returns init and regular containers (ephemeral containers are added to running pods
// for debugging and cannot set resources, so only PSS looks at them).
func (w *work) containers() []podspec.Container {
	var out []podspec.Container
	for _, c := range w.t.Containers() {
		if c.Kind != "ephemeralContainer" {
			out = append(out, c)
		}
	}
	return out
}

func (w *work) images() {
	w.eval(ctlImageLatest)
	w.eval(ctlImageNotPinned)
	if len(w.env.allowed) > 0 {
		w.eval(ctlImageRegistry)
	}
	for _, c := range w.containers() {
		if c.C.Image == "" {
			continue
		}
		ref := parseImage(c.C.Image)
		p := c.Path.Child("image")
		if ref.digest == "" && (ref.tag == "" || ref.tag == "latest") {
			what := "has no tag"
			if ref.tag == "latest" {
				what = "uses the :latest tag"
			}
			w.fail(ctlImageLatest, p, "%s %q image %q %s", c.Kind, c.C.Name, c.C.Image, what)
		}
		if ref.digest == "" {
			w.fail(ctlImageNotPinned, p, "%s %q image %q is not pinned by digest", c.Kind, c.C.Name, c.C.Image)
		}
		if len(w.env.allowed) > 0 && !ref.allowedBy(w.env.allowed) {
			w.fail(ctlImageRegistry, p, "%s %q image %q comes from %s, which is not in --allowed-registries", c.Kind, c.C.Name, c.C.Image, ref.registry)
		}
	}
}

func (w *work) resources() {
	if w.env.lrUnreadable {
		return // LimitRange defaults unknown: not evaluated
	}
	w.eval(ctlLimits)
	w.eval(ctlRequests)
	defaults := w.env.defaultLimits[w.o.Namespace]
	for _, c := range w.containers() {
		var noLimit, noRequest []string
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			_, hasLimit := c.C.Resources.Limits[r]
			_, hasRequest := c.C.Resources.Requests[r]
			if !hasLimit && !defaults[r] {
				noLimit = append(noLimit, string(r))
			}
			// The API server defaults a missing request to the limit.
			if !hasRequest && !hasLimit && !defaults[r] {
				noRequest = append(noRequest, string(r))
			}
		}
		p := c.Path.Child("resources")
		if len(noLimit) > 0 {
			w.fail(ctlLimits, p, "%s %q has no %s limit", c.Kind, c.C.Name, strings.Join(noLimit, " or "))
		}
		if len(noRequest) > 0 {
			w.fail(ctlRequests, p, "%s %q has no %s request", c.Kind, c.C.Name, strings.Join(noRequest, " or "))
		}
	}
}

func (w *work) rootFilesystem() {
	if w.t.Spec.OS != nil && w.t.Spec.OS.Name == corev1.Windows {
		return // readOnlyRootFilesystem is not supported for Windows containers
	}
	w.eval(ctlWritableRoot)
	for _, c := range w.containers() {
		if sc := c.C.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			w.fail(ctlWritableRoot, c.Path.Child("securityContext", "readOnlyRootFilesystem"),
				"%s %q does not set securityContext.readOnlyRootFilesystem: true", c.Kind, c.C.Name)
		}
	}
}

// sensitiveHostPaths: mounting one of these, or anything below it, gives control of the node.
// "/" itself is listed separately: everything is below it.
var sensitiveHostPaths = []string{
	"/etc", "/proc", "/root", "/var/lib/kubelet", "/var/run", "/run", "/sys", "/boot",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/crio",
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/run/cri-dockerd.sock",
}

func sensitiveHostPath(p string) bool {
	c := path.Clean("/" + strings.TrimSpace(p))
	if c == "/" {
		return true
	}
	for _, s := range sensitiveHostPaths {
		if c == s || strings.HasPrefix(c, s+"/") {
			return true
		}
	}
	return false
}

func (w *work) hostPaths() {
	w.eval(ctlSensitiveHost)
	for i, v := range w.t.Spec.Volumes {
		if v.HostPath == nil || !sensitiveHostPath(v.HostPath.Path) {
			continue
		}
		w.fail(ctlSensitiveHost, w.t.SpecPath.Child("volumes", i, "hostPath", "path"),
			"volume %q mounts the sensitive host path %s", v.Name, v.HostPath.Path)
	}
}

func (w *work) tokenAutomount() {
	if w.env.saUnreadable {
		return // the ServiceAccount's setting is unknown: not evaluated
	}
	w.eval(ctlTokenAutomount)
	spec := w.t.Spec
	if spec.AutomountServiceAccountToken != nil {
		if *spec.AutomountServiceAccountToken {
			w.fail(ctlTokenAutomount, w.t.SpecPath.Child("automountServiceAccountToken"),
				"automountServiceAccountToken is true: the pod gets an API token")
		}
		return
	}
	sa := spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	if v, ok := w.env.saAutomount[w.o.Namespace+"/"+sa]; ok && v != nil && !*v {
		return // the ServiceAccount turns automounting off
	}
	w.fail(ctlTokenAutomount, w.t.SpecPath.Child("automountServiceAccountToken"),
		"service account %q token is mounted automatically (neither the pod nor the ServiceAccount sets automountServiceAccountToken: false)", sa)
}

func (w *work) envVars() {
	w.eval(ctlCredentialsInEnv)
	w.eval(ctlSecretsInEnv)
	for _, c := range w.t.Containers() {
		for i, e := range c.C.Env {
			if e.Value != "" {
				if reason, ok := credential.LooksLikeCredential(e.Name, e.Value); ok {
					w.fail(ctlCredentialsInEnv, c.Path.Child("env", i, "value"),
						"%s %q env %s holds a literal credential (%s; value %s)", c.Kind, c.C.Name, e.Name, reason, credential.Redact(e.Value))
				}
			}
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				w.fail(ctlSecretsInEnv, c.Path.Child("env", i, "valueFrom", "secretKeyRef"),
					"%s %q env %s comes from Secret %q", c.Kind, c.C.Name, e.Name, e.ValueFrom.SecretKeyRef.Name)
			}
		}
		for i, e := range c.C.EnvFrom {
			if e.SecretRef != nil {
				w.fail(ctlSecretsInEnv, c.Path.Child("envFrom", i, "secretRef"),
					"%s %q imports every key of Secret %q as environment variables", c.Kind, c.C.Name, e.SecretRef.Name)
			}
		}
	}
}

func (w *work) sandbox() {
	key, value, hasValue := strings.Cut(w.cfg.UntrustedLabel, "=")
	if key == "" {
		return
	}
	marked := func(l map[string]string) bool {
		v, ok := l[key]
		return ok && (!hasValue || v == value)
	}
	if !marked(w.o.Labels()) && !marked(w.t.Meta.Labels) {
		return
	}
	w.eval(ctlUntrusted)
	rc := ""
	if w.t.Spec.RuntimeClassName != nil {
		rc = *w.t.Spec.RuntimeClassName
	}
	for _, s := range w.cfg.SandboxRuntimeClasses {
		if rc == s {
			return
		}
	}
	if rc == "" {
		w.fail(ctlUntrusted, w.t.SpecPath.Child("runtimeClassName"), "workload is labelled %s but sets no runtimeClassName (want one of %s)",
			w.cfg.UntrustedLabel, strings.Join(w.cfg.SandboxRuntimeClasses, ", "))
		return
	}
	w.fail(ctlUntrusted, w.t.SpecPath.Child("runtimeClassName"), "workload is labelled %s but runs with runtimeClassName %q, which is not sandboxed (want one of %s)",
		w.cfg.UntrustedLabel, rc, strings.Join(w.cfg.SandboxRuntimeClasses, ", "))
}

func (w *work) defaultNamespace() {
	w.eval(ctlDefaultNamespace)
	if w.o.Namespace == "default" {
		w.fail(ctlDefaultNamespace, inventory.Path("metadata", "namespace"), "%s runs in the default namespace", w.o.Kind)
	}
}
