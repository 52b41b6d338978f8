package client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// verifyJWT checks the signature of a compact JWS with pub and returns its
// header and claims.
func verifyJWT(t *testing.T, s string, alg jose.SignatureAlgorithm, pub any) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(s, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		t.Fatalf("verify %s: %v", alg, err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header, claims
}

func mustKey[K crypto.Signer](k K, err error) K {
	if err != nil {
		panic(err)
	}
	return k
}

func TestPrivateKeyJWTAlgorithms(t *testing.T) {
	rsaKey := mustKey(rsa.GenerateKey(rand.Reader, 2048))
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		key  crypto.Signer
		alg  string // PrivateKeyJWTAlg's; "" uses PrivateKeyJWT
		want jose.SignatureAlgorithm
	}{
		{rsaKey, "", jose.RS256},
		{rsaKey, "PS256", jose.PS256},
		{mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)), "", jose.ES256},
		{mustKey(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)), "", jose.ES384},
		{mustKey(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)), "", jose.ES512},
		{edKey, "", jose.EdDSA},
	}
	now := time.Unix(1_800_000_000, 0)
	req := assertionRequest{ClientID: "client-1", Audience: []string{"https://idp.example/token", "https://idp.example"}, Now: func() time.Time { return now }}
	for _, tt := range tests {
		t.Run(string(tt.want), func(t *testing.T) {
			a := PrivateKeyJWT(tt.key, "kid-1")
			if tt.alg != "" {
				a = PrivateKeyJWTAlg(tt.key, "kid-1", tt.alg)
			}
			s, err := a.assertion(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			h, c := verifyJWT(t, s, tt.want, tt.key.Public())
			if h.KeyID != "kid-1" || h.ExtraHeaders["typ"] != "JWT" {
				t.Errorf("header %+v; want kid kid-1, typ JWT", h)
			}
			if c["iss"] != "client-1" || c["sub"] != "client-1" {
				t.Errorf("iss %v sub %v; want client-1", c["iss"], c["sub"])
			}
			if aud, _ := c["aud"].([]any); len(aud) != 2 || aud[0] != "https://idp.example/token" || aud[1] != "https://idp.example" {
				t.Errorf("aud %v; want [token endpoint, issuer]", c["aud"])
			}
			iat, exp := int64(c["iat"].(float64)), int64(c["exp"].(float64))
			if iat != now.Unix() || exp <= iat || exp > iat+300 {
				t.Errorf("iat %d exp %d; want iat now, exp at most 5 min ahead", iat, exp)
			}
			s2, _ := a.assertion(context.Background(), req)
			_, c2 := verifyJWT(t, s2, tt.want, tt.key.Public())
			if c["jti"] == "" || c["jti"] == c2["jti"] {
				t.Errorf("jti %v then %v; want unique", c["jti"], c2["jti"])
			}
		})
	}
}

func TestAssertionAudience(t *testing.T) {
	tests := []struct {
		pinned, token, issuer string
		want                  string
	}{
		{"", "https://i/token", "", "https://i/token"},
		{"", "https://i/token", "https://i", "https://i/token https://i"},
		{"https://pinned", "https://i/token", "https://i", "https://pinned"},
	}
	for _, tt := range tests {
		if got := strings.Join(assertionAudience(tt.pinned, tt.token, tt.issuer), " "); got != tt.want {
			t.Errorf("assertionAudience(%q, %q, %q) = %q; want %q", tt.pinned, tt.token, tt.issuer, got, tt.want)
		}
	}
	// A single audience is a string claim.
	key := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	s, err := PrivateKeyJWT(key, "").assertion(context.Background(), assertionRequest{ClientID: "c", Audience: []string{"https://i/token"}})
	if err != nil {
		t.Fatal(err)
	}
	h, c := verifyJWT(t, s, jose.ES256, key.Public())
	if c["aud"] != "https://i/token" || h.KeyID != "" {
		t.Errorf("aud %v kid %q; want the token URL as a string, no kid", c["aud"], h.KeyID)
	}
}

// opaqueSigner is a crypto.Signer with a public key of no known type, or
// one that fails to sign.
type opaqueSigner struct {
	pub crypto.PublicKey
	err error
}

func (s opaqueSigner) Public() crypto.PublicKey { return s.pub }
func (s opaqueSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, s.err
}

func TestPrivateKeyJWTBadKeys(t *testing.T) {
	ec := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	weak := mustKey(rsa.GenerateKey(rand.Reader, 1024))
	secretish := "-----BEGIN PRIVATE KEY-----"
	raw, _ := ec.Bytes()
	rawKey := base64.RawURLEncoding.EncodeToString(raw)
	tests := []struct {
		name    string
		a       ClientAssertion
		wantErr error
	}{
		{"nil key", PrivateKeyJWT(nil, ""), ErrUnsupportedKey},
		{"unknown key type", PrivateKeyJWT(opaqueSigner{pub: "not a key"}, ""), ErrUnsupportedKey},
		{"P-224", PrivateKeyJWT(mustKey(ecdsa.GenerateKey(elliptic.P224(), rand.Reader)), ""), ErrUnsupportedKey},
		{"RSA 1024", PrivateKeyJWT(weak, ""), ErrUnsupportedKey},
		{"alg that does not fit", PrivateKeyJWTAlg(ec, "", "RS256"), ErrUnsupportedKey},
		{"unknown alg", PrivateKeyJWTAlg(ec, "", "none"), ErrUnsupportedKey},
		{"key that cannot sign", PrivateKeyJWT(opaqueSigner{pub: &ec.PublicKey, err: errors.New("kms: access denied")}, ""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.a.assertion(context.Background(), assertionRequest{ClientID: "c", Audience: []string{"https://i/token"}})
			var ae *AssertionError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v; want an *AssertionError", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v; want it to match %v", err, tt.wantErr)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "client: ") || strings.Contains(msg, secretish) || strings.Contains(msg, rawKey) {
				t.Errorf("error %q: want the package prefix and no key material", msg)
			}
		})
	}
	if _, err := clientAssertionParams(context.Background(), PrivateKeyJWT(ec, ""), assertionRequest{Audience: []string{"x"}}); err == nil {
		t.Error("no client ID: no error")
	}
	if _, err := clientAssertionParams(context.Background(), PrivateKeyJWT(ec, ""), assertionRequest{ClientID: "c"}); err == nil {
		t.Error("no audience: no error")
	}
}

func TestSecretJWT(t *testing.T) {
	const secret = "a-client-secret-of-32-bytes-or-more!"
	v, err := clientAssertionParams(context.Background(), SecretJWT(), assertionRequest{ClientID: "c", Secret: secret, Audience: []string{"https://i/token"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		t.Errorf("client_assertion_type %q", v.Get("client_assertion_type"))
	}
	s := v.Get("client_assertion")
	if strings.Contains(s, secret) {
		t.Fatal("the secret is in the assertion")
	}
	_, c := verifyJWT(t, s, jose.HS256, []byte(secret))
	if c["iss"] != "c" || c["aud"] != "https://i/token" {
		t.Errorf("claims %v", c)
	}
	if _, err := SecretJWT().assertion(context.Background(), assertionRequest{ClientID: "c", Audience: []string{"x"}}); err == nil {
		t.Error("no secret: no error")
	}
}

func TestAssertionFuncAndFile(t *testing.T) {
	var gotAud string
	f := AssertionFunc(func(ctx context.Context, aud string) (string, error) { gotAud = aud; return "minted.jwt.value", nil })
	s, err := f.assertion(context.Background(), assertionRequest{Audience: []string{"https://i/token", "https://i"}})
	if err != nil || s != "minted.jwt.value" || gotAud != "https://i/token" {
		t.Errorf("AssertionFunc: %q, %v, audience %q", s, err, gotAud)
	}
	failing := AssertionFunc(func(context.Context, string) (string, error) { return "", errors.New("sts down") })
	if _, err := failing.assertion(context.Background(), assertionRequest{}); err == nil || !strings.Contains(err.Error(), "sts down") {
		t.Errorf("failing func: %v", err)
	}

	// A Kubernetes projected token: ..data is a symlink swapped to a new
	// timestamped directory on rotation.
	dir := t.TempDir()
	write := func(gen, tok string) {
		d := filepath.Join(dir, gen)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "token"), []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(gen, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	write("..2026_01", "first.token.jwt")
	if err := os.Symlink(filepath.Join("..data", "token"), filepath.Join(dir, "token")); err != nil {
		t.Fatal(err)
	}
	a := AssertionFile(filepath.Join(dir, "token"))
	for _, want := range []string{"first.token.jwt", "second.token.jwt"} {
		if want == "second.token.jwt" {
			write("..2026_02", want)
		}
		got, err := a.assertion(context.Background(), assertionRequest{})
		if err != nil || got != want {
			t.Errorf("AssertionFile: %q, %v; want %q", got, err, want)
		}
	}
	bad := []struct{ name, content string }{{"empty", " \n"}, {"huge", strings.Repeat("x", maxAssertionFile+1)}}
	for _, b := range bad {
		p := filepath.Join(dir, b.name)
		_ = os.WriteFile(p, []byte(b.content), 0o600)
		if _, err := AssertionFile(p).assertion(context.Background(), assertionRequest{}); err == nil {
			t.Errorf("%s file: no error", b.name)
		}
	}
	if _, err := AssertionFile(filepath.Join(dir, "missing")).assertion(context.Background(), assertionRequest{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v; want os.ErrNotExist", err)
	}
}

var benchSink string

func benchAssertion(b *testing.B, key crypto.Signer) {
	a := PrivateKeyJWT(key, "kid")
	req := assertionRequest{ClientID: "client", Audience: []string{"https://idp.example/oauth2/token", "https://idp.example"}}
	b.ReportAllocs()
	for b.Loop() {
		s, err := a.assertion(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = s
	}
}

func benchRawSign(b *testing.B, key crypto.Signer) {
	msg := []byte(strings.Repeat("x", 300)) // about an assertion's signing input
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(msg)
		sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = string(sig[:1])
	}
}

var (
	benchEC  = sync.OnceValue(func() crypto.Signer { return mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	benchRSA = sync.OnceValue(func() crypto.Signer { return mustKey(rsa.GenerateKey(rand.Reader, 2048)) })
)

// The assertion build must stay within 1.3x of the raw signature.
func BenchmarkAssertionES256(b *testing.B) { benchAssertion(b, benchEC()) }
func BenchmarkRawSignES256(b *testing.B)   { benchRawSign(b, benchEC()) }
func BenchmarkAssertionRS256(b *testing.B) { benchAssertion(b, benchRSA()) }
func BenchmarkRawSignRS256(b *testing.B)   { benchRawSign(b, benchRSA()) }

func ecdsaP256() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// BenchmarkAssertionAuthES256 is what the pipeline adds to each attempt:
// a fresh assertion and its three body parameters.
func BenchmarkAssertionAuthES256(b *testing.B) {
	c := &Config{ClientID: "client", ClientAssertion: PrivateKeyJWT(benchEC(), "kid"), Endpoint: oauth2.Endpoint{TokenURL: "https://idp.example/oauth2/token"}}
	b.ReportAllocs()
	for b.Loop() {
		a := c.assertionAuth("token", "https://idp.example/oauth2/token")
		if err := a.renew(context.Background()); err != nil {
			b.Fatal(err)
		}
		v := url.Values{}
		a.apply(nil, v)
		benchSink = v.Get("client_assertion")
	}
}
