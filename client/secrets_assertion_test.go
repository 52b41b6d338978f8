package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
)

// keySecrets returns the forms in which key material could leak: the
// PEM file, its base64 body, and the private scalars in decimal (how
// encoding/json prints a big.Int), hex and base64url.
func keySecrets(t *testing.T, key any, scalars ...[]byte) []string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	out := []string{pemText, base64.StdEncoding.EncodeToString(der)}
	out = append(out, strings.Split(pemText, "\n")[1:3]...)
	for _, d := range scalars {
		out = append(out, new(big.Int).SetBytes(d).String(), hex.EncodeToString(d), base64.RawURLEncoding.EncodeToString(d))
	}
	return out
}

// TestSecretHygieneAssertions extends TestSecretHygiene to client
// assertions and keys: against a server that echoes every request
// (body and Authorization header) in its error, on every endpoint that
// authenticates the client and for the JWT bearer grant and token
// exchange, no key material and no assertion (client or grant) appears
// in an error, a log line, or the fmt and slog output of the values
// holding them.
func TestSecretHygieneAssertions(t *testing.T) {
	h := newHygiene(t)
	ctx := context.Background()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecRaw, _ := ec.Bytes()
	h.secret(keySecrets(t, ec, ecRaw)...)
	h.secret(keySecrets(t, rk, rk.D.Bytes(), rk.Primes[0].Bytes(), rk.Primes[1].Bytes())...)
	const hsSecret = "hs-SECRET-of-at-least-thirty-two-bytes"
	const subject, actor = "st-SUBJECT-0123456789abcdef", "at-ACTOR-0123456789abcdef"
	h.secret(hsSecret, subject, actor)

	var mu sync.Mutex
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if p, err := url.ParseQuery(string(body)); err == nil {
			mu.Lock()
			for _, k := range []string{"client_assertion", "assertion"} {
				if v := p.Get(k); v != "" {
					h.secret(v)
				}
			}
			mu.Unlock()
		}
		desc := string(body) + " auth=" + r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": desc})
	}))
	t.Cleanup(echo.Close)
	md := &client.Metadata{Issuer: echo.URL, TokenEndpoint: echo.URL + "/token", DeviceAuthorizationEndpoint: echo.URL + "/device",
		RevocationEndpoint: echo.URL + "/revoke", IntrospectionEndpoint: echo.URL + "/introspect",
		PushedAuthorizationRequestEndpoint: echo.URL + "/par", AuthorizationEndpoint: echo.URL + "/authorize"}
	sa := &client.ServiceAccount{Key: rk, KeyID: "k-rsa", Issuer: "robot@example", Subject: "alice", Scopes: []string{"read"}, Audience: md.TokenEndpoint}
	confs := map[string]*client.Config{
		"private_key_jwt ES256": {ClientID: "pk", Metadata: md, ClientAssertion: client.PrivateKeyJWT(ec, "k-ec")},
		"private_key_jwt PS256": {ClientID: "pk", Metadata: md, ClientAssertion: client.PrivateKeyJWTAlg(rk, "k-rsa", "PS256")},
		"client_secret_jwt":     {ClientID: "hs", ClientSecret: hsSecret, Metadata: md, ClientAssertion: client.SecretJWT()},
		"service account":       {ClientID: "sa", Metadata: md, ClientAssertion: sa},
		"form json":             {ClientID: "pk", Metadata: md, ClientAssertion: client.PrivateKeyJWT(ec, "k-ec"), BodyFormat: client.JSONBody},
	}
	h.values["*client.ServiceAccount"] = sa
	h.values["client.ServiceAccount"] = *sa
	for name, conf := range confs {
		h.values["client.Config "+name] = *conf
		h.values["ClientAssertion "+name] = conf.ClientAssertion
		h.run(name, func() {
			_, err := conf.ClientCredentialsToken(ctx)
			h.err(name+" client_credentials", err)
			_, err = conf.DeviceAuth(ctx)
			h.err(name+" device authorization", err)
			h.err(name+" revocation", conf.Revoke(ctx, subject, ""))
			_, err = conf.Introspect(ctx, subject, "access_token")
			h.err(name+" introspection", err)
			_, err = conf.PushAuthCodeURL(ctx, "state")
			h.err(name+" PAR", err)
			grant := must(sa.Assertion(ctx))
			h.secret(grant)
			_, err = conf.JWTBearerToken(ctx, grant)
			h.err(name+" JWT bearer", err)
			_, err = conf.ExchangeToken(ctx, client.TokenExchange{SubjectToken: subject, SubjectTokenType: client.TokenTypeAccessToken,
				ActorToken: actor, ActorTokenType: client.TokenTypeJWT})
			h.err(name+" token exchange", err)
		})
	}
	// Sources, logging their failures.
	h.run("sources", func() {
		o := h.opts()
		o.Cache = &cache.Memory{}
		src := confs["private_key_jwt ES256"].JWTBearerSource(sa, o)
		_, err := src.TokenContext(ctx)
		h.err("JWT bearer source", err)
		h.keys = append(h.keys, src.Key())
		h.values["*tokensource.Cached (JWT bearer)"] = src
		x := confs["client_secret_jwt"].TokenExchangeSource(src, client.TokenExchange{}, h.opts())
		_, err = x.TokenContext(ctx)
		h.err("token exchange source", err)
	})
	// A key that cannot be used: its error names no key material either.
	h.run("bad key", func() {
		weak, _ := rsa.GenerateKey(rand.Reader, 1024)
		h.secret(keySecrets(t, weak, weak.D.Bytes())...)
		c := &client.Config{ClientID: "pk", Metadata: md, ClientAssertion: client.PrivateKeyJWTAlg(weak, "", "RS256")}
		_, err := c.ClientCredentialsToken(ctx)
		h.err("weak key", err)
	})
	h.names = []string{"alice"}
	h.check()
	if !t.Failed() {
		t.Logf("checked %d secrets against %d errors, %d values and %d bytes of logs", len(h.secrets), len(h.errs), len(h.values), len(h.logs.String()))
	}
	_ = oauth2.AuthStyleAutoDetect
}
