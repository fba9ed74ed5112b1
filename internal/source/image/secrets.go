package image

import (
	"bytes"
	"encoding/json"
	"path"
	"regexp"
	"strings"
)

// secretHit is a file of one layer that holds a credential: its kind and line, never its content.
type secretHit struct {
	path  string // real path, relative to the root
	kind  string
	line  int
	layer int
}

// Secret kinds (image.SecretFile.Kind).
const (
	KindPrivateKey          = "private key"
	KindRSAPrivateKey       = "RSA private key"
	KindECPrivateKey        = "EC private key"
	KindDSAPrivateKey       = "DSA private key"
	KindOpenSSHPrivateKey   = "OpenSSH private key"
	KindEncryptedPrivateKey = "encrypted private key"
	KindPGPPrivateKey       = "PGP private key"
	KindAWS                 = "AWS credentials"
	KindGCPServiceAccount   = "GCP service account key"
	KindDocker              = "Docker registry credentials"
	KindGit                 = "Git credentials"
	KindNPM                 = "npm token"
	KindPyPI                = "PyPI credentials"
	KindKubeconfig          = "Kubernetes credentials"
)

// skipSecrets reports whether a file is not looked at for secrets: documentation, public CA
// certificates, and test suites of language runtimes that ship throwaway keys on purpose.
func skipSecrets(p string) bool {
	for _, prefix := range []string{
		"usr/share/doc/", "usr/share/ca-certificates/", "etc/ssl/certs/", "etc/ca-certificates/",
		"etc/pki/ca-trust/", "etc/pki/tls/certs/",
	} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	// Python's own test suite (/usr/lib/python3.12/test/, /usr/local/lib/python3.12/test/).
	for _, lib := range []string{"usr/lib/", "usr/local/lib/"} {
		if rest, ok := strings.CutPrefix(p, lib); ok && strings.HasPrefix(rest, "python") {
			if _, after, ok := strings.Cut(rest, "/"); ok && strings.HasPrefix(after, "test/") {
				return true
			}
		}
	}
	// The Go toolchain's test data (/usr/local/go/src/crypto/tls/testdata/...).
	if (strings.HasPrefix(p, "usr/local/go/src/") || strings.HasPrefix(p, "usr/lib/go")) && strings.Contains(p, "/testdata/") {
		return true
	}
	return false
}

var (
	pemBegin   = regexp.MustCompile(`(?m)^-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?)PRIVATE KEY( BLOCK)?-----\r?$`)
	base64Line = regexp.MustCompile(`^[A-Za-z0-9+/=]{16,}$`)
	awsSecret  = regexp.MustCompile(`(?mi)^[ \t]*(?:export[ \t]+)?aws_secret_access_key[ \t]*[=:][ \t]*["']?([A-Za-z0-9/+=]{30,})`)
	gitCred    = regexp.MustCompile(`(?m)^[a-z][a-z0-9+.-]*://[^:/@\s]+:[^@\s]+@\S+`)
	npmToken   = regexp.MustCompile(`(?m)(?:_authToken|_auth|_password)[ \t]*=[ \t]*(\S+)`)
	pypiPass   = regexp.MustCompile(`(?m)^[ \t]*password[ \t]*[=:][ \t]*(\S+)`)
	kubeKey    = regexp.MustCompile(`(?m)^[ \t]*client-key-data:[ \t]*["']?([A-Za-z0-9+/=]{16,})`)
	kubeToken  = regexp.MustCompile(`(?m)^[ \t]*token:[ \t]*["']?([A-Za-z0-9._~+/=-]{16,})`)
)

var pemKinds = map[string]string{
	"":           KindPrivateKey,
	"RSA ":       KindRSAPrivateKey,
	"EC ":        KindECPrivateKey,
	"DSA ":       KindDSAPrivateKey,
	"OPENSSH ":   KindOpenSSHPrivateKey,
	"ENCRYPTED ": KindEncryptedPrivateKey,
	"PGP ":       KindPGPPrivateKey,
}

// findSecrets looks for credentials in the content of the file at p (relative to the root).
func findSecrets(p string, data []byte) []secretHit {
	var hits []secretHit
	add := func(kind string, offset int) {
		for _, h := range hits {
			if h.kind == kind {
				return
			}
		}
		hits = append(hits, secretHit{path: p, kind: kind, line: 1 + bytes.Count(data[:offset], []byte("\n"))})
	}
	base := path.Base(p)

	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		for _, m := range pemBegin.FindAllSubmatchIndex(data, -1) {
			if pemBody(data[m[1]:]) {
				add(pemKinds[string(data[m[2]:m[3]])], m[0])
			}
		}
	}
	if bytes.Contains(data, []byte("aws_secret_access_key")) || bytes.Contains(data, []byte("AWS_SECRET_ACCESS_KEY")) {
		for _, m := range awsSecret.FindAllSubmatchIndex(data, -1) {
			if !bytes.Contains(data[m[2]:m[3]], []byte("EXAMPLE")) {
				add(KindAWS, m[0])
				break
			}
		}
	}
	if strings.HasSuffix(base, ".json") && bytes.Contains(data, []byte(`"private_key"`)) && bytes.Contains(data, []byte("service_account")) {
		var sa struct {
			Type       string `json:"type"`
			PrivateKey string `json:"private_key"`
		}
		if json.Unmarshal(data, &sa) == nil && sa.Type == "service_account" && strings.Contains(sa.PrivateKey, "PRIVATE KEY") {
			add(KindGCPServiceAccount, bytes.Index(data, []byte(`"private_key"`)))
		}
	}
	if (base == "config.json" || base == ".dockercfg") && bytes.Contains(data, []byte(`"auth`)) && dockerAuth(data) {
		i := bytes.Index(data, []byte(`"auth"`))
		if i < 0 {
			i = bytes.Index(data, []byte(`"auths"`))
		}
		add(KindDocker, max(i, 0))
	}
	if base == ".git-credentials" || base == "git-credentials" {
		if m := gitCred.FindIndex(data); m != nil {
			add(KindGit, m[0])
		}
	}
	if base == ".npmrc" || base == "npmrc" {
		for _, m := range npmToken.FindAllSubmatchIndex(data, -1) {
			if !placeholder(data[m[2]:m[3]]) {
				add(KindNPM, m[0])
				break
			}
		}
	}
	if base == ".pypirc" {
		for _, m := range pypiPass.FindAllSubmatchIndex(data, -1) {
			if !placeholder(data[m[2]:m[3]]) {
				add(KindPyPI, m[0])
				break
			}
		}
	}
	if bytes.Contains(data, []byte("client-key-data:")) {
		if m := kubeKey.FindIndex(data); m != nil {
			add(KindKubeconfig, m[0])
		}
	}
	if kubeconfigName(p) && bytes.Contains(data, []byte("token:")) && bytes.Contains(data, []byte("users:")) {
		for _, m := range kubeToken.FindAllSubmatchIndex(data, -1) {
			if !placeholder(data[m[2]:m[3]]) {
				add(KindKubeconfig, m[0])
				break
			}
		}
	}
	return hits
}

// pemBody reports whether what follows a BEGIN line looks like key material: optional
// "Name: value" headers and blank lines, then a base64 line.
func pemBody(rest []byte) bool {
	for range 8 {
		i := bytes.IndexByte(rest, '\n')
		var line []byte
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+1:]
		}
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 && rest == nil:
			return false
		case len(line) == 0 || bytes.Contains(line, []byte(": ")):
			continue
		default:
			return base64Line.Match(line)
		}
	}
	return false
}

// dockerAuth reports whether a Docker config holds registry credentials.
func dockerAuth(data []byte) bool {
	type entry struct {
		Auth          string `json:"auth"`
		Password      string `json:"password"`
		IdentityToken string `json:"identitytoken"`
	}
	has := func(m map[string]entry) bool {
		for _, e := range m {
			if e.Auth != "" || e.Password != "" || e.IdentityToken != "" {
				return true
			}
		}
		return false
	}
	var cfg struct {
		Auths map[string]entry `json:"auths"`
	}
	if json.Unmarshal(data, &cfg) == nil && has(cfg.Auths) {
		return true
	}
	var legacy map[string]entry // ~/.dockercfg: the registries at the top level
	return json.Unmarshal(data, &legacy) == nil && has(legacy)
}

// placeholder reports whether a value is a reference to something else, not a secret.
func placeholder(v []byte) bool {
	s := strings.Trim(string(v), `"'`)
	return s == "" || strings.HasPrefix(s, "${") || strings.HasPrefix(s, "$(") || strings.HasPrefix(s, "<") ||
		strings.EqualFold(s, "null") || strings.EqualFold(s, "changeme")
}

// kubeconfigName reports whether a file is named as kubeconfig files are.
func kubeconfigName(p string) bool {
	base := path.Base(p)
	return strings.HasSuffix(p, ".kube/config") || strings.Contains(base, "kubeconfig") ||
		(strings.HasPrefix(p, "etc/kubernetes/") && strings.HasSuffix(base, ".conf"))
}
