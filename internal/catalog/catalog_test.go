package catalog

import (
	"regexp"
	"testing"
)

var (
	idRE    = regexp.MustCompile(`^(cloud|cluster|container|code)/[a-z0-9]+(-[a-z0-9]+)*$`)
	cisRE   = regexp.MustCompile(`^[1-5](\.[0-9]+){1,3}$`)
	mitreRE = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
)

// TestCatalogIsWellFormed keeps the catalog's promises: readable stable IDs prefixed by their
// layer, valid severities, and references in the formats the reports and docs rely on.
func TestCatalogIsWellFormed(t *testing.T) {
	all := All()
	if len(all) < 40 {
		t.Fatalf("catalog has %d controls; expected the workload and namespace controls", len(all))
	}
	for _, c := range all {
		if !idRE.MatchString(c.ID) {
			t.Errorf("%s: ID is not layer/kebab-case", c.ID)
		}
		if c.Severity < Info || c.Severity > Critical {
			t.Errorf("%s: bad severity %d", c.ID, c.Severity)
		}
		for _, x := range c.References.CIS {
			if !cisRE.MatchString(x) {
				t.Errorf("%s: CIS reference %q is not a recommendation number", c.ID, x)
			}
		}
		for _, x := range c.References.MITRE {
			if !mitreRE.MatchString(x) {
				t.Errorf("%s: MITRE reference %q is not a technique ID", c.ID, x)
			}
		}
		if p := c.References.PSS; p != nil && p.Level != "baseline" && p.Level != "restricted" {
			t.Errorf("%s: PSS level %q", c.ID, p.Level)
		}
		if got, ok := Lookup(c.ID); !ok || got.ID != c.ID {
			t.Errorf("%s: Lookup failed", c.ID)
		}
	}
	for _, s := range []string{"info", "LOW", "Medium", "high", "critical"} {
		if _, err := ParseSeverity(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown name")
	}
}
