package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"testing"

	"github.com/tokenward/tokenward/oauth2test"
)

// The standards pieces against oauth2test, the fake server users test with.
func TestOAuth2TestStandards(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "svc", Secret: "svc-secret"},
		{ID: "pk", AuthStyle: oauth2test.AuthPrivateKeyJWT, PublicKey: key.Public()},
		{ID: "hs", Secret: "hs-secret-of-at-least-thirty-two-bytes", AuthStyle: oauth2test.AuthSecretJWT},
		{ID: "par", Secret: "par-secret", RequirePAR: true, RedirectURIs: []string{"https://app.example/cb"}},
	}})
	ctx := context.Background()
	m, err := Discover(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.IntrospectionEndpoint != srv.IntrospectionURL() || m.PushedAuthorizationRequestEndpoint != srv.PARURL() || m.RegistrationEndpoint != srv.RegistrationURL() {
		t.Fatalf("metadata %+v", m)
	}

	withAuth := func(v url.Values, a ClientAssertion, id, secret string) url.Values {
		auth, err := clientAssertionParams(ctx, a, assertionRequest{ClientID: id, Secret: secret, Audience: assertionAudience("", m.TokenEndpoint, m.Issuer)})
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range auth {
			v[k] = vs
		}
		return v
	}
	for _, c := range []struct {
		id, secret string
		a          ClientAssertion
	}{{"pk", "", PrivateKeyJWT(key, "k")}, {"hs", "hs-secret-of-at-least-thirty-two-bytes", SecretJWT()}} {
		v := withAuth(url.Values{"grant_type": {"client_credentials"}}, c.a, c.id, c.secret)
		if st, _, raw := opPost(t, m.TokenEndpoint, v, "", ""); st != http.StatusOK {
			t.Errorf("%s: HTTP %d %s", c.id, st, raw)
		}
		if st, body, _ := opPost(t, m.TokenEndpoint, v, "", ""); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("%s replay: HTTP %d %v; want invalid_client", c.id, st, body)
		}
	}
	if st, _, _ := opPost(t, m.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}}, "hs", "hs-secret-of-at-least-thirty-two-bytes"); st != http.StatusUnauthorized {
		t.Errorf("secret JWT client with Basic: HTTP %d; want 401", st)
	}

	// Introspection, and token exchange of the introspected token.
	_, body, _ := opPost(t, m.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}}, "svc", "svc-secret")
	tok := body["access_token"].(string)
	if in := opIntrospect(t, m, tok, "svc", "svc-secret", nil); !in.Active || in.ClientID != "svc" {
		t.Errorf("introspection %+v", in)
	}
	if in := opIntrospect(t, m, tok, "par", "par-secret", nil); in.Active {
		t.Errorf("another client's token is active: %+v", in)
	}
	v, _ := TokenExchange{SubjectToken: tok, SubjectTokenType: TokenTypeAccessToken}.params()
	if st, body, raw := opPost(t, m.TokenEndpoint, v, "svc", "svc-secret"); st != http.StatusOK || body["issued_token_type"] != TokenTypeAccessToken {
		t.Errorf("token exchange: HTTP %d %s", st, raw)
	}

	// JWT bearer with the pk client's key.
	as, _ := (&ServiceAccount{Key: key, Issuer: "robot", Subject: "alice", Audience: m.TokenEndpoint}).Assertion(ctx)
	v, _ = jwtBearerParams(as)
	if st, _, raw := opPost(t, m.TokenEndpoint, withAuth(v, PrivateKeyJWT(key, ""), "pk", ""), "", ""); st != http.StatusOK {
		t.Errorf("JWT bearer: HTTP %d %s", st, raw)
	}

	// PAR: the pushed request authorizes; an unpushed one is refused.
	pv := url.Values{"response_type": {"code"}, "client_id": {"par"}, "redirect_uri": {"https://app.example/cb"}, "state": {"s1"}}
	st, _, raw := opPost(t, m.PushedAuthorizationRequestEndpoint, pv, "par", "par-secret")
	uri, _, err := parsePAR(raw)
	if st != http.StatusCreated || err != nil {
		t.Fatalf("PAR: HTTP %d %s %v", st, raw, err)
	}
	authURL, _ := parAuthURL(m.AuthorizationEndpoint, "par", uri)
	cb, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil || cb.Query().Get("code") == "" || cb.Query().Get("state") != "s1" {
		t.Errorf("PAR authorize: %v, %v", cb, err)
	}
	srv.Advance(oauth2test.PARLifetime)
	if _, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword); err == nil {
		t.Error("expired request_uri: no error")
	}
	if _, err := srv.Authorize(m.AuthorizationEndpoint+"?"+pv.Encode(), oauth2test.DefaultUsername, oauth2test.DefaultPassword); err == nil {
		t.Error("unpushed request of a RequirePAR client: no error")
	}

	// The protected resource names this server (RFC 9728).
	rm, err := DiscoverResource(ctx, srv.ResourceURL(), nil)
	if err != nil || len(rm.AuthorizationServers) != 1 || rm.AuthorizationServers[0] != srv.URL {
		t.Errorf("DiscoverResource: %+v, %v", rm, err)
	}

	// Registration and management.
	reg, err := Register(ctx, m.RegistrationEndpoint, &ClientMetadata{GrantTypes: []string{"client_credentials"}, Scope: "a"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, raw := opPost(t, m.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}}, reg.ClientID, reg.ClientSecret); st != http.StatusOK {
		t.Errorf("registered client: HTTP %d %s", st, raw)
	}
	if got, err := reg.Update(ctx, &ClientMetadata{GrantTypes: []string{"client_credentials"}, ClientName: "n"}, nil); err != nil || got.Metadata.ClientName != "n" {
		t.Errorf("Update: %v %v", got, err)
	}
	if err := reg.Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Read(ctx, nil); err == nil {
		t.Error("Read after Delete: no error")
	}
}
