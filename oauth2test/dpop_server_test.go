package oauth2test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/dpop"
)

func genKey(t *testing.T) *dpop.Key {
	t.Helper()
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func proofHeader(t *testing.T, k *dpop.Key, method, url, token, nonce string) http.Header {
	t.Helper()
	p, err := k.Proof(method, url, token, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Dpop": {p}}
}

func TestDPoPTokenEndpoint(t *testing.T) {
	s := NewServer(t, &Options{RequireDPoP: true, DPoPNonce: true})
	k := genKey(t)
	cc := defaultCreds("grant_type", "client_credentials")

	// No proof: refused.
	r := do(t, s, call{form: cc})
	if r.status != 400 || r.str("error") != DPoPInvalidProof {
		t.Fatalf("no proof: %d %s; want 400 invalid_dpop_proof", r.status, r.body)
	}
	// A proof without the nonce: use_dpop_nonce with the nonce.
	r = do(t, s, call{form: cc, header: proofHeader(t, k, "POST", s.TokenURL(), "", "")})
	nonce := r.header.Get("DPoP-Nonce")
	if r.status != 400 || r.str("error") != DPoPUseNonce || nonce == "" {
		t.Fatalf("no nonce: %d %s nonce %q; want 400 use_dpop_nonce with a DPoP-Nonce", r.status, r.body, nonce)
	}
	// With it: a DPoP token, and the nonce again.
	r = do(t, s, call{form: cc, header: proofHeader(t, k, "POST", s.TokenURL(), "", nonce)})
	wantOK(t, r)
	if got := r.str("token_type"); got != "DPoP" {
		t.Errorf("token_type %q; want DPoP", got)
	}
	if r.header.Get("DPoP-Nonce") != nonce {
		t.Errorf("a success does not send the nonce")
	}
	at := r.str("access_token")

	res := s.ResourceURL()
	tests := []struct {
		name       string
		header     http.Header
		wantStatus int
		wantInChal string
	}{
		{"bound, right key", withAuth(proofHeader(t, k, "GET", res, at, nonce), "DPoP "+at), 200, ""},
		{"as Bearer", http.Header{"Authorization": {"Bearer " + at}}, 401, `error="invalid_token"`},
		{"other key", withAuth(proofHeader(t, genKey(t), "GET", res, at, nonce), "DPoP "+at), 401, `DPoP realm="oauth2test", error="invalid_token"`},
		{"no ath", withAuth(proofHeader(t, k, "GET", res, "", nonce), "DPoP "+at), 401, `DPoP error="invalid_dpop_proof"`},
		{"wrong ath", withAuth(proofHeader(t, k, "GET", res, "other", nonce), "DPoP "+at), 401, `DPoP error="invalid_dpop_proof"`},
		{"no nonce", withAuth(proofHeader(t, k, "GET", res, at, ""), "DPoP "+at), 401, `DPoP error="use_dpop_nonce"`},
		{"wrong method", withAuth(proofHeader(t, k, "POST", res, at, nonce), "DPoP "+at), 401, `DPoP error="invalid_dpop_proof"`},
		{"no proof", http.Header{"Authorization": {"DPoP " + at}}, 401, `DPoP error="invalid_dpop_proof"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{method: http.MethodGet, path: "/resource", header: tt.header})
			if r.status != tt.wantStatus {
				t.Fatalf("status %d (%s); want %d", r.status, r.body, tt.wantStatus)
			}
			if ch := r.header.Get("WWW-Authenticate"); !strings.Contains(ch, tt.wantInChal) {
				t.Errorf("WWW-Authenticate %q; want it to contain %q", ch, tt.wantInChal)
			}
		})
	}
	// A replayed proof is refused.
	h := withAuth(proofHeader(t, k, "GET", res, at, nonce), "DPoP "+at)
	wantOK(t, do(t, s, call{method: http.MethodGet, path: "/resource", header: h}))
	if r := do(t, s, call{method: http.MethodGet, path: "/resource", header: h}); r.status != 401 {
		t.Errorf("replayed proof: status %d; want 401", r.status)
	}
}

func TestDPoPOptionalAndBearerUnchanged(t *testing.T) {
	s := NewServer(t, nil)
	r := do(t, s, call{form: defaultCreds("grant_type", "client_credentials")})
	wantOK(t, r)
	if r.str("token_type") != "Bearer" {
		t.Errorf("no proof: token_type %q; want Bearer", r.str("token_type"))
	}
	k := genKey(t)
	r = do(t, s, call{form: defaultCreds("grant_type", "client_credentials"), header: proofHeader(t, k, "POST", s.TokenURL(), "", "")})
	wantOK(t, r)
	if r.str("token_type") != "DPoP" || r.header.Get("DPoP-Nonce") != "" {
		t.Errorf("proof without nonces: token_type %q nonce %q; want DPoP and no nonce", r.str("token_type"), r.header.Get("DPoP-Nonce"))
	}
	// A bad proof is refused even when DPoP is optional.
	r = do(t, s, call{form: defaultCreds("grant_type", "client_credentials"), header: http.Header{"Dpop": {"garbage"}}})
	if r.status != 400 || r.str("error") != DPoPInvalidProof {
		t.Errorf("garbage proof: %d %s; want invalid_dpop_proof", r.status, r.body)
	}
}

func TestDPoPJWTAccessTokenCnf(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: "c", Secret: "s", JWTAccessTokens: true}}})
	k := genKey(t)
	r := do(t, s, call{form: form("grant_type", "client_credentials", "client_id", "c", "client_secret", "s"),
		header: proofHeader(t, k, "POST", s.TokenURL(), "", "")})
	wantOK(t, r)
	_, claims := jwtClaims(t, r.str("access_token"))
	cnf, _ := claims["cnf"].(map[string]any)
	if cnf["jkt"] != k.Thumbprint() {
		t.Errorf("cnf %v; want jkt %s", claims["cnf"], k.Thumbprint())
	}
}

func withAuth(h http.Header, v string) http.Header {
	h.Set("Authorization", v)
	return h
}

func TestMetadataAdvertisesDPoP(t *testing.T) {
	s := NewServer(t, nil)
	r := do(t, s, call{method: http.MethodGet, path: MetadataPath})
	wantOK(t, r)
	algs, _ := r.json["dpop_signing_alg_values_supported"].([]any)
	if len(algs) == 0 || algs[0] != "ES256" {
		t.Errorf("dpop_signing_alg_values_supported %v; want ES256 first", r.json["dpop_signing_alg_values_supported"])
	}
	if _, ok := r.json["mtls_endpoint_aliases"]; ok {
		t.Error("a server without ClientCAs announces mTLS aliases")
	}
}

func TestDPoPPushedRequestBindsCode(t *testing.T) {
	s := NewServer(t, nil)
	k := genKey(t)
	path := strings.TrimPrefix(s.PARURL(), s.URL)
	push := func(h http.Header, extra ...string) reply {
		kv := append([]string{"response_type", "code", "redirect_uri", "http://127.0.0.1/cb"}, extra...)
		return do(t, s, call{path: path, form: defaultCreds(kv...), header: h})
	}
	if r := push(proofHeader(t, k, "POST", s.PARURL(), "", ""), "dpop_jkt", genKey(t).Thumbprint()); r.status != 400 {
		t.Errorf("dpop_jkt of another key: status %d; want 400", r.status)
	}
	if r := push(http.Header{"Dpop": {"garbage"}}); r.status != 400 || r.str("error") != DPoPInvalidProof {
		t.Errorf("garbage proof: %d %s; want invalid_dpop_proof", r.status, r.body)
	}
	r := push(proofHeader(t, k, "POST", s.PARURL(), "", ""))
	if r.status != 201 || r.str("request_uri") == "" {
		t.Fatalf("push with a proof: %d %s", r.status, r.body)
	}
	s.mu.Lock()
	got := s.ext().pushed[r.str("request_uri")].params.Get("dpop_jkt")
	s.mu.Unlock()
	if got != k.Thumbprint() {
		t.Errorf("pushed dpop_jkt %q; want the proof's key %q", got, k.Thumbprint())
	}
}
