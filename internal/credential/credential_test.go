package credential

import (
	"strings"
	"testing"
)

// Fake token values are assembled at run time so that secret scanners do not flag this file.
var (
	fakeGitHub    = "ghp" + "_" + strings.Repeat("aB3", 12)
	fakeGitHubPAT = "github" + "_pat_" + strings.Repeat("A1b_", 20)
	fakeGitLab    = "glpat" + "-" + strings.Repeat("x9", 10)
	fakeSlack     = "xox" + "b-1234567890-abcdefghij"
	fakeSlackHook = "https://hooks.slack.com/services/" + "T0000/B0000/" + strings.Repeat("Z", 24)
	fakeAWS       = "AKIA" + "IOSFODNN7EXAMPLE"
	fakeAWSTemp   = "ASIA" + "IOSFODNN7EXAMPLE"
	fakeGoogle    = "AIza" + strings.Repeat("Sy0", 11) + "ab"
	fakeStripe    = "sk" + "_live_" + strings.Repeat("4eC39HqLyjWDarjtT1zdp7dc", 1)
	fakeNPM       = "npm" + "_" + strings.Repeat("a1B2", 9)
	fakeJWT       = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0" + "." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	fakePEM       = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
	fakePEMOpen   = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n"
	fakePEMPlain  = "-----BEGIN " + "PRIVATE KEY-----\nMIIE\n"
	fakeEntropy   = "q8Zr2Lx0Vb7Nf4Tk1Hs9Dw3Jp6Yc5Gm"
)

func TestSuspiciousName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		// true positives
		{"PASSWORD", true},
		{"DB_PASSWORD", true},
		{"MYSQL_ROOT_PASSWORD", true},
		{"db-password", true},
		{"db.password", true},
		{"dbPassword", true},
		{"DBPASSWORD", true},
		{"postgres_passwd", true},
		{"SMTP_PASS", true},
		{"DB_PWD", true},
		{"GPG_PASSPHRASE", true},
		{"SECRET", true},
		{"JWT_SECRET", true},
		{"NEXTAUTH_SECRET", true},
		{"clientSecret", true},
		{"OAUTH_CLIENT_SECRET", true},
		{"GITHUB_TOKEN", true},
		{"accessToken", true},
		{"refresh-token", true},
		{"API_KEY", true},
		{"apiKey", true},
		{"APIKEY", true},
		{"X-API-KEY", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"aws_access_key", true},
		{"PRIVATE_KEY", true},
		{"SSH_KEY", true},
		{"tls.key", true},
		{"ENCRYPTION_KEY", true},
		{"SECRET_KEY_BASE", true},
		{"PASSWORD_2", true},
		{"password.txt", true},
		{"CREDENTIALS", true},
		{"GOOGLE_CREDENTIALS", true},
		{"creds", true},
		{"CONNECTION_STRING", true},
		{"AzureWebJobsStorage_ConnectionString", true},
		{"DB_CONN_STR", true},
		{"connstr", true},
		{".dockerconfigjson", true},
		{"htpasswd", true},
		{"BASIC_AUTH", true},
		{"AUTH", true},
		{"Authorization", true},
		{"SECRET_VALUE", true},
		// false positives avoided
		{"", false},
		{"PWD", false},
		{"PASS", false},
		{"BYPASS", false},
		{"TOKEN_TTL", false},
		{"tokenTTL", false},
		{"TOKEN_EXPIRY", false},
		{"TOKEN_URL", false},
		{"TOKEN_ENDPOINT", false},
		{"TOKEN_AUDIENCE", false},
		{"PASSWORD_FILE", false},
		{"DB_PASSWORD_FILE", false},
		{"PASSWORD_MIN_LENGTH", false},
		{"SECRET_NAME", false},
		{"passwordSecretRef", false},
		{"secretKeyRef", false},
		{"AUTH_URL", false},
		{"AUTH_ENABLED", false},
		{"AUTH_MODE", false},
		{"NO_AUTH", false},
		{"MAX_TOKENS", false},
		{"NUM_TOKENS", false},
		{"maxtokens", false},
		{"TOKENIZER_PATH", false},
		{"AWS_ACCESS_KEY_ID", false},
		{"CLIENT_ID", false},
		{"KEY", false},
		{"CACHE_KEY", false},
		{"PRIMARY_KEY_COLUMN", false},
		{"DATABASE_URL", false},
		{"USERNAME", false},
		{"tls.crt", false},
		{"secrets.yaml.template", false},
		{"SSL_PASSTHROUGH", false},
	}
	for _, tt := range tests {
		if got := SuspiciousName(tt.name); got != tt.want {
			t.Errorf("SuspiciousName(%q) = %v, want %v (words %q)", tt.name, got, tt.want, words(tt.name))
		}
	}
}

func TestWords(t *testing.T) {
	tests := map[string]string{
		"dbPassword":          "db password",
		"APIKey_2":            "api key 2",
		"AWS_SECRET_ACCESS":   "aws secret access",
		"x-api-key":           "x api key",
		"tls.key":             "tls key",
		"OAuth2ClientSecret":  "o auth 2 client secret",
		"  spaces  and/slash": "spaces and slash",
		"":                    "",
	}
	for in, want := range tests {
		if got := strings.Join(words(in), " "); got != want {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSuspiciousValue(t *testing.T) {
	tests := []struct {
		value string
		kind  string // "" when not suspicious
	}{
		{fakeAWS, KindAWSAccessKeyID},
		{"aws_access_key_id = " + fakeAWSTemp, KindAWSAccessKeyID},
		{fakeGitHub, KindGitHubToken},
		{"token " + fakeGitHubPAT, KindGitHubToken},
		{fakeGitLab, KindGitLabToken},
		{fakeSlack, KindSlackToken},
		{fakeSlackHook, KindSlackWebhook},
		{fakePEM, KindPrivateKey},
		{fakePEMOpen, KindPrivateKey},
		{fakePEMPlain, KindPrivateKey},
		{fakeJWT, KindJWT},
		{"Bearer " + fakeJWT, KindJWT},
		{fakeGoogle, KindGoogleAPIKey},
		{fakeStripe, KindStripeKey},
		{fakeNPM, KindNPMToken},
		{"postgres://app:s3cr3t@db.example.com:5432/app", KindURLCredentials},
		{"redis://:hunter22@redis:6379/0", KindURLCredentials},
		{"amqp://guest:guest@rabbitmq:5672/", KindURLCredentials},
		{"https://api.example.com/v1?access_token=abc123def", KindURLQueryCredential},
		{"https://x.blob.core.windows.net/c?sv=2020&sig=zzz&api_key=k3y", KindURLQueryCredential},
		{"spring.datasource.password=hunter2\nspring.datasource.username=app\n", KindAssignment},
		{"db:\n  host: db\n  password: hunter2\n", KindAssignment},
		{`{"client_secret": "abc123xyz", "client_id": "x"}`, KindAssignment},
		{"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6;EndpointSuffix=core.windows.net", KindAssignment},
		{"Server=db;Database=app;User Id=sa;Password=P@ssw0rd;", KindAssignment},
		{"-Xmx1g -Dspring.datasource.password=hunter2", KindAssignment},
		{"export API_TOKEN='abcdef123'", KindAssignment},
		// not suspicious
		{"", ""},
		{"hello world", ""},
		{"AKIA", ""},
		{"XAKIAIOSFODNN7EXAMPLEX", ""},
		{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", ""},
		{"-----BEGIN PUBLIC KEY-----\nMIIB\n", ""},
		{"postgres://db.example.com:5432/app", ""},
		{"postgres://app:${DB_PASSWORD}@db:5432/app", ""},
		{"postgres://app:$(DB_PASSWORD)@db:5432/app", ""},
		{"https://user@example.com/", ""},
		{"https://example.com/callback?redirect=/home&state=abc", ""},
		{"https://example.com/?token=", ""},
		{"password: ${DB_PASSWORD}\n", ""},
		{"connectors:\n- config:\n    clientSecret: $dex.github.clientSecret\n", ""},
		{"[security]\nadmin_password = $__file{/etc/secrets/admin}\n", ""},
		{"[security]\nadmin_password = admin123\n", KindAssignment},
		{"password: {{ .Values.password }}\n", ""},
		{"password: |\n  indented\n", ""},
		{"password:\n", ""},
		{"password_file: /run/secrets/db\n", ""},
		{"passwordSecretRef: db-secret\n", ""},
		{"secretName: tls-cert\n", ""},
		{"token_ttl: 3600\n", ""},
		{"auth: true\n", ""},
		{"eyJhbGciOiJIUzI1NiJ9..c2ln", ""}, // detached JWS (bootstrap signatures)
		{"sha256:" + strings.Repeat("ab12", 16), ""},
		{"image: nginx:1.27\nreplicas: 3\n", ""},
	}
	for _, tt := range tests {
		kind, ok := SuspiciousValue(tt.value)
		if ok != (tt.kind != "") || kind != tt.kind {
			t.Errorf("SuspiciousValue(%q) = %q, %v; want %q", tt.value, kind, ok, tt.kind)
		}
	}
}

func TestLooksLikeCredential(t *testing.T) {
	tests := []struct {
		name, value string
		reason      string // "" when not a credential
	}{
		// the value decides
		{"GITHUB", fakeGitHub, ValueReason(KindGitHubToken)},
		{"FOO", fakeAWS, ValueReason(KindAWSAccessKeyID)},
		{"DATABASE_URL", "postgres://app:s3cr3t@db/app", ValueReason(KindURLCredentials)},
		{"application.properties", "server.port=8080\nspring.datasource.password=hunter2\n", ValueReason(KindAssignment)},
		{"PASSWORD_FILE", fakePEM, ValueReason(KindPrivateKey)},
		// name + literal
		{"DB_PASSWORD", "hunter2", ReasonNameLiteral},
		{"DB_PASSWORD", "  hunter2  ", ReasonNameLiteral},
		{"DB_PASSWORD", "changeme", ReasonNameLiteral},
		{"ADMIN_PASSWORD", "admin", ReasonNameLiteral},
		{"API_KEY", "abc", ReasonNameLiteral},
		{"JWT_SECRET", "my super secret phrase", ReasonNameLiteral},
		{"PIN_PASSWORD", "123456", ReasonNameLiteral},
		{"SESSION_SECRET", "!Passw0rd", ReasonNameLiteral},
		// auth names need a credential-looking value
		{"BASIC_AUTH", "admin:hunter2", ReasonAuthValue},
		{"AUTHORIZATION", "Basic YWRtaW46aHVudGVyMg==", ReasonAuthValue},
		{"AUTH", fakeEntropy, ReasonAuthValue},
		{"AUTH", "basic", ""},
		{"AUTH", "oauth2", ""},
		{"AUTHORIZATION", "Bearer ", ""},
		{"AUTH", "https://auth.example.com", ""},
		// generic key names need a high-entropy value
		{"STORAGE_KEY", "s3cr3t", ReasonNameLiteral},
		{"PARTITION_KEY", fakeEntropy, ReasonKeyEntropy},
		{"PARTITION_KEY", "tenant-id", ""},
		{"KEY", fakeEntropy, ReasonKeyEntropy},
		{"CACHE_KEY", "user-sessions", ""},
		{"KEY", "0123456789", ""},
		// not literal: placeholders, references, flags
		{"DB_PASSWORD", "", ""},
		{"DB_PASSWORD", "   ", ""},
		{"DB_PASSWORD", "ab", ""},
		{"DB_PASSWORD", "<your-password>", ""},
		{"DB_PASSWORD", "${DB_PASSWORD}", ""},
		{"DB_PASSWORD", "$(DB_PASSWORD)", ""},
		{"DB_PASSWORD", "$DB_PASSWORD", ""},
		{"DB_PASSWORD", "%DB_PASSWORD%", ""},
		{"clientSecret", "$dex.github.clientSecret", ""},
		{"clientSecret", "$oidc-secret:clientSecret", ""},
		{"admin_password", "$__file{/etc/secrets/admin}", ""},
		{"DB_PASSWORD", "$ecretPassw0rd with space", ReasonNameLiteral},
		{"DB_PASSWORD", "{{ .Values.db.password }}", ""},
		{"DB_PASSWORD", "#{dbPassword}", ""},
		{"DB_PASSWORD", "********", ""},
		{"DB_PASSWORD", "xxxxxx", ""},
		{"DB_PASSWORD", "vault:secret/data/db#password", ""},
		{"DB_PASSWORD", "ref+awssecrets://db/password", ""},
		{"DB_PASSWORD", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", ""},
		{"DB_PASSWORD", "op://vault/db/password", ""},
		{"DB_PASSWORD", "projects/p/secrets/db-password/versions/latest", ""},
		{"DB_PASSWORD", "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]", ""},
		{"GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json", ""},
		{"SECRET", "./secret.txt", ""},
		{"TOKEN", "true", ""},
		{"SECRET", "null", ""},
		{"TOKEN", "https://sts.example.com/token", ""},
		// names that are not credentials
		{"TOKEN_TTL", "3600s", ""},
		{"PASSWORD_MIN_LENGTH", "12", ""},
		{"MAX_TOKENS", "4096", ""},
		{"SECRET_NAME", "db-credentials", ""},
		{"USERNAME", "admin", ""},
		{"AWS_ACCESS_KEY_ID", "not-an-aws-key", ""},
		{"LOG_LEVEL", fakeEntropy, ""},
		// multi-line values are judged by content only
		{"secrets.yaml", "password: ${DB_PASSWORD}\nuser: app\n", ""},
		{"password", "line one\nline two\n", ""},
	}
	for _, tt := range tests {
		reason, ok := LooksLikeCredential(tt.name, tt.value)
		if ok != (tt.reason != "") || reason != tt.reason {
			t.Errorf("LooksLikeCredential(%q, %q) = %q, %v; want %q", tt.name, tt.value, reason, ok, tt.reason)
		}
		if strings.TrimSpace(tt.value) != "" && strings.Contains(reason, strings.TrimSpace(tt.value)) {
			t.Errorf("reason %q leaks the value", reason)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"":             "****(redacted, 0 chars)",
		"x":            "****(redacted, 1 char)",
		"hunter2":      "****(redacted, 7 chars)",
		"pässwörd":     "****(redacted, 8 chars)",
		fakeGitHub:     "****(redacted, 40 chars)",
		fakeAWS:        "****(redacted, 20 chars)",
		fakePEMPlain:   "****(redacted, 33 chars)",
		"\x00\xff\xfe": "****(redacted, 3 chars)",
	}
	for in, want := range tests {
		got := Redact(in)
		if got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
		if len(in) >= 4 && strings.Contains(got, in[:4]) {
			t.Errorf("Redact(%q) = %q leaks a prefix", in, got)
		}
	}
}

func TestEntropy(t *testing.T) {
	if e := Entropy(""); e != 0 {
		t.Errorf("Entropy(\"\") = %v", e)
	}
	if e := Entropy("aaaa"); e != 0 {
		t.Errorf("Entropy(aaaa) = %v", e)
	}
	if e := Entropy("abcd"); e != 2 {
		t.Errorf("Entropy(abcd) = %v, want 2", e)
	}
	if !HighEntropy(fakeEntropy) {
		t.Errorf("HighEntropy(%q) = false (entropy %.2f)", fakeEntropy, Entropy(fakeEntropy))
	}
	for _, v := range []string{"short1", "my-storage-account-key", "aaaaaaaaaaaaaaaa1111", "with space 123456789abc"} {
		if HighEntropy(v) {
			t.Errorf("HighEntropy(%q) = true", v)
		}
	}
}
