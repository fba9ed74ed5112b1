package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/platform"
)

// The JSON report, schema kube4c.io/report/v1 (docs/report.schema.json). Field order here is the
// output order; every list is present (empty rather than null).
type jsonReport struct {
	SchemaVersion string             `json:"schemaVersion"`
	Tool          jsonTool           `json:"tool"`
	Settings      jsonSettings       `json:"settings"`
	Scanned       jsonScanned        `json:"scanned"`
	Summary       Summary            `json:"summary"`
	Controls      []ControlSummary   `json:"controls"`
	Findings      []jsonFinding      `json:"findings"`
	NotEvaluated  []jsonNotEvaluated `json:"notEvaluated"`
	// ProviderManaged lists controls the platform's provider owns (node scans of managed services).
	ProviderManaged []jsonProviderManaged `json:"providerManaged"`
	Problems        []inventory.Problem   `json:"problems"`
	Warnings        []finding.Warning     `json:"warnings"`
}

type jsonTool struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	InformationURI string `json:"informationUri"`
}

type jsonSettings struct {
	PSSLevel    string           `json:"pssLevel"`
	PSSVersion  string           `json:"pssVersion"`
	MinSeverity catalog.Severity `json:"minSeverity"`
}

type jsonScanned struct {
	Objects int                 `json:"objects"`
	Sources int                 `json:"sources"`
	Node    *inventory.NodeInfo `json:"node,omitempty"`
}

type jsonProviderManaged struct {
	ControlID string `json:"controlId"`
	Title     string `json:"title"`
	Owner     string `json:"owner"`
	Platform  string `json:"platform"`
}

type jsonFinding struct {
	ControlID   string               `json:"controlId"`
	Title       string               `json:"title"`
	Layer       catalog.Layer        `json:"layer"`
	Severity    catalog.Severity     `json:"severity"`
	Resource    finding.Resource     `json:"resource"`
	Location    inventory.Location   `json:"location"`
	Path        string               `json:"path"`
	Message     string               `json:"message"`
	Owner       string               `json:"owner"`
	References  catalog.References   `json:"references"`
	Fingerprint string               `json:"fingerprint"`
	Suppressed  bool                 `json:"suppressed"`
	Suppression *finding.Suppression `json:"suppression,omitempty"`
	// Vulnerability is set on vulnerable-package findings.
	Vulnerability *finding.Vulnerability `json:"vulnerability,omitempty"`
}

type jsonNotEvaluated struct {
	ControlID string `json:"controlId"`
	Title     string `json:"title,omitempty"`
	Reason    string `json:"reason"`
}

func writeJSON(w io.Writer, v *view, opts Options) error {
	r := jsonReport{
		SchemaVersion:   SchemaVersion,
		Tool:            jsonTool{Name: "kube4c", Version: opts.ToolVersion, InformationURI: InformationURI},
		Settings:        jsonSettings{PSSLevel: v.res.PSSLevel, PSSVersion: v.res.PSSVersion, MinSeverity: opts.MinSeverity},
		Scanned:         jsonScanned{Objects: v.res.Objects, Sources: v.res.Sources, Node: v.res.Node},
		Summary:         v.summary,
		Controls:        v.summary.Controls,
		Findings:        make([]jsonFinding, 0, len(v.items)),
		NotEvaluated:    make([]jsonNotEvaluated, 0, len(v.notEval)),
		ProviderManaged: make([]jsonProviderManaged, 0, len(v.res.ProviderManaged)),
		Problems:        append([]inventory.Problem{}, v.res.Problems...),
		Warnings:        append([]finding.Warning{}, v.res.Warnings...),
	}
	if r.Controls == nil {
		r.Controls = []ControlSummary{}
	}
	for _, n := range v.notEval {
		jn := jsonNotEvaluated{ControlID: n.ControlID, Reason: n.Reason}
		if c, ok := catalog.Lookup(n.ControlID); ok {
			jn.Title = c.Title
		}
		r.NotEvaluated = append(r.NotEvaluated, jn)
	}
	for _, m := range v.res.ProviderManaged {
		jm := jsonProviderManaged{ControlID: m.ControlID, Owner: m.Owner, Platform: m.Platform}
		if c, ok := catalog.Lookup(m.ControlID); ok {
			jm.Title = c.Title
		}
		r.ProviderManaged = append(r.ProviderManaged, jm)
	}
	// Findings are most of the report (tens of megabytes for a large scan): encode the rest, then
	// stream the findings one at a time into their place.
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return err
	}
	const slot = "\n  \"findings\": []"
	before, after, found := bytes.Cut(head.Bytes(), []byte(slot))
	if !found {
		return errors.New("report: json: findings slot lost")
	}
	if _, err := w.Write(before); err != nil {
		return err
	}
	if len(v.items) == 0 {
		_, err := io.WriteString(w, slot)
		if err == nil {
			_, err = w.Write(after)
		}
		return err
	}
	if _, err := io.WriteString(w, "\n  \"findings\": ["); err != nil {
		return err
	}
	var buf bytes.Buffer
	fe := json.NewEncoder(&buf)
	fe.SetIndent("    ", "  ")
	fe.SetEscapeHTML(false)
	for i, it := range v.items {
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		if err := fe.Encode(jsonFinding{
			ControlID:     it.ControlID,
			Title:         it.Control.Title,
			Layer:         it.Control.Layer,
			Severity:      it.Severity,
			Vulnerability: it.Vulnerability,
			Resource:      it.Resource,
			Location:      it.Location,
			Path:          it.Path.String(),
			Message:       it.Message,
			Owner:         platform.Customer, // the provider's controls are never findings
			References:    it.Control.References,
			Fingerprint:   Fingerprint(it.Finding),
			Suppressed:    it.Suppression != nil,
			Suppression:   it.Suppression,
		}); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, "\n  ]"); err != nil {
		return err
	}
	_, err := w.Write(after)
	return err
}
