package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

//go:generate go run gen_license_list.go

// idKind says what an identifier of the SPDX license list is.
type idKind uint8

const (
	idLicense   idKind = 1 << iota // a license identifier
	idException                    // a license exception identifier (after WITH)
	idCycloneDX                    // in the enumeration CycloneDX validates "license.id" against
)

// spdxID is one identifier of the SPDX license list.
type spdxID struct {
	canonical string
	kind      idKind
}

// licenseClass classifies one license string as a package declares it.
type licenseClass int

const (
	// licenseNone: empty, NONE or NOASSERTION; ignored.
	licenseNone licenseClass = iota
	// licenseID: one identifier of the SPDX license list, no operator.
	licenseID
	// licenseExpression: a valid SPDX license expression (operators, "+", LicenseRef-...).
	licenseExpression
	// licenseOther: anything else ("BSD License", "GPL-2+", "SEE LICENSE IN LICENSE.md").
	licenseOther
)

// declared is one license string of a package, classified.
type declared struct {
	class licenseClass
	// text is the canonical expression for licenseID and licenseExpression (identifiers spelt as
	// the SPDX list spells them, operators in upper case), the trimmed original otherwise.
	text string
	// compound is true when the expression has an operator (needs parentheses inside AND).
	compound bool
	// cyclonedxID is true for a licenseID that a CycloneDX "license.id" may hold.
	cyclonedxID bool
	// refs are the LicenseRef-... identifiers the expression uses.
	refs []string
}

// classifyLicense parses one declared license string. Identifiers are matched case-insensitively
// (SPDX 2.3 annex D); operators are accepted in any case and written in upper case. There is no
// guessing: "GPL-2+", "Apache 2.0" or "BSD" are not SPDX identifiers and stay licenseOther.
func classifyLicense(s string) declared {
	s = strings.TrimSpace(s)
	switch s {
	case "", "NONE", "NOASSERTION":
		return declared{class: licenseNone}
	}
	p := exprParser{toks: tokenize(s)}
	if !p.expression() || p.pos != len(p.toks) {
		return declared{class: licenseOther, text: s}
	}
	d := declared{class: licenseExpression, text: p.render(), compound: p.terms > 1, refs: p.refs}
	if p.terms == 1 && len(p.toks) == 1 && p.single.kind&idLicense != 0 {
		d.class = licenseID
		d.cyclonedxID = p.single.kind&idCycloneDX != 0
	}
	return d
}

// tokenize splits an expression into words and parentheses.
func tokenize(s string) []string {
	var toks []string
	word := func(b *strings.Builder) {
		if b.Len() > 0 {
			toks = append(toks, b.String())
			b.Reset()
		}
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			word(&b)
			toks = append(toks, string(r))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			word(&b)
		default:
			b.WriteRune(r)
		}
	}
	word(&b)
	return toks
}

// exprParser is a recursive-descent parser of SPDX 2.3 license expressions (annex D):
//
//	expression = and-expr *("OR" and-expr)
//	and-expr   = with-expr *("AND" with-expr)
//	with-expr  = simple ["WITH" exception-id]
//	simple     = license-id ["+"] / "LicenseRef-" idstring / "(" expression ")"
//
// DocumentRef- references are not accepted (the SBOM declares no external documents).
type exprParser struct {
	toks []string
	pos  int
	// out is the canonical rendering of toks, filled as tokens are accepted.
	out []string
	// terms counts license terms; single is the last identifier (meaningful when terms == 1).
	terms  int
	single spdxID
	refs   []string
}

func (p *exprParser) peekOp(op string) bool {
	return p.pos < len(p.toks) && strings.EqualFold(p.toks[p.pos], op)
}

func (p *exprParser) accept(canonical string) {
	p.out = append(p.out, canonical)
	p.pos++
}

func (p *exprParser) expression() bool {
	if !p.andExpr() {
		return false
	}
	for p.peekOp("OR") {
		p.accept("OR")
		if !p.andExpr() {
			return false
		}
	}
	return true
}

func (p *exprParser) andExpr() bool {
	if !p.withExpr() {
		return false
	}
	for p.peekOp("AND") {
		p.accept("AND")
		if !p.withExpr() {
			return false
		}
	}
	return true
}

func (p *exprParser) withExpr() bool {
	if !p.simple() {
		return false
	}
	if !p.peekOp("WITH") {
		return true
	}
	p.accept("WITH")
	if p.pos >= len(p.toks) {
		return false
	}
	id, ok := spdxIDs[strings.ToLower(p.toks[p.pos])]
	if !ok || id.kind&idException == 0 {
		return false
	}
	p.accept(id.canonical)
	return true
}

func (p *exprParser) simple() bool {
	if p.pos >= len(p.toks) {
		return false
	}
	tok := p.toks[p.pos]
	if tok == "(" {
		p.accept("(")
		if !p.expression() || p.pos >= len(p.toks) || p.toks[p.pos] != ")" {
			return false
		}
		p.accept(")")
		return true
	}
	if tok == ")" || isOperator(tok) {
		return false
	}
	if ref, ok := strings.CutPrefix(tok, "LicenseRef-"); ok {
		if !isIDString(ref) {
			return false
		}
		p.refs = append(p.refs, tok)
		p.terms++
		p.single = spdxID{}
		p.accept(tok)
		return true
	}
	// The list holds a few deprecated identifiers ending in "+" (GPL-2.0+): look the whole token
	// up first, then the "+" (or later) operator on a license identifier.
	if id, ok := spdxIDs[strings.ToLower(tok)]; ok && id.kind&idLicense != 0 {
		p.terms++
		p.single = id
		p.accept(id.canonical)
		return true
	}
	if base, ok := strings.CutSuffix(tok, "+"); ok {
		if id, ok := spdxIDs[strings.ToLower(base)]; ok && id.kind&idLicense != 0 {
			p.terms++
			p.single = spdxID{}
			p.accept(id.canonical + "+")
			return true
		}
	}
	return false
}

func isOperator(tok string) bool {
	return strings.EqualFold(tok, "AND") || strings.EqualFold(tok, "OR") || strings.EqualFold(tok, "WITH")
}

// isIDString reports whether s is a non-empty SPDX idstring: letters, digits, "." and "-".
func isIDString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return false
		}
	}
	return true
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// render joins the canonical tokens: no space inside parentheses.
func (p *exprParser) render() string {
	var b strings.Builder
	for i, t := range p.out {
		if i > 0 && t != ")" && p.out[i-1] != "(" {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String()
}

// classifyLicenses classifies the license strings of a package, dropping empty ones and
// duplicates (by their canonical text), in the package's order.
func classifyLicenses(licenses []string) []declared {
	var out []declared
	seen := map[string]bool{}
	for _, l := range licenses {
		d := classifyLicense(l)
		if d.class == licenseNone || seen[d.text] {
			continue
		}
		seen[d.text] = true
		out = append(out, d)
	}
	return out
}

// conjunction joins expressions with AND, parenthesising compound ones.
func conjunction(parts []string, compound []bool) string {
	if len(parts) == 1 {
		return parts[0]
	}
	var b strings.Builder
	for i, part := range parts {
		if i > 0 {
			b.WriteString(" AND ")
		}
		if compound[i] {
			b.WriteString("(" + part + ")")
		} else {
			b.WriteString(part)
		}
	}
	return b.String()
}

// sanitizeID reduces s to the characters an SPDX idstring allows ([A-Za-z0-9.-]): accents are
// dropped (é becomes e), every run of other characters becomes one "-", and "." and "-" are
// trimmed at both ends.
func sanitizeID(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r): // a combining mark of a decomposed letter
		case r < utf8.RuneSelf && isIDChar(byte(r)) && r != '-':
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			b.WriteRune(r)
		default:
			sep = true
		}
	}
	return strings.Trim(b.String(), ".-")
}

// shortHash is 8 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
