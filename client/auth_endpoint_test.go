package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"golang.org/x/oauth2"
)

// methodOf names how s authenticated the client: "assertion", "basic",
// "post" or "".
func methodOf(s recSeen) string {
	switch {
	case s.params.Get("client_assertion") != "":
		return "assertion"
	case s.auth != "" && !s.params.Has("client_secret"):
		return "basic"
	case s.auth == "" && s.params.Get("client_secret") != "":
		return "post"
	}
	return ""
}

func TestMetadataChoosesAuthMethodPerEndpoint(t *testing.T) {
	tests := []struct {
		name                 string
		token, revoke, intro []string
		call                 string // "revoke", "introspect" or "token"
		want                 string
	}{
		{"revocation's own list", []string{"client_secret_post"}, []string{"client_secret_basic"}, nil, "revoke", "basic"},
		{"introspection's own list", []string{"client_secret_basic"}, nil, []string{"client_secret_post"}, "introspect", "post"},
		{"revocation falls back to the token list", []string{"client_secret_post"}, nil, []string{"client_secret_basic"}, "revoke", "post"},
		{"introspection falls back to the token list", []string{"client_secret_post"}, []string{"client_secret_basic"}, nil, "introspect", "post"},
		{"client_secret_jwt at revocation only", []string{"client_secret_basic"}, []string{"client_secret_jwt"}, nil, "revoke", "assertion"},
		{"the token endpoint keeps its list", []string{"client_secret_post"}, []string{"client_secret_basic"}, []string{"client_secret_basic"}, "token", "post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := newRecordingServer(t, recAnswer{200, `{"active":false,"access_token":"at-0123456789","token_type":"Bearer","expires_in":3600}`})
			m := &Metadata{Issuer: rs.URL, TokenEndpoint: rs.URL + "/token", RevocationEndpoint: rs.URL + "/revoke", IntrospectionEndpoint: rs.URL + "/introspect",
				TokenEndpointAuthMethodsSupported: tt.token, RevocationEndpointAuthMethodsSupported: tt.revoke, IntrospectionEndpointAuthMethodsSupported: tt.intro}
			conf := &Config{ClientID: "id", ClientSecret: "a-secret-of-at-least-thirty-two-bytes", Metadata: m}
			var err error
			switch tt.call {
			case "revoke":
				err = conf.Revoke(context.Background(), "tok%3d+/", "")
			case "introspect":
				_, err = conf.Introspect(context.Background(), "tok%3d+/", "")
			default:
				_, err = conf.ClientCredentialsToken(context.Background())
			}
			if err != nil {
				t.Fatal(err)
			}
			got := rs.requests()
			if len(got) != 1 {
				t.Fatalf("got %d requests; want 1", len(got))
			}
			if m := methodOf(got[0]); m != tt.want {
				t.Errorf("got %q (auth %q, params %v); want %q", m, got[0].auth, got[0].params, tt.want)
			}
			if tt.want == "assertion" {
				assertionClaimsOf(t, got[0])
			}
		})
	}
}

func TestAssertionNeverDowngradedAtRevocationOrIntrospection(t *testing.T) {
	key := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	rs := newRecordingServer(t, recAnswer{401, `{"error":"invalid_client"}`})
	// Revocation and introspection announce secrets only; the configured
	// assertion still wins and a refusal is not retried with the secret.
	m := &Metadata{Issuer: rs.URL, TokenEndpoint: rs.URL + "/token", RevocationEndpoint: rs.URL + "/revoke", IntrospectionEndpoint: rs.URL + "/introspect",
		TokenEndpointAuthMethodsSupported:         []string{"private_key_jwt"},
		RevocationEndpointAuthMethodsSupported:    []string{"client_secret_basic", "client_secret_post"},
		IntrospectionEndpointAuthMethodsSupported: []string{"client_secret_basic"}}
	conf := &Config{ClientID: "pk", ClientSecret: "never-sent-secret", Metadata: m, ClientAssertion: PrivateKeyJWT(key, "")}
	errs := []error{conf.Revoke(context.Background(), "tok", "")}
	_, err := conf.Introspect(context.Background(), "tok", "")
	errs = append(errs, err)
	for i, err := range errs {
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Errorf("call %d: got %v; want invalid_client", i, err)
		}
	}
	got := rs.requests()
	if len(got) != 2 {
		t.Fatalf("got %d requests; want 2 (no retry with the secret)", len(got))
	}
	for _, s := range got {
		assertionClaimsOf(t, s)
	}
}
