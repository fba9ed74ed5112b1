package vulndb

import (
	"strings"

	"github.com/kube4c/kube4c/internal/catalog"
	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// cvssScore computes the base score of a CVSS vector (v2, v3.0, v3.1 or v4.0). ok is false for
// vectors that do not parse.
func cvssScore(typ, vector string) (score float64, v2, ok bool) {
	defer func() {
		// The vectors are untrusted input to a library that is not ours.
		if recover() != nil {
			score, v2, ok = 0, false, false
		}
	}()
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, false, false
		}
		return c.Score(), false, true
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, false, false
		}
		return c.BaseScore(), false, true
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, false, false
		}
		return c.BaseScore(), false, true
	case typ == "CVSS_V2" || strings.HasPrefix(vector, "AV:") || strings.HasPrefix(vector, "(AV:"):
		v := strings.TrimPrefix(vector, "CVSS:2.0/")
		v = strings.TrimSuffix(strings.TrimPrefix(v, "("), ")")
		c, err := gocvss20.ParseVector(v)
		if err != nil {
			return 0, false, false
		}
		return c.BaseScore(), true, true
	}
	return 0, false, false
}

// scoreSeverity maps a base score to the qualitative scale of CVSS v3 and v4 (FIRST, NVD):
// 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical. CVSS v2 has no critical:
// 7.0-10.0 is high (NVD's v2 ratings). A score of 0 (no impact) is info.
func scoreSeverity(score float64, v2 bool) catalog.Severity {
	switch {
	case score >= 9 && !v2:
		return catalog.Critical
	case score >= 7:
		return catalog.High
	case score >= 4:
		return catalog.Medium
	case score > 0:
		return catalog.Low
	}
	return catalog.Info
}

// textToSeverity maps a qualitative severity ("label: value") to kube4c's scale. GitHub: LOW,
// MODERATE, HIGH, CRITICAL. Debian's urgency: unimportant, low, medium, high (and "not yet
// assigned", which says nothing). Ubuntu's priority: negligible, low, medium, high, critical.
// Red Hat: low, moderate, important, critical.
func textToSeverity(text string) (catalog.Severity, bool) {
	switch textValue(text) {
	case "critical":
		return catalog.Critical, true
	case "high", "important":
		return catalog.High, true
	case "moderate", "medium":
		return catalog.Medium, true
	case "low", "negligible", "unimportant":
		return catalog.Low, true
	}
	return 0, false
}

// best is the highest-scoring CVSS vector of a set: (score, severity, vector). Vectors that do
// not parse are ignored.
func best(sevs []severity) (float64, catalog.Severity, string, bool) {
	var (
		top   float64
		sev   catalog.Severity
		vec   string
		found bool
	)
	for _, s := range sevs {
		score, v2, ok := cvssScore(s.Type, s.Score)
		if !ok {
			continue
		}
		if !found || score > top {
			top, sev, vec, found = score, scoreSeverity(score, v2), s.Score, true
		}
	}
	return top, sev, vec, found
}
