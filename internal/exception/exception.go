// Package exception loads exceptions files and applies them, together with kube4c.io/ignore
// annotations, to findings. Exceptions never fail silently: a malformed file, an unknown field or
// a control pattern that names no control is an error; an exception that matched nothing, an
// expired exception and an unusable inline annotation are warnings.
package exception

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/yamlerr"
)

// APIVersion and Kind identify an exceptions file.
const (
	APIVersion = "kube4c.io/v1alpha1"
	Kind       = "Exceptions"
)

// MaxFileSize is the largest exceptions file Load reads.
const MaxFileSize = 5 << 20

// maxErrors caps the errors one Parse reports.
const maxErrors = 50

// Set is a parsed exceptions file. The zero value and nil are empty sets.
type Set struct {
	file    string
	entries []*entry
}

// Len is the number of exceptions in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.entries)
}

// File is the file name the set was parsed from.
func (s *Set) File() string {
	if s == nil {
		return ""
	}
	return s.file
}

// entry is one exception.
type entry struct {
	name string
	id   string // name, or file:line
	line int

	controls   []glob
	kinds      []glob // nil: any kind
	namespaces []glob // nil: any namespace
	names      []glob // nil: any name
	labels     map[string]string
	vulns      []glob // nil: any (or no) advisory; else the finding's advisory ID or an alias
	pkgs       []glob // nil: any package; else the vulnerable package's name
	images     []glob // nil: any resource; else the name of the Image the finding is about

	// vex is the VEX justification (OpenVEX not_affected justifications), "" when none.
	vex string

	justification string
	expires       string    // as written
	expiresAt     time.Time // zero: never; the first instant the exception no longer applies
}

// ParseError is one problem in an exceptions file. Parse returns them joined (errors.Join).
type ParseError struct {
	File    string
	Line    int
	Message string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return e.File + ": " + e.Message
}

// Load reads an exceptions file (refusing files larger than MaxFileSize) and parses it.
func Load(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxFileSize {
		return nil, fmt.Errorf("exceptions: %s: file is %d bytes, larger than the %d byte limit", path, st.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("exceptions: %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("exceptions: %s: file is larger than the %d byte limit", path, MaxFileSize)
	}
	return Parse(data, path)
}

// Parse parses an exceptions file; filename is used in errors and warnings. Every problem found
// is reported (up to a limit), each naming file:line.
func Parse(data []byte, filename string) (set *Set, err error) {
	if len(data) > MaxFileSize {
		return nil, &ParseError{File: filename, Message: fmt.Sprintf("file is larger than the %d byte limit", MaxFileSize)}
	}
	root, err := decode(data, filename)
	if err != nil {
		return nil, err
	}
	p := &parser{
		file:      filename,
		budget:    4*len(data) + 1<<16,
		globCache: map[string]string{},
	}
	for _, c := range catalog.All() {
		p.controlIDs = append(p.controlIDs, c.ID)
	}
	set = p.document(root)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return set, nil
}

// decode reads the single YAML document of the file.
func decode(data []byte, filename string) (root *yaml.Node, err error) {
	defer func() {
		// The YAML library is not ours: whatever it does, Parse must not panic.
		if r := recover(); r != nil {
			root, err = nil, &ParseError{File: filename, Message: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: filename, Message: emptyMsg}
		}
		return nil, yamlError(err, data, filename)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ParseError{File: filename, Line: extra.Line, Message: "an exceptions file holds a single YAML document; found another one"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err, data, filename)
	}
	n := &doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, &ParseError{File: filename, Message: emptyMsg}
		}
		n = n.Content[0]
	}
	return n, nil
}

const emptyMsg = "empty exceptions file (want apiVersion: " + APIVersion + ", kind: " + Kind + ", exceptions: [...])"

func yamlError(err error, data []byte, filename string) error {
	line, msg := yamlerr.Position(err, data)
	return &ParseError{File: filename, Line: line, Message: "invalid YAML: " + msg}
}

type parser struct {
	file       string
	errs       []error
	budget     int  // bounds the work alias expansion can cause
	exhausted  bool // budget spent: stop
	controlIDs []string
	globCache  map[string]string // control pattern -> error message ("" when fine)
}

func (p *parser) errf(line int, format string, args ...any) {
	if len(p.errs) == maxErrors {
		p.errs = append(p.errs, &ParseError{File: p.file, Line: line, Message: "too many errors; stopping"})
	}
	if len(p.errs) > maxErrors {
		return
	}
	p.errs = append(p.errs, &ParseError{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) stop() bool { return p.exhausted || len(p.errs) > maxErrors }

var nullNode = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}

// resolve follows aliases and charges the work budget.
func (p *parser) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nullNode
	}
	p.budget -= 1 + len(n.Value)
	if p.budget < 0 {
		if !p.exhausted {
			p.exhausted = true
			p.errf(n.Line, "document too complex (aliases expand to too much data)")
		}
		return nullNode
	}
	return n
}

// short quotes a value for a message, cutting long ones.
func short(s string) string {
	const limit = 80
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return short(n.Value)
	}
	return "an unexpected node"
}

// field is one key/value pair of a mapping.
type field struct {
	key   string
	kline int
	val   *yaml.Node
}

// fields returns the pairs of a mapping node, reporting non-string keys, merge keys, duplicate
// keys and keys not in known.
func (p *parser) fields(m *yaml.Node, where string, known []string) []field {
	var out []field
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content) && !p.stop(); i += 2 {
		k := p.resolve(m.Content[i])
		v := p.resolve(m.Content[i+1])
		if k.Kind != yaml.ScalarNode || isNull(k) {
			p.errf(k.Line, "%s: keys must be strings, got %s", where, describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.errf(k.Line, "%s: merge keys (<<) are not supported; write the fields out", where)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errf(k.Line, "%s: duplicate field %s (first at line %d)", where, short(k.Value), first)
			continue
		}
		seen[k.Value] = k.Line
		ok := false
		for _, kn := range known {
			if k.Value == kn {
				ok = true
				break
			}
		}
		if !ok {
			hint := ""
			if s := suggest(k.Value, known); s != "" {
				hint = fmt.Sprintf("did you mean %q? ", s)
			}
			p.errf(k.Line, "%s: unknown field %s (%swant one of %s)", where, short(k.Value), hint, strings.Join(known, ", "))
			continue
		}
		out = append(out, field{key: k.Value, kline: k.Line, val: v})
	}
	return out
}

// str returns a non-null scalar's value.
func (p *parser) str(n *yaml.Node, where string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.errf(n.Line, "%s: want a string, got %s", where, describe(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) document(root *yaml.Node) *Set {
	root = p.resolve(root)
	if isNull(root) {
		p.errf(root.Line, emptyMsg)
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.errf(root.Line, "want a mapping with apiVersion, kind and exceptions, got %s", describe(root))
		return nil
	}
	set := &Set{file: p.file}
	var haveAPI, haveKind bool
	for _, f := range p.fields(root, "exceptions file", []string{"apiVersion", "kind", "exceptions"}) {
		switch f.key {
		case "apiVersion":
			haveAPI = true
			if v, ok := p.str(f.val, "apiVersion"); ok && v != APIVersion {
				p.errf(f.val.Line, "apiVersion: %s is not supported (want %s)", short(v), APIVersion)
			}
		case "kind":
			haveKind = true
			if v, ok := p.str(f.val, "kind"); ok && v != Kind {
				p.errf(f.val.Line, "kind: %s is not supported (want %s)", short(v), Kind)
			}
		case "exceptions":
			p.entries(f.val, set)
		}
	}
	if !haveAPI {
		p.errf(root.Line, "apiVersion is required (want %s)", APIVersion)
	}
	if !haveKind {
		p.errf(root.Line, "kind is required (want %s)", Kind)
	}
	return set
}

func (p *parser) entries(n *yaml.Node, set *Set) {
	if isNull(n) {
		return // every entry commented out
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(n.Line, "exceptions: want a list, got %s", describe(n))
		return
	}
	names := map[string]int{}
	for i, item := range n.Content {
		if p.stop() {
			return
		}
		e := p.entry(p.resolve(item), fmt.Sprintf("exceptions[%d]", i))
		if e == nil {
			continue
		}
		if e.name != "" {
			if first, dup := names[e.name]; dup {
				p.errf(e.line, "exceptions[%d]: duplicate name %s (first at line %d)", i, short(e.name), first)
				continue
			}
			names[e.name] = e.line
		}
		set.entries = append(set.entries, e)
	}
}

var entryFields = []string{"name", "controls", "match", "justification", "vexJustification", "expires"}

// VEXJustifications are the justifications OpenVEX (and CISA's minimum requirements for VEX)
// define for a not_affected status.
var VEXJustifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

func (p *parser) entry(n *yaml.Node, where string) *entry {
	if n.Kind != yaml.MappingNode {
		p.errf(n.Line, "%s: want a mapping with controls and justification, got %s", where, describe(n))
		return nil
	}
	e := &entry{line: n.Line}
	nerrs := len(p.errs)
	var haveControls, haveJust bool
	for _, f := range p.fields(n, where, entryFields) {
		fw := where + "." + f.key
		switch f.key {
		case "name":
			if v, ok := p.str(f.val, fw); ok {
				if strings.TrimSpace(v) == "" {
					p.errf(f.val.Line, "%s: must not be empty (omit it to use file:line)", fw)
				}
				e.name = strings.TrimSpace(v)
			}
		case "controls":
			haveControls = true
			e.controls = p.globs(f.val, fw, true)
		case "match":
			p.match(f.val, fw, e)
		case "justification":
			haveJust = true
			if v, ok := p.str(f.val, fw); ok {
				e.justification = strings.TrimSpace(v)
				if e.justification == "" {
					p.errf(f.val.Line, "%s: must not be empty: say why the findings are acceptable", fw)
				}
			}
		case "vexJustification":
			if v, ok := p.str(f.val, fw); ok {
				v = strings.TrimSpace(v)
				if !slices.Contains(VEXJustifications, v) {
					p.errf(f.val.Line, "%s: %s is not an OpenVEX justification (want one of %s)", fw, short(v), strings.Join(VEXJustifications, ", "))
				}
				e.vex = v
			}
		case "expires":
			if v, ok := p.str(f.val, fw); ok {
				p.expires(strings.TrimSpace(v), f.val.Line, fw, e)
			}
		}
	}
	if e.vex != "" && e.vulns == nil {
		p.errf(n.Line, "%s: vexJustification says why advisories do not apply: name them in match.vulnerabilities", where)
	}
	if !haveControls {
		p.errf(n.Line, "%s: controls is required (a list of control IDs or patterns)", where)
	}
	if !haveJust {
		p.errf(n.Line, "%s: justification is required: say why the findings are acceptable", where)
	}
	if len(p.errs) > nerrs {
		return nil
	}
	if e.name != "" {
		e.id = e.name
	} else {
		e.id = fmt.Sprintf("%s:%d", p.file, e.line)
	}
	return e
}

func (p *parser) expires(v string, line int, where string, e *entry) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		e.expires = v
		e.expiresAt = t.AddDate(0, 0, 1) // valid through the end of that day, UTC
		return
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		e.expires = v
		e.expiresAt = t
		return
	}
	p.errf(line, "%s: %s is not a valid date (want YYYY-MM-DD or RFC3339, e.g. 2027-03-31 or 2027-03-31T18:00:00Z)", where, short(v))
}

var matchFields = []string{"kinds", "namespaces", "names", "labels", "images", "vulnerabilities", "packages"}

func (p *parser) match(n *yaml.Node, where string, e *entry) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n.Line, "%s: want a mapping with %s, got %s", where, strings.Join(matchFields, ", "), describe(n))
		return
	}
	for _, f := range p.fields(n, where, matchFields) {
		fw := where + "." + f.key
		switch f.key {
		case "kinds":
			e.kinds = p.globs(f.val, fw, false)
		case "namespaces":
			e.namespaces = p.globs(f.val, fw, false)
		case "names":
			e.names = p.globs(f.val, fw, false)
		case "labels":
			e.labels = p.labels(f.val, fw)
		case "images":
			e.images = p.globs(f.val, fw, false)
		case "vulnerabilities":
			e.vulns = p.globs(f.val, fw, false)
		case "packages":
			e.pkgs = p.globs(f.val, fw, false)
		}
	}
}

// globs reads a non-empty list of patterns. Control patterns must match a catalog control.
func (p *parser) globs(n *yaml.Node, where string, controls bool) []glob {
	if n.Kind != yaml.SequenceNode {
		p.errf(n.Line, "%s: want a list of patterns, e.g. [\"...\"], got %s", where, describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errf(n.Line, "%s: empty list matches nothing (omit the field to match anything)", where)
		return nil
	}
	var out []glob
	for i, item := range n.Content {
		if p.stop() {
			return nil
		}
		item = p.resolve(item)
		iw := fmt.Sprintf("%s[%d]", where, i)
		v, ok := p.str(item, iw)
		if !ok {
			continue
		}
		g, err := compileGlob(v)
		if err != nil {
			p.errf(item.Line, "%s: %v", iw, err)
			continue
		}
		if controls {
			if msg := p.checkControl(g); msg != "" {
				p.errf(item.Line, "%s: %s", iw, msg)
				continue
			}
		}
		out = append(out, g)
	}
	return out
}

// checkControl returns why a control pattern is unusable ("" when it matches a control).
func (p *parser) checkControl(g glob) string {
	if msg, ok := p.globCache[g.pat]; ok {
		return msg
	}
	msg := unknownControl(g, p.controlIDs)
	p.globCache[g.pat] = msg
	return msg
}

func unknownControl(g glob, ids []string) string {
	for _, id := range ids {
		if g.match(id) {
			return ""
		}
	}
	msg := fmt.Sprintf("%q matches no known control", g.pat)
	if len(g.parts) == 1 {
		if s := suggest(g.pat, ids); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
	}
	return msg
}

func (p *parser) labels(n *yaml.Node, where string) map[string]string {
	if n.Kind != yaml.MappingNode {
		p.errf(n.Line, "%s: want a mapping of label names to values, got %s", where, describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errf(n.Line, "%s: empty mapping (omit the field to match any labels)", where)
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content) && !p.stop(); i += 2 {
		k := p.resolve(n.Content[i])
		v := p.resolve(n.Content[i+1])
		key, ok := p.str(k, where+": label name")
		if !ok {
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.errf(k.Line, "%s: merge keys (<<) are not supported; write the labels out", where)
			continue
		}
		if key == "" {
			p.errf(k.Line, "%s: empty label name", where)
			continue
		}
		if _, dup := out[key]; dup {
			p.errf(k.Line, "%s: duplicate label %s", where, short(key))
			continue
		}
		if isNull(v) {
			p.errf(v.Line, "%s.%s: want a string value (write \"\" to match an empty value)", where, key)
			continue
		}
		val, ok := p.str(v, where+"."+key)
		if !ok {
			continue
		}
		out[key] = val
	}
	return out
}
