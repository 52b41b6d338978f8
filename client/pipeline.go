package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
)

// userAgent identifies requests from this package.
const userAgent = "tokenward/0.1 (+https://github.com/tokenward/tokenward)"

// call is one request to an authorization server endpoint, as every
// grant, the device authorization and revocation describe it.
type call struct {
	op       string // for errors, e.g. "client_credentials grant"
	endpoint string // for the Observer: "token", "device_authorization", "revocation"
	url      string // validated
	params   url.Values
	policy   retryPolicy
	oneTime  bool // carries a one-time code: never replayed with another auth style
	// decode, if set, turns a classified 2xx answer into the call's result;
	// its error is what the caller and the Observer get.
	decode func(*answer) error
}

// answer is a 2xx response that is not an RFC 6749 error, read and parsed
// once.
type answer struct {
	resp   *http.Response // Body consumed; Request scrubbed
	body   []byte         // at most MaxResponseBytes
	fields map[string]any // JSON object or form members; nil if neither
	red    redactor       // the request's secrets and the answer's tokens
}

// post sends k, authenticating the client as configured (falling back
// from one auth style to the other on an invalid_client answer under
// auto-detection), and classifies the answer: an RFC 6749 error or any
// non-2xx is an *oauth2.RetrieveError, no response a *TransportError, a
// body too large a *ResponseError. Config.Observer sees the request.
func (c *Config) post(ctx context.Context, k *call) (*answer, error) {
	ctx, done := c.observe(ctx, k)
	a, err := c.authenticate(ctx, k)
	if err == nil && k.decode != nil {
		err = k.decode(a)
	}
	out := RequestOutcome{Err: err}
	if a != nil {
		out.StatusCode = a.resp.StatusCode
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		out.ErrorCode = re.ErrorCode
		if re.Response != nil {
			out.StatusCode = re.Response.StatusCode
		}
	}
	done(out)
	return a, err
}

// authenticate tries each auth style in turn. Only a 2xx answer teaches
// the memo; when every style is refused, the first refusal is returned.
func (c *Config) authenticate(ctx context.Context, k *call) (*answer, error) {
	st := c.state()
	key := styleKey{k.url, c.ClientID}
	styles := c.styles(st, key, k)
	red := c.redactor(k.params)
	if a := c.assertionAuth(k.endpoint, k.url); a != nil {
		return c.send(ctx, k, c.withDPoP(a, k), red) // never a secret after a refused assertion
	}
	var first error
	for i, style := range styles {
		a, err := c.send(ctx, k, c.withDPoP(c.auth(style), k), red)
		if isClientRejection(err) {
			if first == nil {
				first = err
			}
			if i+1 < len(styles) {
				continue
			}
			st.forgetStyle(key) // re-detect next time: the server may have changed
			return nil, first
		}
		if err == nil && c.autoDetect() {
			st.rememberStyle(key, style)
		}
		return a, err
	}
	return nil, errors.New("client: no authentication style to try")
}

func (c *Config) autoDetect() bool {
	return c.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect && c.ClientSecret != "" && !c.MTLS
}

// styles returns the authentication styles to try for k, in order.
func (c *Config) styles(st *shared, key styleKey, k *call) []oauth2.AuthStyle {
	if c.MTLS {
		return []oauth2.AuthStyle{oauth2.AuthStyleInParams} // the certificate authenticates
	}
	if c.Endpoint.AuthStyle != oauth2.AuthStyleAutoDetect {
		return []oauth2.AuthStyle{c.Endpoint.AuthStyle}
	}
	if c.ClientSecret == "" {
		return []oauth2.AuthStyle{oauth2.AuthStyleInParams} // public client: client_id only
	}
	if s, ok := c.metadataStyle(k.endpoint); ok {
		return []oauth2.AuthStyle{s}
	}
	if s, ok := st.style(key); ok {
		return []oauth2.AuthStyle{s}
	}
	// Providers that want JSON bodies put the credentials in them; RFC
	// 6749 §2.3.1 makes HTTP Basic the one every server supports.
	order := []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams}
	if c.BodyFormat == JSONBody {
		order[0], order[1] = order[1], order[0]
	}
	if k.oneTime {
		return order[:1]
	}
	return order
}

// auth returns the clientAuth of style.
func (c *Config) auth(style oauth2.AuthStyle) clientAuth {
	switch {
	case c.MTLS:
		return noAuth{c.ClientID} // the TLS certificate authenticates (RFC 8705 §2)
	case style == oauth2.AuthStyleInHeader:
		return basicAuth{c.ClientID, c.ClientSecret}
	case c.ClientSecret == "":
		return noAuth{c.ClientID}
	default:
		return bodyAuth{c.ClientID, c.ClientSecret}
	}
}

// isClientRejection reports whether err is the server refusing the
// client's authentication: 401 or invalid_client.
func isClientRejection(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && (re.ErrorCode == "invalid_client" || re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized)
}

// send sends k once with auth (twice if auth asks to resend after the
// first answer) and classifies the answer.
func (c *Config) send(ctx context.Context, k *call, auth clientAuth, red redactor) (*answer, error) {
	r, _ := auth.(resender)
	for sent := 1; ; sent++ {
		a, err := c.roundTrip(ctx, k, auth, red)
		// resend sees every answer (a DPoP nonce is learnt from each); a
		// request is resent once at most.
		if r == nil || a == nil || !r.resend(a) || sent == 2 {
			return a, err
		}
	}
}

// roundTrip sends one request. The answer is returned with any error it
// was classified as, so that a resender can inspect it.
func (c *Config) roundTrip(ctx context.Context, k *call, auth clientAuth, red redactor) (*answer, error) {
	params := make(url.Values, len(c.Params)+len(k.params)+2)
	for key, vs := range c.Params {
		params[key] = slices.Clone(vs)
	}
	for key, vs := range k.params {
		params[key] = vs
	}
	prepare, h, body, contentType, err := c.requestBody(ctx, auth, params)
	if err != nil {
		return nil, err
	}
	rctx := ctx
	if prepare != nil {
		// go-retryablehttp copies the *http.Request before each retry but
		// keeps its context: a context of its own identifies this request
		// to shared.prepareRetry.
		var cancel context.CancelFunc
		rctx, cancel = context.WithCancel(ctx)
		defer cancel()
	}
	req, err := retryablehttp.NewRequestWithContext(rctx, http.MethodPost, k.url, body)
	if err != nil {
		return nil, &ConfigError{Field: k.endpoint + " URL", Reason: "is invalid"}
	}
	for key, vs := range h {
		req.Header[key] = vs
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	st := c.state()
	if prepare != nil {
		st.prepares.Store(rctx, prepare)
		defer st.prepares.Delete(rctx)
	}
	resp, err := st.retryClient(c.baseClient(ctx), k.policy).Do(req)
	red = withAttemptSecrets(red, auth)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &TransportError{Op: k.op, Err: err, text: red.String(err.Error())}
	}
	defer resp.Body.Close()
	resp.Status = truncate(resp.Status, 64) // the server's text: bounded
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr // the caller's context ended mid-body
		}
		return nil, responseError(resp, "reading body: "+red.String(err.Error()), data, red)
	}
	if len(data) > MaxResponseBytes {
		return nil, responseError(resp, "body exceeds MaxResponseBytes ("+strconv.Itoa(MaxResponseBytes)+")", data[:64], red)
	}
	return classify(resp, data, red)
}

// baseClient is Config.HTTPClient, else the context's oauth2.HTTPClient
// (as x/oauth2 does), else nil for the Config's default client.
func (c *Config) baseClient(ctx context.Context) *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	if hc, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok {
		return hc
	}
	return nil
}

// scrubRequest replaces resp.Request, which an error exposes through
// RetrieveError.Response, by a copy without credentials: no
// Authorization header, no body to replay, no context.
func scrubRequest(resp *http.Response) {
	r := resp.Request
	if r == nil {
		return
	}
	h := r.Header.Clone()
	h.Del("Authorization")
	h.Del("DPoP")
	resp.Request = &http.Request{Method: r.Method, URL: r.URL, Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
		Header: h, Body: http.NoBody, ContentLength: r.ContentLength, Host: r.Host}
}

// classify parses body once and returns the answer, with an
// *oauth2.RetrieveError when it is an RFC 6749 error or not a 2xx.
func classify(resp *http.Response, body []byte, red redactor) (*answer, error) {
	fields, _ := decodeFields(resp, body)
	for _, k := range tokenMembers { // never echoed, even from an error answer
		if v, _ := fields[k].(string); v != "" {
			red = append(red, v)
		}
	}
	a := &answer{resp: resp, body: body, fields: fields, red: red}
	if code, _ := fields["error"].(string); code != "" || resp.StatusCode < 200 || resp.StatusCode > 299 {
		scrubRequest(resp)
		return a, retrieveError(resp, body, fields, red)
	}
	return a, nil
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

// maxErrorBody caps RetrieveError.Body.
const maxErrorBody = 1 << 10

// retrieveError builds the typed error for an RFC 6749 §5.2 error (or any
// non-2xx answer), with secrets redacted from what the server echoed.
func retrieveError(resp *http.Response, body []byte, fields map[string]any, red redactor) *oauth2.RetrieveError {
	b := scrubTokens(red.String(string(body)))
	if len(b) > maxErrorBody {
		b = strings.ToValidUTF8(b[:maxErrorBody], "")
	}
	re := &oauth2.RetrieveError{Response: resp, Body: []byte(b)}
	re.ErrorCode, _ = fields["error"].(string)
	re.ErrorCode = truncate(red.String(re.ErrorCode), 64)
	if d, ok := fields["error_description"].(string); ok {
		re.ErrorDescription = truncate(red.String(d), 512)
	}
	if u, ok := fields["error_uri"].(string); ok {
		re.ErrorURI = truncate(red.String(u), 512)
	}
	return re
}

// observe starts k's observation, if c has an Observer.
func (c *Config) observe(ctx context.Context, k *call) (context.Context, func(RequestOutcome)) {
	if c.Observer == nil {
		return ctx, func(RequestOutcome) {}
	}
	info := RequestInfo{Endpoint: k.endpoint, ServerAddress: serverAddress(k.url)}
	if k.endpoint == "token" {
		info.GrantType = k.params.Get("grant_type")
	}
	octx, done := c.Observer.StartRequest(ctx, info)
	if octx == nil {
		octx = ctx
	}
	if done == nil {
		done = func(RequestOutcome) {}
	}
	return octx, done
}

// serverAddress is the host of raw, with its port unless it is the
// scheme's default.
func serverAddress(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host, port := u.Hostname(), u.Port()
	if port == "" || port == "443" && u.Scheme == "https" || port == "80" && u.Scheme == "http" {
		return host
	}
	return u.Host
}

// encodeBody encodes params in format f and returns the Content-Type.
func encodeBody(f BodyFormat, params url.Values) ([]byte, string) {
	if f == JSONBody {
		return jsonBody(params), "application/json"
	}
	return []byte(params.Encode()), "application/x-www-form-urlencoded"
}

// jsonBody encodes params as a JSON object of strings (first value of
// each key), with sorted keys.
func jsonBody(params url.Values) []byte {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
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
	return b.Bytes()
}
