package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxExpiresIn is the longest expires_in accepted (ten years); more is a
// broken server, not a long-lived token.
const maxExpiresIn = 10 * 365 * 24 * 3600

// parseToken turns a token endpoint response into a token or a typed
// error. now is when the response arrived.
func parseToken(op string, resp *http.Response, body []byte, red redactor, now time.Time, defaultLife time.Duration) (*oauth2.Token, error) {
	fields, ok := decodeFields(resp, body)
	for _, k := range tokenMembers { // never echoed, even from an error answer
		if v, _ := fields[k].(string); v != "" {
			red = append(red, v)
		}
	}
	if errCode, _ := fields["error"].(string); errCode != "" || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, retrieveError(op, resp, body, fields, red)
	}
	if !ok {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, responseError(resp, "empty body", body, red)
		}
		return nil, responseError(resp, "body is neither a JSON object nor form-encoded", body, red)
	}
	at, _ := fields["access_token"].(string)
	if at == "" {
		return nil, responseError(resp, "missing access_token", nil, nil)
	}
	tt, isStr := fields["token_type"].(string)
	if _, present := fields["token_type"]; present && !isStr {
		return nil, responseError(resp, "token_type is not a string", nil, nil)
	}
	if tt != "" && !strings.EqualFold(tt, "bearer") {
		return nil, responseError(resp, "unsupported token_type "+strconv.Quote(red.String(truncate(tt, 32))), nil, nil)
	}
	tok := &oauth2.Token{AccessToken: at, TokenType: tt}
	tok.RefreshToken, _ = fields["refresh_token"].(string)
	secs, present, err := expiresIn(fields["expires_in"])
	if err != nil {
		return nil, responseError(resp, err.Error(), nil, nil)
	}
	setExpiry(tok, secs, present, now, defaultLife)
	return tok.WithExtra(fields), nil
}

// decodeFields reads a JSON object (whatever the Content-Type) or a
// form-encoded body into a map of its members.
func decodeFields(resp *http.Response, body []byte) (map[string]any, bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
			return nil, false
		}
		return m, true
	}
	mt := mediaType(resp)
	looksForm := mt == "application/x-www-form-urlencoded" || mt == "text/plain" || mt == ""
	if !looksForm || len(trimmed) == 0 || bytes.ContainsAny(trimmed, "<>{} \n") {
		return nil, false
	}
	q, err := url.ParseQuery(string(trimmed))
	if err != nil || (q.Get("access_token") == "" && q.Get("error") == "") {
		return nil, false
	}
	m := make(map[string]any, len(q))
	for k := range q {
		m[k] = q.Get(k)
	}
	return m, true
}

// retrieveError builds the typed error for an RFC 6749 §5.2 error (or any
// non-2xx answer), with secrets redacted from what the server echoed.
func retrieveError(op string, resp *http.Response, body []byte, fields map[string]any, red redactor) error {
	re := &oauth2.RetrieveError{Response: resp, Body: []byte(scrubTokens(red.String(string(body))))}
	re.ErrorCode, _ = fields["error"].(string)
	re.ErrorCode = truncate(red.String(re.ErrorCode), 64)
	if d, ok := fields["error_description"].(string); ok {
		re.ErrorDescription = truncate(red.String(d), 512)
	}
	if u, ok := fields["error_uri"].(string); ok {
		re.ErrorURI = truncate(red.String(u), 512)
	}
	e := &endpointError{op: op, re: re}
	if re.ErrorCode == "" {
		e.excerpt = excerpt(body, red)
	}
	return e
}

// expiresIn reads expires_in given as a JSON number, a string or a float.
// present is false when it is absent or null.
func expiresIn(v any) (secs float64, present bool, err error) {
	var s string
	switch v := v.(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
		if s == "" {
			return 0, false, nil
		}
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return 0, true, errString("expires_in is not a number")
	}
	f, perr := strconv.ParseFloat(s, 64)
	switch {
	case perr != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return 0, true, errString("expires_in is not a number")
	case f < 0:
		return 0, true, errString("expires_in is negative")
	case f > maxExpiresIn:
		return 0, true, errString("expires_in is absurdly large (over ten years)")
	}
	return f, true, nil
}

// setExpiry sets tok's expiry from expires_in (secs, when present and
// positive), else from a JWT access token's exp claim if it lies ahead of
// now (a past exp is clock skew: unusable), else from defaultLife when it
// is positive.
func setExpiry(tok *oauth2.Token, secs float64, present bool, now time.Time, defaultLife time.Duration) {
	if present && secs > 0 {
		tok.ExpiresIn = int64(secs)
		tok.Expiry = now.Add(time.Duration(secs * float64(time.Second)))
	} else if exp, ok := jwtExpiry(tok.AccessToken); ok && exp.After(now) {
		tok.Expiry = exp
	} else if defaultLife > 0 {
		tok.Expiry = now.Add(defaultLife)
	}
}

// responseError reports a response that is not a token response. body,
// when given, is quoted as a short redacted excerpt.
func responseError(resp *http.Response, reason string, body []byte, red redactor) *ResponseError {
	e := &ResponseError{StatusCode: resp.StatusCode, ContentType: mediaType(resp), Reason: reason}
	if body != nil {
		e.Excerpt = excerpt(body, red)
	}
	return e
}

// jwtClaims decodes the payload of a JWT-shaped token into claims, without
// verifying it: callers only schedule renewals or name cache entries
// with what it holds. A payload longer than maxPayload (when positive) is
// not decoded.
func jwtClaims(token string, maxPayload int, claims any) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || maxPayload > 0 && len(parts[1]) > maxPayload {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	return err == nil && json.Unmarshal(payload, claims) == nil
}

// jwtExpiry returns the exp claim of a JWT-shaped access token. The token
// is not verified: the claim only schedules renewal.
func jwtExpiry(token string) (time.Time, bool) {
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if !jwtClaims(token, 16<<10, &claims) || claims.Exp == "" {
		return time.Time{}, false
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 || exp > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

type errString string

func (e errString) Error() string { return string(e) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
