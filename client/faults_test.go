package client_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
)

// Fault injection: what the client and its sources do when the network or
// the token endpoint misbehaves. Every test checks the documented error
// type, that no secret reaches an error, and (through TestMain and
// goleak.VerifyNone) that nothing is left running.

// Known secrets: unique and long, so that any appearance in an error or
// log line is a leak and not a coincidence.
const (
	faultClientID     = "fault-client"
	faultClientSecret = "cs-FAULT-5b1e0c77d2a94f38"
	faultUser         = "fault-user"
	faultPassword     = "pw-FAULT-9c3f2a61e8d74b05"
	faultCode         = "code-FAULT-1d6a4e92f0b3c857"
	faultVerifier     = "verifier-FAULT-3e8b0d4c6a2f1957-abcdefghijklmnopqrstuv"
	faultRefresh      = "rt-FAULT-8a2c4e6f0b1d3957"
	faultAccess       = "at-FAULT-4f6e8d0c2b1a3957"
)

var faultSecrets = []string{faultClientSecret, faultPassword, faultCode, faultVerifier, faultRefresh, faultAccess}

// faultServer is an oauth2test server with one confidential client that
// issues rotating refresh tokens.
func faultServer(t *testing.T, mod func(*oauth2test.Client)) (*oauth2test.Server, *client.Config) {
	t.Helper()
	c := oauth2test.Client{
		ID: faultClientID, Secret: faultClientSecret,
		RedirectURIs:      []string{"https://app.example/cb"},
		IssueRefreshToken: true, RotateRefreshTokens: true,
	}
	if mod != nil {
		mod(&c)
	}
	s := oauth2test.NewServer(t, &oauth2test.Options{
		Clients:        []oauth2test.Client{c},
		Users:          map[string]string{faultUser: faultPassword},
		DeviceInterval: 1,
	})
	ep := s.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return s, &client.Config{ClientID: faultClientID, ClientSecret: faultClientSecret, Endpoint: ep, RedirectURL: "https://app.example/cb"}
}

// verifyNoLeaks checks, once t and its subtests are done (use it in tests
// that do not run in parallel with others), that no goroutine they started is left, apart from
// idle keep-alive connections of shared HTTP clients.
func verifyNoLeaks(t *testing.T) {
	t.Cleanup(func() {
		goleak.VerifyNone(t,
			goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"))
	})
}

// rawConfig is a Config for a raw TCP fault server.
func rawConfig(url string, hc *http.Client) *client.Config {
	return &client.Config{
		ClientID: faultClientID, ClientSecret: faultClientSecret,
		Endpoint:   oauth2.Endpoint{TokenURL: url + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		HTTPClient: hc,
	}
}

// isolatedHTTP is an HTTP client of its own whose idle connections are
// closed at the end of the test, with an optional timeout.
func isolatedHTTP(t *testing.T, timeout time.Duration) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// errTexts is every rendering of err that a caller may print or log.
func errTexts(err error) []string {
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%s", err)}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		texts = append(texts, re.Error(), string(re.Body), re.ErrorDescription, re.ErrorURI, fmt.Sprintf("%+v", *re))
	}
	var rerr *client.ResponseError
	if errors.As(err, &rerr) {
		texts = append(texts, rerr.Excerpt, rerr.Reason, fmt.Sprintf("%#v", *rerr))
	}
	var te *client.TransportError
	if errors.As(err, &te) {
		texts = append(texts, te.Err.Error())
	}
	return texts
}

// noLeak fails if any rendering of err holds one of the secrets, or the
// first 12 characters of one (a token cut short is still a leak).
func noLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, text := range errTexts(err) {
		testlog.NoSecrets(t, "error", text, append(secrets, faultSecrets...)...)
	}
}

func asTransport(t *testing.T, err error) *client.TransportError {
	t.Helper()
	var te *client.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %T %v; want *client.TransportError", err, err)
	}
	return te
}

func asRetrieve(t *testing.T, err error, status int) *oauth2.RetrieveError {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != status {
		t.Fatalf("got %T %v; want *oauth2.RetrieveError with HTTP %d", err, err, status)
	}
	return re
}

func asResponse(t *testing.T, err error) *client.ResponseError {
	t.Helper()
	var re *client.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %T %v; want *client.ResponseError", err, err)
	}
	return re
}

// tokenJSON is a token response holding the known access and refresh
// tokens.
var tokenJSON = `{"access_token":"` + faultAccess + `","token_type":"Bearer","expires_in":3600,"refresh_token":"` + faultRefresh + `"}`
