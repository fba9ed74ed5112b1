package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// maxKeyFile bounds what LoadKey reads: a PEM public key is well under 4 KiB (RSA 4096: 800 bytes).
const maxKeyFile = 64 << 10

// Key is a public key signatures are verified with.
type Key struct {
	// Name names the key in results (image.Signature.Key): the file it was read from.
	Name string
	// Public is the key: *ecdsa.PublicKey, *rsa.PublicKey or ed25519.PublicKey.
	Public crypto.PublicKey
	// verifiers are tried in order: SHA-256 first (what cosign signs with for every key type),
	// then the key's Sigstore default algorithm when it hashes differently (ECDSA P-384 with
	// SHA-384, P-521 with SHA-512).
	verifiers []sigsig.Verifier
}

// LoadKey reads a PEM public key, as `cosign generate-key-pair` writes cosign.pub (ECDSA P-256);
// RSA (2048 bits or more) and Ed25519 PKIX keys, and PKCS #1 RSA public keys, are accepted too.
// A private key, a certificate, several keys or anything else is refused with an error that says
// what the file holds instead.
func LoadKey(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxKeyFile+1)); err != nil {
		return nil, fmt.Errorf("reading public key %s: %w", path, err)
	}
	if buf.Len() > maxKeyFile {
		return nil, fmt.Errorf("public key %s: more than %d KiB, not a PEM public key", path, maxKeyFile>>10)
	}
	return ParseKey(buf.Bytes(), path)
}

// ParseKey parses a PEM public key (see LoadKey); name names it in errors and results.
func ParseKey(pemBytes []byte, name string) (*Key, error) {
	var keys []*pem.Block
	rest := pemBytes
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case strings.Contains(b.Type, "PRIVATE KEY"):
			// ENCRYPTED SIGSTORE PRIVATE KEY (cosign.key), ENCRYPTED COSIGN PRIVATE KEY (older
			// cosign), PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY, OPENSSH PRIVATE KEY.
			return nil, fmt.Errorf("public key %s: holds a private key (%s); give the public key (cosign.pub, not cosign.key): verification never needs the private key, keep it secret", name, b.Type)
		case b.Type == "CERTIFICATE":
			return nil, fmt.Errorf("public key %s: holds a certificate, not a public key; kube4c verifies with a public key only (keyless, certificate-based signatures need Fulcio and Rekor, which offline verification does not use). Extract a long-lived key with 'openssl x509 -pubkey -noout'", name)
		case b.Type == "PUBLIC KEY" || b.Type == "RSA PUBLIC KEY":
			keys = append(keys, b)
		default:
			return nil, fmt.Errorf("public key %s: PEM block %q is not a public key (want \"PUBLIC KEY\", as in cosign.pub)", name, b.Type)
		}
	}
	switch len(keys) {
	case 0:
		if len(bytes.TrimSpace(pemBytes)) == 0 {
			return nil, fmt.Errorf("public key %s: file is empty", name)
		}
		return nil, fmt.Errorf("public key %s: no PEM block found (want a \"-----BEGIN PUBLIC KEY-----\" block, as cosign.pub holds)", name)
	case 1:
	default:
		return nil, fmt.Errorf("public key %s: holds %d public keys; give one key per file", name, len(keys))
	}
	b := keys[0]
	var pub crypto.PublicKey
	var err error
	if b.Type == "RSA PUBLIC KEY" {
		pub, err = x509.ParsePKCS1PublicKey(b.Bytes)
	} else {
		pub, err = x509.ParsePKIXPublicKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("public key %s: not a valid %s: %w", name, b.Type, err)
	}
	return NewKey(pub, name)
}

// NewKey wraps a public key (ECDSA P-256, P-384 or P-521, RSA of 2048 bits or more, Ed25519).
func NewKey(pub crypto.PublicKey, name string) (*Key, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return nil, fmt.Errorf("public key %s: empty ECDSA key", name)
		}
		if c := k.Curve; c != elliptic.P256() && c != elliptic.P384() && c != elliptic.P521() {
			return nil, fmt.Errorf("public key %s: ECDSA curve %s is not supported (want P-256, P-384 or P-521)", name, c.Params().Name)
		}
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return nil, fmt.Errorf("public key %s: empty RSA key", name)
		}
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("public key %s: RSA key of %d bits is too weak (want 2048 bits or more)", name, k.N.BitLen())
		}
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public key %s: Ed25519 key of %d bytes (want %d)", name, len(k), ed25519.PublicKeySize)
		}
	default:
		return nil, fmt.Errorf("public key %s: key type %T is not supported (want ECDSA, RSA or Ed25519)", name, pub)
	}
	v, err := sigsig.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	key := &Key{Name: name, Public: pub, verifiers: []sigsig.Verifier{v}}
	if def, err := sigsig.GetDefaultAlgorithmDetails(pub); err == nil {
		if h := def.GetHashType(); h != crypto.SHA256 && h != crypto.Hash(0) {
			if v2, err := sigsig.LoadVerifier(pub, h); err == nil {
				key.verifiers = append(key.verifiers, v2)
			}
		}
	}
	return key, nil
}

// verifySignature reports whether sig is a signature of message with the key, with any of its
// verifiers.
func (k *Key) verifySignature(sig, message []byte) error {
	if k == nil || len(k.verifiers) == 0 {
		return errors.New("no public key")
	}
	var err error
	for _, v := range k.verifiers {
		if err = v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(message)); err == nil {
			return nil
		}
	}
	return err
}
