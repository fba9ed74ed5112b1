package exception

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxGlobLen bounds a pattern: no control ID, kind, namespace or name comes close.
const maxGlobLen = 1024

// glob is a pattern where '*' matches any run of characters (including none, and including '/').
// Every other character matches itself.
type glob struct {
	pat   string
	parts []string // pat split on '*'
}

// compileGlob validates and compiles a pattern. Only '*' is special; characters other tools give
// a meaning ('?', '[', ']', '{', '}', '\') are refused so that nobody writes a pattern that
// silently means something else than they think.
func compileGlob(p string) (glob, error) {
	if p == "" {
		return glob{}, fmt.Errorf("empty pattern")
	}
	if len(p) > maxGlobLen {
		return glob{}, fmt.Errorf("pattern longer than %d characters", maxGlobLen)
	}
	if !utf8.ValidString(p) {
		return glob{}, fmt.Errorf("pattern %q is not valid UTF-8", p)
	}
	for _, r := range p {
		switch {
		case r == '?' || r == '[' || r == ']' || r == '{' || r == '}' || r == '\\':
			return glob{}, fmt.Errorf("pattern %q uses %q: only '*' is supported as a wildcard", p, r)
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return glob{}, fmt.Errorf("pattern %q contains white space or a control character", p)
		}
	}
	return glob{pat: p, parts: strings.Split(p, "*")}, nil
}

// match reports whether s matches the whole pattern.
func (g glob) match(s string) bool {
	parts := g.parts
	if len(parts) == 0 {
		return false // zero glob: matches nothing
	}
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func matchAny(gs []glob, s string) bool {
	for _, g := range gs {
		if g.match(s) {
			return true
		}
	}
	return false
}

// editDistance is the Levenshtein distance, for "did you mean" hints on short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// suggest returns the candidate closest to s when it is close enough to be a likely typo.
func suggest(s string, candidates []string) string {
	if len(s) > 100 || s == "" {
		return ""
	}
	best, bestD := "", 0
	for _, c := range candidates {
		if len(c) > 100 {
			continue
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 3
	if l := utf8.RuneCountInString(s); l < 8 {
		limit = max(1, l/3)
	}
	if best != "" && bestD <= limit {
		return best
	}
	return ""
}
