package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// recSeen is one request a recordingServer received.
type recSeen struct {
	path   string
	auth   string
	params url.Values
}

// recordingServer answers each request with the next of answers (the
// last repeats) and records what it received.
type recordingServer struct {
	*httptest.Server
	mu      sync.Mutex
	got     []recSeen
	answers []recAnswer
}

type recAnswer struct {
	status int
	body   string
}

func newRecordingServer(t *testing.T, answers ...recAnswer) *recordingServer {
	rs := &recordingServer{answers: answers}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if int64(len(b)) != r.ContentLength {
			t.Errorf("body of %d bytes, Content-Length %d", len(b), r.ContentLength)
		}
		p, _ := url.ParseQuery(string(b))
		rs.mu.Lock()
		rs.got = append(rs.got, recSeen{r.URL.Path, r.Header.Get("Authorization"), p})
		a := rs.answers[min(len(rs.got)-1, len(rs.answers)-1)]
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) requests() []recSeen {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]recSeen(nil), rs.got...)
}

const recOKToken = `{"access_token":"at-0123456789","token_type":"Bearer","expires_in":3600}`

func assertionClaimsOf(t *testing.T, s recSeen) (claims struct {
	Iss, Sub, Jti string
	Aud           any
}) {
	t.Helper()
	if s.params.Get("client_assertion_type") != clientAssertionType {
		t.Fatalf("request to %s has no client assertion: %v", s.path, s.params)
	}
	if s.auth != "" || s.params.Has("client_secret") {
		t.Errorf("request to %s also carries a secret", s.path)
	}
	if !jwtClaims(s.params.Get("client_assertion"), 0, &claims) {
		t.Fatalf("client_assertion is not a JWT")
	}
	return claims
}

func TestAssertionOnEveryEndpoint(t *testing.T) {
	key := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	rs := newRecordingServer(t, recAnswer{200, `{"access_token":"at-0123456789","token_type":"Bearer","expires_in":3600,` +
		`"device_code":"dc","user_code":"uc","verification_uri":"https://v","active":true,"request_uri":"urn:x","expires_in":60}`})
	m := &Metadata{Issuer: rs.URL, TokenEndpoint: rs.URL + "/token", DeviceAuthorizationEndpoint: rs.URL + "/device",
		RevocationEndpoint: rs.URL + "/revoke", IntrospectionEndpoint: rs.URL + "/introspect",
		PushedAuthorizationRequestEndpoint: rs.URL + "/par", AuthorizationEndpoint: rs.URL + "/authorize"}
	conf := &Config{ClientID: "pk", ClientSecret: "never-sent-secret", Metadata: m, ClientAssertion: PrivateKeyJWT(key, "k1")}
	ctx := context.Background()
	if _, err := conf.ClientCredentialsToken(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := conf.DeviceAuth(ctx); err != nil {
		t.Fatal(err)
	}
	if err := conf.Revoke(ctx, "tok", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := conf.Introspect(ctx, "tok", ""); err != nil {
		t.Fatal(err)
	}
	authURL, err := conf.PushAuthCodeURL(ctx, "st", Resource("https://api.example/", "https://files.example/"),
		AuthorizationDetails(json.RawMessage(`[ {"type": "payment_initiation"} ]`)))
	if err != nil {
		t.Fatal(err)
	}
	if want := rs.URL + "/authorize?client_id=pk&request_uri=urn%3Ax"; authURL != want {
		t.Errorf("authorization URL %q; want %q", authURL, want)
	}
	got := rs.requests()
	wantPaths := []string{"/token", "/device", "/revoke", "/introspect", "/par"}
	if len(got) != len(wantPaths) {
		t.Fatalf("got %d requests; want %d", len(got), len(wantPaths))
	}
	par := got[4].params
	if par.Get("response_type") != "code" || par.Get("state") != "st" || len(par["resource"]) != 2 ||
		par.Get("authorization_details") != `[{"type":"payment_initiation"}]` {
		t.Errorf("pushed request %v", par)
	}
	jtis := map[string]bool{}
	for i, s := range got {
		if s.path != wantPaths[i] {
			t.Errorf("request %d to %s; want %s", i, s.path, wantPaths[i])
		}
		c := assertionClaimsOf(t, s)
		if c.Iss != "pk" || c.Sub != "pk" || s.params.Get("client_id") != "pk" {
			t.Errorf("%s: iss %q sub %q client_id %q", s.path, c.Iss, c.Sub, s.params.Get("client_id"))
		}
		// Every endpoint: aud is the token endpoint, then the issuer.
		if aud, _ := json.Marshal(c.Aud); string(aud) != `["`+m.TokenEndpoint+`","`+m.Issuer+`"]` {
			t.Errorf("%s: aud %s", s.path, aud)
		}
		if jtis[c.Jti] {
			t.Errorf("%s: jti %q reused", s.path, c.Jti)
		}
		jtis[c.Jti] = true
	}
	// A pinned audience.
	pinned := *conf
	pinned.AssertionAudience = "https://issuer.example"
	if _, err := pinned.ClientCredentialsToken(ctx); err != nil {
		t.Fatal(err)
	}
	if c := assertionClaimsOf(t, rs.requests()[len(got)]); c.Aud != "https://issuer.example" {
		t.Errorf("pinned aud %v", c.Aud)
	}
}

func TestAssertionFreshPerRetry(t *testing.T) {
	key := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	rs := newRecordingServer(t, recAnswer{503, `{}`}, recAnswer{502, `{}`}, recAnswer{200, recOKToken})
	conf := &Config{ClientID: "pk", ClientAssertion: PrivateKeyJWT(key, ""), Endpoint: oauth2.Endpoint{TokenURL: rs.URL + "/token"}}
	if _, err := conf.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rs.requests()
	if len(got) != 3 {
		t.Fatalf("got %d attempts; want 3", len(got))
	}
	seenJTI := map[string]bool{}
	for i, s := range got {
		c := assertionClaimsOf(t, s)
		if seenJTI[c.Jti] {
			t.Errorf("attempt %d reuses jti %q", i+1, c.Jti)
		}
		seenJTI[c.Jti] = true
		if s.params.Get("grant_type") != "client_credentials" {
			t.Errorf("attempt %d lost its parameters: %v", i+1, s.params)
		}
	}
}

func TestAssertionNeverDowngraded(t *testing.T) {
	key := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	rs := newRecordingServer(t, recAnswer{401, `{"error":"invalid_client"}`})
	// The server announces secrets only; the configured assertion still wins.
	m := &Metadata{Issuer: rs.URL, TokenEndpoint: rs.URL + "/token", TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"}}
	conf := &Config{ClientID: "pk", ClientSecret: "never-sent-secret", Metadata: m, ClientAssertion: PrivateKeyJWT(key, "")}
	_, err := conf.ClientCredentialsToken(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("got %v; want invalid_client", err)
	}
	got := rs.requests()
	if len(got) != 1 {
		t.Fatalf("got %d requests; want 1 (no retry with the secret)", len(got))
	}
	assertionClaimsOf(t, got[0])

	// An assertion that cannot be made sends nothing.
	bad := *conf
	bad.ClientAssertion = PrivateKeyJWT(opaqueSigner{pub: &key.PublicKey, err: errors.New("kms: access denied")}, "")
	_, err = bad.ClientCredentialsToken(context.Background())
	var ae *AssertionError
	if !errors.As(err, &ae) {
		t.Errorf("got %v; want an *AssertionError", err)
	}
	if n := len(rs.requests()); n != 1 {
		t.Errorf("a failed assertion sent a request")
	}
}

func TestMetadataChoosesAuthMethod(t *testing.T) {
	tests := []struct {
		name      string
		supported []string
		style     oauth2.AuthStyle
		want      string // "basic", "post", "secret_jwt"
	}{
		{"post only", []string{"client_secret_post"}, oauth2.AuthStyleAutoDetect, "post"},
		{"basic only", []string{"client_secret_basic", "private_key_jwt"}, oauth2.AuthStyleAutoDetect, "basic"},
		{"client_secret_jwt only", []string{"client_secret_jwt", "private_key_jwt"}, oauth2.AuthStyleAutoDetect, "secret_jwt"},
		{"an explicit style wins over metadata", []string{"client_secret_post"}, oauth2.AuthStyleInHeader, "basic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := newRecordingServer(t, recAnswer{200, recOKToken})
			m := &Metadata{Issuer: rs.URL, TokenEndpoint: rs.URL + "/token", TokenEndpointAuthMethodsSupported: tt.supported}
			conf := &Config{ClientID: "id", ClientSecret: "a-secret-of-at-least-thirty-two-bytes", Metadata: m, Endpoint: oauth2.Endpoint{AuthStyle: tt.style}}
			if _, err := conf.ClientCredentialsToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := rs.requests()
			if len(got) != 1 {
				t.Fatalf("got %d requests; want 1", len(got))
			}
			s := got[0]
			var method string
			switch {
			case s.params.Get("client_assertion") != "":
				method = "secret_jwt"
				assertionClaimsOf(t, s)
			case s.auth != "" && !s.params.Has("client_secret"):
				method = "basic"
			case s.auth == "" && s.params.Get("client_secret") != "":
				method = "post"
			}
			if method != tt.want {
				t.Errorf("got %q (auth %q, params %v); want %q", method, s.auth, s.params, tt.want)
			}
		})
	}
}

func TestConfigDescribesMetadataAndAssertion(t *testing.T) {
	key := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	c := Config{ClientID: "pk", Metadata: &Metadata{TokenEndpoint: "https://idp.example/token"}, ClientAssertion: PrivateKeyJWT(key, "k1")}
	if got, want := c.String(), "client.Config{ClientID: pk, TokenURL: https://idp.example/token}"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	attrs := map[string]string{}
	for _, a := range c.LogValue().Group() {
		attrs[a.Key] = a.Value.String()
	}
	if attrs["has_assertion"] != "true" || attrs["token_url"] != "https://idp.example/token" {
		t.Errorf("LogValue() = %v", attrs)
	}
}
