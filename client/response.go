package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/wire"
)

// tokenFrom turns a classified 2xx answer into a token. now is when the
// answer arrived; checkType accepts or refuses its token_type.
func tokenFrom(a *answer, now time.Time, defaultLife time.Duration, checkType func(string) error) (*oauth2.Token, error) {
	resp, fields := a.resp, a.fields
	if fields == nil {
		if len(bytes.TrimSpace(a.body)) == 0 {
			return nil, responseError(resp, "empty body", a.body, a.red)
		}
		return nil, responseError(resp, "body is neither a JSON object nor form-encoded", a.body, a.red)
	}
	at, _ := fields["access_token"].(string)
	if at == "" {
		return nil, responseError(resp, "missing access_token", nil, nil)
	}
	tt, isStr := fields["token_type"].(string)
	if _, present := fields["token_type"]; present && !isStr {
		return nil, responseError(resp, "token_type is not a string", nil, nil)
	}
	if err := checkType(tt); errors.Is(err, ErrDPoPWithoutKey) {
		return nil, err
	} else if err != nil {
		return nil, responseError(resp, "unsupported token_type "+strconv.Quote(a.red.String(truncate(tt, 32))), nil, nil)
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

// token posts k and decodes a token from the answer.
func (c *Config) token(ctx context.Context, k *call) (*oauth2.Token, error) {
	var tok *oauth2.Token
	k.decode = func(a *answer) (err error) {
		tok, err = tokenFrom(a, time.Now(), c.DefaultExpiresIn, c.checkTokenType)
		return err
	}
	if _, err := c.post(ctx, k); err != nil {
		return nil, err
	}
	return tok, nil
}

// mediaType returns the response's media type without parameters.
func mediaType(resp *http.Response) string {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
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
	case f > wire.MaxExpiresIn:
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
