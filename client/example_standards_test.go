package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

// Discover reads an authorization server's metadata once; the Metadata is
// a value to keep and reuse.
func ExampleDiscover() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()

	md, err := client.Discover(context.Background(), srv.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	// The Metadata supplies every URL the Config leaves empty.
	conf := &client.Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Metadata: md}
	tok, err := conf.ClientCredentialsToken(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimPrefix(md.TokenEndpoint, srv.URL), tok.Type())
	fmt.Println(strings.TrimPrefix(md.PushedAuthorizationRequestEndpoint, srv.URL))
	// Output:
	// /token Bearer
	// /par
}

// A document that names another issuer is refused: one server cannot
// pose as another.
func ExampleDiscover_issuerMismatch() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // same server, another issuer

	_, err := client.Discover(context.Background(), other, nil)
	fmt.Println(errors.Is(err, client.ErrIssuerMismatch))
	// Output: true
}

// ResourceMetadataURL finds where a protected resource describes itself
// (RFC 9728), from the 401 it answered.
func ExampleResourceMetadataURL() {
	h := http.Header{}
	h.Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token", resource_metadata="https://api.example/.well-known/oauth-protected-resource"`)
	fmt.Println(client.ResourceMetadataURL(h))
	// Output: https://api.example/.well-known/oauth-protected-resource
}

// PrivateKeyJWT authenticates a client with a key instead of a secret; the
// key may be any crypto.Signer (a KMS, an HSM or a TPM key too). Every
// request that authenticates the client then carries a fresh, signed
// assertion.
func ExamplePrivateKeyJWT() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // ES256
	if err != nil {
		log.Fatal(err)
	}
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "reporting-job", AuthStyle: oauth2test.AuthPrivateKeyJWT, PublicKey: key.Public()},
	}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:        "reporting-job",
		ClientAssertion: client.PrivateKeyJWT(key, "key-2026-01"),
		Endpoint:        srv.Endpoint(),
	}
	tok, err := conf.ClientCredentialsToken(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Type())
	// Output: Bearer
}

// AssertionFile uses a token minted elsewhere, re-read for every request:
// a Kubernetes projected service-account token rotates in place.
func ExampleAssertionFile() {
	a := client.AssertionFile("/var/run/secrets/tokens/oidc-token")
	fmt.Println(a != nil)
	// Output: true
}

// Resource asks for a token for named resource servers (RFC 8707), and
// AuthorizationDetails for fine-grained permissions (RFC 9396).
func ExampleResource() {
	conf := &client.Config{ClientID: "app"}
	conf.Endpoint.AuthURL = "https://idp.example/authorize"
	u, _ := url.Parse(conf.AuthCodeURL("state-1",
		client.Resource("https://api.example/", "https://files.example/"),
		client.AuthorizationDetails(json.RawMessage(`[{"type": "payment_initiation", "instructedAmount": {"amount": "12.30"}}]`))))
	q := u.Query()
	fmt.Println(q["resource"])
	fmt.Println(q.Get("authorization_details"))
	// Output:
	// [https://api.example/ https://files.example/]
	// [{"type":"payment_initiation","instructedAmount":{"amount":"12.30"}}]
}

// ServiceAccount signs the assertion of the JWT bearer grant (RFC 7523
// section 2.1) that service accounts exchange for a token;
// JWTBearerSource signs a fresh one for every renewal.
func ExampleServiceAccount() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "robot", AuthStyle: oauth2test.AuthPrivateKeyJWT, PublicKey: key.Public()},
	}})
	defer srv.Close()

	conf := &client.Config{ClientID: "robot", ClientAssertion: client.PrivateKeyJWT(key, "k1"), Endpoint: srv.Endpoint()}
	sa := &client.ServiceAccount{Key: key, KeyID: "k1", Issuer: "robot", Subject: "alice", Scopes: []string{"storage.read"}}
	src := conf.JWTBearerSource(sa, nil) // aud: the token endpoint
	tok, err := src.TokenContext(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Type())
	// Output: Bearer
}

// ExchangeToken trades one token for another (RFC 8693), here an access
// token for one the server issues to this client; the issued token's
// type is kept on it.
func ExampleConfig_ExchangeToken() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()
	ctx := context.Background()
	conf := &client.Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint()}
	subject, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		log.Fatal(err)
	}

	tok, err := conf.ExchangeToken(ctx, client.TokenExchange{
		SubjectToken: subject.AccessToken, SubjectTokenType: client.TokenTypeAccessToken,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.IssuedTokenType(tok))
	// Output: urn:ietf:params:oauth:token-type:access_token
}

// TokenExchangeSource keeps an exchanged token fresh; its subject token
// comes from another source, asked again at every renewal.
func ExampleConfig_TokenExchangeSource() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()
	conf := &client.Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint()}
	subject := conf.ClientCredentialsSource(nil) // a workload token in real life

	src := conf.TokenExchangeSource(subject, client.TokenExchange{Audience: []string{"payments"}}, nil)
	tok, err := src.TokenContext(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.IssuedTokenType(tok))
	// Output: urn:ietf:params:oauth:token-type:access_token
}

// Introspect asks the server whether a token is active (RFC 7662); an
// inactive token is a value, not an error.
func ExampleConfig_Introspect() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()
	ctx := context.Background()
	md, err := client.Discover(ctx, srv.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	conf := &client.Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Metadata: md}
	tok, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		log.Fatal(err)
	}

	in, err := conf.Introspect(ctx, tok.AccessToken, "access_token")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Active, in.ClientID)
	in, err = conf.Introspect(ctx, "not-a-token", "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Active)
	// Output:
	// true test-client
	// false
}

// PushAuthCodeURL pushes the authorization request (RFC 9126) and
// returns a URL that carries only client_id and request_uri. Call it
// instead of AuthCodeURL for a client the server requires PAR of, or
// when Metadata.RequirePushedAuthorizationRequests says all must.
func ExampleConfig_PushAuthCodeURL() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "web", Secret: "web-secret", RequirePAR: true, RedirectURIs: []string{"https://app.example/callback"}},
	}})
	defer srv.Close()
	ctx := context.Background()
	md, err := client.Discover(ctx, srv.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	conf := &client.Config{ClientID: "web", ClientSecret: "web-secret", Metadata: md, RedirectURL: "https://app.example/callback"}

	verifier := oauth2.GenerateVerifier()
	authURL, err := conf.PushAuthCodeURL(ctx, "state-1", client.S256Challenge(verifier))
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	fmt.Println(len(u.Query()), u.Query().Get("client_id"), strings.HasPrefix(u.Query().Get("request_uri"), "urn:ietf:params:oauth:request_uri:"))
	// Output: 2 web true
}

// Register registers a client dynamically (RFC 7591) and manages it with
// the registration access token (RFC 7592).
func ExampleRegister() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()
	ctx := context.Background()

	reg, err := client.Register(ctx, srv.RegistrationURL(), &client.ClientMetadata{
		ClientName: "reporting job", GrantTypes: []string{"client_credentials"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	conf := &client.Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, Endpoint: srv.Endpoint()}
	if _, err := conf.ClientCredentialsToken(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(reg.ClientID != "", reg.RegistrationAccessToken != "")
	if err := reg.Delete(ctx, nil); err != nil {
		log.Fatal(err)
	}
	// Output: true true
}
