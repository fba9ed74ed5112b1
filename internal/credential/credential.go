// Package credential recognises credentials written in plain text: environment variables and
// ConfigMap keys whose name and value say "this is a password, token or key". It is shared by the
// analyzers that look at env vars and ConfigMaps, so both decide the same way.
//
// The decision has three signals:
//
//   - the value alone (SuspiciousValue): well-known token formats (AWS access key IDs, GitHub,
//     GitLab, Slack, Stripe, npm and Google API keys), PEM private keys, JWTs, URLs carrying a
//     password or a credential query parameter, and config text that assigns a literal to a
//     credential-named key (password=..., "client_secret": "...", AccountKey=...);
//   - the name (SuspiciousName): password, passwd, passphrase, secret, token, credentials, creds,
//     api/access/secret/private/client/signing/encryption... key, client secret, connection
//     string, auth/authorization, .dockerconfigjson, htpasswd. The name is split into words on
//     any non-alphanumeric separator (_ - . / space ...), on camelCase and on letter/digit
//     boundaries, and only its last word counts: DB_PASSWORD is suspicious, PASSWORD_FILE,
//     TOKEN_TTL, SECRET_NAME, AUTH_URL and PASSWORD_MIN_LENGTH are not (they name a path, a
//     duration, a reference or a setting, not the credential). Trailing words that only qualify
//     the value (digits, VALUE, B64/BASE64, RAW, PLAIN, ENCODED, HEX, BASE, OLD/NEW/CURRENT/NEXT,
//     PRIMARY/SECONDARY, and file extensions such as .txt/.json/.yaml) are skipped first, so
//     SECRET_KEY_BASE, PASSWORD_2 and password.txt are suspicious. A preceding quantity or switch
//     word (MAX_TOKENS, NUM_TOKENS, NO_AUTH, ENABLE_AUTH) makes the name a setting, not a
//     credential;
//   - whether the value is a literal (LooksLikeCredential): references and placeholders are not
//     credentials: "", whitespace, values shorter than 3 characters, booleans and null words
//     (true, false, yes, no, on, off, null, nil, none, ~), "<...>", "${...}", "$(VAR)", "$VAR",
//     "%VAR%", "#{...}", "{{ ... }}" templates, $-references with dots, colons and braces
//     (Argo CD's "$dex.github.clientSecret", "$secret:key"; Grafana's "$__file{/path}"), masks
//     such as "****" or "xxxx", secret-manager references (vault:, ref+..., arn:aws:secretsmanager:,
//     arn:aws:ssm:, op://, projects/.../secrets/..., SOPS "ENC[...]") and absolute or relative
//     file paths. Well-known defaults such as
//     "changeme", "password" or "admin" ARE reported: they are usable credentials, and the
//     commonest ones.
//
// Names that on their own only hint at a credential need a value that backs the hint:
// auth/authorization names need a user:password pair, a "Basic/Bearer/Token ..." header value or
// a high-entropy string (so AUTH=basic or AUTH_MODE values are not reported); generic *_KEY names
// (STORAGE_KEY, KEY) are not suspicious by name, but a high-entropy value under them is reported.
// Multi-line values (config files in a ConfigMap) are judged by their content only, never by
// their key name, so a "secrets.yaml" key full of ${...} references is not reported.
//
// Nothing this package returns ever contains the value it looked at: reasons are fixed phrases,
// and Redact hides the whole value.
package credential

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Value kinds returned by SuspiciousValue.
const (
	KindAWSAccessKeyID     = "aws-access-key-id"
	KindGitHubToken        = "github-token"
	KindGitLabToken        = "gitlab-token"
	KindSlackToken         = "slack-token"
	KindSlackWebhook       = "slack-webhook"
	KindPrivateKey         = "private-key"
	KindJWT                = "jwt"
	KindGoogleAPIKey       = "google-api-key"
	KindStripeKey          = "stripe-secret-key"
	KindNPMToken           = "npm-token"
	KindURLCredentials     = "url-credentials"
	KindURLQueryCredential = "url-query-credential"
	KindAssignment         = "credential-assignment"
)

var kindDescriptions = map[string]string{
	KindAWSAccessKeyID:     "an AWS access key ID",
	KindGitHubToken:        "a GitHub token",
	KindGitLabToken:        "a GitLab personal access token",
	KindSlackToken:         "a Slack token",
	KindSlackWebhook:       "a Slack webhook URL",
	KindPrivateKey:         "a PEM private key",
	KindJWT:                "a JSON Web Token",
	KindGoogleAPIKey:       "a Google API key",
	KindStripeKey:          "a Stripe live secret key",
	KindNPMToken:           "an npm access token",
	KindURLCredentials:     "a URL with an embedded user:password",
	KindURLQueryCredential: "a URL with a credential query parameter",
	KindAssignment:         "configuration assigning a literal to a credential setting",
}

// Describe returns a human phrase for a value kind ("a GitHub token").
func Describe(kind string) string {
	if d, ok := kindDescriptions[kind]; ok {
		return d
	}
	return "a credential"
}

// Reasons returned by LooksLikeCredential besides "the value looks like <Describe(kind)>".
const (
	ReasonNameLiteral  = "the name suggests a credential and the value is a literal"
	ReasonAuthValue    = "the name suggests authentication data and the value looks like a credential"
	ReasonKeyEntropy   = "the name suggests a key and the value is a high-entropy string"
	reasonValuePrefix  = "the value looks like "
	maxAssignmentKey   = 100
	minLiteralLen      = 3
	minEntropyLen      = 16
	minEntropyBits     = 3.3
	placeholderMaskSet = "*xX.#-_•"
)

// ValueReason is the reason LooksLikeCredential gives for a value of the given kind.
func ValueReason(kind string) string { return reasonValuePrefix + Describe(kind) }

type valuePattern struct {
	kind string
	// hints are literals one of which must occur for the pattern to match: a cheap filter that
	// keeps large ConfigMap values fast.
	hints []string
	re    *regexp.Regexp
}

var valuePatterns = []valuePattern{
	{KindPrivateKey, []string{"PRIVATE KEY"}, regexp.MustCompile(`-----BEGIN ((RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP|SSH2) )?PRIVATE KEY( BLOCK)?-----`)},
	{KindAWSAccessKeyID, []string{"AKIA", "ASIA", "ABIA", "ACCA"}, regexp.MustCompile(`(^|[^A-Z0-9])(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}($|[^A-Z0-9])`)},
	{KindGitHubToken, []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, regexp.MustCompile(`(^|[^A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})`)},
	{KindGitLabToken, []string{"glpat-"}, regexp.MustCompile(`(^|[^A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,}`)},
	{KindSlackWebhook, []string{"hooks.slack.com/services/"}, regexp.MustCompile(`https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+`)},
	{KindSlackToken, []string{"xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"}, regexp.MustCompile(`(^|[^A-Za-z0-9])xox[baprs]-[A-Za-z0-9-]{10,}`)},
	{KindGoogleAPIKey, []string{"AIza"}, regexp.MustCompile(`(^|[^A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}`)},
	{KindStripeKey, []string{"sk_live_", "rk_live_"}, regexp.MustCompile(`(^|[^A-Za-z0-9])(sk|rk)_live_[0-9A-Za-z]{24,}`)},
	{KindNPMToken, []string{"npm_"}, regexp.MustCompile(`(^|[^A-Za-z0-9_])npm_[A-Za-z0-9]{36}($|[^A-Za-z0-9])`)},
	{KindJWT, []string{"eyJ"}, regexp.MustCompile(`(^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`)},
}

func (p valuePattern) match(v string) bool {
	for _, h := range p.hints {
		if strings.Contains(v, h) {
			return p.re.MatchString(v)
		}
	}
	return false
}

// SuspiciousValue reports whether the value alone has the shape of a credential, and which kind.
// It runs in time linear in the length of the value.
func SuspiciousValue(value string) (kind string, ok bool) {
	if isReference(strings.TrimSpace(value)) {
		return "", false
	}
	for _, p := range valuePatterns {
		if p.match(value) {
			return p.kind, true
		}
	}
	if kind, ok := scanURLs(value); ok {
		return kind, true
	}
	if scanAssignments(value) {
		return KindAssignment, true
	}
	return "", false
}

const maxScanValue = 512 // longest assigned value or URL component looked at

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-'
}

// scanURLs looks at every scheme://authority[path][?query] in the value for a user:password or a
// credential query parameter.
func scanURLs(v string) (string, bool) {
	for off := 0; ; {
		i := strings.Index(v[off:], "://")
		if i < 0 {
			return "", false
		}
		i += off
		off = i + 3
		start := i
		for start > 0 && i-start < 32 && isSchemeChar(v[start-1]) {
			start--
		}
		if start == i {
			continue // no scheme
		}
		rest := v[i+3:]
		end := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' || r == '<' || r == '>' })
		if end < 0 {
			end = len(rest)
		}
		if end > 4*maxScanValue {
			end = 4 * maxScanValue
		}
		u := rest[:end]
		authority := u
		if j := strings.IndexAny(u, "/?#"); j >= 0 {
			authority = u[:j]
		}
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if c := strings.IndexByte(authority[:at], ':'); c >= 0 && isLiteral(authority[c+1:at]) {
				return KindURLCredentials, true
			}
		}
		if q := strings.IndexByte(u, '?'); q >= 0 {
			query := u[q+1:]
			if h := strings.IndexByte(query, '#'); h >= 0 {
				query = query[:h]
			}
			for _, pair := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
				k, val, found := strings.Cut(pair, "=")
				if !found {
					continue
				}
				if uk, err := url.QueryUnescape(k); err == nil {
					k = uk
				}
				if uv, err := url.QueryUnescape(val); err == nil {
					val = uv
				}
				if strength(k) == strong && isLiteral(val) {
					return KindURLQueryCredential, true
				}
			}
		}
	}
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// scanAssignments looks for key=value and key: value pairs anywhere in the value (config files,
// connection strings, JVM flags, JSON) that assign a literal to a credential-named key.
func scanAssignments(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != ':' && v[i] != '=' {
			continue
		}
		// key: back over blanks and an optional closing quote, then key characters.
		j := i
		for j > 0 && (v[j-1] == ' ' || v[j-1] == '\t') && i-j < 64 {
			j--
		}
		if j > 0 && (v[j-1] == '"' || v[j-1] == '\'') {
			j--
		}
		k := j
		for k > 0 && isKeyChar(v[k-1]) && j-k <= maxAssignmentKey {
			k--
		}
		if j-k > maxAssignmentKey || k > 0 && (isKeyChar(v[k-1]) || v[k-1] == ':' || v[k-1] == '$') {
			continue // too long, a segment of a colon-separated identifier (ARNs, URNs), or a $reference
		}
		key := strings.TrimLeft(v[k:j], "0123456789.-")
		if key == "" || strength(key) != strong {
			continue
		}
		// value: over blanks and an optional opening quote, up to a blank or a terminator.
		s := i + 1
		for s < len(v) && (v[s] == ' ' || v[s] == '\t') && s-i < 64 {
			s++
		}
		if s < len(v) && (v[s] == '"' || v[s] == '\'') {
			s++
		}
		e := s
		for e < len(v) && e-s < maxScanValue && !strings.ContainsRune(" \t\r\n\"',;&", rune(v[e])) {
			e++
		}
		val := v[s:e]
		if isLiteral(val) && !placeholderPrefix(val) && !strings.HasPrefix(val, "ENC[") {
			return true
		}
	}
	return false
}

// SuspiciousName reports whether a name (env var, ConfigMap key, config setting) suggests that
// its value is a credential. Generic *_KEY names are not suspicious on their own (see the package
// documentation); auth/authorization names are, but LooksLikeCredential wants a value that backs
// them.
func SuspiciousName(name string) bool {
	s := strength(name)
	return s == strong || s == authName
}

// LooksLikeCredential decides whether a name/value pair is a literal credential. The reason is a
// fixed phrase (ValueReason, ReasonNameLiteral, ReasonAuthValue or ReasonKeyEntropy) that never
// contains the name or the value.
func LooksLikeCredential(name, value string) (reason string, ok bool) {
	if kind, ok := SuspiciousValue(value); ok {
		return ValueReason(kind), true
	}
	v := strings.TrimSpace(value)
	if strings.ContainsAny(v, "\r\n") || !isLiteral(v) {
		return "", false
	}
	switch strength(name) {
	case strong:
		return ReasonNameLiteral, true
	case authName:
		if authLike(v) {
			return ReasonAuthValue, true
		}
	case weakKey:
		if HighEntropy(v) {
			return ReasonKeyEntropy, true
		}
	}
	return "", false
}

// Redact hides a value completely: it returns "****(redacted, N chars)" where N is the number
// of characters (runes) of the value. No prefix, suffix or hash of the value is kept: even the
// non-secret prefixes of token formats (AKIA, ghp_) are dropped; the finding's reason already
// says which kind of credential it is.
func Redact(value string) string {
	n := utf8.RuneCountInString(value)
	unit := "chars"
	if n == 1 {
		unit = "char"
	}
	return fmt.Sprintf("****(redacted, %d %s)", n, unit)
}

// Entropy is the Shannon entropy of the string's bytes, in bits per byte (0 for "").
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

// HighEntropy reports whether a value looks random enough to be a generated key or token: at
// least 16 characters, no whitespace, both letters and digits, and an entropy of at least 3.3
// bits per character. On its own this is not a credential signal (hashes, UUIDs and image
// digests look random too); LooksLikeCredential uses it only together with a suspicious name.
func HighEntropy(v string) bool {
	if len(v) < minEntropyLen {
		return false
	}
	letters, digits := false, false
	for _, r := range v {
		switch {
		case unicode.IsSpace(r):
			return false
		case r >= '0' && r <= '9':
			digits = true
		case unicode.IsLetter(r):
			letters = true
		}
	}
	return letters && digits && Entropy(v) >= minEntropyBits
}

// authLike reports whether a value under an auth-like name looks like credential material.
func authLike(v string) bool {
	lower := strings.ToLower(v)
	for _, scheme := range []string{"basic ", "bearer ", "token ", "digest "} {
		if strings.HasPrefix(lower, scheme) {
			rest := strings.TrimSpace(v[len(scheme):])
			return len(rest) >= 8 && isLiteral(rest)
		}
	}
	if i := strings.IndexByte(v, ':'); i > 0 && i < len(v)-1 && !strings.ContainsAny(v, " \t") && !strings.Contains(v, "://") {
		return true // user:password
	}
	return HighEntropy(v)
}

// --- names ---

type nameStrength int

const (
	none nameStrength = iota
	weakKey
	authName
	strong
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

var (
	// credWords are last words that name a credential.
	credWords = set("password", "passwords", "passwd", "passphrase", "secret", "secrets", "token",
		"tokens", "credential", "credentials", "creds", "cred", "apikey", "apikeys", "accesskey",
		"secretkey", "privatekey", "clientsecret", "connectionstring", "connstr", "connstring",
		"dockerconfigjson", "dockercfg", "htpasswd", "jwt")
	// credSuffixes are credential words that count at the end of a longer word (dbpassword).
	credSuffixes = []string{"password", "passwd", "passphrase", "secret", "token", "apikey",
		"accesskey", "secretkey", "privatekey", "credentials", "clientsecret"}
	// keyQualifiers make "<qualifier> key" a credential name.
	keyQualifiers = set("api", "access", "secret", "private", "client", "encryption", "encrypt",
		"signing", "sign", "master", "auth", "session", "hmac", "jwt", "ssh", "tls", "ssl", "ca",
		"server", "license", "account", "shared", "subscription", "admin", "root", "webhook",
		"cookie", "deploy", "gpg", "pgp", "rsa", "consumer", "app", "service", "storage", "sas",
		"token", "crypt", "cipher", "aes", "decryption", "vault", "unseal", "recovery", "backup")
	// noiseWords qualify the value without changing what it is; skipped at the end of a name.
	noiseWords = set("value", "val", "b64", "base64", "raw", "plain", "plaintext", "encoded", "enc",
		"hex", "base", "old", "new", "current", "curr", "next", "prev", "previous", "primary",
		"secondary", "txt", "json", "yaml", "yml", "env", "conf", "cfg", "ini", "properties", "toml")
	// settingWords before the credential word make the name a setting (MAX_TOKENS, NO_AUTH).
	settingWords = set("max", "min", "num", "number", "count", "total", "limit", "no", "skip",
		"disable", "disabled", "enable", "enabled", "use", "require", "required", "allow", "without")
)

// strength classifies a name.
func strength(name string) nameStrength {
	toks := words(name)
	for len(toks) > 1 && (noiseWords[toks[len(toks)-1]] || isDigits(toks[len(toks)-1])) {
		toks = toks[:len(toks)-1]
	}
	n := len(toks)
	if n == 0 {
		return none
	}
	last, prev := toks[n-1], ""
	if n > 1 {
		prev = toks[n-2]
	}
	if settingWords[prev] {
		return none
	}
	switch {
	case credWords[last]:
		return strong
	case (last == "pass" || last == "pwd") && n > 1: // DB_PASS; PWD alone is the working directory
		return strong
	case (last == "string" || last == "str") && (prev == "connection" || prev == "conn"):
		return strong
	case (last == "key" || last == "keys") && keyQualifiers[prev]:
		return strong
	case last == "auth" || last == "authorization":
		return authName
	case last == "key" || last == "keys":
		return weakKey
	}
	for _, s := range credSuffixes {
		if len(last) > len(s) && strings.HasSuffix(last, s) {
			return strong
		}
	}
	return none
}

// words splits a name into lower-case words on separators, camelCase and letter/digit
// boundaries: "dbPassword" → db password; "APIKey_2" → api key 2.
func words(name string) []string {
	var out []string
	rs := []rune(name)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, strings.ToLower(string(rs[start:end])))
		}
		start = -1
	}
	for i, r := range rs {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		if !alnum {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		p := rs[i-1]
		boundary := (unicode.IsLower(p) && unicode.IsUpper(r)) ||
			(unicode.IsDigit(p) != unicode.IsDigit(r)) ||
			(unicode.IsUpper(p) && unicode.IsUpper(r) && i+1 < len(rs) && unicode.IsLower(rs[i+1]))
		if boundary {
			flush(i)
			start = i
		}
	}
	flush(len(rs))
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// --- values ---

var (
	nullWords = set("true", "false", "yes", "no", "on", "off", "null", "nil", "none", "~",
		"undefined", "n/a", "na", "empty", "disabled", "enabled")
	envRef        = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_.:/{}-]*$`)
	winEnvRef     = regexp.MustCompile(`^%[A-Za-z_][A-Za-z0-9_]*%$`)
	gcpSecretRef  = regexp.MustCompile(`^projects/[^/\s]+/secrets/[^/\s]+(/versions/[^/\s]+)?$`)
	filePath      = regexp.MustCompile(`^(/|\./|\.\./|~/)[^\s]*$`)
	refPrefixes   = []string{"vault:", "ref+", "arn:aws:secretsmanager:", "arn:aws:ssm:", "op://", "sm://", "gcp:secretmanager:", "azurekeyvault:", "akv://", "secretsmanager:", "ssm:", "file:"}
	templateMarks = []string{"{{", "${", "$(", "#{", "%{", "<%"}
)

// isLiteral reports whether a value is a literal that could be a usable credential, as opposed
// to empty, a flag, a placeholder, a reference or a path.
func isLiteral(value string) bool {
	v := strings.TrimSpace(value)
	if utf8.RuneCountInString(v) < minLiteralLen {
		return false
	}
	lower := strings.ToLower(v)
	if nullWords[lower] {
		return false
	}
	for _, m := range templateMarks {
		if strings.Contains(v, m) {
			return false
		}
	}
	if strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">") {
		return false
	}
	if filePath.MatchString(v) || isReference(v) {
		return false
	}
	if isMask(v) {
		return false
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" && u.User == nil {
		// A plain URL (an endpoint) is not a credential; URLs that carry one are caught by
		// SuspiciousValue.
		return false
	}
	return true
}

// isReference reports a single-line reference to a secret manager, or a SOPS-encrypted value.
func isReference(v string) bool {
	if v == "" || strings.ContainsAny(v, " \t\r\n") {
		return false
	}
	lower := strings.ToLower(v)
	for _, p := range refPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return gcpSecretRef.MatchString(v) || envRef.MatchString(v) || winEnvRef.MatchString(v) ||
		strings.HasPrefix(v, "ENC[") && strings.HasSuffix(v, "]")
}

// placeholderPrefix reports values, found in config text, that start with a placeholder or with
// YAML syntax (block scalar, flow collection, tag, anchor, alias) rather than with a scalar.
func placeholderPrefix(v string) bool {
	return v != "" && strings.IndexByte("<|>{[!&*", v[0]) >= 0
}

// isMask reports values made of one repeated masking character (****, xxxx, ....).
func isMask(v string) bool {
	first, _ := utf8.DecodeRuneInString(v)
	if !strings.ContainsRune(placeholderMaskSet, first) {
		return false
	}
	for _, r := range v {
		if r != first {
			return false
		}
	}
	return true
}
