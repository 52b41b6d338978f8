package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"time"
)

// Introspection is an RFC 7662 introspection response. Active false
// (an expired, revoked or unknown token) is a value, not an error; the
// other members are then usually absent.
type Introspection struct {
	Active    bool
	Scope     string
	ClientID  string
	Username  string
	TokenType string
	Expiry    time.Time // exp; zero if absent
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf
	Subject   string
	Audience  []string // aud, a string or an array
	Issuer    string
	JWTID     string
	// Extra holds every other member (cnf, vendor claims, ...).
	Extra map[string]any
}

// introspectionMembers are the members Introspection names.
var introspectionMembers = []string{"active", "scope", "client_id", "username", "token_type", "exp", "iat", "nbf", "sub", "aud", "iss", "jti"}

// parseIntrospection parses an introspection response body.
func parseIntrospection(body []byte) (*Introspection, error) {
	bad := func(reason string) error {
		return &InvalidResponseError{Endpoint: "introspection", Reason: reason}
	}
	var raw map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&raw); err != nil || raw == nil {
		return nil, bad("not a JSON object")
	}
	var in Introspection
	act, ok := raw["active"]
	if !ok {
		return nil, bad("no active member")
	}
	if err := json.Unmarshal(act, &in.Active); err != nil {
		return nil, bad("active is not a boolean")
	}
	str := func(name string, dst *string) error {
		if v, ok := raw[name]; ok && string(v) != "null" {
			if err := json.Unmarshal(v, dst); err != nil {
				return bad(name + " is not a string")
			}
		}
		return nil
	}
	num := func(name string, dst *time.Time) error {
		v, ok := raw[name]
		if !ok || string(v) == "null" {
			return nil
		}
		var f float64
		if err := json.Unmarshal(v, &f); err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
			return bad(name + " is not a NumericDate")
		}
		*dst = time.Unix(int64(f), 0)
		return nil
	}
	for _, e := range []error{
		str("scope", &in.Scope), str("client_id", &in.ClientID), str("username", &in.Username),
		str("token_type", &in.TokenType), str("sub", &in.Subject), str("iss", &in.Issuer), str("jti", &in.JWTID),
		num("exp", &in.Expiry), num("iat", &in.IssuedAt), num("nbf", &in.NotBefore),
	} {
		if e != nil {
			return nil, e
		}
	}
	if v, ok := raw["aud"]; ok && string(v) != "null" {
		var one string
		if err := json.Unmarshal(v, &one); err == nil {
			in.Audience = []string{one}
		} else if err := json.Unmarshal(v, &in.Audience); err != nil {
			return nil, bad("aud is neither a string nor an array of strings")
		}
	}
	for _, k := range introspectionMembers {
		delete(raw, k)
	}
	if len(raw) > 0 {
		in.Extra = make(map[string]any, len(raw))
		for k, v := range raw {
			var x any
			_ = json.Unmarshal(v, &x) // valid JSON: it was decoded above
			in.Extra[k] = x
		}
	}
	return &in, nil
}

// introspectionParams returns the body of an introspection request
// (RFC 7662 section 2.1), without client authentication.
func introspectionParams(token, tokenTypeHint string) url.Values {
	v := url.Values{"token": {token}}
	if tokenTypeHint != "" {
		v.Set("token_type_hint", tokenTypeHint)
	}
	return v
}

// parPath, for the PAR endpoint's errors.
const parEndpoint = "pushed authorization request"

// maxPARLifetime bounds expires_in of a request_uri: RFC 9126 suggests
// 5 to 600 seconds.
const maxPARLifetime = time.Hour

// parsePAR parses a successful PAR response (RFC 9126 section 2.2).
func parsePAR(body []byte) (requestURI string, expiresIn time.Duration, err error) {
	var r struct {
		RequestURI string          `json:"request_uri"`
		ExpiresIn  json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "", 0, &InvalidResponseError{Endpoint: parEndpoint, Reason: "not a JSON object"}
	}
	if r.RequestURI == "" {
		return "", 0, &InvalidResponseError{Endpoint: parEndpoint, Reason: "no request_uri"}
	}
	if len(r.RequestURI) > 2048 {
		return "", 0, &InvalidResponseError{Endpoint: parEndpoint, Reason: "request_uri longer than 2048 bytes"}
	}
	var secs float64
	if err := json.Unmarshal(r.ExpiresIn, &secs); err != nil {
		return "", 0, &InvalidResponseError{Endpoint: parEndpoint, Reason: "expires_in is missing or not a number"}
	}
	if secs < 1 || secs > maxPARLifetime.Seconds() {
		return "", 0, &InvalidResponseError{Endpoint: parEndpoint, Reason: fmt.Sprintf("expires_in %g is out of range", secs)}
	}
	return r.RequestURI, time.Duration(secs) * time.Second, nil
}

// parAuthURL returns the authorization URL after a push: only client_id
// and request_uri (RFC 9126 section 4), kept apart from any query the
// authorization endpoint has.
func parAuthURL(authURL, clientID, requestURI string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil || !u.IsAbs() {
		return "", &ConfigError{Field: "authorization URL", Reason: "is not an absolute URL"}
	}
	q := u.Query()
	q.Set("client_id", clientID)
	q.Set("request_uri", requestURI)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
