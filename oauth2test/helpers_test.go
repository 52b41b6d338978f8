package oauth2test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// call describes a request to one of the server's endpoints.
type call struct {
	method      string         // default POST
	path        string         // default /token
	form        url.Values     // form body
	json        map[string]any // JSON body instead of form, when non-nil
	raw         string         // raw body instead of form and json, when non-empty
	contentType string         // overrides the Content-Type derived from the body
	basicUser   string         // with basicPass, sent as HTTP Basic when useBasic
	basicPass   string
	useBasic    bool
	header      http.Header
}

// reply is what the server answered.
type reply struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any // decoded body, when it is a JSON object
}

// str returns the JSON string field k, or "" if absent or not a string.
func (r reply) str(k string) string {
	s, _ := r.json[k].(string)
	return s
}

// do sends c to s and reads the reply, failing t on transport errors.
func do(t *testing.T, s *Server, c call) reply {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = "/token"
	}
	var body io.Reader
	ct := ""
	switch {
	case c.raw != "":
		body = strings.NewReader(c.raw)
	case c.json != nil:
		b, err := json.Marshal(c.json)
		if err != nil {
			t.Fatal(err)
		}
		body, ct = bytes.NewReader(b), "application/json"
	case c.form != nil:
		body, ct = strings.NewReader(c.form.Encode()), "application/x-www-form-urlencoded"
	}
	if c.contentType != "" {
		ct = c.contentType
	}
	req, err := http.NewRequest(c.method, s.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.useBasic {
		req.SetBasicAuth(url.QueryEscape(c.basicUser), url.QueryEscape(c.basicPass))
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", c.method, c.path, err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	json.Unmarshal(b, &r.json)
	return r
}

// form builds url.Values from alternating keys and values.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// defaultCreds returns form values authenticating the default client in the
// body, plus kv.
func defaultCreds(kv ...string) url.Values {
	return form(append([]string{"client_id", DefaultClientID, "client_secret", DefaultClientSecret}, kv...)...)
}

// wantOK fails t unless r is a 200.
func wantOK(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, body %s; want 200", r.status, r.body)
	}
}

// wantError fails t unless r is an error response with status and code.
func wantError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got status %d, error %q (body %s); want %d, %q", r.status, r.str("error"), r.body, status, code)
	}
}

// fetchToken runs a token request that must succeed and returns the reply.
func fetchToken(t *testing.T, s *Server, c call) reply {
	t.Helper()
	r := do(t, s, c)
	wantOK(t, r)
	if r.str("access_token") == "" {
		t.Fatalf("no access_token in %s", r.body)
	}
	return r
}

// getResource calls the protected resource with token and returns the reply.
func getResource(t *testing.T, s *Server, token string) reply {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return do(t, s, call{method: http.MethodGet, path: "/resource", header: h})
}
