package dpop_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/dpop"
)

// token is an access token with the characters that break naive encoders.
const token = "2YotnFZFEjr1zCsicMWpAA%3d+/=="

func TestProofClaims(t *testing.T) {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	iat := time.Unix(1_700_000_000, 999_000_000)
	tests := []struct {
		name, method, url, token, nonce string
		want                            map[string]any // besides jti
	}{
		{"token request", "POST", "https://as.example/token", "", "",
			map[string]any{"htm": "POST", "htu": "https://as.example/token", "iat": json.Number("1700000000")}},
		{"token request with nonce", "POST", "https://as.example/token", "", "eyJ7S_zG.eyJH0-Z.HX4w-7v",
			map[string]any{"htm": "POST", "htu": "https://as.example/token", "iat": json.Number("1700000000"), "nonce": "eyJ7S_zG.eyJH0-Z.HX4w-7v"}},
		{"resource request", "GET", "https://rs.example/data?x=1#frag", token, "",
			map[string]any{"htm": "GET", "htu": "https://rs.example/data", "iat": json.Number("1700000000"), "ath": ath(token)}},
		{"resource request with nonce", "PATCH", "https://rs.example/data", token, "n!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
			map[string]any{"htm": "PATCH", "htu": "https://rs.example/data", "iat": json.Number("1700000000"), "ath": ath(token), "nonce": "n!#$%&'()*+,-./:;<=>?@[]^_`{|}~"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proof, err := k.ProofAt(tt.method, tt.url, tt.token, tt.nonce, iat)
			if err != nil {
				t.Fatal(err)
			}
			got := parseProof(t, proof).claims
			jti, _ := got["jti"].(string)
			if raw, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(raw) < 12 {
				t.Errorf("jti = %q; want at least 96 random bits, base64url", jti)
			}
			delete(got, "jti")
			if len(got) != len(tt.want) {
				t.Errorf("claims = %v; want jti and %v", got, tt.want)
			}
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("claim %s = %#v; want %#v", name, got[name], want)
				}
			}
		})
	}
}

// ath is the ath claim for an access token (RFC 9449 section 4.2).
func ath(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestProofIssuedNow(t *testing.T) {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Unix()
	proof, err := k.Proof("GET", "https://rs.example/", "", "")
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().Unix()
	iat, err := parseProof(t, proof).claims["iat"].(json.Number).Int64()
	if err != nil || iat < before || iat > after {
		t.Errorf("iat = %d, %v; want between %d and %d", iat, err, before, after)
	}
}

func TestProofUnique(t *testing.T) {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	now := time.Unix(1_700_000_000, 0)
	for range 200 {
		proof, err := k.ProofAt("GET", "https://rs.example/", token, "", now)
		if err != nil {
			t.Fatal(err)
		}
		jti := parseProof(t, proof).claims["jti"].(string)
		if seen[jti] {
			t.Fatalf("jti %q repeated", jti)
		}
		seen[jti] = true
	}
}

func TestProofHTU(t *testing.T) {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ url, want string }{
		{"https://as.example/token", "https://as.example/token"},
		{"HTTPS://AS.Example:443/Token", "https://as.example/Token"},
		{"http://AS.example:80", "http://as.example/"},
		{"http://as.example:443/x", "http://as.example:443/x"},
		{"https://as.example:80/x", "https://as.example:80/x"},
		{"https://as.example:8443/x?code=1&state=2#f", "https://as.example:8443/x"},
		{"https://as.example:/x", "https://as.example/x"},
		{"https://alice:pa55@as.example/x", "https://as.example/x"},
		{"https://as.example/a%2Fb/c%7e", "https://as.example/a%2Fb/c%7e"},
		{"https://as.example/a b", "https://as.example/a%20b"},
		{"https://as.example/a\"b", "https://as.example/a%22b"},
		{"https://as.example/é", "https://as.example/%C3%A9"},
		{"https://as.example?x=1", "https://as.example/"},
		{"https://[::1]:443/t", "https://[::1]/t"},
		{"https://[::1]:8443/t", "https://[::1]:8443/t"},
		{"http://127.0.0.1:54321/token", "http://127.0.0.1:54321/token"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			proof, err := k.Proof("POST", tt.url, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if got := parseProof(t, proof).claims["htu"]; got != tt.want {
				t.Errorf("htu = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestProofBadInput(t *testing.T) {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "SECRET-in-input"
	tests := []struct {
		name, method, url, nonce string
		want                     error
	}{
		{"empty method", "", "https://as.example/", "", dpop.ErrInvalidTarget},
		{"method with a space", "GE T", "https://as.example/", "", dpop.ErrInvalidTarget},
		{"method with a quote", `GET"` + secret, "https://as.example/", "", dpop.ErrInvalidTarget},
		{"empty URL", "GET", "", "", dpop.ErrInvalidTarget},
		{"relative URL", "GET", "/token?" + secret, "", dpop.ErrInvalidTarget},
		{"ftp URL", "GET", "ftp://as.example/" + secret, "", dpop.ErrInvalidTarget},
		{"opaque URL", "GET", "https:" + secret, "", dpop.ErrInvalidTarget},
		{"no host", "GET", "https:///" + secret, "", dpop.ErrInvalidTarget},
		{"unparsable", "GET", "https://as.example/%zz?" + secret, "", dpop.ErrInvalidTarget},
		{"control character", "GET", "https://as.example/\x00" + secret, "", dpop.ErrInvalidTarget},
		{"huge URL", "GET", "https://as.example/" + strings.Repeat("a", 10000) + secret, "", dpop.ErrInvalidTarget},
		{"nonce with a quote", "GET", "https://as.example/", `a"` + secret, dpop.ErrInvalidNonce},
		{"nonce with a backslash", "GET", "https://as.example/", `a\` + secret, dpop.ErrInvalidNonce},
		{"nonce with a space", "GET", "https://as.example/", "a " + secret, dpop.ErrInvalidNonce},
		{"nonce with a newline", "GET", "https://as.example/", "a\r\n" + secret, dpop.ErrInvalidNonce},
		{"nonce not ASCII", "GET", "https://as.example/", "é" + secret, dpop.ErrInvalidNonce},
		{"huge nonce", "GET", "https://as.example/", strings.Repeat("n", dpop.MaxNonceLength) + secret, dpop.ErrInvalidNonce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proof, err := k.Proof(tt.method, tt.url, token, tt.nonce)
			if proof != "" || !errors.Is(err, tt.want) {
				t.Fatalf("Proof() = %q, %v; want %v", proof, err, tt.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token) {
				t.Errorf("error %q repeats the input", err)
			}
		})
	}
}

func TestValidNonce(t *testing.T) {
	tests := []struct {
		nonce string
		want  bool
	}{
		{"eyJ7S_zG.eyJH0-Z.HX4w-7v", true},
		{"!", true},
		{"~}|{", true},
		{strings.Repeat("n", dpop.MaxNonceLength), true},
		{strings.Repeat("n", dpop.MaxNonceLength+1), false},
		{"", false},
		{" ", false},
		{"a b", false},
		{`a"b`, false},
		{`a\b`, false},
		{"a\x7fb", false},
		{"a\tb", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := dpop.ValidNonce(tt.nonce); got != tt.want {
			t.Errorf("ValidNonce(%q) = %v; want %v", tt.nonce, got, tt.want)
		}
	}
}

// FuzzProof checks that every proof Proof returns is a JWS go-jose
// verifies, with the claims it was given.
func FuzzProof(f *testing.F) {
	k, err := dpop.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "https://rs.example/a?b#c", token, "n")
	f.Add("POST", "http://[::1]:80/\"\\", "", "")
	f.Add("X", "https://h\"ost/", "t", "!")
	f.Fuzz(func(t *testing.T, method, url, accessToken, nonce string) {
		proof, err := k.Proof(method, url, accessToken, nonce)
		if err != nil {
			return
		}
		c := parseProof(t, proof).claims
		if c["htm"] != method || (nonce != "" && c["nonce"] != nonce) || (accessToken != "" && c["ath"] != ath(accessToken)) {
			t.Fatalf("claims %v do not match method %q, nonce %q", c, method, nonce)
		}
		htu, _ := c["htu"].(string)
		if u, err := neturl.Parse(htu); err != nil || strings.ContainsAny(htu, "?#") || u.User != nil || !u.IsAbs() {
			t.Fatalf("htu %q is not an absolute URL without query, fragment and user information", htu)
		}
	})
}

func TestProofConcurrent(t *testing.T) {
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	proofs := make([]string, 16)
	var wg sync.WaitGroup
	for i := range proofs {
		wg.Go(func() {
			proofs[i], _ = k.Proof("GET", "https://rs.example/", token, "")
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, p := range proofs {
		jti, _ := parseProof(t, p).claims["jti"].(string)
		if seen[jti] {
			t.Fatalf("jti %q repeated across goroutines", jti)
		}
		seen[jti] = true
	}
}
