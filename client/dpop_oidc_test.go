package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestOIDCProviderDPoPNonce checks the provider's DPoP configuration that
// the dpop package relies on: a proof without a nonce is answered with
// use_dpop_nonce and a DPoP-Nonce header, and the retried proof gets a
// DPoP-bound token.
func TestOIDCProviderDPoPNonce(t *testing.T) {
	m := opDiscover(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	proof := func(nonce string) string {
		c := map[string]any{"htm": "POST", "htu": m.TokenEndpoint, "iat": time.Now().Unix(), "jti": randomJTI(t)}
		if nonce != "" {
			c["nonce"] = nonce
		}
		b, _ := json.Marshal(c)
		jws, err := signer.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}
	post := func(p string) (*http.Response, map[string]any) {
		v := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
		req, _ := http.NewRequest(http.MethodPost, m.TokenEndpoint, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", p)
		req.SetBasicAuth("svc", "svc-secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		return resp, body
	}
	resp, body := post(proof(""))
	nonce := resp.Header.Get("DPoP-Nonce")
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("no nonce: HTTP %d %v nonce %q; want 400 use_dpop_nonce with a DPoP-Nonce", resp.StatusCode, body, nonce)
	}
	resp, body = post(proof(nonce))
	if resp.StatusCode != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("with the nonce: HTTP %d %v; want a DPoP token", resp.StatusCode, body)
	}
}

func randomJTI(t *testing.T) string {
	j, err := newJTI()
	if err != nil {
		t.Fatal(err)
	}
	return j
}
