package image

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/image"
)

// Secret values used in the tests: none may ever appear in a message.
var secretValues = []string{
	"ghp_0123456789abcdefghijABCDEFGHIJ012345",
	"hunter2hunter2",
	"s3cr3t-Lab3l-V4lue",
	"deploy:pAssw0rd-in-url", // the credential part of the URL label
	"npm_abcdefghijklmnopqrstuvwxyz0123456789",
	"build-arg-secret-value",
	"old-env-secret-value",
	"arg-default-secret",
	"overridden-later",
	"AKIAIOSFODNN7EXAMPLE",
}

func secretImage() *image.Image {
	return &image.Image{Name: "app", Config: image.Config{
		User: "1000",
		Env: []image.EnvVar{
			{Name: "PATH", Value: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			{Name: "GPG_KEY", Value: "7169605F62C751356D054A26A821E680E5FA6305"},
			{Name: "GPG_KEYS", Value: "39B641343D8C104B2B146DC3F9C39DC0B9698544 E60913E4DF209907D8E30D96659A97C9CF2A795A"},
			{Name: "ES_PUBLIC_KEY", Value: "7169605F62C751356D054A26A821E680E5FA6305aa"},
			{Name: "PYTHON_SHA256", Value: "8fb5f9fbc7609fa822cb31549884575db7fd9657cbffb89510b5d7975963a83a"},
			{Name: "NGINX_VERSION", Value: "1.27.3"},
			{Name: "PASSWORD_FILE", Value: "/run/secrets/db"},
			{Name: "DB_PASSWORD", Value: "${DB_PASSWORD}"},
			{Name: "GITHUB_TOKEN", Value: "ghp_0123456789abcdefghijABCDEFGHIJ012345"},
			{Name: "MYSQL_ROOT_PASSWORD", Value: "hunter2hunter2"},
			{Name: "GPG_PRIVATE", Value: "AKIAIOSFODNN7EXAMPLE"}, // a token shape is reported whatever the name
		},
		Labels: map[string]string{
			"maintainer":                      "NGINX Docker Maintainers <docker-maint@nginx.com>",
			"org.opencontainers.image.source": "https://deploy:pAssw0rd-in-url@git.example.com/repo.git",
			"com.example.api-token":           "s3cr3t-Lab3l-V4lue",
			"com.example.token-ttl":           "3600",
		},
		History: []image.History{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:abc in / "},
			{CreatedBy: "RUN |2 NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789 HTTP_PROXY=http://proxy:3128 /bin/sh -c npm ci # buildkit"},
			{CreatedBy: "|1 DEPLOY_SECRET=build-arg-secret-value /bin/sh -c make"},
			{CreatedBy: "ENV API_SECRET=old-env-secret-value"},
			{CreatedBy: "/bin/sh -c #(nop)  ENV MYSQL_ROOT_PASSWORD=hunter2hunter2"}, // the same as the final ENV: reported there
			{CreatedBy: "ARG SIGNING_SECRET=arg-default-secret", EmptyLayer: true},
			{CreatedBy: "ENV GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305"},
			{CreatedBy: "RUN /bin/sh -c apt-get update # buildkit"},
			{CreatedBy: "ENV DB_PASSWORD=overridden-later"}, // a later ENV replaced it: still in the history
		},
	}}
}

func TestSecretInConfig(t *testing.T) {
	r := run(t, nil, imgObj(secretImage()))
	eq(t, "paths", r.FailedOf(CtlSecretConfig), []string{
		"Image/app config.env[10]",
		"Image/app config.env[8]",
		"Image/app config.env[9]",
		"Image/app config.history[1].NPM_TOKEN",
		"Image/app config.history[2].DEPLOY_SECRET",
		"Image/app config.history[3].API_SECRET",
		"Image/app config.history[5].SIGNING_SECRET",
		"Image/app config.history[8].DB_PASSWORD",
		`Image/app config.labels["com.example.api-token"]`,
		`Image/app config.labels["org.opencontainers.image.source"]`,
	})
	eq(t, "messages", r.Messages(CtlSecretConfig), []string{
		"ENV GITHUB_TOKEN holds a literal credential (the value looks like a GitHub token; value ****(redacted, 40 chars))",
		"ENV MYSQL_ROOT_PASSWORD holds a literal credential (the name suggests a credential and the value is a literal; value ****(redacted, 14 chars))",
		"ENV GPG_PRIVATE holds a literal credential (the value looks like an AWS access key ID; value ****(redacted, 20 chars))",
		"label com.example.api-token holds a literal credential (the name suggests a credential and the value is a literal; value ****(redacted, 18 chars))",
		"label org.opencontainers.image.source holds a literal credential (the value looks like a URL with an embedded user:password; value ****(redacted, 55 chars))",
		"history entry 2 records build argument NPM_TOKEN with a literal credential (the value looks like an npm access token; value ****(redacted, 40 chars))",
		"history entry 3 records build argument DEPLOY_SECRET with a literal credential (the name suggests a credential and the value is a literal; value ****(redacted, 22 chars))",
		"history entry 4 records ENV API_SECRET with a literal credential (the name suggests a credential and the value is a literal; value ****(redacted, 20 chars))",
		"history entry 6 records ARG SIGNING_SECRET with a literal credential (the name suggests a credential and the value is a literal; value ****(redacted, 18 chars))",
		"history entry 9 records ENV DB_PASSWORD with a literal credential (the name suggests a credential and the value is a literal; value ****(redacted, 16 chars))",
	})
}

// No message of any control ever contains a secret value (or a long part of one).
func TestSecretValuesNeverInMessages(t *testing.T) {
	img := secretImage()
	img.Secrets = []image.SecretFile{{Path: "/root/.npmrc", Kind: "npm credentials", Layer: "sha256:1"}}
	r := run(t, nil, imgObj(img))
	if len(r.Findings) < 9 {
		t.Fatalf("only %d findings: the test would prove nothing", len(r.Findings))
	}
	for _, f := range r.Findings {
		for _, v := range secretValues {
			for i := 0; i+8 <= len(v); i++ {
				if strings.Contains(f.Message, v[i:i+8]) {
					t.Errorf("%s message %q contains part of the secret %q", f.ControlID, f.Message, v[i:i+8])
					break
				}
			}
		}
	}
}

func TestHistoryVars(t *testing.T) {
	for _, tc := range []struct {
		in   string
		what string
		vars string
	}{
		{"RUN |2 A=1 B=two /bin/sh -c make # buildkit", "build argument", "A=1 B=two"},
		{"|1 TOKEN=x /bin/sh -c make", "build argument", "TOKEN=x"},
		{"|0 /bin/sh -c make", "", ""},
		{"|3 A=1 /bin/sh", "", ""}, // fewer fields than announced
		{"|x A=1 /bin/sh", "", ""}, // not a count
		{"|", "", ""},              // nothing
		{"RUN |1 =v /bin/sh", "build argument", ""},
		{"ENV A=1 B=\"two words\" C='x y' D=a\\ b", "ENV", "A=1 B=two words C=x y D=a b"},
		{"/bin/sh -c #(nop)  ENV PASSWORD=abc", "ENV", "PASSWORD=abc"},
		{"/bin/sh -c #(nop)  ENV PASSWORD abc def", "ENV", "PASSWORD=abc def"},
		{"ENV PASSWORD \"quoted value\"", "ENV", "PASSWORD=quoted value"},
		{"ARG TOKEN=abc", "ARG", "TOKEN=abc"},
		{"ARG TOKEN", "ARG", ""},
		{"/bin/sh -c #(nop) ARG VERSION=1", "ARG", "VERSION=1"},
		{"RUN /bin/sh -c echo TOKEN=abc", "", ""},
		{"COPY . /app", "", ""},
		{"", "", ""},
	} {
		what, vars := historyVars(tc.in)
		var got []string
		for _, v := range vars {
			got = append(got, v.name+"="+v.value)
		}
		if what != tc.what || strings.Join(got, " ") != tc.vars {
			t.Errorf("historyVars(%q) = %q %q, want %q %q", tc.in, what, strings.Join(got, " "), tc.what, tc.vars)
		}
	}
}

func TestFingerprints(t *testing.T) {
	for v, want := range map[string]bool{
		"7169605F62C751356D054A26A821E680E5FA6305": true,
		"0x7169605F62C75135":                       true,
		"39B641343D8C104B2B146DC3F9C39DC0B9698544 E60913E4DF209907D8E30D96659A97C9CF2A795A": true,
		"39B641343D8C104B2B146DC3F9C39DC0B9698544,E60913E4DF209907D8E30D96659A97C9CF2A795A": true,
		"7169605F62C751356D054A26A821E680E5FA630":                                           false, // 39 digits
		"7169605F62C751356D054A26A821E680E5FA630G":                                          false,
		"":               false,
		"hunter2hunter2": false,
		"8fb5f9fbc7609fa822cb31549884575db7fd9657cbffb89510b5d7975963a83a":                            false, // 64: a digest or a key
		"-----BEGIN PGP PRIVATE KEY BLOCK-----":                                                       false,
		fmt.Sprintf("%s %s", strings.Repeat("a", 40), "secret"):                                       false,
		strings.Join(slices.Repeat([]string{"0123456789ABCDEF0123456789ABCDEF01234567"}, 3), " "):     true,
		strings.Join(slices.Repeat([]string{"0123456789ABCDEF0123456789ABCDEF01234567"}, 3), " ; x "): false,
	} {
		if got := fingerprints(v); got != want {
			t.Errorf("fingerprints(%q) = %v, want %v", v, got, want)
		}
	}
	// A GPG-named variable with something else than fingerprints is still judged.
	if _, ok := configCredential("GPG_PASSPHRASE", "hunter2hunter2"); !ok {
		t.Error("GPG_PASSPHRASE with a literal is not reported")
	}
	if _, ok := configCredential("GPG_KEY", "7169605F62C751356D054A26A821E680E5FA6305"); ok {
		t.Error("GPG_KEY with a fingerprint is reported")
	}
}
