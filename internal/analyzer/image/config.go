package image

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/credential"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
)

// --- user ---

// runsAsRoot judges the USER of the image configuration.
func (j judge) runsAsRoot() {
	user := strings.TrimSpace(j.img.Config.User)
	if strings.HasPrefix(strings.ToLower(j.img.Platform), "windows") {
		// Windows users are names: ContainerAdministrator is the administrator, ContainerUser
		// is not; an empty USER takes the base image's default, which kube4c does not know.
		if user == "" {
			return
		}
		j.eval(CtlRunsAsRoot)
		if strings.EqualFold(user, "ContainerAdministrator") {
			j.fail(CtlRunsAsRoot, inventory.Path("config", "user"), "the image runs as ContainerAdministrator, the container's administrator")
		}
		return
	}
	j.eval(CtlRunsAsRoot)
	if user == "" {
		j.fail(CtlRunsAsRoot, nil, "the image configuration sets no USER: containers run as root (UID 0) unless the pod sets another user")
		return
	}
	if isRootUser(user) {
		j.fail(CtlRunsAsRoot, inventory.Path("config", "user"), "the image's USER is %q: containers run as root (UID 0) unless the pod sets another user", user)
	}
}

// isRootUser reports whether a USER value ("user", "user:group", "uid", "uid:gid") selects root.
// A user name other than root passes: it is resolved in the image's /etc/passwd at run time,
// which kube4c does not read.
func isRootUser(user string) bool {
	u, _, _ := strings.Cut(user, ":")
	u = strings.TrimSpace(u)
	if u == "root" {
		return true
	}
	if n, err := strconv.ParseUint(u, 10, 32); err == nil {
		return n == 0
	}
	return false
}

// --- credentials in the configuration ---

// secretsInConfig reports ENV variables, labels, and build arguments and ENV instructions of the
// history that hold a literal credential. Messages name the variable, never the value.
func (j judge) secretsInConfig() {
	j.eval(CtlSecretConfig)
	cfg := &j.img.Config
	for i, e := range cfg.Env {
		if reason, ok := configCredential(e.Name, e.Value); ok {
			j.fail(CtlSecretConfig, inventory.Path("config", "env", i), "ENV %s holds a literal credential (%s; value %s)", e.Name, reason, credential.Redact(e.Value))
		}
	}
	keys := make([]string, 0, len(cfg.Labels))
	for k := range cfg.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := cfg.Labels[k]
		if reason, ok := configCredential(k, v); ok {
			j.fail(CtlSecretConfig, inventory.Path("config", "labels", k), "label %s holds a literal credential (%s; value %s)", k, reason, credential.Redact(v))
		}
	}
	final := map[string]string{}
	for _, e := range cfg.Env {
		final[e.Name] = e.Value
	}
	for i, h := range cfg.History {
		what, vars := historyVars(h.CreatedBy)
		for _, v := range vars {
			if what == "ENV" {
				if fv, ok := final[v.name]; ok && fv == v.value {
					continue // the same variable and value are in the configuration: reported there
				}
			}
			if reason, ok := configCredential(v.name, v.value); ok {
				j.fail(CtlSecretConfig, inventory.Path("config", "history", i, v.name),
					"history entry %d records %s %s with a literal credential (%s; value %s)", i+1, what, v.name, reason, credential.Redact(v.value))
			}
		}
	}
}

// configCredential decides whether a name/value pair of the image configuration is a literal
// credential, as internal/credential decides for workloads, except for public key material:
// official images set GPG_KEY/GPG_KEYS to the OpenPGP fingerprints that verify their downloads,
// and a name that says PUBLIC holds a public key. A value with the shape of a known credential
// (a private key, a token) is reported whatever its name.
func configCredential(name, value string) (string, bool) {
	if kind, ok := credential.SuspiciousValue(value); ok {
		return credential.ValueReason(kind), true
	}
	if publicKeyName(name) || (pgpName(name) && fingerprints(value)) {
		return "", false
	}
	return credential.LooksLikeCredential(name, value)
}

// nameWords splits a variable or label name into upper-case words.
func nameWords(name string) []string {
	return strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
}

func publicKeyName(name string) bool {
	for _, w := range nameWords(name) {
		if w == "PUBLIC" || w == "PUB" || w == "PUBKEY" || w == "PUBKEYS" {
			return true
		}
	}
	return false
}

func pgpName(name string) bool {
	for _, w := range nameWords(name) {
		if w == "GPG" || w == "PGP" || w == "GNUPG" {
			return true
		}
	}
	return false
}

// fingerprints reports whether the value is a list of OpenPGP key fingerprints or long key IDs
// (40 or 16 hexadecimal digits, optionally 0x-prefixed, separated by spaces or commas).
func fingerprints(v string) bool {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == ';' })
	if len(fields) == 0 {
		return false
	}
	for _, f := range fields {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "0x"), "0X")
		if len(f) != 40 && len(f) != 16 {
			return false
		}
		for _, r := range f {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return false
			}
		}
	}
	return true
}

type nameValue struct{ name, value string }

// historyVars extracts the variables a history entry (a Dockerfile instruction as the builder
// recorded it) assigns literally:
//
//	RUN |2 NPM_TOKEN=abc HTTP_PROXY=x /bin/sh -c npm ci   (BuildKit; build arguments of a RUN)
//	|1 NPM_TOKEN=abc /bin/sh -c npm ci                    (the classic builder)
//	ENV A=1 B=2, /bin/sh -c #(nop)  ENV A=1, ENV A 1      (ENV, both builders)
//	ARG TOKEN=abc, /bin/sh -c #(nop)  ARG TOKEN=abc       (an ARG default)
//
// what is "build argument", "ENV" or "ARG". Values with spaces are read up to the first space
// in build arguments (the builders do not quote them).
func historyVars(createdBy string) (what string, vars []nameValue) {
	s := strings.TrimSpace(createdBy)
	s = strings.TrimSpace(strings.TrimPrefix(s, "/bin/sh -c #(nop) "))
	if rest, ok := strings.CutPrefix(s, "RUN "); ok {
		s = strings.TrimSpace(rest)
	}
	switch {
	case strings.HasPrefix(s, "|"):
		fields := strings.Fields(s[1:])
		if len(fields) == 0 {
			return "", nil
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil || n <= 0 || n >= len(fields) {
			return "", nil
		}
		for _, f := range fields[1 : 1+n] {
			if k, v, ok := strings.Cut(f, "="); ok && k != "" {
				vars = append(vars, nameValue{k, v})
			}
		}
		return "build argument", vars
	case strings.HasPrefix(s, "ENV "):
		return "ENV", assignments(strings.TrimSpace(s[len("ENV "):]), true)
	case strings.HasPrefix(s, "ARG "):
		return "ARG", assignments(strings.TrimSpace(s[len("ARG "):]), false)
	}
	return "", nil
}

// assignments parses KEY=VALUE words (double or single quotes group a value with spaces; a
// backslash escapes the next character). With legacy, the old "ENV KEY VALUE" form is accepted.
func assignments(s string, legacy bool) []nameValue {
	words := shellWords(s)
	if len(words) == 0 {
		return nil
	}
	if legacy && !strings.Contains(words[0], "=") {
		name, value, _ := strings.Cut(s, " ")
		return []nameValue{{name, unquote(strings.TrimSpace(value))}}
	}
	var out []nameValue
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok && k != "" {
			out = append(out, nameValue{k, v})
		}
	}
	return out
}

// shellWords splits on unquoted spaces, removing quotes and escapes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
			in = true
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote = r
			in = true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func unquote(s string) string {
	if w := shellWords(s); len(w) == 1 {
		return w[0]
	}
	return s
}

// --- credentials in layers ---

// secretsInLayers reports each file holding a private key or credentials, with its layer.
func (j judge) secretsInLayers() {
	j.eval(CtlSecretLayer)
	for i, s := range j.img.Secrets {
		where := s.Path
		if s.Line > 0 {
			where = fmt.Sprintf("%s:%d", s.Path, s.Line)
		}
		kind := s.Kind
		if kind == "" {
			kind = "credentials"
		}
		if s.Deleted {
			j.fail(CtlSecretLayer, inventory.Path("secrets", i), "%s holds %s; a later layer deleted it, but it is still in %s", where, kind, j.layerName(s.Layer))
			continue
		}
		j.fail(CtlSecretLayer, inventory.Path("secrets", i), "%s holds %s (added in %s)", where, kind, j.layerName(s.Layer))
	}
}

// --- setuid and setgid files ---

// Mode bits of image.File (as in tar headers).
const (
	modeSetuid = 0o4000
	modeSetgid = 0o2000
)

// maxSetuidListed is how many files a setuid finding names.
const maxSetuidListed = 10

// setuid reports the image's setuid and setgid files in one finding.
func (j judge) setuid() {
	j.eval(CtlSetuid)
	if len(j.img.SetuidFiles) == 0 {
		return
	}
	files := slices.Clone(j.img.SetuidFiles)
	slices.SortFunc(files, func(a, b image.File) int { return strings.Compare(a.Path, b.Path) })
	var names []string
	for _, f := range files {
		var bits []string
		if f.Mode&modeSetuid != 0 {
			bits = append(bits, "setuid")
		}
		if f.Mode&modeSetgid != 0 {
			bits = append(bits, "setgid")
		}
		if len(bits) == 0 {
			names = append(names, f.Path)
			continue
		}
		names = append(names, f.Path+" ("+strings.Join(bits, "+")+")")
	}
	noun := "files"
	if len(files) == 1 {
		noun = "file"
	}
	j.fail(CtlSetuid, nil, "the image has %d setuid/setgid %s: %s", len(files), noun, list(names, maxSetuidListed))
}
