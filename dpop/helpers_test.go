package dpop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// allAlgs is every algorithm a proof may be parsed with.
var allAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.PS256, jose.EdDSA}

// parsed is a proof taken apart by go-jose, its signature verified against
// the jwk in its header.
type parsed struct {
	header map[string]json.RawMessage
	claims map[string]any
	jwk    *jose.JSONWebKey
	alg    string
}

// parseProof parses proof with go-jose and verifies its signature against
// its own jwk.
func parseProof(t testing.TB, proof string) *parsed {
	t.Helper()
	jws, err := jose.ParseSignedCompact(proof, allAlgs)
	if err != nil {
		t.Fatalf("go-jose cannot parse the proof: %v", err)
	}
	if len(jws.Signatures) != 1 {
		t.Fatalf("got %d signatures; want 1", len(jws.Signatures))
	}
	sig := jws.Signatures[0]
	jwk := sig.Protected.JSONWebKey
	if jwk == nil || !jwk.Valid() || !jwk.IsPublic() {
		t.Fatalf("header jwk = %+v; want a valid public key", jwk)
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		t.Fatalf("the signature does not verify against the header's jwk: %v", err)
	}
	p := &parsed{jwk: jwk, alg: sig.Protected.Algorithm}
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(proof, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &p.header); err != nil {
		t.Fatalf("header: %v", err)
	}
	d := json.NewDecoder(strings.NewReader(string(payload)))
	d.UseNumber()
	if err := d.Decode(&p.claims); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return p
}

// testSigner is a crypto.Signer of a public key whose Sign does what sign
// says, counting calls.
type testSigner struct {
	pub   crypto.PublicKey
	sign  func(n int64, digest []byte, opts crypto.SignerOpts) ([]byte, error)
	calls atomic.Int64
}

func (s *testSigner) Public() crypto.PublicKey { return s.pub }

func (s *testSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.sign(s.calls.Add(1), digest, opts)
}

// opaque hides a private key's type behind crypto.Signer, as a KMS would.
func opaque(priv crypto.Signer) *testSigner {
	return &testSigner{pub: priv.Public(), sign: func(_ int64, d []byte, o crypto.SignerOpts) ([]byte, error) {
		return priv.Sign(rand.Reader, d, o)
	}}
}

var errKMS = errors.New("kms: throttled")

func mustEC(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRSA(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEd(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rsa2048 is one RSA key for the whole test binary: generating one is slow.
var rsa2048 = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})
