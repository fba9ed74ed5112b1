package report

import (
	"encoding/json"
	"testing"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
)

// The documented JSON report schema.
const reportSchema = "../../docs/report.schema.json"

func TestJSONValidAgainstDocumentedSchema(t *testing.T) {
	sch := compileSchema(t, reportSchema)
	high := opts()
	high.MinSeverity = catalog.High
	for name, c := range map[string]struct {
		r *finding.Result
		o Options
	}{
		"fixture":   {fixture(), opts()},
		"high only": {fixture(), high},
		"empty":     {&finding.Result{}, Options{}},
	} {
		out := render(t, JSON, c.r, c.o)
		if err := sch.Validate(instance(t, out)); err != nil {
			t.Errorf("%s: JSON report does not match docs/report.schema.json: %v", name, err)
		}
	}
}

// The schema is strict enough to catch drift: each mutation must make the document invalid.
func TestJSONSchemaRejectsDrift(t *testing.T) {
	sch := compileSchema(t, reportSchema)
	mutations := map[string]func(doc map[string]any){
		"wrong schemaVersion": func(d map[string]any) { d["schemaVersion"] = "kube4c.io/report/v2" },
		"missing findings":    func(d map[string]any) { delete(d, "findings") },
		"unknown field":       func(d map[string]any) { d["extra"] = true },
		"bad severity": func(d map[string]any) {
			d["findings"].([]any)[0].(map[string]any)["severity"] = "severe"
		},
		"suppressed without suppression": func(d map[string]any) {
			d["findings"].([]any)[0].(map[string]any)["suppressed"] = true
		},
		"score above 100": func(d map[string]any) { d["summary"].(map[string]any)["score"] = 101 },
		"three layers": func(d map[string]any) {
			s := d["summary"].(map[string]any)
			s["layers"] = s["layers"].([]any)[:3]
		},
	}
	raw := render(t, JSON, fixture(), opts())
	for name, mutate := range mutations {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		mutate(doc)
		b, _ := json.Marshal(doc)
		if err := sch.Validate(instance(t, b)); err == nil {
			t.Errorf("%s: schema accepted the mutated document", name)
		}
	}
}

func TestJSONContent(t *testing.T) {
	var doc struct {
		SchemaVersion string `json:"schemaVersion"`
		Tool          struct{ Version string }
		Settings      struct{ PSSLevel, PSSVersion string }
		Summary       Summary
		Findings      []struct {
			ControlID   string `json:"controlId"`
			Location    struct{ File string }
			Path        string
			Suppressed  bool
			Suppression *finding.Suppression
			References  catalog.References
		}
		Controls []ControlSummary
	}
	if err := json.Unmarshal(render(t, JSON, fixture(), opts()), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != SchemaVersion || doc.Tool.Version != "v0.1.0" || doc.Settings.PSSLevel != "restricted" {
		t.Errorf("header %+v", doc)
	}
	if len(doc.Findings) != 7 {
		t.Fatalf("%d findings, want 7 (suppressed included)", len(doc.Findings))
	}
	suppressed := 0
	for _, f := range doc.Findings {
		if f.Suppressed != (f.Suppression != nil) {
			t.Errorf("%s: suppressed=%v with suppression %v", f.ControlID, f.Suppressed, f.Suppression)
		}
		if f.Suppressed {
			suppressed++
		}
		if f.ControlID == "container/zz-test-privileged" &&
			(f.References.PSS == nil || f.References.PSS.Check != "privileged" || f.Path == "") {
			t.Errorf("privileged finding lacks references or path: %+v", f)
		}
	}
	if suppressed != 2 || doc.Summary.Suppressed != 2 {
		t.Errorf("suppressed: %d listed, %d in summary", suppressed, doc.Summary.Suppressed)
	}
	if len(doc.Controls) != 6 || doc.Controls[2].PassedChecks != 2 || doc.Controls[2].FailedChecks != 1 {
		t.Errorf("controls %+v", doc.Controls)
	}
}
