package finding

import (
	"github.com/kube4c/kube4c/internal/inventory"
)

// Check is one control evaluated for one resource.
type Check struct {
	ControlID string             `json:"control"`
	Resource  Resource           `json:"resource"`
	Location  inventory.Location `json:"location"`
}

// NotEvaluated records a control the scan could not evaluate (e.g. a resource the identity may
// not list), with the reason.
type NotEvaluated struct {
	ControlID string `json:"control"`
	Reason    string `json:"reason"`
}

// ProviderManaged records a control the platform's provider owns (the control plane of EKS, GKE
// and AKS): it is not judged, and nothing recorded for it counts as a failure.
type ProviderManaged struct {
	ControlID string `json:"control"`
	Owner     string `json:"owner"`
	Platform  string `json:"platform"`
}

// Warning is something the user should know that is not a finding: an exception that matched
// nothing, an expired exception, an inline ignore naming an unknown control.
type Warning struct {
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// Result is the outcome of one scan: what reports render.
type Result struct {
	// Findings are sorted by layer, severity (worst first), control, resource and location.
	// Suppressed findings are included, with Suppression set.
	Findings []Finding
	// Passed lists control × resource pairs that were evaluated and did not fail.
	Passed []Check
	// NotEvaluated lists controls that could not be evaluated.
	NotEvaluated []NotEvaluated
	// ProviderManaged lists the controls the platform's provider owns (node scans of managed
	// services only).
	ProviderManaged []ProviderManaged
	// Node describes the node a node scan read (nil otherwise).
	Node *inventory.NodeInfo
	// Problems are input errors and warnings (malformed files, refused files, ...).
	Problems []inventory.Problem
	// Warnings are exception and configuration warnings.
	Warnings []Warning
	// Objects is the number of objects in the inventory; Sources the number of files, charts,
	// kustomizations or clusters read.
	Objects int
	Sources int
	// Settings that shaped the result, echoed in reports.
	PSSLevel   string
	PSSVersion string
}

// Errors counts the problems of severity "error".
func (r *Result) Errors() int {
	n := 0
	for _, p := range r.Problems {
		if p.Severity == "error" {
			n++
		}
	}
	return n
}
