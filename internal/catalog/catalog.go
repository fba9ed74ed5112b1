// Package catalog holds kube4c's control catalog: every control any analyzer can report, with its
// stable ID, layer, severity, rationale, remediation and framework references. Reports and
// documentation are generated from it; analyzers refer to controls by ID only.
package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Layer is one of the 4 C's of cloud-native security.
type Layer string

// The four layers, outermost first.
const (
	Cloud     Layer = "cloud"
	Cluster   Layer = "cluster"
	Container Layer = "container"
	Code      Layer = "code"
)

// Layers lists the layers in report order.
var Layers = []Layer{Cloud, Cluster, Container, Code}

// ParseLayer accepts a layer name (case-insensitive).
func ParseLayer(s string) (Layer, error) {
	for _, l := range Layers {
		if strings.EqualFold(s, string(l)) {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown layer %q (want cloud, cluster, container or code)", s)
}

// Severity orders findings; higher is worse.
type Severity int

// Severities from least to most severe.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, low, medium, high or critical)", s)
}

// MarshalText renders the severity by name (JSON, YAML).
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// PSSRef names a Pod Security Standards check (the check IDs of k8s.io/pod-security-admission).
type PSSRef struct {
	Check string `json:"check"`
	Level string `json:"level"` // baseline or restricted
}

// References maps a control to external frameworks.
type References struct {
	PSS *PSSRef `json:"pss,omitempty"`
	// CIS lists CIS Kubernetes Benchmark v1.10.0 recommendation numbers, e.g. "5.2.2".
	CIS []string `json:"cis,omitempty"`
	// NSA lists sections of the NSA-CISA Kubernetes Hardening Guide v1.2 (August 2022).
	NSA []string `json:"nsa,omitempty"`
	// MITRE lists MITRE ATT&CK Enterprise technique IDs (most from its Containers matrix), e.g. "T1611".
	MITRE []string `json:"mitre,omitempty"`
}

// Control is one check kube4c can report.
type Control struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Layer       Layer      `json:"layer"`
	Severity    Severity   `json:"severity"`
	Rationale   string     `json:"rationale"`
	Remediation string     `json:"remediation"`
	References  References `json:"references"`
	// Scope is ScopeControlPlane for controls of the control plane's components and files, which
	// managed services (EKS, GKE, AKS) run for their customers; empty otherwise.
	Scope Scope `json:"scope,omitempty"`
}

// Scope groups controls by who can own them.
type Scope string

// ScopeControlPlane is the scope of controls on the API server, controller manager, scheduler,
// etcd and their files.
const ScopeControlPlane Scope = "control-plane"

// Framework names accepted by HasFramework.
var Frameworks = []string{"pss", "cis", "nsa", "mitre"}

// HasFramework reports whether the control references the named framework.
func (c Control) HasFramework(f string) bool {
	switch strings.ToLower(f) {
	case "pss":
		return c.References.PSS != nil
	case "cis":
		return len(c.References.CIS) > 0
	case "nsa":
		return len(c.References.NSA) > 0
	case "mitre":
		return len(c.References.MITRE) > 0
	}
	return false
}

var registry = map[string]Control{}

// register adds controls at package initialisation. A duplicate or malformed control is a
// programming error and panics at start-up (and in every test).
func register(cs ...Control) {
	for _, c := range cs {
		if _, dup := registry[c.ID]; dup {
			panic("catalog: duplicate control " + c.ID)
		}
		if c.ID == "" || c.Title == "" || c.Rationale == "" || c.Remediation == "" {
			panic("catalog: incomplete control " + c.ID)
		}
		if !strings.HasPrefix(c.ID, string(c.Layer)+"/") {
			panic("catalog: control " + c.ID + " must start with its layer " + string(c.Layer))
		}
		registry[c.ID] = c
	}
}

// Lookup returns the control with the given ID.
func Lookup(id string) (Control, bool) {
	c, ok := registry[id]
	return c, ok
}

// All returns every control, sorted by layer (report order) then ID.
func All() []Control {
	out := make([]Control, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	order := map[Layer]int{}
	for i, l := range Layers {
		order[l] = i
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Layer != out[j].Layer {
			return order[out[i].Layer] < order[out[j].Layer]
		}
		return out[i].ID < out[j].ID
	})
	return out
}
