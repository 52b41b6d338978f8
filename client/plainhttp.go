package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxDocumentBytes caps metadata, registration, introspection and PAR
// answers.
const maxDocumentBytes = 1 << 20

// plainTimeout bounds a request made with the default client.
const plainTimeout = 30 * time.Second

// ErrRedirect is matched by errors for a discovery or registration
// request that the server redirected to another origin (discovery) or at
// all (registration): such requests are never followed.
var ErrRedirect = errors.New("client: redirect refused")

// ErrTooLarge is matched by errors for an answer larger than 1 MiB.
var ErrTooLarge = errors.New("client: response body too large")

// noRedirectClient returns a copy of hc (nil: a default client with a
// timeout) that follows redirects only within the origin of the first
// request, and none at all when sameOrigin is false.
func noRedirectClient(hc *http.Client, sameOrigin bool) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Timeout = plainTimeout
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin || len(via) >= 3 ||
			!strings.EqualFold(req.URL.Scheme, via[0].URL.Scheme) || !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
			return ErrRedirect
		}
		return nil
	}
	return &c
}

// plainResponse is an answer read with a capped body.
type plainResponse struct {
	status int
	header http.Header
	body   []byte
}

// doJSON sends a request (a JSON body if in is not nil, a Bearer token
// if bearer is not empty) and reads the answer, at most
// maxDocumentBytes of it.
func doJSON(ctx context.Context, hc *http.Client, method, rawURL, bearer string, in any) (*plainResponse, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named by the caller; drop the duplicate
		}
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocumentBytes {
		return nil, ErrTooLarge
	}
	return &plainResponse{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// InvalidResponseError reports an answer from an introspection, PAR,
// registration or discovery endpoint that is not what the standard
// requires (not JSON, a required member missing, an absurd value).
type InvalidResponseError struct {
	Endpoint   string // "introspection", "pushed authorization request", ...
	StatusCode int    // 0 when unknown
	Reason     string
	Err        error // a sentinel such as ErrNoClientID, or nil
}

func (e *InvalidResponseError) Unwrap() error { return e.Err }

func (e *InvalidResponseError) Error() string {
	s := "client: invalid " + e.Endpoint + " response"
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	return s + ": " + e.Reason
}

// quoteServer quotes a string a server sent, bounded and printable, for
// an error message.
func quoteServer(s string) string {
	const max = 100
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", strings.ToValidUTF8(s, "?"))
}
