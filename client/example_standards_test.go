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
	conf := &client.Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: md.Endpoint()}
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
// key may be any crypto.Signer (a KMS, an HSM or a TPM key too).
func ExamplePrivateKeyJWT() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // ES256
	if err != nil {
		log.Fatal(err)
	}
	a := client.PrivateKeyJWT(key, "key-2026-01")
	// Set it as the Config's client assertion; every request that
	// authenticates the client then carries a fresh, signed assertion.
	fmt.Println(a != nil)
	// Output: true
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
// section 2.1) that service accounts exchange for a token.
func ExampleServiceAccount() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	sa := &client.ServiceAccount{
		Key: key, KeyID: "k1", Issuer: "robot@project.example",
		Audience: "https://oauth2.example/token", Scopes: []string{"storage.read"},
	}
	jwt, err := sa.Assertion(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Count(jwt, "."))
	// Output: 2
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
