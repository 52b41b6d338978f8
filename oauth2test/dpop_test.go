package oauth2test

import (
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
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenward/tokenward/dpop"
)

// dpopToken is an access token with the characters naive encoders break.
const dpopToken = "2YotnFZFEjr1zCsicMWpAA%3d+/=="

var dpopNow = time.Unix(1_700_000_000, 0)

// dpopRequest returns a request as an httptest.Server would receive it, with
// proofs as its DPoP headers.
func dpopRequest(method, target string, proofs ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	return r
}

func mustKey(t *testing.T, s crypto.Signer, alg string) *dpop.Key {
	t.Helper()
	k, err := dpop.NewKeyAlg(s, alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDPoPVerifierAccepts(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name          string
		key           *dpop.Key
		method        string
		requestURL    string // as the server sees it
		proofURL      string // as the client named it
		token, nonce  string
		verifierNonce string
	}{
		{"token request", mustKey(t, p256, ""), "POST", "http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token", "", "", ""},
		{"with nonce", mustKey(t, p256, ""), "POST", "http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token", "", "n-1", "n-1"},
		{"nonce not required", mustKey(t, p256, ""), "POST", "http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token", "", "n-1", ""},
		{"resource request", mustKey(t, p256, ""), "GET", "https://rs.example/data?x=1", "https://rs.example/data?x=1#f", dpopToken, "", ""},
		{"equivalent URLs", mustKey(t, p256, ""), "GET", "https://rs.example:443/a/./b/%7euser/c%2f", "HTTPS://RS.example/a/b/~user/c%2F", dpopToken, "", ""},
		{"P-384", mustKey(t, p384, ""), "GET", "https://rs.example/", "https://rs.example", dpopToken, "", ""},
		{"RS256", mustKey(t, rsaKey, ""), "GET", "https://rs.example/", "https://rs.example/", dpopToken, "", ""},
		{"PS256", mustKey(t, rsaKey, dpop.PS256), "GET", "https://rs.example/", "https://rs.example/", dpopToken, "", ""},
		{"EdDSA", mustKey(t, edKey, ""), "DELETE", "https://rs.example/x", "https://rs.example/x", dpopToken, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proof, err := tt.key.ProofAt(tt.method, tt.proofURL, tt.token, tt.nonce, dpopNow.Add(-30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			var v DPoPVerifier
			jkt, err := v.Verify(dpopRequest(tt.method, tt.requestURL, proof), tt.token, tt.verifierNonce, dpopNow)
			if err != nil {
				t.Fatalf("Verify() = %v; want the proof accepted", err)
			}
			if jkt != tt.key.Thumbprint() {
				t.Errorf("Verify() = %q; want the key's thumbprint %q", jkt, tt.key.Thumbprint())
			}
		})
	}
}

// crafted is a hostile proof: any header and claims, signed by key (P-256)
// with ES256 unless the header says otherwise.
type crafted struct {
	header   map[string]any
	claims   map[string]any
	unsigned bool // an empty signature segment instead of a real one
}

func (c crafted) String(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	h, _ := json.Marshal(c.header)
	p, _ := json.Marshal(c.claims)
	if raw, ok := c.claims["raw"].(string); ok {
		p = []byte(raw)
	}
	input := b64url(h) + "." + b64url(p)
	if c.unsigned {
		return input + "."
	}
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64url(sig)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestDPoPVerifierRefuses(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	key := mustKey(t, priv, "")
	privBytes, err := priv.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var jwk map[string]any
	json.Unmarshal(key.PublicJWK(), &jwk)
	with := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	jwkOf := func(s crypto.Signer, alg string) map[string]any {
		var m map[string]any
		json.Unmarshal(mustKey(t, s, alg).PublicJWK(), &m)
		return m
	}
	header := map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}
	claims := map[string]any{"jti": "j-1", "htm": "GET", "htu": "https://rs.example/data", "iat": dpopNow.Unix(), "ath": athOf(dpopToken)}
	good := crafted{header, claims, false}
	const target = "https://rs.example/data"

	tests := []struct {
		name   string
		proofs []string // DPoP header values
		method string   // default GET
		token  string   // default dpopToken
		nonce  string
		want   string // error code
	}{
		{name: "no DPoP header", want: DPoPInvalidProof},
		{name: "two DPoP headers", proofs: []string{good.String(t, priv), good.String(t, priv)}, want: DPoPInvalidProof},
		{name: "huge header", proofs: []string{crafted{with(header, "x", strings.Repeat("a", MaxDPoPProofLength)), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "not a JWS", proofs: []string{"garbage"}, want: DPoPInvalidProof},
		{name: "alg none", proofs: []string{crafted{with(header, "alg", "none"), claims, true}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "alg HS256", proofs: []string{crafted{with(header, "alg", "HS256"), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no alg", proofs: []string{crafted{with(header, "alg", nil), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "typ JWT", proofs: []string{crafted{with(header, "typ", "JWT"), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no typ", proofs: []string{crafted{with(header, "typ", nil), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no jwk", proofs: []string{crafted{with(header, "jwk", nil), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "private key in jwk", proofs: []string{crafted{with(header, "jwk", with(jwk, "d", b64url(privBytes))), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "symmetric jwk", proofs: []string{crafted{with(header, "jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0"}), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "jwk not on the curve", proofs: []string{crafted{with(header, "jwk", with(jwk, "x", jwk["y"])), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "ES256 with a P-384 jwk", proofs: []string{crafted{with(header, "jwk", jwkOf(p384, "")), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "RSA 1024 jwk", proofs: []string{crafted{with(header, "alg", "RS256", "jwk", map[string]any{"kty": "RSA", "e": "AQAB", "n": b64url(rsa1024.N.Bytes())}), claims, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "signed by another key", proofs: []string{good.String(t, other)}, want: DPoPInvalidProof},
		{name: "bad signature", proofs: []string{good.String(t, priv)[:strings.LastIndexByte(good.String(t, priv), '.')+1] + b64url(make([]byte, 64))}, want: DPoPInvalidProof},
		{name: "claims not JSON", proofs: []string{crafted{header, map[string]any{"raw": "not json"}, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "claims with trailing data", proofs: []string{crafted{header, map[string]any{"raw": `{"jti":"a"} {}`}, false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no jti", proofs: []string{crafted{header, with(claims, "jti", nil), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "jti a number", proofs: []string{crafted{header, with(claims, "jti", 7), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "wrong htm", proofs: []string{good.String(t, priv)}, method: "POST", want: DPoPInvalidProof},
		{name: "lower-case htm", proofs: []string{crafted{header, with(claims, "htm", "get"), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no htu", proofs: []string{crafted{header, with(claims, "htu", nil), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "wrong htu path", proofs: []string{crafted{header, with(claims, "htu", "https://rs.example/other"), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "wrong htu scheme", proofs: []string{crafted{header, with(claims, "htu", "http://rs.example/data"), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "wrong htu port", proofs: []string{crafted{header, with(claims, "htu", "https://rs.example:8443/data"), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "htu with user information", proofs: []string{crafted{header, with(claims, "htu", "https://u:p@rs.example/data"), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "htu not a URL", proofs: []string{crafted{header, with(claims, "htu", "rs.example/data"), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no iat", proofs: []string{crafted{header, with(claims, "iat", nil), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "iat a string", proofs: []string{crafted{header, with(claims, "iat", "1700000000"), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "iat too old", proofs: []string{crafted{header, with(claims, "iat", dpopNow.Add(-61*time.Second).Unix()), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "iat in the future", proofs: []string{crafted{header, with(claims, "iat", dpopNow.Add(61*time.Second).Unix()), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "iat huge", proofs: []string{crafted{header, with(claims, "iat", 1e300), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no ath", proofs: []string{crafted{header, with(claims, "ath", nil), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "ath of another token", proofs: []string{crafted{header, with(claims, "ath", athOf("other")), false}.String(t, priv)}, want: DPoPInvalidProof},
		{name: "no nonce", proofs: []string{good.String(t, priv)}, nonce: "n-2", want: DPoPUseNonce},
		{name: "stale nonce", proofs: []string{crafted{header, with(claims, "nonce", "n-1"), false}.String(t, priv)}, nonce: "n-2", want: DPoPUseNonce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.method == "" {
				tt.method = "GET"
			}
			var v DPoPVerifier
			jkt, err := v.Verify(dpopRequest(tt.method, target, tt.proofs...), dpopToken, tt.nonce, dpopNow)
			var de *DPoPError
			if !errors.As(err, &de) || de.Code != tt.want {
				t.Fatalf("Verify() = %q, %v; want a DPoPError %s", jkt, err, tt.want)
			}
			for _, p := range tt.proofs {
				for _, seg := range strings.Split(p, ".") {
					if len(seg) > 8 && strings.Contains(err.Error(), seg) {
						t.Errorf("error %q repeats the proof", err)
					}
				}
			}
			if strings.Contains(err.Error(), dpopToken) || strings.Contains(err.Error(), "n-1") {
				t.Errorf("error %q repeats the token or a nonce", err)
			}
		})
	}

	// The good proof itself passes, so each refusal above is for its one change.
	var v DPoPVerifier
	if _, err := v.Verify(dpopRequest("GET", target, good.String(t, priv)), dpopToken, "", dpopNow); err != nil {
		t.Fatalf("Verify(good) = %v", err)
	}
}

func athOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64url(sum[:])
}

func TestDPoPVerifierReplay(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	proof, err := key.ProofAt("GET", "https://rs.example/", dpopToken, "", dpopNow)
	if err != nil {
		t.Fatal(err)
	}
	var v DPoPVerifier
	if _, err := v.Verify(dpopRequest("GET", "https://rs.example/", proof), dpopToken, "", dpopNow); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{dpopNow, dpopNow.Add(59 * time.Second), dpopNow.Add(-time.Minute)} {
		_, err := v.Verify(dpopRequest("GET", "https://rs.example/", proof), dpopToken, "", at)
		var de *DPoPError
		if !errors.As(err, &de) || de.Code != DPoPInvalidProof {
			t.Errorf("Verify(replayed proof at %v) = %v; want invalid_dpop_proof", at.Sub(dpopNow), err)
		}
	}
	// A fresh proof from the same key passes.
	fresh, _ := key.ProofAt("GET", "https://rs.example/", dpopToken, "", dpopNow)
	if _, err := v.Verify(dpopRequest("GET", "https://rs.example/", fresh), dpopToken, "", dpopNow); err != nil {
		t.Errorf("Verify(fresh proof) = %v", err)
	}
	// A proof refused for its nonce is not remembered: the same jti passes
	// once the nonce is no longer required... (it is never replayable once
	// accepted).
	third, _ := key.ProofAt("GET", "https://rs.example/", dpopToken, "", dpopNow)
	if _, err := v.Verify(dpopRequest("GET", "https://rs.example/", third), dpopToken, "n", dpopNow); err == nil {
		t.Fatal("Verify() accepted a proof without the required nonce")
	}
	if _, err := v.Verify(dpopRequest("GET", "https://rs.example/", third), dpopToken, "", dpopNow); err != nil {
		t.Errorf("Verify() = %v after a nonce refusal; want accepted", err)
	}
}

func TestDPoPVerifierReplayCacheBounded(t *testing.T) {
	var v DPoPVerifier
	for i := range 5000 {
		if err := v.remember(fmt.Sprint("old-", i), dpopNow, dpopNow); err != nil {
			t.Fatal(err)
		}
	}
	later := dpopNow.Add(2 * time.Minute)
	for i := range 5000 {
		if err := v.remember(fmt.Sprint("new-", i), later.Add(time.Minute), later); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(v.seen); got > 5000+1024 {
		t.Errorf("the replay cache holds %d entries; want the expired ones pruned", got)
	}
	for i := len(v.seen); i < MaxDPoPReplayEntries; i++ {
		v.seen[fmt.Sprint("fill-", i)] = later.Add(time.Minute)
	}
	v.nextPrune = 0
	if err := v.remember("one-more", later.Add(time.Minute), later); err == nil {
		t.Error("remember() accepted a jti beyond MaxDPoPReplayEntries")
	}
}

func TestNormalizeHTU(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://rs.example/data", "https://rs.example/data"},
		{"HTTPS://RS.EXAMPLE:443/data?q#f", "https://rs.example/data"},
		{"http://rs.example:80", "http://rs.example/"},
		{"http://rs.example:", "http://rs.example/"},
		{"http://rs.example:8080/", "http://rs.example:8080/"},
		{"https://rs.example/a/./b/../c", "https://rs.example/a/c"},
		{"https://rs.example/a/..", "https://rs.example/"},
		{"https://rs.example/%7e%41%2f%2F", "https://rs.example/~A%2F%2F"},
		{"https://[::1]:443/x", "https://[::1]/x"},
		{"https://[::1]:8443/x", "https://[::1]:8443/x"},
		{"ftp://rs.example/", ""},
		{"/relative", ""},
		{"https://u@rs.example/", ""},
		{"https:opaque", ""},
	}
	for _, tt := range tests {
		got, ok := normalizeHTU(tt.in)
		if tt.want == "" && ok || got != tt.want {
			t.Errorf("normalizeHTU(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// TestDPoPVerifierOverHTTP checks the target URL a server rebuilds from an
// origin-form request, over plain HTTP and TLS.
func TestDPoPVerifierOverHTTP(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var v DPoPVerifier
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "DPoP ")
		jkt, err := v.Verify(r, token, "", time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, jkt)
	})
	for name, srv := range map[string]*httptest.Server{"http": httptest.NewServer(handler), "https": httptest.NewTLSServer(handler)} {
		t.Run(name, func(t *testing.T) {
			defer srv.Close()
			for _, path := range []string{"/data?x=1", "/other"} {
				proof, err := key.Proof("GET", srv.URL+"/data", dpopToken, "")
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				req.Header.Set("Authorization", "DPoP "+dpopToken)
				req.Header.Set("DPoP", proof)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body := new(strings.Builder)
				_, _ = io.Copy(body, resp.Body)
				resp.Body.Close()
				wantStatus, wantBody := http.StatusOK, key.Thumbprint()
				if path == "/other" {
					wantStatus, wantBody = http.StatusUnauthorized, "htu does not match"
				}
				if resp.StatusCode != wantStatus || !strings.Contains(body.String(), wantBody) {
					t.Errorf("GET %s = %d %q; want %d %q", path, resp.StatusCode, body, wantStatus, wantBody)
				}
			}
		})
	}
}

// FuzzDPoPVerifier checks that no DPoP header value makes Verify panic, and
// that an accepted one yields a thumbprint. (Fuzz workers make their own
// key, so the seed proof is not known to them.)
func FuzzDPoPVerifier(f *testing.F) {
	key, err := dpop.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	proof, err := key.ProofAt("GET", "https://rs.example/data", dpopToken, "", dpopNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(proof)
	f.Add(proof[:len(proof)-4])
	f.Add("e30.e30.")
	f.Add("..")
	f.Add(strings.Repeat("a.", 5000))
	f.Fuzz(func(t *testing.T, header string) {
		var v DPoPVerifier
		r := dpopRequest("GET", "https://rs.example/data")
		r.Header.Set("DPoP", header)
		jkt, err := v.Verify(r, dpopToken, "", dpopNow)
		if err == nil && len(jkt) != 43 {
			t.Fatalf("Verify() accepted a proof with thumbprint %q", jkt)
		}
	})
}

// TestDPoPVerifierConcurrentReplay sends one proof from many goroutines at
// once: exactly one is accepted.
func TestDPoPVerifierConcurrentReplay(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	proof, err := key.ProofAt("GET", "https://rs.example/", dpopToken, "", dpopNow)
	if err != nil {
		t.Fatal(err)
	}
	var v DPoPVerifier
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for range 16 {
		wg.Go(func() {
			if _, err := v.Verify(dpopRequest("GET", "https://rs.example/", proof), dpopToken, "", dpopNow); err == nil {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if got := accepted.Load(); got != 1 {
		t.Errorf("%d of 16 concurrent copies of one proof were accepted; want 1", got)
	}
}
