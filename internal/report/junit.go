package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
)

// JUnit XML: one <testsuite> per layer, one <testcase> per control × resource pair
// (classname = control ID, name = resource key). Input errors form a last "input" suite.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties *junitProps     `xml:"properties,omitempty"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	// Text is CDATA so that its line breaks stay readable (chardata would escape them).
	Text string `xml:",cdata"`
}

// junitPair accumulates the findings of one control × resource pair.
type junitPair struct {
	control  catalog.Control
	resource finding.Resource
	open     []item // unsuppressed findings
	quiet    []item // suppressed findings
	file     string
	line     int
}

func writeJUnit(w io.Writer, v *view, opts Options) error {
	root := junitSuites{Name: "kube4c"}
	for _, layer := range catalog.Layers {
		// Pairs in report order: failing and passing pairs interleaved by control, then resource.
		pairs := map[string]*junitPair{}
		var keys []string
		get := func(c catalog.Control, r finding.Resource) *junitPair {
			k := pairKey(c.ID, r)
			p, ok := pairs[k]
			if !ok {
				p = &junitPair{control: c, resource: r}
				pairs[k] = p
				keys = append(keys, k)
			}
			return p
		}
		for _, it := range v.items {
			if it.Control.Layer != layer {
				continue
			}
			p := get(*it.Control, it.Resource)
			if it.Suppression != nil {
				p.quiet = append(p.quiet, it)
			} else {
				p.open = append(p.open, it)
			}
			if p.file == "" && it.Location.File != "" {
				p.file, p.line = it.Location.File, it.Location.Line
			}
		}
		for _, c := range v.passed {
			if c.Control.Layer != layer {
				continue
			}
			p := get(*c.Control, c.Resource)
			if p.file == "" && c.Location.File != "" {
				p.file, p.line = c.Location.File, c.Location.Line
			}
		}
		var notEval []finding.NotEvaluated
		for _, n := range v.notEval {
			if c, ok := catalog.Lookup(n.ControlID); ok && c.Layer == layer {
				notEval = append(notEval, n)
			}
		}
		if len(keys) == 0 && len(notEval) == 0 {
			continue
		}
		sortPairs(keys, pairs)

		suite := junitSuite{Name: string(layer)}
		ls := v.summary.Layer(layer)
		suite.Properties = &junitProps{Props: []junitProp{{Name: "score", Value: formatScore(ls.Score)}}}
		for _, k := range keys {
			p := pairs[k]
			tc := junitTestCase{ClassName: xmlSafe(p.control.ID), Name: xmlSafe(p.resource.Key()), File: xmlSafe(p.file), Line: p.line}
			switch {
			case len(p.open) > 0:
				tc.Failure = &junitMessage{
					Message: failureMessage(p),
					Type:    worstSeverity(p.open).String(),
					Text:    failureText(p),
				}
				suite.Failures++
			case len(p.quiet) > 0:
				tc.Skipped = &junitMessage{Message: "suppressed: " + justifications(p.quiet)}
				suite.Skipped++
			}
			suite.Tests++
			suite.Cases = append(suite.Cases, tc)
		}
		// A control the scan could not evaluate is one skipped testcase named "not evaluated".
		for _, n := range notEval {
			suite.Cases = append(suite.Cases, junitTestCase{ClassName: xmlSafe(n.ControlID), Name: "not evaluated",
				Skipped: &junitMessage{Message: xmlSafe("not evaluated: " + n.Reason)}})
			suite.Tests++
			suite.Skipped++
		}
		root.Suites = append(root.Suites, suite)
	}

	if len(v.res.Problems) > 0 {
		suite := junitSuite{Name: "input"}
		for _, pr := range v.res.Problems {
			name := pr.File
			if name == "" {
				name = pr.Resource
			}
			if name == "" {
				name = "input"
			}
			tc := junitTestCase{ClassName: "input", Name: xmlSafe(name), File: xmlSafe(pr.File), Line: pr.Line}
			if pr.Severity == "error" {
				tc.Error = &junitMessage{Message: xmlSafe(pr.Message), Type: "error", Text: xmlSafe(pr.String())}
				suite.Errors++
			} else {
				tc.Skipped = &junitMessage{Message: xmlSafe("warning: " + pr.Message)}
				suite.Skipped++
			}
			suite.Tests++
			suite.Cases = append(suite.Cases, tc)
		}
		root.Suites = append(root.Suites, suite)
	}

	for _, s := range root.Suites {
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// sortPairs orders test cases by control (layer, severity, ID) then resource. Keys are computed
// once: a large scan has hundreds of thousands of pairs.
func sortPairs(keys []string, pairs map[string]*junitPair) {
	type keyed struct {
		key, res string
		p        *junitPair
	}
	ks := make([]keyed, len(keys))
	for i, k := range keys {
		ks[i] = keyed{key: k, res: pairs[k].resource.Key(), p: pairs[k]}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if l, eq := controlLess(a.p.control, b.p.control); !eq {
			if l {
				return -1
			}
			return 1
		}
		return strings.Compare(a.res, b.res)
	})
	for i := range ks {
		keys[i] = ks[i].key
	}
}

func failureMessage(p *junitPair) string {
	msg := p.open[0].Message
	if len(p.open) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(p.open)-1)
	}
	return xmlSafe(msg)
}

func failureText(p *junitPair) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] %s\n", p.control.ID, p.control.Severity, p.control.Title)
	for _, it := range p.open {
		b.WriteString("- ")
		if loc := where(it.Location.File, it.Location.Line); loc != "" {
			b.WriteString(loc + ": ")
		}
		b.WriteString(it.Message)
		if path := it.Path.String(); path != "" {
			b.WriteString(" (" + path + ")")
		}
		b.WriteString("\n")
	}
	for _, it := range p.quiet {
		fmt.Fprintf(&b, "- suppressed (%s): %s\n", it.Suppression.Kind, it.Message)
	}
	fmt.Fprintf(&b, "Remediation: %s", p.control.Remediation)
	return xmlSafe(b.String())
}

func justifications(items []item) string {
	var out []string
	seen := map[string]bool{}
	for _, it := range items {
		j := it.Suppression.Justification
		if j == "" {
			j = "no justification given"
		}
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return xmlSafe(strings.Join(out, "; "))
}

// xmlSafe drops characters XML 1.0 cannot carry at all (encoding/xml would replace them with
// U+FFFD; control characters other than tab, newline and carriage return are not allowed even
// escaped). Markup characters are escaped by encoding/xml.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return ' '
		case r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}

// worstSeverity is the highest severity of the items (a vulnerable package's severity is its
// advisory's).
func worstSeverity(items []item) catalog.Severity {
	worst := catalog.Info
	for _, it := range items {
		worst = max(worst, it.Severity)
	}
	return worst
}
