package oauth2test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
)

// maxBodyBytes caps every request body the server reads.
const maxBodyBytes = 1 << 20

// Request is a request as the server saw it, for asserting the wire format
// that a client used.
type Request struct {
	Method      string
	ContentType string // the Content-Type header as sent
	Header      http.Header
	Body        []byte

	// Params are the parameters parsed from a form or JSON body. JSON values
	// that are not strings are kept as their JSON text.
	Params map[string]string

	// BasicUser and BasicPassword are the HTTP Basic credentials, after the
	// form-decoding of RFC 6749 section 2.3.1; UsedBasic reports whether the
	// request carried them.
	BasicUser, BasicPassword string
	UsedBasic                bool

	tls *tls.ConnectionState // the connection's, for mTLS clients; nil over plain HTTP
}

// clone returns a deep copy of r.
func (r *Request) clone() *Request {
	if r == nil {
		return nil
	}
	c := *r
	c.Header = r.Header.Clone()
	c.Body = bytes.Clone(r.Body)
	c.Params = maps.Clone(r.Params)
	return &c
}

// readPost reads and parses the body of a POST to an endpoint that accepts
// nothing else. For another method, or a body it cannot read, it answers
// with the error and returns false.
func readPost(w http.ResponseWriter, r *http.Request, endpoint string) (*Request, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", "the " + endpoint + " endpoint accepts POST only"})
		return nil, false
	}
	req, e := readRequest(w, r)
	if e != nil {
		writeError(w, e)
		return nil, false
	}
	return req, true
}

// readRequest reads and parses the body of r. The returned Request is
// non-nil even when err is not: it records whatever could be read.
func readRequest(w http.ResponseWriter, r *http.Request) (*Request, *oauthError) {
	req := &Request{
		Method:      r.Method,
		ContentType: r.Header.Get("Content-Type"),
		Header:      r.Header.Clone(),
		Params:      map[string]string{},
	}
	req.BasicUser, req.BasicPassword, req.UsedBasic = basicAuth(r)
	req.tls = r.TLS
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	req.Body = body
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, &oauthError{http.StatusRequestEntityTooLarge, "invalid_request", "request body too large"}
		}
		return req, errInvalidRequest("reading request body: " + err.Error())
	}
	mt, _, _ := mime.ParseMediaType(req.ContentType)
	if mt == "application/json" {
		params, err := parseJSONParams(body)
		if err != nil {
			return req, errInvalidRequest(err.Error())
		}
		req.Params = params
		return req, nil
	}
	if len(body) == 0 {
		return req, nil
	}
	if mt != "" && mt != "application/x-www-form-urlencoded" {
		return req, errInvalidRequest("unsupported Content-Type " + req.ContentType)
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return req, errInvalidRequest("malformed form body")
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		req.Params[k] = values[k][0]
		if len(values[k]) > 1 {
			return req, errInvalidRequest(fmt.Sprintf("parameter %q included more than once", k))
		}
	}
	return req, nil
}

// parseJSONParams parses a JSON object body into parameters.
func parseJSONParams(body []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, errors.New("body is not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	params := make(map[string]string, len(obj))
	for k, raw := range obj {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			params[k] = s
			continue
		}
		if string(raw) == "null" {
			params[k] = ""
			continue
		}
		params[k] = string(raw)
	}
	return params, nil
}
