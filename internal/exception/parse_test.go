package exception

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFullExample(t *testing.T) {
	s := mustParse(t, header+`
  - name: legacy-batch-root          # optional
    controls: ["container/k4ctest-run-as-*"]
    match:
      kinds: ["CronJob"]
      namespaces: ["batch-*"]
      names: ["report-*"]
      labels: {team: data}
    justification: "runs a vendor binary that needs root; tracked in JIRA-123"
    expires: 2027-03-31
  - controls: [cluster/k4ctest-rbac-wildcard]
    justification: cluster admins
    expires: "2027-03-31T18:00:00+02:00"
`)
	if s.Len() != 2 || s.File() != "exc.yaml" {
		t.Fatalf("Len=%d File=%q", s.Len(), s.File())
	}
	e := s.entries[0]
	if e.id != "legacy-batch-root" || e.line != 5 || len(e.controls) != 1 || len(e.kinds) != 1 ||
		len(e.namespaces) != 1 || len(e.names) != 1 || e.labels["team"] != "data" ||
		e.justification != "runs a vendor binary that needs root; tracked in JIRA-123" || e.expires != "2027-03-31" ||
		!e.expiresAt.Equal(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("entry 0 = %+v", e)
	}
	e = s.entries[1]
	if e.id != "exc.yaml:14" || e.kinds != nil || e.labels != nil ||
		!e.expiresAt.Equal(time.Date(2027, 3, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("entry 1 = %+v", e)
	}
}

func TestParseAccepts(t *testing.T) {
	for name, src := range map[string]string{
		"empty list":            header + "  []\n",
		"null list":             header,
		"leading document mark": "---\n" + header + "  []\n",
		"null match":            header + "  - controls: [container/*]\n    justification: x\n    match:\n",
		"anchors and aliases": header + `
  - controls: &ctl [container/k4ctest-run-as-root]
    match: &m {namespaces: [prod], labels: {team: a}}
    justification: x
  - controls: *ctl
    match: *m
    justification: y
`,
		"empty label value":   header + "  - controls: [container/*]\n    justification: x\n    match: {labels: {team: \"\"}}\n",
		"block justification": header + "  - controls: [container/*]\n    justification: >\n      long\n      text\n",
	} {
		t.Run(name, func(t *testing.T) { mustParse(t, src) })
	}
}

func TestParseErrors(t *testing.T) {
	entry := func(body string) string { return header + body }
	tests := []struct {
		name string
		src  string
		want []string // substrings of the error, each including file:line
	}{
		{"empty file", "", []string{"exc.yaml: empty exceptions file"}},
		{"comments only", "# nothing\n", []string{"exc.yaml: empty exceptions file"}},
		{"invalid YAML", "apiVersion: kube4c.io/v1alpha1\nkind: [\n", []string{"exc.yaml:", "invalid YAML"}},
		{"bad indentation", header + "  - controls: [a]\n   justification: x\n", []string{"exc.yaml:4: invalid YAML: did not find expected '-' indicator"}},
		{"not a mapping", "- a\n- b\n", []string{"exc.yaml:1: want a mapping"}},
		{"wrong apiVersion", "apiVersion: kube4c.io/v1\nkind: Exceptions\nexceptions: []\n",
			[]string{`exc.yaml:1: apiVersion: "kube4c.io/v1" is not supported (want kube4c.io/v1alpha1)`}},
		{"wrong kind", "apiVersion: kube4c.io/v1alpha1\nkind: Exception\nexceptions: []\n",
			[]string{`exc.yaml:2: kind: "Exception" is not supported (want Exceptions)`}},
		{"missing apiVersion and kind", "exceptions: []\n",
			[]string{"exc.yaml:1: apiVersion is required", "exc.yaml:1: kind is required"}},
		{"unknown top-level field", header + "  []\nmetadata: {}\n", []string{`exc.yaml:5: exceptions file: unknown field "metadata"`}},
		{"duplicate top-level field", header + "  []\nkind: Exceptions\n", []string{`exc.yaml:5: exceptions file: duplicate field "kind" (first at line 2)`}},
		{"multiple documents", header + "  []\n---\nfoo: bar\n", []string{"exc.yaml:5: an exceptions file holds a single YAML document"}},
		{"exceptions not a list", header + "  name: x\n", []string{"exc.yaml:4: exceptions: want a list"}},
		{"entry not a mapping", entry("  - container/foo\n"), []string{"exc.yaml:4: exceptions[0]: want a mapping"}},
		{"unknown entry field with hint", entry("  - controls: [container/*]\n    justification: x\n    expire: 2027-01-01\n"),
			[]string{`exc.yaml:6: exceptions[0]: unknown field "expire" (did you mean "expires"?`}},
		{"misspelt controls", entry("  - contrls: [container/*]\n    justification: x\n"),
			[]string{`exc.yaml:4: exceptions[0]: unknown field "contrls" (did you mean "controls"?`, "exc.yaml:4: exceptions[0]: controls is required"}},
		{"unknown match field", entry("  - controls: [container/*]\n    justification: x\n    match:\n      kind: [Pod]\n"),
			[]string{`exc.yaml:7: exceptions[0].match: unknown field "kind" (did you mean "kinds"?`}},
		{"missing controls", entry("  - name: a\n    justification: x\n"), []string{"exc.yaml:4: exceptions[0]: controls is required"}},
		{"missing justification", entry("  - name: a\n    controls: [container/*]\n"), []string{"exc.yaml:4: exceptions[0]: justification is required"}},
		{"empty justification", entry("  - controls: [container/*]\n    justification: \"  \"\n"),
			[]string{"exc.yaml:5: exceptions[0].justification: must not be empty"}},
		{"null justification", entry("  - controls: [container/*]\n    justification:\n"),
			[]string{"exc.yaml:5: exceptions[0].justification: want a string, got null"}},
		{"empty name", entry("  - name: \"\"\n    controls: [container/*]\n    justification: x\n"),
			[]string{"exc.yaml:4: exceptions[0].name: must not be empty"}},
		{"controls not a list", entry("  - controls: container/*\n    justification: x\n"),
			[]string{"exc.yaml:4: exceptions[0].controls: want a list of patterns"}},
		{"empty controls", entry("  - controls: []\n    justification: x\n"),
			[]string{"exc.yaml:4: exceptions[0].controls: empty list matches nothing"}},
		{"unknown control with hint", entry("  - controls:\n      - container/k4ctest-run-as-rot\n    justification: x\n"),
			[]string{`exc.yaml:5: exceptions[0].controls[0]: "container/k4ctest-run-as-rot" matches no known control (did you mean "container/k4ctest-run-as-root"?)`}},
		{"control glob matching nothing", entry("  - controls: [\"cloud/k4ctest-*\"]\n    justification: x\n"),
			[]string{`exc.yaml:4: exceptions[0].controls[0]: "cloud/k4ctest-*" matches no known control`}},
		{"bad control glob", entry("  - controls: [\"container/run-as-?\"]\n    justification: x\n"),
			[]string{`exc.yaml:4: exceptions[0].controls[0]: pattern "container/run-as-?" uses '?': only '*' is supported`}},
		{"empty control pattern", entry("  - controls: [\"\"]\n    justification: x\n"),
			[]string{"exc.yaml:4: exceptions[0].controls[0]: empty pattern"}},
		{"bad kind glob", entry("  - controls: [container/*]\n    justification: x\n    match:\n      kinds: [\"Cron[Jj]ob\"]\n"),
			[]string{`exc.yaml:7: exceptions[0].match.kinds[0]: pattern "Cron[Jj]ob" uses '['`}},
		{"glob with space", entry("  - controls: [container/*]\n    justification: x\n    match:\n      names: [\"a b\"]\n"),
			[]string{`exc.yaml:7: exceptions[0].match.names[0]: pattern "a b" contains white space`}},
		{"empty namespaces", entry("  - controls: [container/*]\n    justification: x\n    match:\n      namespaces: []\n"),
			[]string{"exc.yaml:7: exceptions[0].match.namespaces: empty list matches nothing"}},
		{"names not a list", entry("  - controls: [container/*]\n    justification: x\n    match:\n      names: web\n"),
			[]string{"exc.yaml:7: exceptions[0].match.names: want a list of patterns"}},
		{"match not a mapping", entry("  - controls: [container/*]\n    justification: x\n    match: [a]\n"),
			[]string{"exc.yaml:6: exceptions[0].match: want a mapping"}},
		{"labels not a mapping", entry("  - controls: [container/*]\n    justification: x\n    match:\n      labels: [team=data]\n"),
			[]string{"exc.yaml:7: exceptions[0].match.labels: want a mapping"}},
		{"empty labels", entry("  - controls: [container/*]\n    justification: x\n    match:\n      labels: {}\n"),
			[]string{"exc.yaml:7: exceptions[0].match.labels: empty mapping"}},
		{"null label value", entry("  - controls: [container/*]\n    justification: x\n    match:\n      labels:\n        team:\n"),
			[]string{`exc.yaml:8: exceptions[0].match.labels.team: want a string value (write "" to match an empty value)`}},
		{"bad date", entry("  - controls: [container/*]\n    justification: x\n    expires: 2027-02-30\n"),
			[]string{`exc.yaml:6: exceptions[0].expires: "2027-02-30" is not a valid date`}},
		{"european date", entry("  - controls: [container/*]\n    justification: x\n    expires: 31/03/2027\n"),
			[]string{`exc.yaml:6: exceptions[0].expires: "31/03/2027" is not a valid date`}},
		{"date with space time", entry("  - controls: [container/*]\n    justification: x\n    expires: 2027-03-31 10:00:00\n"),
			[]string{`exc.yaml:6: exceptions[0].expires: "2027-03-31 10:00:00" is not a valid date`}},
		{"duplicate name", entry("  - name: a\n    controls: [container/*]\n    justification: x\n  - name: a\n    controls: [container/*]\n    justification: y\n"),
			[]string{`exc.yaml:7: exceptions[1]: duplicate name "a" (first at line 4)`}},
		{"duplicate entry field", entry("  - controls: [container/*]\n    justification: x\n    justification: y\n"),
			[]string{`exc.yaml:6: exceptions[0]: duplicate field "justification" (first at line 5)`}},
		{"merge key", entry("  - &base\n    controls: [container/*]\n    justification: x\n  - <<: *base\n    name: b\n"),
			[]string{"exc.yaml:7: exceptions[1]: merge keys (<<) are not supported"}},
		{"several errors at once", entry("  - controls: [container/nope]\n    justification: x\n  - controls: [container/*]\n    expires: soon\n"),
			[]string{`exc.yaml:4: exceptions[0].controls[0]: "container/nope" matches no known control`,
				`exc.yaml:7: exceptions[1].expires: "soon" is not a valid date`,
				"exc.yaml:6: exceptions[1]: justification is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.src), "exc.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded (%d entries), want error", s.Len())
			}
			if s != nil {
				t.Errorf("Parse returned a set with its error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "exc.yaml" {
				t.Errorf("error is not a *ParseError naming the file: %#v", err)
			}
		})
	}
}

func TestParseErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for range 200 {
		b.WriteString("  - controls: [container/nope]\n    justification: x\n")
	}
	_, err := Parse([]byte(b.String()), "exc.yaml")
	if err == nil || !strings.Contains(err.Error(), "too many errors") {
		t.Fatalf("want capped errors, got %v", err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n > maxErrors+1 {
		t.Errorf("%d errors reported, want at most %d", n, maxErrors+1)
	}
}

func TestParseAliasBomb(t *testing.T) {
	// Each level multiplies the work by 10 when aliases are expanded.
	var b strings.Builder
	b.WriteString("a0: &a0 [\"" + strings.Repeat("x", 100) + "\"]\n")
	prev := "a0"
	for i := 1; i <= 8; i++ {
		name := "a" + string(rune('0'+i))
		b.WriteString(name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 9) + "*" + prev + "]\n")
		prev = name
	}
	src := header + "  - controls: [container/*]\n    justification: x\n    match:\n      names: *" + prev + "\n"
	start := time.Now()
	_, err := Parse([]byte(b.String()+src), "exc.yaml")
	if err == nil {
		t.Fatal("want an error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Parse took %v", d)
	}
}

func TestParseAliasBudget(t *testing.T) {
	// A list of many aliases to a large list of patterns: refused by the work budget.
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("  - controls: &c [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\"container/k4ctest-*\"")
	}
	b.WriteString("]\n    justification: x\n")
	for range 2000 {
		b.WriteString("  - {controls: *c, justification: x}\n")
	}
	start := time.Now()
	_, err := Parse([]byte(b.String()), "exc.yaml")
	if err == nil || !strings.Contains(err.Error(), "too complex") {
		t.Errorf("want a too-complex error, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Parse took %v", d)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(header+"  - controls: [container/*]\n    justification: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(good)
	if err != nil || s.Len() != 1 || s.File() != good {
		t.Fatalf("Load = %v, %v", s, err)
	}
	if s.entries[0].id != good+":4" {
		t.Errorf("id = %q", s.entries[0].id)
	}

	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(header); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("large file: err = %v", err)
	}
	if _, err := Parse(make([]byte, MaxFileSize+1), "big.yaml"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("large data: err = %v", err)
	}

	exact := filepath.Join(dir, "exact.yaml")
	data := []byte(header + "  []\n")
	data = append(data, []byte("#"+strings.Repeat("x", MaxFileSize-len(data)-2)+"\n")...)
	if err := os.WriteFile(exact, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(exact); err != nil {
		t.Errorf("file of exactly %d bytes: %v", len(data), err)
	}

	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := Load(dir); err == nil {
		t.Error("directory: no error")
	}
}
