package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// Where token requests carry the client credentials, as credentialsIn
// words it.
const (
	inBasic = "client credentials in Basic header"
	inBody  = "client_id + client_secret in body"
)

// checkWire checks the content type of the last token request and where it
// carried the client credentials.
func (q *quickstart) checkWire(contentType, credentials string) error {
	const label = "wire"
	req := q.srv.LastTokenRequest()
	switch {
	case req == nil:
		return q.rep.fail(label, errors.New("no token request reached the server"))
	case req.ContentType != contentType || credentialsIn(req) != credentials:
		return q.rep.fail(label, fmt.Errorf("%s; want %s · %s", wire(req), contentType, credentials))
	}
	q.rep.ok(label, "%s", wire(req))
	return nil
}

// authCode runs the authorization code grant with PKCE: the user signs in
// at the authorization URL (simulated by the fake server's Authorize),
// the redirect brings back a code, and Exchange trades it for a token.
func (q *quickstart) authCode(ctx context.Context, conf *client.Config) (*oauth2.Token, error) {
	state, verifier := rand.Text(), oauth2.GenerateVerifier()
	callback, err := q.srv.Authorize(conf.AuthCodeURL(state, client.S256Challenge(verifier)),
		oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		return nil, q.rep.fail("authorize", err)
	}
	code, err := client.ParseCallback(callback.String(), state)
	if err != nil {
		return nil, q.rep.fail("authorize", err)
	}
	redirect := *callback
	redirect.RawQuery = ""
	q.rep.ok("authorize", "%s signed in → %s?code=…&state=… (state checked)", oauth2test.DefaultUsername, redirect.String())

	tok, err := q.seen(conf.Exchange(ctx, code, client.Verifier(verifier)))
	if err != nil {
		return nil, q.rep.fail("authorization_code", err)
	}
	if req := q.srv.LastTokenRequest(); req.Params["code_verifier"] != verifier {
		return nil, q.rep.fail("authorization_code", errors.New("the PKCE code_verifier was not sent"))
	}
	q.rep.ok("authorization_code", "PKCE S256 · %s", describe(tok))
	return tok, nil
}

// resource is what the protected resource says about the token it got.
type resource struct {
	Subject string `json:"sub"`
	Scope   string `json:"scope"`
}

// getResource calls the protected resource with a client from
// tokensource.NewClient, which adds src's token to the request.
func (q *quickstart) getResource(ctx context.Context, src tokensource.Source) (*resource, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.srv.ResourceURL(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := tokensource.NewClient(src).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /resource: %s", resp.Status)
	}
	var r resource
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("GET /resource: %w", err)
	}
	return &r, nil
}

// callResource reports a call of the protected resource with src.
func (q *quickstart) callResource(ctx context.Context, src tokensource.Source) error {
	const label = "resource"
	r, err := q.getResource(ctx, src)
	if err != nil {
		return q.rep.fail(label, err)
	}
	detail := "GET /resource via tokensource.NewClient → 200 OK · sub " + r.Subject
	if r.Scope != "" {
		detail += fmt.Sprintf(" · scope %q", r.Scope)
	}
	q.rep.ok(label, "%s", detail)
	return nil
}

// expireAndRetry moves the server's clock past the lifetime of src's token
// and calls the resource again. The client's clock has not moved, so src
// still serves the old token; the resource answers 401 invalid_token, and
// tokensource.Transport invalidates the token, gets a new one from src
// (with one grant request of type grant) and retries the request once.
func (q *quickstart) expireAndRetry(ctx context.Context, src *tokensource.Cached, by time.Duration, grant string) (*oauth2.Token, error) {
	label := fmt.Sprintf("server clock +%gh", by.Hours())
	old, err := src.TokenContext(ctx)
	if err != nil {
		return nil, q.rep.fail(label, err)
	}
	q.srv.Advance(by)
	status, challenge, err := q.probe(ctx, old)
	if err != nil {
		return nil, q.rep.fail(label, err)
	}
	if status != http.StatusUnauthorized || challenge["error"] != "invalid_token" {
		return nil, q.rep.fail(label, fmt.Errorf("old token got HTTP %d %q; want 401 invalid_token", status, challenge["error"]))
	}
	q.rep.ok(label, "old access token → %d %s (%s)", status, challenge["error"], challenge["error_description"])

	label = "401 → renew → retry"
	grants, calls := q.srv.GrantRequests(grant), q.srv.ResourceRequests()
	if _, err := q.getResource(ctx, src); err != nil {
		return nil, q.rep.fail(label, err)
	}
	tok, err := src.TokenContext(ctx)
	switch {
	case err != nil:
		return nil, q.rep.fail(label, err)
	case tok.AccessToken == old.AccessToken:
		return nil, q.rep.fail(label, errors.New("the source still serves the old token"))
	case q.srv.GrantRequests(grant) != grants+1 || q.srv.ResourceRequests() != calls+2:
		return nil, q.rep.fail(label, fmt.Errorf("%d %s requests and %d resource requests; want 1 and 2",
			q.srv.GrantRequests(grant)-grants, grant, q.srv.ResourceRequests()-calls))
	}
	q.rep.ok(label, "Transport: 401 invalid_token → 1 %s grant → retry → 200 OK · new access %s",
		grant, redact(tok.AccessToken))
	return tok, nil
}

// probe calls the resource with tok directly and returns the status and
// the parameters of the Bearer challenge, if any.
func (q *quickstart) probe(ctx context.Context, tok *oauth2.Token) (int, map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.srv.ResourceURL(), nil)
	if err != nil {
		return 0, nil, err
	}
	tok.SetAuthHeader(req)
	resp, err := q.srv.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, challengeParams(resp.Header.Get("WWW-Authenticate")), nil
}

// challengeParams parses the parameters of a simple Bearer challenge such
// as `Bearer realm="x", error="invalid_token"` (RFC 6750 §3). Values must
// not contain commas.
func challengeParams(h string) map[string]string {
	params := map[string]string{}
	_, rest, _ := strings.Cut(h, " ")
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			params[k] = strings.Trim(v, `"`)
		}
	}
	return params
}

// asRetrieveError returns the *oauth2.RetrieveError in err's chain with
// the given code, or an error saying what err was instead.
func asRetrieveError(err error, code string) (*oauth2.RetrieveError, error) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != code {
		return nil, fmt.Errorf("got %v; want an *oauth2.RetrieveError %s", err, code)
	}
	return re, nil
}

// typed describes an *oauth2.RetrieveError for the report.
func typed(re *oauth2.RetrieveError) string {
	s := "*oauth2.RetrieveError " + re.ErrorCode
	if re.Response != nil {
		s += fmt.Sprintf(" (HTTP %d)", re.Response.StatusCode)
	}
	if re.ErrorDescription != "" {
		s += ": " + re.ErrorDescription
	}
	return s
}
