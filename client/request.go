package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
)

// userAgent identifies requests from this package.
const userAgent = "tokenward/0.1 (+https://github.com/tokenward/tokenward)"

// secretParams are request parameters whose values never appear in errors.
var secretParams = []string{"client_secret", "password", "code", "code_verifier", "refresh_token", "device_code", "assertion", "client_assertion", "token"}

// authStyles remembers, per token URL and client, the authentication
// style that worked under auto-detection.
var authStyles sync.Map // authStyleKey -> oauth2.AuthStyle

type authStyleKey struct{ url, clientID string }

// call describes one request to a token or device endpoint.
type call struct {
	op       string // for errors, e.g. "client_credentials grant"
	endpoint string // validated URL
	params   url.Values
	policy   retryPolicy
	oneTime  bool // carries a one-time code: never replayed with another auth style
}

// styles returns the authentication styles to try, in order.
func (c *Config) styles(endpoint string, oneTime bool) []oauth2.AuthStyle {
	if c.Endpoint.AuthStyle != oauth2.AuthStyleAutoDetect {
		return []oauth2.AuthStyle{c.Endpoint.AuthStyle}
	}
	if c.ClientSecret == "" {
		return []oauth2.AuthStyle{oauth2.AuthStyleInParams} // public client: client_id only
	}
	if v, ok := authStyles.Load(authStyleKey{endpoint, c.ClientID}); ok {
		return []oauth2.AuthStyle{v.(oauth2.AuthStyle)}
	}
	// Providers that want JSON bodies put the credentials in them; RFC
	// 6749 §2.3.1 makes HTTP Basic the one every server supports.
	order := []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams}
	if c.BodyFormat == JSONBody {
		order[0], order[1] = order[1], order[0]
	}
	if oneTime {
		return order[:1]
	}
	return order
}

// do sends a token endpoint request and parses a token response.
func (c *Config) do(ctx context.Context, k call) (*oauth2.Token, error) {
	body, resp, red, err := c.send(ctx, k)
	if err != nil {
		return nil, err
	}
	return parseToken(k.op, resp, body, red, time.Now(), c.DefaultExpiresIn)
}

// send sends the request with each authentication style in turn until
// one is not rejected as invalid_client, and returns the final response
// and its (capped) body. Non-2xx responses are returned, not errors.
func (c *Config) send(ctx context.Context, k call) ([]byte, *http.Response, redactor, error) {
	red := c.redactor(k.params)
	styles := c.styles(k.endpoint, k.oneTime)
	for i, style := range styles {
		body, resp, err := c.roundTrip(ctx, k, style, red)
		if err != nil {
			return nil, nil, red, err
		}
		rejected := resp.StatusCode == http.StatusUnauthorized || errorCode(body) == "invalid_client"
		if rejected && i+1 < len(styles) {
			continue
		}
		if !rejected && c.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect && c.ClientSecret != "" {
			authStyles.Store(authStyleKey{k.endpoint, c.ClientID}, style)
		}
		return body, resp, red, nil
	}
	return nil, nil, red, errors.New("client: no authentication style to try")
}

// roundTrip sends one request with one authentication style.
func (c *Config) roundTrip(ctx context.Context, k call, style oauth2.AuthStyle, red redactor) ([]byte, *http.Response, error) {
	params := url.Values{}
	for key, vs := range c.Params {
		params[key] = append([]string(nil), vs...)
	}
	for key, vs := range k.params {
		params[key] = vs
	}
	useBasic := style == oauth2.AuthStyleInHeader
	if !useBasic {
		params.Set("client_id", c.ClientID)
		if c.ClientSecret != "" {
			params.Set("client_secret", c.ClientSecret)
		}
	}
	var body []byte
	var contentType string
	if c.BodyFormat == JSONBody {
		body = jsonBody(params)
		contentType = "application/json"
	} else {
		body = []byte(params.Encode())
		contentType = "application/x-www-form-urlencoded"
	}
	ctx = context.WithValue(ctx, retryPolicyKey{}, k.policy)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, k.endpoint, body)
	if err != nil {
		return nil, nil, &ConfigError{Field: "endpoint URL", Reason: "is invalid"}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if useBasic {
		// RFC 6749 §2.3.1: form-encode both, then HTTP Basic.
		cred := url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	}
	resp, err := c.retryClient().Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		var ne net.Error
		timeout := errors.As(err, &ne) && ne.Timeout()
		return nil, nil, &TransportError{Op: k.op, Err: errors.New(red.String(err.Error())), timeout: timeout}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr // the caller's context ended mid-body
		}
		return nil, nil, responseError(resp, "reading body: "+red.String(err.Error()), data, red)
	}
	if len(data) > MaxResponseBytes {
		return nil, nil, responseError(resp, "body exceeds 1 MiB", data[:64], red)
	}
	return data, resp, nil
}

// TransportError reports a request that got no HTTP response (connection
// refused or reset, timeout, TLS failure), after any retries. Err holds
// the cause's message, redacted; Timeout tells whether it was a timeout.
type TransportError struct {
	Op      string
	Err     error
	timeout bool
}

// Timeout reports whether the request timed out (as net.Error does).
func (e *TransportError) Timeout() bool { return e.timeout }

// Temporary reports the same as Timeout; it makes TransportError a
// net.Error.
func (e *TransportError) Temporary() bool { return e.timeout }

func (e *TransportError) Error() string { return "client: " + e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// redactor returns a redactor for the secrets of this config and params.
func (c *Config) redactor(params url.Values) redactor {
	r := redactor{c.ClientSecret}
	if c.ClientSecret != "" { // the HTTP Basic credentials, which a server may echo
		r = append(r, base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ClientID)+":"+url.QueryEscape(c.ClientSecret))))
	}
	for _, k := range secretParams {
		if v := params.Get(k); v != "" {
			r = append(r, v)
		}
	}
	return r
}

// jsonBody encodes params as a JSON object of strings (first value of
// each key), with sorted keys.
func jsonBody(params url.Values) []byte {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(params.Get(k))
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// mediaType returns the response's media type without parameters.
func mediaType(resp *http.Response) string {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// errorCode returns the "error" member of a JSON or form body, if any.
func errorCode(body []byte) string {
	body = bytes.TrimSpace(body) // as the response parser does
	var v struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		s, _ := v.Error.(string)
		return s
	}
	if q, err := url.ParseQuery(string(body)); err == nil {
		return q.Get("error")
	}
	return ""
}
