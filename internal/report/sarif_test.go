package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
)

// The official SARIF 2.1.0 schema (OASIS, errata01), committed in testdata.
const sarifSchema = "testdata/sarif-schema-2.1.0.json"

func TestSARIFValidAgainstOfficialSchema(t *testing.T) {
	sch := compileSchema(t, sarifSchema)
	for name, r := range map[string]*finding.Result{
		"fixture": fixture(),
		"empty":   {},
	} {
		for _, base := range []string{testBaseDir, ""} {
			o := opts()
			o.BaseDir = base
			out := render(t, SARIF, r, o)
			if err := sch.Validate(instance(t, out)); err != nil {
				t.Errorf("%s (base %q): SARIF invalid: %v", name, base, err)
			}
		}
	}
	// The validator can fail: a result without a message is invalid SARIF.
	var doc map[string]any
	if err := json.Unmarshal(render(t, SARIF, fixture(), opts()), &doc); err != nil {
		t.Fatal(err)
	}
	res0 := doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
	delete(res0, "message")
	broken, _ := json.Marshal(doc)
	if err := sch.Validate(instance(t, broken)); err == nil {
		t.Error("schema accepted a result without a message")
	}
}

// sarifDoc is the part of a SARIF log the tests look at.
type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string                `json:"id"`
					Name             string                `json:"name"`
					ShortDescription struct{ Text string } `json:"shortDescription"`
					FullDescription  struct{ Text string } `json:"fullDescription"`
					Help             struct {
						Text     string `json:"text"`
						Markdown string `json:"markdown"`
					} `json:"help"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		OriginalURIBaseIDs map[string]struct {
			URI string `json:"uri"`
		} `json:"originalUriBaseIds"`
		Results []struct {
			RuleID              string                `json:"ruleId"`
			RuleIndex           *int                  `json:"ruleIndex"`
			Level               string                `json:"level"`
			Message             struct{ Text string } `json:"message"`
			PartialFingerprints map[string]string     `json:"partialFingerprints"`
			Locations           []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
					Kind               string `json:"kind"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			Suppressions []struct {
				Kind          string `json:"kind"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level     string
				Message   struct{ Text string }
				Locations []json.RawMessage
				// AssociatedRule names the control of a not-evaluated notification.
				AssociatedRule *struct{ ID string } `json:"associatedRule"`
			} `json:"toolExecutionNotifications"`
			ToolConfigurationNotifications []json.RawMessage `json:"toolConfigurationNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

func decodeSARIF(t *testing.T, r *finding.Result, o Options) sarifDoc {
	t.Helper()
	var doc sarifDoc
	if err := json.Unmarshal(render(t, SARIF, r, o), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs", len(doc.Runs))
	}
	return doc
}

func TestSARIFMapping(t *testing.T) {
	doc := decodeSARIF(t, fixture(), opts())
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "kube4c" || d.Version != "v0.1.0" || d.InformationURI != "https://github.com/kube4c/kube4c" {
		t.Errorf("driver %+v", d)
	}
	if got := run.OriginalURIBaseIDs["%SRCROOT%"].URI; got != "file:///work/project/" {
		t.Errorf("%%SRCROOT%% = %q", got)
	}
	// One rule per control with a result, with GitHub's security-severity.
	wantSev := map[string]string{
		"cloud/zz-test-imds": "8.0", "cluster/zz-test-admin-binding": "9.5", "container/zz-test-privileged": "9.5",
		"container/zz-test-run-as-non-root": "5.5", "container/zz-test-latest-tag": "3.0", "code/zz-test-info": "1.0",
	}
	if len(d.Rules) != len(wantSev) {
		t.Errorf("%d rules, want %d", len(d.Rules), len(wantSev))
	}
	ruleIndex := map[string]int{}
	for i, r := range d.Rules {
		ruleIndex[r.ID] = i
		if got := r.Properties["security-severity"]; got != wantSev[r.ID] {
			t.Errorf("rule %s security-severity %v, want %s", r.ID, got, wantSev[r.ID])
		}
		if r.ShortDescription.Text == "" || r.FullDescription.Text == "" || !strings.Contains(r.Help.Markdown, "Remediation") ||
			!strings.Contains(r.Help.Text, "Remediation") || r.Name == "" {
			t.Errorf("rule %s incomplete: %+v", r.ID, r)
		}
	}
	priv := d.Rules[ruleIndex["container/zz-test-privileged"]]
	tags, _ := priv.Properties["tags"].([]any)
	var tagStrings []string
	for _, tg := range tags {
		tagStrings = append(tagStrings, tg.(string))
	}
	for _, want := range []string{"container", "pss:baseline", "cis:5.2.2", "mitre:T1611"} {
		if !strings.Contains(","+strings.Join(tagStrings, ",")+",", ","+want+",") {
			t.Errorf("privileged rule tags %v lack %s", tagStrings, want)
		}
	}
	if priv.Name != "ContainerZzTestPrivileged" {
		t.Errorf("rule name %q", priv.Name)
	}

	byMsg := map[string]int{}
	for i, r := range run.Results {
		byMsg[r.Message.Text] = i
		if r.RuleIndex == nil || *r.RuleIndex != ruleIndex[r.RuleID] {
			t.Errorf("result %d: ruleIndex %v for %s", i, r.RuleIndex, r.RuleID)
		}
		if r.PartialFingerprints[fingerprintKey] == "" {
			t.Errorf("result %d has no fingerprint", i)
		}
		if len(r.Locations) != 1 {
			t.Errorf("result %d has %d locations", i, len(r.Locations))
		}
	}
	if len(run.Results) != 7 {
		t.Fatalf("%d results, want 7 (suppressed ones included)", len(run.Results))
	}
	get := func(prefix string) int {
		for msg, i := range byMsg {
			if strings.HasPrefix(msg, prefix) {
				return i
			}
		}
		t.Fatalf("no result starting with %q", prefix)
		return -1
	}
	// Levels.
	for prefix, level := range map[string]string{
		"Deployment/default/web: container": "error", "Pod/kube-system/metrics": "error",
		"Deployment/default/web: runAsNonRoot": "warning", "Pod/default/debug": "note", "ConfigMap/default/app-config": "note",
	} {
		if got := run.Results[get(prefix)].Level; got != level {
			t.Errorf("%s: level %s, want %s", prefix, got, level)
		}
	}
	// A file inside the base directory: relative URI, %SRCROOT%, region.
	web := run.Results[get("Deployment/default/web: container")].Locations[0].PhysicalLocation
	if web == nil || web.ArtifactLocation.URI != "deploy/web.yaml" || web.ArtifactLocation.URIBaseID != "%SRCROOT%" ||
		web.Region == nil || web.Region.StartLine != 21 {
		t.Errorf("web location %+v", web)
	}
	// A file outside: absolute file:// URI, no base.
	out := run.Results[get("Pod/kube-system/metrics")].Locations[0].PhysicalLocation
	if out == nil || out.ArtifactLocation.URI != "file:///etc/kube4c/outside.yaml" || out.ArtifactLocation.URIBaseID != "" {
		t.Errorf("outside location %+v", out)
	}
	// Line 0: no region.
	api := run.Results[get("Deployment/default/api")].Locations[0].PhysicalLocation
	if api == nil || api.Region != nil {
		t.Errorf("api location %+v, want a file without region", api)
	}
	// No file: a logical location.
	crb := run.Results[get("ClusterRoleBinding/ops-admin")].Locations[0]
	if crb.PhysicalLocation != nil || len(crb.LogicalLocations) != 1 ||
		crb.LogicalLocations[0].FullyQualifiedName != "ClusterRoleBinding/ops-admin" || crb.LogicalLocations[0].Kind != "resource" {
		t.Errorf("cluster object location %+v", crb)
	}
	// Suppressions.
	if s := run.Results[get("Deployment/default/api")].Suppressions; len(s) != 1 || s[0].Kind != "external" ||
		s[0].Justification != "legacy image, tracked in OPS-1" {
		t.Errorf("exception suppression %+v", s)
	}
	if s := run.Results[get("Pod/default/debug")].Suppressions; len(s) != 1 || s[0].Kind != "inSource" {
		t.Errorf("inline suppression %+v", s)
	}
	if s := run.Results[get("Deployment/default/web: container")].Suppressions; len(s) != 0 {
		t.Errorf("unsuppressed result has suppressions %+v", s)
	}
	// Problems are notifications; an error problem means the execution was not successful.
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 3 || len(inv.ToolConfigurationNotifications) != 1 {
		t.Errorf("invocation %+v", inv)
	}
	// A control that was not evaluated is a warning notification associated with the control.
	if n := inv.ToolExecutionNotifications[2]; n.Level != "warning" || !strings.HasPrefix(n.Message.Text, "cloud/zz-test-imds not evaluated: ") ||
		n.AssociatedRule == nil || n.AssociatedRule.ID != "cloud/zz-test-imds" {
		t.Errorf("not-evaluated notification %+v", n)
	}
	if n := inv.ToolExecutionNotifications[0]; n.Level != "error" || len(n.Locations) != 1 {
		t.Errorf("notification %+v", n)
	}
	r := fixture()
	r.Problems = r.Problems[1:] // only the warning
	if !decodeSARIF(t, r, opts()).Runs[0].Invocations[0].ExecutionSuccessful {
		t.Error("executionSuccessful false with warnings only")
	}
}

func TestSARIFLocations(t *testing.T) {
	cases := []struct {
		file, base  string
		uri, baseID string
	}{
		{"deploy/web.yaml", "/work/project", "deploy/web.yaml", "%SRCROOT%"},
		{"/work/project/deploy/web.yaml", "/work/project", "deploy/web.yaml", "%SRCROOT%"},
		{"/work/project/dir with space/a#b.yaml", "/work/project", "dir%20with%20space/a%23b.yaml", "%SRCROOT%"},
		{"../other/x.yaml", "/work/project", "file:///work/other/x.yaml", ""},
		{"/work/projectx/y.yaml", "/work/project", "file:///work/projectx/y.yaml", ""},
		{"deploy/web.yaml", "", "deploy/web.yaml", "%SRCROOT%"},
		{"/abs/z.yaml", "", "file:///abs/z.yaml", ""},
		{"a:b.yaml", "/work/project", "./a:b.yaml", "%SRCROOT%"},
	}
	for _, c := range cases {
		pl := physical(c.file, 3, c.base)
		al := pl.ArtifactLocation
		baseID := ""
		if al.URIBaseID != nil {
			baseID = *al.URIBaseID
		}
		if *al.URI != c.uri || baseID != c.baseID {
			t.Errorf("physical(%q, base %q) = %q (%q), want %q (%q)", c.file, c.base, *al.URI, baseID, c.uri, c.baseID)
		}
	}
}

func TestSARIFFingerprintIgnoresLines(t *testing.T) {
	a := decodeSARIF(t, fixture(), opts())
	r := fixture()
	for i := range r.Findings {
		r.Findings[i].Location.Line += 10
	}
	b := decodeSARIF(t, r, opts())
	for i := range a.Runs[0].Results {
		if a.Runs[0].Results[i].PartialFingerprints[fingerprintKey] != b.Runs[0].Results[i].PartialFingerprints[fingerprintKey] {
			t.Errorf("result %d: fingerprint changed with line numbers", i)
		}
	}
	// Distinct findings have distinct fingerprints.
	seen := map[string]bool{}
	for _, res := range a.Runs[0].Results {
		f := res.PartialFingerprints[fingerprintKey]
		if seen[f] {
			t.Errorf("duplicate fingerprint %s", f)
		}
		seen[f] = true
	}
}

// Standard input is not a file a code-scanning tool can open: results from it get a logical
// location (and the line as a property), never an artifact named "<stdin>".
func TestSARIFStdinHasNoArtifact(t *testing.T) {
	r := &finding.Result{Findings: []finding.Finding{{
		ControlID: "container/zz-test-privileged", Resource: res("Pod", "default", "p"),
		Location: inventory.Location{File: inventory.StdinFile, Line: 7}, Message: "privileged",
	}}}
	var b bytes.Buffer
	if err := Write(&b, SARIF, r, opts()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "stdin%3E") || strings.Contains(out, `"artifactLocation"`) {
		t.Fatalf("stdin result has a file location:\n%s", out)
	}
	if !strings.Contains(out, `"fullyQualifiedName": "Pod/default/p"`) || !strings.Contains(out, `"stdinLine": 7`) {
		t.Fatalf("stdin result lacks its logical location or line:\n%s", out)
	}
}
