package tokensource

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/dpop"
)

// dpopBase is a resource server stand-in: it records each request's
// Authorization and DPoP headers and answers with answer.
type dpopBase struct {
	mu     sync.Mutex
	auth   []string
	proofs []string
	bodies []string
	answer func(n int) (int, http.Header)
}

func (b *dpopBase) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	b.mu.Lock()
	b.auth = append(b.auth, r.Header.Get("Authorization"))
	b.proofs = append(b.proofs, r.Header.Get("DPoP"))
	b.bodies = append(b.bodies, string(body))
	n := len(b.proofs)
	b.mu.Unlock()
	status, h := 200, http.Header{}
	if b.answer != nil {
		status, h = b.answer(n)
	}
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody, Request: r}, nil
}

func dpopToken() *oauth2.Token { return &oauth2.Token{AccessToken: "at-dpop", TokenType: "DPoP"} }

func genKey(t testing.TB) *dpop.Key {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func claimsOf(t *testing.T, proof string) map[string]any {
	t.Helper()
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		t.Fatalf("proof is not a JWS")
	}
	var c map[string]any
	if err := decodeSegment(parts[1], &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTransportDPoPFreshProofEachRequest(t *testing.T) {
	base := &dpopBase{}
	key := genKey(t)
	tr := &Transport{Source: New(FromOAuth2(oauth2.StaticTokenSource(dpopToken())), &Options{DPoP: key}), Base: base}
	for range 3 {
		req, _ := http.NewRequest("GET", "https://api.example/x?q=1", nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if req.Header.Get("DPoP") != "" {
			t.Fatal("the caller's request was modified")
		}
	}
	seen := map[string]bool{}
	for i, p := range base.proofs {
		if base.auth[i] != "DPoP at-dpop" {
			t.Errorf("Authorization %q; want DPoP at-dpop", base.auth[i])
		}
		c := claimsOf(t, p)
		if seen[c["jti"].(string)] {
			t.Errorf("request %d reused a jti", i)
		}
		seen[c["jti"].(string)] = true
		if c["htm"] != "GET" || c["htu"] != "https://api.example/x" || c["ath"] == nil {
			t.Errorf("claims %v; want htm GET, htu without query, ath", c)
		}
	}
}

func TestTransportDPoPNonce(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(n int) (int, http.Header)
		body      io.Reader
		noGetBody bool
		wantSent  int
		wantCode  int
	}{
		{"challenge once", func(n int) (int, http.Header) {
			if n == 1 {
				return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {"n1"}}
			}
			return 200, nil
		}, nil, false, 2, 200},
		{"every request", func(n int) (int, http.Header) {
			return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {strings.Repeat("n", n)}}
		}, nil, false, 2, 401},
		{"huge nonce ignored", func(n int) (int, http.Header) {
			return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {strings.Repeat("n", dpop.MaxNonceLength+1)}}
		}, nil, false, 1, 401},
		{"garbage nonce ignored", func(n int) (int, http.Header) {
			return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {"a\"b"}}
		}, nil, false, 1, 401},
		{"several nonces ignored", func(n int) (int, http.Header) {
			return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {"n1", "n2"}}
		}, nil, false, 1, 401},
		{"no new nonce", func(n int) (int, http.Header) {
			return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}}
		}, nil, false, 1, 401},
		{"body replayed", func(n int) (int, http.Header) {
			if n == 1 {
				return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {"n1"}}
			}
			return 200, nil
		}, strings.NewReader("payload"), false, 2, 200},
		{"body not replayable", func(n int) (int, http.Header) {
			return 401, http.Header{"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {"n1"}}
		}, strings.NewReader("payload"), true, 1, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &dpopBase{answer: tt.answer}
			tr := &Transport{Source: FromOAuth2(oauth2.StaticTokenSource(dpopToken())), Base: base, DPoP: genKey(t)}
			req, _ := http.NewRequest("POST", "https://api.example/x", tt.body)
			if tt.noGetBody {
				req.GetBody = nil
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(base.proofs); got != tt.wantSent {
				t.Errorf("%d requests sent; want %d", got, tt.wantSent)
			}
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status %d; want %d", resp.StatusCode, tt.wantCode)
			}
			if tt.wantSent == 2 {
				if got := claimsOf(t, base.proofs[1])["nonce"]; got != "n1" && got != "n" {
					t.Errorf("resend's nonce %v", got)
				}
				if tt.body != nil && base.bodies[1] != "payload" {
					t.Errorf("resent body %q; want payload", base.bodies[1])
				}
			}
		})
	}
}

func TestTransportDPoPNonceRemembered(t *testing.T) {
	base := &dpopBase{answer: func(n int) (int, http.Header) {
		return 200, http.Header{"Dpop-Nonce": {"nonce-" + strings.Repeat("x", n)}}
	}}
	tr := &Transport{Source: FromOAuth2(oauth2.StaticTokenSource(dpopToken())), Base: base, DPoP: genKey(t)}
	for range 3 {
		req, _ := http.NewRequest("GET", "https://api.example/x", nil)
		tr.RoundTrip(req)
	}
	if got := claimsOf(t, base.proofs[0])["nonce"]; got != nil {
		t.Errorf("first proof nonce %v; want none", got)
	}
	if got := claimsOf(t, base.proofs[2])["nonce"]; got != "nonce-xx" {
		t.Errorf("third proof nonce %v; want nonce-xx (from the second answer)", got)
	}
	var n nonceMemo
	for i := range 10 * maxNonceOrigins {
		n.Learn(origin{"https", "h" + strings.Repeat("x", i), "443"}, http.Header{"Dpop-Nonce": {"n"}}, maxNonceOrigins)
	}
	if n.Len() > maxNonceOrigins {
		t.Errorf("%d origins remembered; want at most %d", n.Len(), maxNonceOrigins)
	}
}

func TestTransportDPoPErrors(t *testing.T) {
	base := &dpopBase{}
	tr := &Transport{Source: FromOAuth2(oauth2.StaticTokenSource(dpopToken())), Base: base}
	req, _ := http.NewRequest("GET", "https://api.example/x", nil)
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, ErrNoProver) {
		t.Errorf("no prover: got %v; want ErrNoProver", err)
	}
	tr.DPoP = failingProver{}
	_, err = tr.RoundTrip(req)
	if !errors.Is(err, dpop.ErrSign) || strings.Contains(err.Error(), "at-dpop") {
		t.Errorf("failing prover: got %v; want dpop.ErrSign without the token", err)
	}
	if len(base.proofs) != 0 {
		t.Errorf("%d requests sent; want none", len(base.proofs))
	}
	// A Bearer token is sent as before, with no proof.
	tr = &Transport{Source: FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "b"})), Base: base, DPoP: genKey(t)}
	tr.RoundTrip(req)
	if base.auth[0] != "Bearer b" || base.proofs[0] != "" {
		t.Errorf("Bearer token: Authorization %q, DPoP %q; want Bearer and no proof", base.auth[0], base.proofs[0])
	}
}

type failingProver struct{}

func (failingProver) Proof(string, string, string, string) (string, error) {
	return "", dpop.ErrSign
}
func (failingProver) Thumbprint() string { return "x" }

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// FuzzTransportDPoPChallenge: whatever a resource server answers in
// WWW-Authenticate and DPoP-Nonce, the Transport sends at most two
// requests, each with its own proof, and remembers only valid nonces.
func FuzzTransportDPoPChallenge(f *testing.F) {
	f.Add(`DPoP error="use_dpop_nonce"`, "n1")
	f.Add(`DPoP error="invalid_token", Bearer error="use_dpop_nonce"`, strings.Repeat("x", 2000))
	f.Add(`DPoP error=use_dpop_nonce,,,`, "a\"b")
	key := genKey(f)
	f.Fuzz(func(t *testing.T, challenge, nonce string) {
		base := &dpopBase{answer: func(n int) (int, http.Header) {
			return 401, http.Header{"Www-Authenticate": {challenge}, "Dpop-Nonce": {nonce}}
		}}
		tr := &Transport{Source: FromOAuth2(oauth2.StaticTokenSource(dpopToken())), Base: base, DPoP: key}
		req, _ := http.NewRequest("GET", "https://api.example/x", nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if len(base.proofs) > 2 || len(base.proofs) == 2 && base.proofs[0] == base.proofs[1] {
			t.Fatalf("%d requests (proofs equal: %v)", len(base.proofs), len(base.proofs) == 2 && base.proofs[0] == base.proofs[1])
		}
		if got := tr.nonces.Get(originOf(req.URL)); got != "" && !dpop.ValidNonce(got) {
			t.Fatalf("remembered an invalid nonce %q", got)
		}
	})
}
