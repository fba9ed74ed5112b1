// Package finding holds what analyzers report: findings (a control failed for a resource, at a
// place in its source) and the per-scan result set that also knows which control × resource pairs
// were evaluated, so reports can count passes and compute scores.
package finding

import (
	"github.com/kube4c/kube4c/internal/catalog"
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
	// VEXJustification is the OpenVEX not_affected justification of an exception about
	// advisories (vulnerable_code_not_in_execute_path, ...).
	VEXJustification string `json:"vexJustification,omitempty"`
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
	// Severity, when set, replaces the control's severity for this finding: a vulnerable package
	// is as severe as its advisory's CVSS score.
	Severity *catalog.Severity
	// Vulnerability is set on findings about a vulnerable package.
	Vulnerability *Vulnerability
}

// Vulnerability describes the advisory and the package of a vulnerable-package finding.
type Vulnerability struct {
	// ID is the OSV ID of the advisory; Aliases its other IDs (CVE-... first when there is one).
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	URL     string   `json:"url,omitempty"`
	// Score is the CVSS base score and SeverityFrom the vector (or other source) the severity
	// was computed from.
	Score        float64 `json:"score,omitempty"`
	SeverityFrom string  `json:"severityFrom,omitempty"`
	// The package: name, OSV ecosystem, package URL, the file it was read from and the image
	// layer that introduced it.
	Package   string `json:"package"`
	Ecosystem string `json:"ecosystem,omitempty"`
	PURL      string `json:"purl,omitempty"`
	Path      string `json:"path,omitempty"`
	Layer     string `json:"layer,omitempty"`
	Installed string `json:"installedVersion"`
	// Fixed is the lowest version that fixes the advisory ("" when no fix is known).
	Fixed string `json:"fixedVersion,omitempty"`
}

// EffectiveSeverity is the finding's Severity when set, else its control's.
func (f *Finding) EffectiveSeverity() catalog.Severity {
	if f.Severity != nil {
		return *f.Severity
	}
	if c, ok := catalog.Lookup(f.ControlID); ok {
		return c.Severity
	}
	return catalog.Info
}

// New builds a finding about an inventory object.
func New(controlID string, o *inventory.Object, path inventory.FieldPath, message string) Finding {
	return Finding{ControlID: controlID, Object: o, Resource: ResourceOf(o), Path: path, Message: message}
}
