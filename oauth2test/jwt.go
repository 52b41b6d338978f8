package oauth2test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// makeJWT returns a compact JWS of claims. With a key it is signed with
// HS256; without one it is an unsecured JWT (alg "none", empty signature).
func makeJWT(typ string, claims map[string]any, key []byte) string {
	header := map[string]string{"alg": "none", "typ": typ}
	if key != nil {
		header["alg"] = "HS256"
	}
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(claims)
	signingInput := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	if key == nil {
		return signingInput + "."
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// accessTokenJWT returns a JWT access token for t (RFC 9068 claims), signed
// with the server's private key.
func (s *Server) accessTokenJWT(t *accessToken, now time.Time) string {
	claims := map[string]any{
		"iss":       s.URL,
		"sub":       t.subject,
		"aud":       s.ResourceURL(),
		"client_id": t.clientID,
		"iat":       now.Unix(),
		"exp":       t.expiry.Unix(),
		"jti":       randomString(16),
	}
	if len(t.scopes) > 0 {
		claims["scope"] = strings.Join(t.scopes, " ")
	}
	if cnf := t.bound.cnf(); cnf != nil {
		claims["cnf"] = cnf // RFC 9449 §6.1, RFC 8705 §3.1
	}
	return makeJWT("at+jwt", claims, s.jwtKey)
}

// idToken returns an OpenID Connect ID token for subject, signed with HS256
// and the client secret as OpenID Connect Core section 10.1 describes, or
// unsecured for clients without a secret.
func (s *Server) idToken(c *Client, subject, nonce string, now, expiry time.Time) string {
	claims := map[string]any{
		"iss": s.URL,
		"sub": subject,
		"aud": c.ID,
		"iat": now.Unix(),
		"exp": expiry.Unix(),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	var key []byte
	if c.AuthStyle != AuthNone && c.Secret != "" {
		key = []byte(c.Secret)
	}
	return makeJWT("JWT", claims, key)
}
