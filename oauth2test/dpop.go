package oauth2test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DPoP error codes (RFC 9449 sections 7.1 and 12.2), the Code of a
// DPoPError.
const (
	// DPoPInvalidProof means the proof is missing, malformed or does not
	// match the request.
	DPoPInvalidProof = "invalid_dpop_proof"
	// DPoPUseNonce means the proof lacks the nonce the server requires, or
	// carries another one; the server sends the nonce in DPoP-Nonce.
	DPoPUseNonce = "use_dpop_nonce"
)

// Limits of DPoPVerifier.
const (
	// MaxDPoPProofLength is the longest DPoP header value, in bytes, that
	// DPoPVerifier parses; an RSA-4096 proof with a nonce is about 1.5 KiB.
	MaxDPoPProofLength = 8192
	// MaxDPoPReplayEntries bounds how many jti values a DPoPVerifier
	// remembers; while it is full of unexpired ones, proofs are refused.
	MaxDPoPReplayEntries = 1 << 16
)

// DPoPError is why DPoPVerifier refused a proof. Its text never repeats the
// proof, the access token or any claim.
type DPoPError struct {
	// Code is DPoPInvalidProof or DPoPUseNonce.
	Code string
	// Description says what was wrong, for error_description.
	Description string
}

func (e *DPoPError) Error() string { return "oauth2test: " + e.Code + ": " + e.Description }

// DPoPVerifier checks DPoP proofs (RFC 9449 section 4.3) as strictly as an
// authorization or resource server should, and remembers the jti of every
// proof it accepts so that none is accepted twice. The zero value is ready
// to use; a DPoPVerifier must not be copied after first use, and is safe for
// concurrent use.
type DPoPVerifier struct {
	// Algorithms are the JWS algorithms accepted; nil means ES256, ES384,
	// ES512, RS256, PS256 and EdDSA. Symmetric algorithms and "none" are
	// never accepted.
	Algorithms []string
	// Window is how far a proof's iat may be from now, either way; zero
	// means one minute. A jti is remembered for as long as its proof could
	// pass the iat check.
	Window time.Duration

	mu        sync.Mutex
	seen      map[string]time.Time // jti → when it may be forgotten
	nextPrune int                  // prune seen when it grows to this size
}

// dpopClaims are the claims of a proof; pointers tell absent from empty.
type dpopClaims struct {
	JTI   *string  `json:"jti"`
	HTM   *string  `json:"htm"`
	HTU   *string  `json:"htu"`
	IAT   *float64 `json:"iat"`
	ATH   *string  `json:"ath"`
	Nonce *string  `json:"nonce"`
}

// Verify checks the DPoP proof in r's DPoP header at time now and returns
// the RFC 7638 SHA-256 thumbprint of its key (base64url): the jkt to bind a
// token to, or to compare with a bound token's cnf.jkt. The proof must be
// the only DPoP header; have typ "dpop+jwt", an accepted alg and a public
// jwk with which its signature verifies; carry a jti not seen before, htm
// equal to r.Method, htu equal to r's URL without query and fragment (both
// normalised as RFC 3986 section 6 says), and an iat within Window of now.
// When accessToken is not empty the proof must carry its ath. When nonce is
// not empty the proof must carry it, or Verify returns a DPoPError with Code
// DPoPUseNonce. Every other failure is a DPoPError with Code
// DPoPInvalidProof.
//
// The target URL is r.URL when it is absolute, and otherwise made from
// r.Host, r.URL's path and the scheme https when r.TLS is set, http when it
// is not, as for a request reaching an httptest.Server.
func (v *DPoPVerifier) Verify(r *http.Request, accessToken, nonce string, now time.Time) (jkt string, err error) {
	values := r.Header.Values("DPoP")
	switch {
	case len(values) == 0:
		return "", invalidProof("no DPoP header")
	case len(values) > 1:
		return "", invalidProof("more than one DPoP header")
	}
	target := *r.URL
	if !target.IsAbs() {
		target.Scheme, target.Host = "http", r.Host
		if r.TLS != nil {
			target.Scheme = "https"
		}
	}
	return v.verify(values[0], r.Method, target.String(), accessToken, nonce, now)
}

// verify checks proof for a request with method to target.
func (v *DPoPVerifier) verify(proof, method, target, accessToken, nonce string, now time.Time) (string, error) {
	if len(proof) > MaxDPoPProofLength {
		return "", invalidProof("proof longer than the limit")
	}
	if strings.Count(proof, ".") != 2 {
		return "", invalidProof("not a compact JWS")
	}
	jwk, err := v.checkHeader(proof[:strings.IndexByte(proof, '.')])
	if err != nil {
		return "", err
	}
	algs := make([]jose.SignatureAlgorithm, 0, 6)
	for _, a := range v.algorithms() {
		algs = append(algs, jose.SignatureAlgorithm(a))
	}
	jws, err := jose.ParseSignedCompact(proof, algs)
	if err != nil || len(jws.Signatures) != 1 {
		return "", invalidProof("not a well-formed JWS")
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return "", invalidProof("the signature does not verify with the jwk")
	}

	var c dpopClaims
	d := json.NewDecoder(bytes.NewReader(payload))
	if err := d.Decode(&c); err != nil || d.More() {
		return "", invalidProof("the claims are not a JSON object of the right types")
	}
	switch {
	case c.JTI == nil || *c.JTI == "" || len(*c.JTI) > 256:
		return "", invalidProof("missing, empty or overlong jti")
	case c.HTM == nil || *c.HTM != method:
		return "", invalidProof("htm does not match the request method")
	case c.HTU == nil:
		return "", invalidProof("missing htu")
	case c.IAT == nil:
		return "", invalidProof("missing iat")
	}
	want, ok := normalizeHTU(target)
	got, ok2 := normalizeHTU(*c.HTU)
	if !ok || !ok2 || got != want {
		return "", invalidProof("htu does not match the request URL")
	}
	if math.Abs(*c.IAT) > 1<<53 {
		return "", invalidProof("iat is not a number of seconds")
	}
	iat := time.Unix(int64(*c.IAT), 0)
	window := v.window()
	if iat.Before(now.Add(-window)) || iat.After(now.Add(window)) {
		return "", invalidProof("iat is outside the accepted window")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		if c.ATH == nil || subtle.ConstantTimeCompare([]byte(*c.ATH), []byte(want)) != 1 {
			return "", invalidProof("missing ath, or ath does not match the access token")
		}
	}
	if nonce != "" && (c.Nonce == nil || subtle.ConstantTimeCompare([]byte(*c.Nonce), []byte(nonce)) != 1) {
		return "", &DPoPError{DPoPUseNonce, "the proof must carry the server's current nonce"}
	}
	if err := v.remember(*c.JTI, iat.Add(window), now); err != nil {
		return "", err
	}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", invalidProof("the jwk has no thumbprint")
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// checkHeader decodes the protected header of a proof and returns its jwk,
// checking typ, alg and that the jwk is a public key of a kind and size
// DPoP allows.
func (v *DPoPVerifier) checkHeader(segment string) (*jose.JSONWebKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return nil, invalidProof("the header is not base64url")
	}
	var h struct {
		Typ *string                    `json:"typ"`
		Alg *string                    `json:"alg"`
		JWK map[string]json.RawMessage `json:"jwk"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, invalidProof("the header is not a JSON object of the right types")
	}
	switch {
	case h.Typ == nil || *h.Typ != "dpop+jwt":
		return nil, invalidProof(`typ is not "dpop+jwt"`)
	case h.Alg == nil || !slices.Contains(v.algorithms(), *h.Alg):
		return nil, invalidProof("alg is missing or not accepted")
	case h.JWK == nil:
		return nil, invalidProof("no jwk in the header")
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := h.JWK[private]; ok {
			return nil, invalidProof("the jwk holds private or symmetric key material")
		}
	}
	jwkJSON, _ := json.Marshal(h.JWK)
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(jwkJSON); err != nil || !jwk.Valid() || !jwk.IsPublic() {
		return nil, invalidProof("the jwk is not a valid public key")
	}
	fits := false
	switch pub := jwk.Key.(type) {
	case *ecdsa.PublicKey:
		fits = *h.Alg == map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[pub.Curve.Params().Name]
	case ed25519.PublicKey:
		fits = *h.Alg == "EdDSA"
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, invalidProof("the jwk is an RSA key shorter than 2048 bits")
		}
		fits = strings.HasPrefix(*h.Alg, "RS") || strings.HasPrefix(*h.Alg, "PS")
	}
	if !fits {
		return nil, invalidProof("alg does not fit the jwk")
	}
	return &jwk, nil
}

// remember records jti until forget, refusing one already recorded.
func (v *DPoPVerifier) remember(jti string, forget, now time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = make(map[string]time.Time)
	}
	if until, ok := v.seen[jti]; ok && !now.After(until) {
		return invalidProof("jti replayed")
	}
	if len(v.seen) >= v.nextPrune {
		for k, until := range v.seen {
			if now.After(until) {
				delete(v.seen, k)
			}
		}
		v.nextPrune = 2*len(v.seen) + 1024
	}
	if len(v.seen) >= MaxDPoPReplayEntries {
		return invalidProof("too many recent proofs to remember another")
	}
	v.seen[jti] = forget
	return nil
}

func (v *DPoPVerifier) algorithms() []string {
	if v.Algorithms == nil {
		return []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"}
	}
	return slices.DeleteFunc(slices.Clone(v.Algorithms), func(a string) bool {
		return a == "none" || strings.HasPrefix(a, "HS")
	})
}

func (v *DPoPVerifier) window() time.Duration {
	if v.Window <= 0 {
		return time.Minute
	}
	return v.Window
}

func invalidProof(desc string) *DPoPError { return &DPoPError{DPoPInvalidProof, desc} }
