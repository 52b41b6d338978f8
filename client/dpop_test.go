package client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
)

func mustDPoPKey(t testing.TB) *dpop.Key {
	t.Helper()
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// proofClaims decodes the claims of a proof (already verified by the
// server in the tests that use it).
func proofClaims(t *testing.T, proof string) map[string]any {
	t.Helper()
	var c map[string]any
	if !jwtClaims(proof, 0, &c) {
		t.Fatalf("proof is not a JWS")
	}
	return c
}

func TestDPoPClientCredentialsWithNonce(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{RequireDPoP: true, DPoPNonce: true})
	key := mustDPoPKey(t)
	conf := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint: srv.Endpoint(), DPoP: key}
	ctx := context.Background()

	tok, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Type(), "DPoP"; got != want {
		t.Errorf("token type %q; want %q", got, want)
	}
	if got, want := srv.TokenRequests(), 2; got != want {
		t.Errorf("first token: %d requests; want %d (use_dpop_nonce, then the resend)", got, want)
	}
	if _, err := conf.ClientCredentialsToken(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.TokenRequests(), 3; got != want {
		t.Errorf("second token: %d requests in all; want %d (the nonce is remembered)", got, want)
	}
	// The server rotates its nonce: one resend learns the new one.
	srv.RotateDPoPNonce()
	if _, err := conf.ClientCredentialsToken(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.TokenRequests(), 5; got != want {
		t.Errorf("after rotation: %d requests in all; want %d", got, want)
	}
	proof := srv.LastTokenRequest().Header.Get("DPoP")
	c := proofClaims(t, proof)
	if c["htm"] != "POST" || c["htu"] != srv.TokenURL() || c["nonce"] == nil || c["ath"] != nil {
		t.Errorf("token request proof claims %v; want htm POST, htu the token URL, a nonce and no ath", c)
	}
}

func TestDPoPBearerTokenTypeWithoutKeyStillWorks(t *testing.T) {
	srv := oauth2test.NewServer(t, nil)
	conf := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint()}
	tok, err := conf.ClientCredentialsToken(context.Background())
	if err != nil || tok.Type() != "Bearer" {
		t.Fatalf("got %v, %v; want a Bearer token", tok, err)
	}
	if h := srv.LastTokenRequest().Header.Get("DPoP"); h != "" {
		t.Errorf("a Config without a key sent a DPoP header")
	}
}

func TestDPoPTokenTypeWithoutKey(t *testing.T) {
	rec := newRecorder(t, func(int32, *seen) (int, string) {
		return 200, `{"access_token":"AT-secret-value","token_type":"DPoP","expires_in":60}`
	})
	conf := &Config{ClientID: "c", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL}}
	_, err := conf.ClientCredentialsToken(context.Background())
	if !errors.Is(err, ErrDPoPWithoutKey) {
		t.Fatalf("got %v; want ErrDPoPWithoutKey", err)
	}
	testlog.NoSecrets(t, "text", err.Error(), "AT-secret-value")

	// Other token types are still refused as before.
	rec2 := newRecorder(t, func(int32, *seen) (int, string) {
		return 200, `{"access_token":"AT","token_type":"mac"}`
	})
	conf.Endpoint.TokenURL, conf.DPoP = rec2.srv.URL, mustDPoPKey(t)
	var re *ResponseError
	if _, err := conf.ClientCredentialsToken(context.Background()); !errors.As(err, &re) {
		t.Fatalf("token_type mac: got %v; want a *ResponseError", err)
	}
}

// dpopServer is a token endpoint that records the DPoP header of every
// request and answers with answer.
func dpopServer(t *testing.T, answer func(n int, w http.ResponseWriter)) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var proofs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		proofs = append(proofs, r.Header.Get("DPoP"))
		n := len(proofs)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		answer(n, w)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), proofs...) }
}

func TestDPoPNonceOnEveryRequest(t *testing.T) {
	srv, proofs := dpopServer(t, func(n int, w http.ResponseWriter) {
		w.Header().Set("DPoP-Nonce", "nonce-"+strings.Repeat("x", n))
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"use_dpop_nonce"}`)
	})
	conf := &Config{ClientID: "c", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL}, DPoP: mustDPoPKey(t)}
	_, err := conf.ClientCredentialsToken(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "use_dpop_nonce" {
		t.Fatalf("got %v; want a RetrieveError use_dpop_nonce", err)
	}
	p := proofs()
	if got, want := len(p), 2; got != want {
		t.Fatalf("%d requests; want %d (one resend)", got, want)
	}
	if got := proofClaims(t, p[1])["nonce"]; got != "nonce-x" {
		t.Errorf("resend carried nonce %v; want nonce-x", got)
	}
	for _, proof := range p {
		testlog.NoSecrets(t, "text", err.Error(), proof)
	}
	// The last nonce is remembered for the next request.
	conf.ClientCredentialsToken(context.Background())
	if got := proofClaims(t, proofs()[2])["nonce"]; got != "nonce-xx" {
		t.Errorf("next request carried nonce %v; want nonce-xx, the last one sent", got)
	}
}

func TestDPoPGarbageNonceIgnored(t *testing.T) {
	for name, nonce := range map[string]string{
		"huge":  strings.Repeat("n", dpop.MaxNonceLength+1),
		"quote": `a"b`,
		"tab":   "a\tb",
		"utf8":  "café",
		"space": "a b",
	} {
		t.Run(name, func(t *testing.T) {
			srv, proofs := dpopServer(t, func(n int, w http.ResponseWriter) {
				w.Header().Set("DPoP-Nonce", nonce)
				w.WriteHeader(400)
				io.WriteString(w, `{"error":"use_dpop_nonce"}`)
			})
			conf := &Config{ClientID: "c", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL}, DPoP: mustDPoPKey(t)}
			_, err := conf.ClientCredentialsToken(context.Background())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "use_dpop_nonce" {
				t.Fatalf("got %v; want use_dpop_nonce", err)
			}
			if got := len(proofs()); got != 1 {
				t.Errorf("%d requests; want 1 (an invalid nonce is not worth a resend)", got)
			}
			if got := conf.state().nonces.Get(origin(srv.URL)); got != "" {
				t.Errorf("remembered nonce %q; want none", got)
			}
		})
	}
}

func TestDPoPNonceMemoBounded(t *testing.T) {
	st := &shared{}
	h := http.Header{"Dpop-Nonce": {"n"}}
	for i := range 10 * maxNonces {
		st.nonces.Learn("https://as"+strings.Repeat("x", i)+".example", h, maxNonces)
	}
	if got := st.nonces.Len(); got > maxNonces {
		t.Errorf("%d nonces remembered; want at most %d", got, maxNonces)
	}
}

func TestDPoPRetriedAttemptGetsNewProof(t *testing.T) {
	srv, proofs := dpopServer(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `{"access_token":"AT","token_type":"DPoP","expires_in":60}`)
	})
	conf := &Config{ClientID: "c", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL}, DPoP: mustDPoPKey(t)}
	if _, err := conf.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := proofs()
	if len(p) != 2 || p[0] == "" || p[0] == p[1] {
		t.Fatalf("proofs of the attempt and its retry: %d, equal %v; want 2 different ones", len(p), len(p) == 2 && p[0] == p[1])
	}
	if proofClaims(t, p[0])["jti"] == proofClaims(t, p[1])["jti"] {
		t.Error("the retry reused the jti")
	}
}

// failingSigner signs until fail is set.
type failingSigner struct {
	crypto.Signer
	fail atomic.Bool
}

func (s *failingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if s.fail.Load() {
		return nil, errors.New("hsm unplugged")
	}
	return s.Signer.Sign(r, d, o)
}

func TestDPoPKeyCannotSign(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fs := &failingSigner{Signer: priv}
	key, err := dpop.NewKey(fs)
	if err != nil {
		t.Fatal(err)
	}
	fs.fail.Store(true)
	srv := oauth2test.NewServer(t, nil)
	conf := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint: srv.Endpoint(), DPoP: key}
	_, err = conf.ClientCredentialsToken(context.Background())
	if !errors.Is(err, dpop.ErrSign) {
		t.Fatalf("got %v; want dpop.ErrSign", err)
	}
	if got := srv.TokenRequests(); got != 0 {
		t.Errorf("%d requests sent; want none without a proof", got)
	}
	testlog.NoSecrets(t, "text", err.Error(), oauth2test.DefaultClientSecret)
}

// authorize runs an authorization request on an auto-approving server and
// returns the code.
func authorize(t *testing.T, conf *Config, opts ...RequestOption) string {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(conf.AuthCodeURL("st", opts...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, err := ParseCallback(resp.Header.Get("Location"), "st")
	if err != nil {
		t.Fatalf("callback %q: %v", resp.Header.Get("Location"), err)
	}
	return code
}

func TestDPoPAuthCodeAndPublicRefreshBound(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{
		AutoApproveUser: oauth2test.DefaultUsername,
		DPoPNonce:       true,
		Clients: []oauth2test.Client{{ID: "public", AuthStyle: oauth2test.AuthNone, IssueRefreshToken: true,
			RotateRefreshTokens: true, RedirectURIs: []string{"http://127.0.0.1/cb"}}},
	})
	key := mustDPoPKey(t)
	conf := &Config{ClientID: "public", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/cb", DPoP: key}
	if u := conf.AuthCodeURL("st"); !strings.Contains(u, "dpop_jkt="+key.Thumbprint()) {
		t.Fatalf("AuthCodeURL %q has no dpop_jkt", u)
	}
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	code := authorize(t, conf, S256Challenge(verifier))
	tok, err := conf.Exchange(ctx, code, Verifier(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Type() != "DPoP" || tok.RefreshToken == "" {
		t.Fatalf("type %q, refresh token %v; want DPoP with a refresh token", tok.Type(), tok.RefreshToken != "")
	}
	if p := proofClaims(t, srv.LastTokenRequest().Header.Get("DPoP")); p["htu"] != srv.TokenURL() {
		t.Errorf("exchange proof htu %v", p["htu"])
	}

	// The refresh token is bound to the key: another key is refused, the
	// same key refreshes.
	other := *conf
	other.shared = nil
	other.DPoP = mustDPoPKey(t)
	var re *oauth2.RetrieveError
	if _, err := other.Refresh(ctx, tok.RefreshToken); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh with another key: got %v; want invalid_grant", err)
	}
	tok2, err := conf.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.Type() != "DPoP" || tok2.AccessToken == tok.AccessToken {
		t.Errorf("refreshed token type %q; want a new DPoP token", tok2.Type())
	}

	// A code bound by dpop_jkt cannot be redeemed with another key.
	code = authorize(t, conf, S256Challenge(verifier))
	if _, err := other.Exchange(ctx, code, Verifier(verifier)); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("exchange with another key: got %v; want invalid_grant", err)
	}
}

func TestDPoPProofNeverInErrors(t *testing.T) {
	// A server that echoes the request's DPoP header in its error, on the
	// retried attempt (a new proof) after a 503.
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"invalid_dpop_proof","error_description":"bad proof `+r.Header.Get("DPoP")+`"}`)
	}))
	t.Cleanup(srv.Close)
	var proof string
	conf := &Config{ClientID: "c", ClientSecret: "s3cret-value", Endpoint: oauth2.Endpoint{TokenURL: srv.URL}, DPoP: mustDPoPKey(t),
		HTTPClient: &http.Client{Transport: roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			proof = r.Header.Get("DPoP")
			return http.DefaultTransport.RoundTrip(r)
		})}}
	_, err := conf.ClientCredentialsToken(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || proof == "" {
		t.Fatalf("got %v; want a RetrieveError", err)
	}
	testlog.NoSecrets(t, "text", err.Error()+re.ErrorDescription+string(re.Body), proof, "s3cret-value")
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDPoPPushedAuthorizationRequest(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{AutoApproveUser: oauth2test.DefaultUsername})
	key := mustDPoPKey(t)
	conf := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint: srv.Endpoint(), PARURL: srv.PARURL(), RedirectURL: "http://127.0.0.1/cb", DPoP: key}
	ctx := context.Background()
	u, err := conf.PushAuthCodeURL(ctx, "st")
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, err := ParseCallback(resp.Header.Get("Location"), "st")
	if err != nil {
		t.Fatal(err)
	}
	other := *conf
	other.shared = nil
	other.DPoP = mustDPoPKey(t)
	var re *oauth2.RetrieveError
	if _, err := other.Exchange(ctx, code); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("exchange with another key: got %v; want invalid_grant (the pushed request bound the code)", err)
	}
}

// Per-user sources are DPoP-bound like the Config's other sources: the
// Client of a user sends DPoP proofs the resource server accepts.
func TestDPoPUserTokens(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{
		AutoApproveUser: oauth2test.DefaultUsername,
		Clients: []oauth2test.Client{{ID: "public", AuthStyle: oauth2test.AuthNone, IssueRefreshToken: true,
			RotateRefreshTokens: true, RedirectURIs: []string{"http://127.0.0.1/cb"}}},
	})
	conf := &Config{ClientID: "public", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/cb", DPoP: mustDPoPKey(t)}
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	tok, err := conf.Exchange(ctx, authorize(t, conf, S256Challenge(verifier)), Verifier(verifier))
	if err != nil {
		t.Fatal(err)
	}
	users := conf.UserTokens(new(cache.Memory), nil)
	if err := users.Save(ctx, "alice", tok); err != nil {
		t.Fatal(err)
	}
	resp, err := users.Client("alice").Get(srv.ResourceURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Fatalf("resource status = %d; want %d", got, want)
	}
	if got := resp.Request.Header.Get("Authorization"); !strings.HasPrefix(got, "DPoP ") {
		t.Errorf("Authorization scheme %q; want DPoP", strings.SplitN(got, " ", 2)[0])
	}
}
