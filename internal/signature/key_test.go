package signature

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pemOf(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkix(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseKeyAccepts(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name      string
		pem       []byte
		verifiers int
	}{
		{"ecdsa-p256 (cosign.pub)", pemOf(t, "PUBLIC KEY", pkix(t, ec.Public())), 1},
		{"ecdsa-p384 (SHA-256 and SHA-384)", pemOf(t, "PUBLIC KEY", pkix(t, ec384.Public())), 2},
		{"rsa-2048 pkix", pemOf(t, "PUBLIC KEY", pkix(t, rk.Public())), 1},
		{"rsa-2048 pkcs1", pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rk.PublicKey)), 1},
		{"ed25519", pemOf(t, "PUBLIC KEY", pkix(t, edPub)), 1},
		{"text around the block", append([]byte("comment line\n"), pemOf(t, "PUBLIC KEY", pkix(t, ec.Public()))...), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey(tc.pem, "k.pub")
			if err != nil {
				t.Fatal(err)
			}
			if k.Name != "k.pub" || len(k.verifiers) != tc.verifiers {
				t.Fatalf("key %q with %d verifiers, want k.pub with %d", k.Name, len(k.verifiers), tc.verifiers)
			}
		})
	}
}

func TestParseKeyRefuses(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	p8, _ := x509.MarshalPKCS8PrivateKey(ec)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ec.Public(), ec)
	if err != nil {
		t.Fatal(err)
	}
	pub := pemOf(t, "PUBLIC KEY", pkix(t, ec.Public()))
	for _, tc := range []struct {
		name, want string
		pem        []byte
	}{
		{"cosign.key", "holds a private key (ENCRYPTED SIGSTORE PRIVATE KEY)", pemOf(t, "ENCRYPTED SIGSTORE PRIVATE KEY", []byte("x"))},
		{"ec private key", "holds a private key (EC PRIVATE KEY)", pemOf(t, "EC PRIVATE KEY", ecDER)},
		{"pkcs8 private key with the public key", "holds a private key", append(append([]byte{}, pub...), pemOf(t, "PRIVATE KEY", p8)...)},
		{"certificate", "holds a certificate", pemOf(t, "CERTIFICATE", cert)},
		{"garbage", "no PEM block found", []byte("not a key at all")},
		{"empty", "file is empty", []byte("\n")},
		{"two keys", "holds 2 public keys", append(append([]byte{}, pub...), pub...)},
		{"other block", `PEM block "OPENSSH THING" is not a public key`, pemOf(t, "OPENSSH THING", []byte("x"))},
		{"broken DER", "not a valid PUBLIC KEY", pemOf(t, "PUBLIC KEY", []byte("garbage"))},
		{"rsa-1024", "too weak", pemOf(t, "PUBLIC KEY", pkix(t, small.Public()))},
		{"p-224", "curve P-224 is not supported", pemOf(t, "PUBLIC KEY", pkix(t, p224.Public()))},
		{"x25519", "key type *ecdh.PublicKey is not supported", pemOf(t, "PUBLIC KEY", pkix(t, x.PublicKey()))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKey(tc.pem, "k.pub")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "k.pub") {
				t.Fatalf("error %v, want one naming k.pub and containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(p, pemOf(t, "PUBLIC KEY", pkix(t, ec.Public())), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := LoadKey(p)
	if err != nil || k.Name != p {
		t.Fatalf("LoadKey = %v, %v", k, err)
	}
	if _, err := LoadKey(filepath.Join(dir, "missing.pub")); err == nil || !strings.Contains(err.Error(), "missing.pub") {
		t.Fatalf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.pub")
	if err := os.WriteFile(big, make([]byte, maxKeyFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(big); err == nil || !strings.Contains(err.Error(), "not a PEM public key") {
		t.Fatalf("big file: %v", err)
	}
	if _, err := LoadKey(dir); err == nil {
		t.Fatal("a directory loaded as a key")
	}
}
