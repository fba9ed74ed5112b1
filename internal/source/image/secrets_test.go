package image

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/image/imagetest"
)

// Key material of the fixtures: none of it may appear in what kube4c outputs.
const (
	rsaBody    = "MIIEowIBAAKCAQEAx1ZaSecretRsaKeyMaterialDoNotLeak0123456789abcdefABCDEF"
	opensshKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n" +
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQSecretOpenSSHMaterialDoNotLeak\n" +
		"-----END OPENSSH PRIVATE KEY-----\n"
	awsSecretValue = "wJalrXUtnFEMIK7MDENGbPxRfiCYSecretAwsValue01"
	npmTokenValue  = "npm_SecretNpmTokenValueDoNotLeak0123456789"
	pypiPassword   = "SecretPypiPasswordDoNotLeak"
	dockerAuthB64  = "dXNlcjpTZWNyZXREb2NrZXJQYXNzd29yZERvTm90TGVhaw=="
	kubeKeyData    = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpTZWNyZXRLdWJlS2V5"
	gitPassword    = "SecretGitPasswordDoNotLeak"
	gcpKeyBody     = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCSecretGcpMaterial"
)

var rsaKey = "-----BEGIN RSA PRIVATE KEY-----\n" + rsaBody + "\n" + rsaBody + "\n-----END RSA PRIVATE KEY-----\n"

var leaks = []string{rsaBody, "SecretOpenSSHMaterialDoNotLeak", awsSecretValue, npmTokenValue, pypiPassword,
	dockerAuthB64, kubeKeyData, gitPassword, "SecretGcpMaterial"}

func TestSecrets(t *testing.T) {
	l1 := imagetest.Layer(t,
		imagetest.Reg("root/.ssh/id_rsa", rsaKey),
		imagetest.Reg("etc/ssh/ssh_host_ed25519_key", "# host key\n"+opensshKey),
		imagetest.Reg("build/deploy.pem", "-----BEGIN PRIVATE KEY-----\n"+rsaBody+"\n-----END PRIVATE KEY-----\n"),
	)
	l2 := imagetest.Layer(t,
		imagetest.Whiteout("build/deploy.pem"), // deleted, but still in layer 1
		imagetest.Reg("root/.aws/credentials", "[default]\naws_access_key_id = AKIAIOSFODNN7SECRET00\naws_secret_access_key = "+awsSecretValue+"\n"),
		imagetest.Reg("app/sa.json", `{"type": "service_account", "project_id": "p",
  "private_key": "-----BEGIN PRIVATE KEY-----\n`+gcpKeyBody+`\n-----END PRIVATE KEY-----\n", "client_email": "a@p.iam.gserviceaccount.com"}`),
		imagetest.Reg("root/.docker/config.json", `{"auths": {"registry.example": {"auth": "`+dockerAuthB64+`"}}}`),
		imagetest.Reg("root/.git-credentials", "https://bot:"+gitPassword+"@github.com\n"),
		imagetest.Reg("app/.npmrc", "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken="+npmTokenValue+"\n"),
		imagetest.Reg("root/.pypirc", "[pypi]\nusername = __token__\npassword = "+pypiPassword+"\n"),
		imagetest.Reg("root/.kube/config", "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: Y2VydA==\n    client-key-data: "+kubeKeyData+"\n"),
	)
	// Not secrets.
	l3 := imagetest.Layer(t,
		imagetest.Reg("usr/share/doc/openssl/example.key", rsaKey),
		imagetest.Reg("usr/lib/python3.12/test/keycert.pem", rsaKey),
		imagetest.Reg("etc/ssl/certs/ca.pem", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"),
		imagetest.Reg("usr/lib/python3/dist-packages/paramiko/rsakey.py", "PEM = '-----BEGIN RSA PRIVATE KEY-----'\n"+
			"-----BEGIN RSA PRIVATE KEY-----\n...\n"),
		imagetest.Reg("srv/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
		imagetest.Reg("srv/aws.md", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
		imagetest.Reg("srv/.docker/config.json", `{"auths": {}, "credsStore": "desktop"}`),
	)
	src := imagetest.Image(t, imagetest.Config{}, l1, l2, l3)
	layers := imagetest.LayerDigests(t, src)
	got, probs := read(t, Spec{Layout: writeLayout(t, src)}, Options{})
	if len(probs) > 0 {
		t.Errorf("problems %v", probs)
	}
	want := []image.SecretFile{
		{Path: "/app/.npmrc", Kind: KindNPM, Line: 2, Layer: layers[1]},
		{Path: "/app/sa.json", Kind: KindGCPServiceAccount, Line: 2, Layer: layers[1]},
		{Path: "/build/deploy.pem", Kind: KindPrivateKey, Line: 1, Layer: layers[0], Deleted: true},
		{Path: "/etc/ssh/ssh_host_ed25519_key", Kind: KindOpenSSHPrivateKey, Line: 2, Layer: layers[0]},
		{Path: "/root/.aws/credentials", Kind: KindAWS, Line: 3, Layer: layers[1]},
		{Path: "/root/.docker/config.json", Kind: KindDocker, Line: 1, Layer: layers[1]},
		{Path: "/root/.git-credentials", Kind: KindGit, Line: 1, Layer: layers[1]},
		{Path: "/root/.kube/config", Kind: KindKubeconfig, Line: 7, Layer: layers[1]},
		{Path: "/root/.pypirc", Kind: KindPyPI, Line: 3, Layer: layers[1]},
		{Path: "/root/.ssh/id_rsa", Kind: KindRSAPrivateKey, Line: 1, Layer: layers[0]},
	}
	if !slices.Equal(got.Secrets, want) {
		t.Errorf("secrets\n got %+v\nwant %+v", got.Secrets, want)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaks {
		if strings.Contains(string(b), l) {
			t.Errorf("secret material %q is in the image's JSON", l)
		}
	}
}

func TestSecretRewrittenInLaterLayer(t *testing.T) {
	// `RUN chmod 600 /root/.ssh/id_rsa` copies the file into a new layer: one record, the final one.
	src := imagetest.Image(t, imagetest.Config{},
		imagetest.Layer(t, imagetest.Reg("root/.ssh/id_rsa", rsaKey)),
		imagetest.Layer(t, imagetest.File{Path: "root/.ssh/id_rsa", Content: []byte(rsaKey), Mode: 0o600}),
		imagetest.Layer(t, imagetest.Reg("root/.ssh/old", rsaKey)),
		imagetest.Layer(t, imagetest.Reg("root/.ssh/old", "replaced\n")),
	)
	layers := imagetest.LayerDigests(t, src)
	got, _ := read(t, Spec{Layout: writeLayout(t, src)}, Options{})
	want := []image.SecretFile{
		{Path: "/root/.ssh/id_rsa", Kind: KindRSAPrivateKey, Line: 1, Layer: layers[1]},
		{Path: "/root/.ssh/old", Kind: KindRSAPrivateKey, Line: 1, Layer: layers[2], Deleted: true},
	}
	if !slices.Equal(got.Secrets, want) {
		t.Errorf("secrets\n got %+v\nwant %+v", got.Secrets, want)
	}
}

func TestFindSecretsNegative(t *testing.T) {
	for name, tc := range map[string]struct{ path, content string }{
		"marker in code":       {"usr/lib/go/x.go", `const begin = "-----BEGIN RSA PRIVATE KEY-----"` + "\n"},
		"marker without body":  {"etc/x", "-----BEGIN PRIVATE KEY-----\n\n"},
		"public key":           {"etc/x.pub", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"},
		"aws variable":         {"app/x.py", "aws_secret_access_key = aws_secret_access_key\n"},
		"aws example":          {"app/x.txt", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		"pypirc placeholder":   {"root/.pypirc", "[pypi]\npassword = <your token>\n"},
		"docker without auths": {"root/.docker/config.json", `{"credHelpers": {"gcr.io": "gcloud"}}`},
		"json not a key":       {"app/x.json", `{"type": "service_account", "private_key": ""}`},
		"token not kubeconfig": {"app/settings.yaml", "users:\n  token: abcdefghijklmnopqrstuvwxyz\n"},
		"kubeconfig empty":     {"root/.kube/config", "users:\n- user:\n    token: \n"},
	} {
		if hits := findSecrets(tc.path, []byte(tc.content)); len(hits) != 0 {
			t.Errorf("%s: %+v", name, hits)
		}
	}
	if hits := findSecrets("root/.kube/config", []byte("users:\n- name: a\n  user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6Ij\n")); len(hits) != 1 || hits[0].kind != KindKubeconfig || hits[0].line != 4 {
		t.Errorf("kubeconfig token: %+v", hits)
	}
	if hits := findSecrets("home/u/.dockercfg", []byte(`{"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz", "email": "u@x"}}`)); len(hits) != 1 || hits[0].kind != KindDocker {
		t.Errorf(".dockercfg: %+v", hits)
	}
	if hits := findSecrets("k/enc.key", []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123\n\n"+rsaBody+"\n")); len(hits) != 1 || hits[0].kind != KindRSAPrivateKey {
		t.Errorf("encrypted PEM: %+v", hits)
	}
}

func TestSkipSecrets(t *testing.T) {
	for p, want := range map[string]bool{
		"usr/share/doc/x/key.pem":                          true,
		"etc/ssl/certs/ca-certificates.crt":                true,
		"usr/lib/python3.11/test/certdata/keycert.pem":     true,
		"usr/local/lib/python3.12/test/keycert.pem":        true,
		"usr/local/go/src/crypto/tls/testdata/example.key": true,
		"usr/lib/python3/dist-packages/app/key.pem":        false,
		"root/.ssh/id_rsa":                                 false,
		"usr/local/go/src/crypto/tls/key.go":               false,
	} {
		if got := skipSecrets(p); got != want {
			t.Errorf("skipSecrets(%q) = %v, want %v", p, got, want)
		}
	}
}
