package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestParseIntrospection(t *testing.T) {
	in, err := parseIntrospection([]byte(`{"active":true,"scope":"a b","client_id":"c","username":"u","token_type":"Bearer",
		"exp":1800000000,"iat":1799999000,"nbf":1799999000.0,"sub":"s","aud":"https://api","iss":"https://i","jti":"j","cnf":{"jkt":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !in.Active || in.Scope != "a b" || in.ClientID != "c" || in.Username != "u" || in.TokenType != "Bearer" ||
		in.Expiry.Unix() != 1800000000 || in.IssuedAt.Unix() != 1799999000 || in.NotBefore.IsZero() ||
		in.Subject != "s" || len(in.Audience) != 1 || in.Audience[0] != "https://api" || in.Issuer != "https://i" || in.JWTID != "j" {
		t.Errorf("got %+v", in)
	}
	if cnf, _ := in.Extra["cnf"].(map[string]any); cnf["jkt"] != "x" || len(in.Extra) != 1 {
		t.Errorf("Extra %v; want only cnf", in.Extra)
	}
	in, err = parseIntrospection([]byte(`{"active":false}`))
	if err != nil || in.Active {
		t.Errorf("inactive: %+v, %v; want a value", in, err)
	}
	in, _ = parseIntrospection([]byte(`{"active":true,"aud":["a","b"]}`))
	if len(in.Audience) != 2 {
		t.Errorf("aud array: %q", in.Audience)
	}
	for _, body := range []string{`<html>nope</html>`, ``, `null`, `[]`, `{"scope":"x"}`, `{"active":"yes"}`,
		`{"active":true,"exp":"tomorrow"}`, `{"active":true,"aud":5}`, `{"active":true,"exp":-1}`} {
		_, err := parseIntrospection([]byte(body))
		var ie *InvalidResponseError
		if !errors.As(err, &ie) || ie.Endpoint != "introspection" {
			t.Errorf("parseIntrospection(%q) = %v; want an *InvalidResponseError", body, err)
		}
	}
	if got := introspectionParams("tok", "access_token").Encode(); got != "token=tok&token_type_hint=access_token" {
		t.Errorf("params %q", got)
	}
}

func TestParsePAR(t *testing.T) {
	uri, exp, err := parsePAR([]byte(`{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}`))
	if err != nil || uri != "urn:ietf:params:oauth:request_uri:abc" || exp != time.Minute {
		t.Errorf("got %q %v %v", uri, exp, err)
	}
	for _, body := range []string{`{"expires_in":60}`, `{"request_uri":"u","expires_in":0}`, `{"request_uri":"u"}`,
		`{"request_uri":"u","expires_in":-5}`, `{"request_uri":"u","expires_in":"60"}`, `{"request_uri":"u","expires_in":1e9}`, `not json`} {
		if _, _, err := parsePAR([]byte(body)); !errors.As(err, new(*InvalidResponseError)) {
			t.Errorf("parsePAR(%q) = %v; want an *InvalidResponseError", body, err)
		}
	}
	got, err := parAuthURL("https://i/auth?tenant=x", "c id", "urn:ietf:params:oauth:request_uri:abc")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if len(q) != 3 || q.Get("client_id") != "c id" || q.Get("request_uri") != "urn:ietf:params:oauth:request_uri:abc" || q.Get("tenant") != "x" {
		t.Errorf("authorize URL %q; want only client_id and request_uri added", got)
	}
}

func TestResourceAndAuthorizationDetails(t *testing.T) {
	v := url.Values{}
	Resource("https://a.example/", "https://b.example/").setParam(v)
	AuthorizationDetails(json.RawMessage("[ {\"type\" : \"payment\"} ]")).setParam(v)
	if got := v["resource"]; len(got) != 2 || got[1] != "https://b.example/" {
		t.Errorf("resource %q; want both", got)
	}
	if got := v.Get("authorization_details"); got != `[{"type":"payment"}]` {
		t.Errorf("authorization_details %q; want compacted", got)
	}
}

func TestTokenExchangeParams(t *testing.T) {
	v, err := TokenExchange{SubjectToken: "st", SubjectTokenType: TokenTypeJWT, ActorToken: "at", ActorTokenType: TokenTypeAccessToken,
		RequestedTokenType: TokenTypeAccessToken, Audience: []string{"svc-a", "svc-b"}, Resource: []string{"https://api/"}}.params()
	if err != nil {
		t.Fatal(err)
	}
	want := "actor_token=at&actor_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&audience=svc-a&audience=svc-b&" +
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&" +
		"resource=https%3A%2F%2Fapi%2F&subject_token=st&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
	if got := v.Encode(); got != want {
		t.Errorf("params\n got %s\nwant %s", got, want)
	}
	for _, bad := range []TokenExchange{{}, {SubjectToken: "st"}, {SubjectToken: "st", SubjectTokenType: TokenTypeJWT, ActorToken: "a"},
		{SubjectToken: "st", SubjectTokenType: TokenTypeJWT, ActorTokenType: TokenTypeJWT},
		{SubjectToken: "st", SubjectTokenType: TokenTypeJWT, Resource: []string{"relative"}}} {
		if _, err := bad.params(); !errors.As(err, new(*ConfigError)) {
			t.Errorf("%+v: got %v; want a *ConfigError", bad, err)
		} else if strings.Contains(err.Error(), "st") && bad.SubjectToken != "" && strings.Contains(err.Error(), "=st") {
			t.Errorf("error %q holds the token", err)
		}
	}
	if _, err := jwtBearerParams(""); err == nil {
		t.Error("empty assertion: no error")
	}
}

func TestServiceAccountAssertion(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	sa := &ServiceAccount{Key: key, KeyID: "k1", Issuer: "robot@example.iam", Subject: "alice@example.com",
		Audience: "https://oauth2.example/token", Scopes: []string{"a", "b"}, Lifetime: 2 * time.Hour, Now: func() time.Time { return now }}
	s, err := sa.Assertion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, c := verifyJWT(t, s, jose.ES256, key.Public())
	if c["iss"] != "robot@example.iam" || c["sub"] != "alice@example.com" || c["aud"] != "https://oauth2.example/token" || c["scope"] != "a b" {
		t.Errorf("claims %v", c)
	}
	if exp := int64(c["exp"].(float64)); exp != now.Add(time.Hour).Unix() {
		t.Errorf("exp %d; want capped at 1 hour", exp)
	}
	// As a ClientAssertion it takes the token endpoint as audience.
	s, err = (&ServiceAccount{Key: key, Issuer: "robot"}).assertion(context.Background(), assertionRequest{Audience: []string{"https://t/token"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, c := verifyJWT(t, s, jose.ES256, key.Public()); c["aud"] != "https://t/token" || c["sub"] != "robot" {
		t.Errorf("claims %v", c)
	}
	if _, err := (&ServiceAccount{Key: key}).Assertion(context.Background()); err == nil {
		t.Error("no issuer: no error")
	}
	if _, err := (&ServiceAccount{Issuer: "x", Audience: "https://t"}).Assertion(context.Background()); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("no key: got %v; want ErrUnsupportedKey", err)
	}
}

func FuzzParseResponses(f *testing.F) {
	f.Add([]byte(`{"active":true,"aud":["a"],"exp":1}`))
	f.Add([]byte(`{"request_uri":"urn:x","expires_in":60}`))
	f.Add([]byte(`{"client_id":"c","client_id_issued_at":1e300}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if in, err := parseIntrospection(b); err == nil && in == nil {
			t.Fatal("nil introspection without an error")
		}
		if uri, exp, err := parsePAR(b); err == nil && (uri == "" || exp <= 0) {
			t.Fatalf("parsePAR accepted %q %v", uri, exp)
		}
		if r, err := parseRegistration(200, b); err == nil && r.ClientID == "" {
			t.Fatal("registration without client_id accepted")
		}
	})
}
