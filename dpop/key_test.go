package dpop_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/tokenward/tokenward/dpop"
)

func TestNewKeyAlgorithms(t *testing.T) {
	tests := []struct {
		name    string
		signer  crypto.Signer
		alg     string // asked for; "" for NewKey
		wantAlg string
		wantKty string
	}{
		{"P-256", mustEC(t, elliptic.P256()), "", dpop.ES256, "EC"},
		{"P-256 named", mustEC(t, elliptic.P256()), dpop.ES256, dpop.ES256, "EC"},
		{"P-384", mustEC(t, elliptic.P384()), "", dpop.ES384, "EC"},
		{"P-521", mustEC(t, elliptic.P521()), "", dpop.ES512, "EC"},
		{"RSA", rsa2048(), "", dpop.RS256, "RSA"},
		{"RSA PS256", rsa2048(), dpop.PS256, dpop.PS256, "RSA"},
		{"Ed25519", mustEd(t), "", dpop.EdDSA, "OKP"},
		{"opaque P-256 (KMS)", opaque(mustEC(t, elliptic.P256())), "", dpop.ES256, "EC"},
		{"opaque RSA PS256 (KMS)", opaque(rsa2048()), dpop.PS256, dpop.PS256, "RSA"},
		{"opaque Ed25519 (KMS)", opaque(mustEd(t)), "", dpop.EdDSA, "OKP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := dpop.NewKeyAlg(tt.signer, tt.alg)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Algorithm(); got != tt.wantAlg {
				t.Errorf("Algorithm() = %q; want %q", got, tt.wantAlg)
			}
			proof, err := k.Proof("POST", "https://as.example/token", "", "")
			if err != nil {
				t.Fatal(err)
			}
			p := parseProof(t, proof)
			if p.alg != tt.wantAlg {
				t.Errorf("header alg = %q; want %q", p.alg, tt.wantAlg)
			}
			if got := string(p.header["typ"]); got != `"dpop+jwt"` {
				t.Errorf("header typ = %s; want \"dpop+jwt\"", got)
			}
			if len(p.header) != 3 {
				t.Errorf("header has %d members; want typ, alg and jwk only", len(p.header))
			}

			// The thumbprint is go-jose's RFC 7638 thumbprint of the jwk in
			// the header, and of the public key itself.
			for name, jwk := range map[string]*jose.JSONWebKey{
				"header jwk": p.jwk,
				"public key": {Key: tt.signer.Public()},
			} {
				sum, err := jwk.Thumbprint(crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				if want := base64.RawURLEncoding.EncodeToString(sum); k.Thumbprint() != want {
					t.Errorf("Thumbprint() = %q; want go-jose's %q of the %s", k.Thumbprint(), want, name)
				}
			}

			// PublicJWK is the header's jwk, public, of the right type, and a copy.
			pub := k.PublicJWK()
			if !bytes.Equal(pub, p.header["jwk"]) {
				t.Errorf("PublicJWK() = %s; want the header's jwk %s", pub, p.header["jwk"])
			}
			var members map[string]string
			if err := json.Unmarshal(pub, &members); err != nil {
				t.Fatal(err)
			}
			if members["kty"] != tt.wantKty || members["d"] != "" {
				t.Errorf("PublicJWK() = %s; want kty %s and no private member", pub, tt.wantKty)
			}
			pub[0] = 'X'
			if k.PublicJWK()[0] != '{' {
				t.Error("PublicJWK() returned the key's own slice")
			}
			if !reflect.DeepEqual(k.Signer(), tt.signer) {
				t.Error("Signer() is not the signer NewKey was given")
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	k1, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if got := k1.Algorithm(); got != dpop.ES256 {
		t.Errorf("Algorithm() = %q; want ES256", got)
	}
	priv, ok := k1.Signer().(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		t.Errorf("Signer() = %T; want a P-256 *ecdsa.PrivateKey", k1.Signer())
	}
	if k1.Thumbprint() == k2.Thumbprint() {
		t.Error("two generated keys have one thumbprint")
	}
	if n := len(k1.Thumbprint()); n != 43 {
		t.Errorf("len(Thumbprint()) = %d; want 43 (base64url of 32 bytes)", n)
	}
}

func TestNewKeyUnsupported(t *testing.T) {
	p256 := mustEC(t, elliptic.P256())
	tests := []struct {
		name   string
		signer crypto.Signer
		alg    string
	}{
		{"nil signer", nil, ""},
		{"RSA 1024", mustRSA(t, 1024), ""},
		{"P-224", mustEC(t, elliptic.P224()), ""},
		{"unknown key type", &testSigner{pub: struct{}{}}, ""},
		{"nil public key", &testSigner{pub: nil}, ""},
		{"P-256 as PS256", p256, dpop.PS256},
		{"P-256 as ES384", p256, dpop.ES384},
		{"RSA as ES256", rsa2048(), dpop.ES256},
		{"RSA as HS256", rsa2048(), "HS256"},
		{"Ed25519 as ES256", mustEd(t), dpop.ES256},
		{"alg none", p256, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := dpop.NewKeyAlg(tt.signer, tt.alg)
			if !errors.Is(err, dpop.ErrUnsupportedKey) {
				t.Fatalf("NewKeyAlg() = %v, %v; want ErrUnsupportedKey", k, err)
			}
			if !strings.HasPrefix(err.Error(), "dpop: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

func TestNewKeyCannotSign(t *testing.T) {
	p256 := mustEC(t, elliptic.P256())
	other := mustEC(t, elliptic.P256())
	tests := []struct {
		name    string
		sign    func(n int64, digest []byte, opts crypto.SignerOpts) ([]byte, error)
		wrapped error
	}{
		{"signer fails", func(int64, []byte, crypto.SignerOpts) ([]byte, error) { return nil, errKMS }, errKMS},
		{"another key's signature", func(_ int64, d []byte, o crypto.SignerOpts) ([]byte, error) {
			return opaque(other).Sign(nil, d, o)
		}, nil},
		{"garbage signature", func(int64, []byte, crypto.SignerOpts) ([]byte, error) { return []byte("not DER"), nil }, nil},
		{"raw r||s instead of DER", func(_ int64, d []byte, o crypto.SignerOpts) ([]byte, error) {
			return make([]byte, 64), nil
		}, nil},
		{"empty signature", func(int64, []byte, crypto.SignerOpts) ([]byte, error) { return nil, nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &testSigner{pub: p256.Public(), sign: tt.sign}
			k, err := dpop.NewKey(s)
			if !errors.Is(err, dpop.ErrSign) {
				t.Fatalf("NewKey() = %v, %v; want ErrSign", k, err)
			}
			if tt.wrapped != nil && !errors.Is(err, tt.wrapped) {
				t.Errorf("error %q does not wrap the signer's error", err)
			}
		})
	}
}

func TestProofSignerFails(t *testing.T) {
	priv := mustEC(t, elliptic.P256())
	s := &testSigner{pub: priv.Public(), sign: func(n int64, d []byte, o crypto.SignerOpts) ([]byte, error) {
		if n > 1 { // the self-test passes, then the KMS throttles
			return nil, errKMS
		}
		return priv.Sign(nil, d, o)
	}}
	k, err := dpop.NewKey(s)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := k.Proof("GET", "https://rs.example/data", "s3cr3t-token%3d+/", "n0nce")
	if proof != "" || !errors.Is(err, dpop.ErrSign) || !errors.Is(err, errKMS) {
		t.Fatalf("Proof() = %q, %v; want \"\" and ErrSign wrapping the signer's error", proof, err)
	}
	for _, leak := range []string{"s3cr3t", "n0nce", "eyJ", k.Thumbprint()} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
}

func TestThumbprintMatchesSHA256OfPublicJWK(t *testing.T) {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(k.PublicJWK())
	if got, want := k.Thumbprint(), base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("Thumbprint() = %q; want %q", got, want)
	}
}
