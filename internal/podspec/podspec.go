// Package podspec finds the pod template inside workload objects (Pod, Deployment, StatefulSet,
// DaemonSet, ReplicaSet, ReplicationController, Job, CronJob), with the field path to it.
package podspec

import (
	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Template is the pod template of a workload.
type Template struct {
	Meta *metav1.ObjectMeta
	Spec *corev1.PodSpec
	// MetaPath and SpecPath are the field paths of the template's metadata and spec inside the
	// workload object (e.g. spec.template.spec).
	MetaPath, SpecPath inventory.FieldPath
}

// Of returns the pod template of a workload object; ok is false for other objects (including
// workload kinds the inventory holds as unstructured, e.g. unknown API versions).
func Of(o *inventory.Object) (t Template, ok bool) {
	tmpl := func(pt *corev1.PodTemplateSpec, prefix ...any) (Template, bool) {
		base := inventory.Path(prefix...)
		return Template{Meta: &pt.ObjectMeta, Spec: &pt.Spec, MetaPath: base.Child("metadata"), SpecPath: base.Child("spec")}, true
	}
	switch w := o.Object.(type) {
	case *corev1.Pod:
		return Template{Meta: &w.ObjectMeta, Spec: &w.Spec, MetaPath: inventory.Path("metadata"), SpecPath: inventory.Path("spec")}, true
	case *appsv1.Deployment:
		return tmpl(&w.Spec.Template, "spec", "template")
	case *appsv1.StatefulSet:
		return tmpl(&w.Spec.Template, "spec", "template")
	case *appsv1.DaemonSet:
		return tmpl(&w.Spec.Template, "spec", "template")
	case *appsv1.ReplicaSet:
		return tmpl(&w.Spec.Template, "spec", "template")
	case *corev1.ReplicationController:
		if w.Spec.Template == nil {
			return Template{}, false
		}
		return tmpl(w.Spec.Template, "spec", "template")
	case *batchv1.Job:
		return tmpl(&w.Spec.Template, "spec", "template")
	case *batchv1.CronJob:
		return tmpl(&w.Spec.JobTemplate.Spec.Template, "spec", "jobTemplate", "spec", "template")
	case *corev1.PodTemplate:
		return tmpl(&w.Template, "template")
	}
	return Template{}, false
}

// IsWorkload reports whether the object carries a pod template.
func IsWorkload(o *inventory.Object) bool {
	_, ok := Of(o)
	return ok
}

// Container is one container of a pod spec with its field path.
type Container struct {
	C    *corev1.Container
	Path inventory.FieldPath
	// Kind is "container", "initContainer" or "ephemeralContainer".
	Kind string
}

// Containers lists every container (init, regular, ephemeral) with its field path.
func (t Template) Containers() []Container {
	var out []Container
	for i := range t.Spec.InitContainers {
		out = append(out, Container{C: &t.Spec.InitContainers[i], Path: t.SpecPath.Child("initContainers", i), Kind: "initContainer"})
	}
	for i := range t.Spec.Containers {
		out = append(out, Container{C: &t.Spec.Containers[i], Path: t.SpecPath.Child("containers", i), Kind: "container"})
	}
	for i := range t.Spec.EphemeralContainers {
		ec := &t.Spec.EphemeralContainers[i]
		c := corev1.Container(ec.EphemeralContainerCommon)
		out = append(out, Container{C: &c, Path: t.SpecPath.Child("ephemeralContainers", i), Kind: "ephemeralContainer"})
	}
	return out
}

// controllerKinds are the workload controllers whose children (a Deployment's ReplicaSets and
// their Pods, a CronJob's Jobs) carry copies of the user's pod template.
var controllerKinds = map[string]bool{"Deployment": true, "ReplicaSet": true, "StatefulSet": true, "DaemonSet": true,
	"Job": true, "CronJob": true, "ReplicationController": true}

// OwnedByWorkload reports whether a workload controller owns the object. Analyzers skip such
// objects so a cluster scan reports each problem once, on the object the user wrote.
func OwnedByWorkload(o *inventory.Object) bool {
	m := o.Meta()
	if m == nil {
		return false
	}
	for _, r := range m.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller && controllerKinds[r.Kind] {
			return true
		}
	}
	return false
}
