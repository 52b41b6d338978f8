package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
)

// bodyOnlyServer is a fake server whose client accepts client_id and
// client_secret in the body only, so auto-detection must fall back from
// Basic.
func bodyOnlyServer(t *testing.T) (*oauth2test.Server, *Config) {
	t.Helper()
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: oauth2test.DefaultClientID, Secret: oauth2test.DefaultClientSecret, AuthStyle: oauth2test.AuthBody,
	}}})
	return srv, &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint(), HTTPClient: srv.Client()}
}

func TestAuthStyleMemoOnlyAfter2xx(t *testing.T) {
	tests := []struct {
		name  string
		fault oauth2test.Fault
	}{
		{"503 at first contact", oauth2test.Fault{Status: 503, RetryAfter: "3600"}},
		{"400 at first contact", oauth2test.Fault{Error: "invalid_request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := bodyOnlyServer(t)
			srv.QueueFault(tt.fault)
			if _, err := c.ClientCredentialsToken(context.Background()); err == nil {
				t.Fatal("first request: got a token; want the fault")
			}
			if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
				t.Fatalf("second request: got %v; want a token (the fault must not pin a style)", err)
			}
			n := srv.TokenRequests()
			if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := srv.TokenRequests() - n; got != 1 {
				t.Errorf("third request took %d requests; want 1 (the style learnt from the 2xx)", got)
			}
		})
	}
}

func TestAuthStyleMemoPerConfig(t *testing.T) {
	srv, c1 := bodyOnlyServer(t)
	if _, err := c1.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Another Config for the same URL and client ID learns on its own: a
	// package-level memo would make it send the body style only.
	c2 := &Config{ClientID: c1.ClientID, ClientSecret: c1.ClientSecret, Endpoint: c1.Endpoint, HTTPClient: srv.Client(), BodyFormat: JSONBody}
	c2.Endpoint.AuthStyle = oauth2.AuthStyleAutoDetect
	if _, err := c2.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if k := (styleKey{srv.TokenURL(), c1.ClientID}); c1.state() == c2.state() {
		t.Fatal("two Configs share one state")
	} else if s, ok := c2.state().style(k); !ok || s != oauth2.AuthStyleInParams {
		t.Errorf("c2 memo = %v, %v; want AuthStyleInParams", s, ok)
	}
	// A copy made after first use (as the sources make) shares the memo.
	cp := *c1
	if cp.state() != c1.state() {
		t.Error("a copy made after first use has its own state")
	}
}

func TestAuthStyleMemoBounded(t *testing.T) {
	var c Config
	for i := range 3 * maxMemoStyles {
		c.state().rememberStyle(styleKey{fmt.Sprint("https://idp/", i), "id"}, oauth2.AuthStyleInParams)
	}
	if n := len(c.state().styles); n > maxMemoStyles {
		t.Errorf("memo holds %d entries; want at most %d", n, maxMemoStyles)
	}
}

func TestEveryStyleRefusedReportsFirst(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if _, _, ok := r.BasicAuth(); ok {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_client","error_description":"basic refused"}`)
			return
		}
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"invalid_client","error_description":"body refused"}`)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.URL}}
	_, err := c.ClientCredentialsToken(context.Background())
	re, ok := err.(*oauth2.RetrieveError)
	if !ok || re.ErrorDescription != "basic refused" || re.Response.StatusCode != 401 {
		t.Fatalf("got %v; want the first refusal (401, basic refused)", err)
	}
	if hits.Load() != 2 {
		t.Errorf("hits = %d; want 2 (both styles)", hits.Load())
	}
}

func TestRetrieveErrorRequestScrubbed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"invalid_grant"}`)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "client-secret-value", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	_, err := c.Refresh(context.Background(), "refresh-token-value")
	re, ok := err.(*oauth2.RetrieveError)
	if !ok || re.Response == nil || re.Response.Request == nil {
		t.Fatalf("got %T %v; want an *oauth2.RetrieveError with its response and request", err, err)
	}
	req := re.Response.Request
	if h := req.Header.Get("Authorization"); h != "" {
		t.Errorf("Response.Request keeps Authorization %q", h)
	}
	if req.GetBody != nil {
		t.Error("Response.Request.GetBody is set; want nil (it would replay the refresh token)")
	}
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		testlog.NoSecrets(t, "text", string(b), "refresh-token-value", "client-secret-value")
	}
	testlog.NoSecrets(t, "text", fmt.Sprintf("%+v", req), "refresh-token-value", "client-secret-value", basicCredentials("id", "client-secret-value"))
}

func TestTransportErrorKeepsCause(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: "http://" + addr + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
	_, err = c.Exchange(context.Background(), "the-code")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(%v, ECONNREFUSED) = false; want true", err)
	}

	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	c = &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: tlsSrv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	_, err = c.ClientCredentialsToken(context.Background())
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &cve) || !errors.As(err, &ua) {
		t.Errorf("got %v; want a certificate verification error reachable with errors.As", err)
	}
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %T; want a *TransportError", err)
	}
	// The text is redacted, the cause kept.
	te = &TransportError{Op: "x", Err: errors.New("dial: sec-ret-value"), text: redactor{"sec-ret-value"}.String("dial: sec-ret-value")}
	testlog.NoSecrets(t, "text", te.Error(), "sec-ret-value")
}

func TestRedactorEchoes(t *testing.T) {
	tests := []struct {
		name, secret, text, want string
	}{
		{"plain", "s3cret-value", "got s3cret-value", "got " + redacted},
		{"json escaped", `pa"ss\<&>word`, `{"d":"pa\"ss\\\u003c\u0026\u003eword"}`, `{"d":"` + redacted + `"}`},
		{"query escaped", "a b+c/d=", "x=a+b%2Bc%2Fd%3D", "x=" + redacted},
		{"query escaped lower hex", "a b+c/d=", "x=a+b%2bc%2fd%3d", "x=" + redacted},
		{"path escaped", "a b/c", "x/a%20b%2Fc", "x/" + redacted},
		{"short secret whole value", "ab1", `{"client_secret":"ab1"} ab1`, `{"client_secret":"` + redacted + `"} ` + redacted},
		{"short secret inside a word kept", "ab1", "grab1 ab12 xab1", "grab1 ab12 xab1"},
		{"short secret as a form value", "k9", "client_secret=k9&x=1", "client_secret=" + redacted + "&x=1"},
		{"one-character secret", "x", "x y", redacted + " y"},
	}
	for _, tt := range tests {
		if got := (redactor{tt.secret}).String(tt.text); got != tt.want {
			t.Errorf("%s: redact(%q) = %q; want %q", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestAuthCodeOptions(t *testing.T) {
	v := "verifier-0123456789-0123456789-0123456789-abc"
	tests := []struct {
		name string
		opt  oauth2.AuthCodeOption
		want map[string]string
	}{
		{"AccessTypeOffline", oauth2.AccessTypeOffline, map[string]string{"access_type": "offline"}},
		{"ApprovalForce", oauth2.ApprovalForce, map[string]string{"prompt": "consent"}},
		{"S256ChallengeOption", oauth2.S256ChallengeOption(v), map[string]string{"code_challenge": oauth2.S256ChallengeFromVerifier(v), "code_challenge_method": "S256"}},
		{"VerifierOption", oauth2.VerifierOption(v), map[string]string{"code_verifier": v}},
		{"SetAuthURLParam", oauth2.SetAuthURLParam("audience", "https://api.example"), map[string]string{"audience": "https://api.example"}},
		{"SetAuthURLParam client_id", oauth2.SetAuthURLParam("client_id", "other"), map[string]string{"client_id": "other"}},
	}
	c := &Config{ClientID: "id", Endpoint: oauth2.Endpoint{AuthURL: "https://idp.example/authorize"}}
	for _, tt := range tests {
		u := c.AuthCodeURL("st", AuthCodeOptions(tt.opt))
		q := mustQuery(t, u)
		for k, want := range tt.want {
			if got := q.Get(k); got != want {
				t.Errorf("%s: AuthCodeURL %s = %q; want %q", tt.name, k, got, want)
			}
		}
		if q.Get("response_type") != "code" || q.Get("state") != "st" {
			t.Errorf("%s: AuthCodeURL lost response_type or state: %s", tt.name, u)
		}
		if tt.want["client_id"] == "" && q.Get("client_id") != "id" {
			t.Errorf("%s: client_id = %q; want id", tt.name, q.Get("client_id"))
		}
	}
	// In a token request.
	srv := answered(t, 200, okToken)
	c = &Config{ClientID: "id", Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL()}}
	if _, err := c.Exchange(context.Background(), "code", AuthCodeOptions(oauth2.VerifierOption(v))); err != nil {
		t.Fatal(err)
	}
	if got := srv.LastTokenRequest().Params["code_verifier"]; got != v {
		t.Errorf("Exchange code_verifier = %q; want %q", got, v)
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestContextHTTPClient(t *testing.T) {
	srv := oauth2test.NewServer(t, nil)
	ct := &countingTransport{base: srv.Client().Transport}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: ct})
	c := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint()}
	if _, err := c.ClientCredentialsToken(ctx); err != nil {
		t.Fatal(err)
	}
	if ct.n.Load() == 0 {
		t.Error("the context's oauth2.HTTPClient was not used")
	}
	// Config.HTTPClient wins over the context's.
	c.HTTPClient = srv.Client()
	n := ct.n.Load()
	if _, err := c.ClientCredentialsToken(ctx); err != nil {
		t.Fatal(err)
	}
	if ct.n.Load() != n {
		t.Error("the context's client was used although Config.HTTPClient is set")
	}
}

func TestRetryClientBuiltOnce(t *testing.T) {
	var c Config
	a := c.state().retryClient(nil, retrySafe)
	if b := c.state().retryClient(nil, retrySafe); a != b {
		t.Error("the default retry client was built twice")
	}
	if u := c.state().retryClient(nil, retryUnsent); u == a {
		t.Error("one retry client for two policies")
	}
	hc := &http.Client{}
	if r := c.state().retryClient(hc, retrySafe); r == a || r.HTTPClient.Transport != hc.Transport {
		t.Error("a new HTTPClient (set before use) is not honoured")
	}
}

// recordingObserver keeps what it is shown.
type recordingObserver struct {
	mu    sync.Mutex
	infos []RequestInfo
	outs  []RequestOutcome
}

type observedKey struct{}

func (o *recordingObserver) StartRequest(ctx context.Context, info RequestInfo) (context.Context, func(RequestOutcome)) {
	o.mu.Lock()
	o.infos = append(o.infos, info)
	o.mu.Unlock()
	var once atomic.Bool
	return context.WithValue(ctx, observedKey{}, true), func(out RequestOutcome) {
		if !once.CompareAndSwap(false, true) {
			panic("done called twice")
		}
		o.mu.Lock()
		o.outs = append(o.outs, out)
		o.mu.Unlock()
	}
}

// ctxCheckTransport fails requests not sent with the observer's context.
type ctxCheckTransport struct{ base http.RoundTripper }

func (c ctxCheckTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Context().Value(observedKey{}) == nil {
		return nil, errors.New("request not sent with the observer's context")
	}
	return c.base.RoundTrip(r)
}

func TestObserver(t *testing.T) {
	srv := oauth2test.NewServer(t, nil)
	obs := &recordingObserver{}
	hc := &http.Client{Transport: ctxCheckTransport{srv.Client().Transport}}
	c := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint(),
		RevocationURL: srv.RevocationURL(), HTTPClient: hc, Observer: obs}
	ctx := context.Background()
	tok, err := c.ClientCredentialsToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, refreshErr := c.Refresh(ctx, "unknown-refresh-token-value")
	if _, err := c.DeviceAuth(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, tok.AccessToken, "access_token"); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := []RequestInfo{
		{"token", "client_credentials", host},
		{"token", "refresh_token", host},
		{"device_authorization", "", host},
		{"revocation", "", host},
	}
	if len(obs.infos) != len(want) || len(obs.outs) != len(want) {
		t.Fatalf("observed %d starts and %d outcomes; want %d each", len(obs.infos), len(obs.outs), len(want))
	}
	for i, w := range want {
		if obs.infos[i] != w {
			t.Errorf("info %d = %+v; want %+v", i, obs.infos[i], w)
		}
	}
	if o := obs.outs[0]; o.StatusCode != 200 || o.ErrorCode != "" || o.Err != nil {
		t.Errorf("success outcome = %+v; want 200 and no error", o)
	}
	if o := obs.outs[1]; o.StatusCode != 400 || o.ErrorCode != "invalid_grant" || o.Err != refreshErr {
		t.Errorf("refusal outcome = %+v; want 400 invalid_grant and the caller's error", o)
	}
	text := fmt.Sprintf("%+v %+v", obs.infos, obs.outs)
	testlog.NoSecrets(t, "text", text, oauth2test.DefaultClientSecret, tok.AccessToken, "unknown-refresh-token-value")
}

func TestServerAddress(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://idp.example/token", "idp.example"},
		{"https://idp.example:443/token", "idp.example"},
		{"https://idp.example:8443/token", "idp.example:8443"},
		{"http://127.0.0.1:80/token", "127.0.0.1"},
		{"http://[::1]:9000/token", "[::1]:9000"},
	}
	for _, tt := range tests {
		if got := serverAddress(tt.url); got != tt.want {
			t.Errorf("serverAddress(%q) = %q; want %q", tt.url, got, tt.want)
		}
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func TestSecretFieldsNotMarshalled(t *testing.T) {
	// Config holds funcs (HTTPClient, Observer), so check the tags.
	for _, typ := range []reflect.Type{reflect.TypeFor[Config]()} {
		for f := range typ.Fields() {
			if strings.Contains(f.Name, "Secret") && f.Tag.Get("json") != "-" {
				t.Errorf("%s.%s has json tag %q; want \"-\"", typ.Name(), f.Name, f.Tag.Get("json"))
			}
		}
	}
}

func TestAuthStyleMemoForgottenWhenRefused(t *testing.T) {
	var basicOnly atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, basic := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if basic != basicOnly.Load() {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		io.WriteString(w, okToken)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.URL}}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil { // learns the body style
		t.Fatal(err)
	}
	basicOnly.Store(true) // the server's configuration changes
	if _, err := c.ClientCredentialsToken(context.Background()); err == nil {
		t.Fatal("the remembered style was accepted; want a refusal")
	}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
		t.Errorf("after a refusal: got %v; want the style re-detected", err)
	}
}
