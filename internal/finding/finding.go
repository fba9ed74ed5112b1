// Package finding holds what analyzers report: findings (a control failed for a resource, at a
// place in its source) and the per-scan result set that also knows which control × resource pairs
// were evaluated, so reports can count passes and compute scores.
package finding

import (
	"github.com/kube4c/kube4c/internal/inventory"
)

// Resource identifies the Kubernetes object a finding is about.
type Resource struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// ResourceOf returns the Resource of an inventory object.
func ResourceOf(o *inventory.Object) Resource {
	return Resource{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// Key is Kind/namespace/name (or Kind/name when cluster-scoped).
func (r Resource) Key() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Suppression says why a finding does not count.
type Suppression struct {
	// Kind is "exception" (from --exceptions) or "inline" (kube4c.io/ignore annotation).
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
	// Exception identifies the matching exception entry (its name, or file:line).
	Exception string `json:"exception,omitempty"`
	Expires   string `json:"expires,omitempty"`
}

// Finding is one failed control for one resource.
type Finding struct {
	ControlID string
	// Object is the inventory object the finding is about (nil for findings about something the
	// scan only refers to, such as a namespace that has no Namespace object in the scan).
	Object   *inventory.Object
	Resource Resource
	// Path is the offending field, when there is one. The scan resolves it to Location.
	Path     inventory.FieldPath
	Location inventory.Location
	Message  string
	// Suppression is set when an exception or inline annotation suppresses the finding.
	Suppression *Suppression
}

// New builds a finding about an inventory object.
func New(controlID string, o *inventory.Object, path inventory.FieldPath, message string) Finding {
	return Finding{ControlID: controlID, Object: o, Resource: ResourceOf(o), Path: path, Message: message}
}
