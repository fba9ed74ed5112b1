package helm

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// schemaProblem is the outcome of checking values against a chart's values.schema.json.
type schemaProblem struct {
	severity string
	message  string
}

// validateSchema checks values against the values.schema.json of the chart and its subcharts, like
// Helm's ValidateAgainstSchema, but with a loader that never leaves the schema document: Helm v4
// fetches http(s) $refs (15 s timeout each) and reads file: $refs from disk. Here any external $ref
// makes the schema uncheckable (a warning), and rendering goes on. Values that violate the schema
// are an error problem; the chart is still rendered so its objects are scanned.
func validateSchema(c *chartv2.Chart, values map[string]any) []schemaProblem {
	var out []schemaProblem
	if len(c.Schema) > 0 {
		if p := validateSingle(values, c.Schema); p != nil {
			if !c.IsRoot() {
				p.message = "subchart " + c.ChartFullPath() + ": " + p.message
			}
			out = append(out, *p)
		}
	}
	for _, sub := range c.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		m, ok := raw.(map[string]any)
		if !ok {
			out = append(out, schemaProblem{"error", fmt.Sprintf("values for subchart %s: expected a map, got %T", sub.ChartFullPath(), raw)})
			continue
		}
		out = append(out, validateSchema(sub, m)...)
	}
	return out
}

func validateSingle(values map[string]any, schemaJSON []byte) (p *schemaProblem) {
	defer func() {
		if r := recover(); r != nil {
			p = &schemaProblem{"warning", fmt.Sprintf("values.schema.json not checked: %v", r)}
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return &schemaProblem{"warning", fmt.Sprintf("values.schema.json not checked: invalid JSON: %v", err)}
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	if err := c.AddResource("file:///values.schema.json", doc); err != nil {
		return &schemaProblem{"warning", fmt.Sprintf("values.schema.json not checked: %v", err)}
	}
	sch, err := c.Compile("file:///values.schema.json")
	if err != nil {
		return &schemaProblem{"warning", "values.schema.json not checked: " + oneLine(err.Error())}
	}
	if err := sch.Validate(values); err != nil {
		msg := strings.TrimPrefix(err.Error(), "jsonschema validation failed with 'file:///values.schema.json#'\n")
		return &schemaProblem{"error", "values don't meet the chart's values.schema.json: " + oneLine(msg)}
	}
	return nil
}

// offlineLoader resolves nothing outside the schema document. urn: references are permissive (as
// in Helm, which has no resolver for them by default); everything else is refused.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	if strings.HasPrefix(url, "urn:") {
		return true, nil
	}
	return nil, fmt.Errorf("external $ref %s not loaded (kube4c does not fetch schemas from the network or disk)", url)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
