package benchmarks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/httptransport"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// Implementation names: the impl= key of every benchmark, so that
// `benchstat -col /impl` puts the libraries side by side.
const (
	implTokenward      = "tokenward"        // tokensource.Cached, synchronous renewal (the default)
	implTokenwardAsync = "tokenward-async"  // tokensource.Cached with AsyncRefresh
	implXOAuth2        = "x-oauth2"         // oauth2.ReuseTokenSource(WithExpiry)
	implGoogle         = "google-auth"      // auth.NewCachedTokenProvider (asynchronous renewal, its default)
	implGoogleSync     = "google-auth-sync" // the same with DisableAsyncRefresh
	implFloor          = "floor"            // the least work a token-injecting RoundTripper can do
	implStatic         = "static"           // a token that is never renewed
)

// The client registered with every benchmark authorization server.
const (
	benchClientID     = "bench-client"
	benchClientSecret = "bench-secret"
	// staticClientID gets hour-long tokens from the same server, for the
	// static-token baselines.
	staticClientID = "static-client"
)

// quiet discards the libraries' warnings, which are expected when a
// scenario breaks the token endpoint on purpose.
var quiet = slog.New(slog.DiscardHandler)

// newAS starts an oauth2test authorization server whose bench client gets
// client_credentials tokens of the given lifetime (whole seconds: the
// wire format's expires_in is an integer).
func newAS(tb testing.TB, life time.Duration) *oauth2test.Server {
	tb.Helper()
	return oauth2test.NewServer(tb, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: benchClientID, Secret: benchClientSecret, AuthStyle: oauth2test.AuthBasic, TokenLifetime: life},
		{ID: staticClientID, Secret: benchClientSecret, AuthStyle: oauth2test.AuthBasic, TokenLifetime: time.Hour},
	}})
}

// libConfig says how to build one library's cached token source.
type libConfig struct {
	impl     string        // one of the impl constants
	tokenURL string        // the token endpoint
	window   time.Duration // renew this long before expiry, in every library
}

// lib is one library configured against a token endpoint, seen through
// the two things an application uses: its cached token and its
// token-injecting http.RoundTripper.
type lib struct {
	name      string
	token     func(ctx context.Context) (string, error)
	transport func(base http.RoundTripper) http.RoundTripper
}

// newLib builds the library named by c.impl, fetching client_credentials
// tokens with HTTP Basic client authentication.
func newLib(c libConfig) lib {
	switch c.impl {
	case implTokenward, implTokenwardAsync:
		conf := &client.Config{ClientID: benchClientID, ClientSecret: benchClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: c.tokenURL, AuthStyle: oauth2.AuthStyleInHeader}}
		src := conf.ClientCredentialsSource(&tokensource.Options{
			ExpiryWindow: c.window, AsyncRefresh: c.impl == implTokenwardAsync, Logger: quiet,
		})
		return tokenwardLib(c.impl, src)
	case implXOAuth2:
		cc := &clientcredentials.Config{ClientID: benchClientID, ClientSecret: benchClientSecret,
			TokenURL: c.tokenURL, AuthStyle: oauth2.AuthStyleInHeader}
		// cc.TokenSource would renew 10 s before expiry, longer than the
		// scenarios' token lifetimes: give it the same window as the others.
		return xoauth2Lib(oauth2.ReuseTokenSourceWithExpiry(nil, ccFetch{cc}, c.window))
	case implGoogle, implGoogleSync:
		p := &ccProvider{tokenURL: c.tokenURL, hc: &http.Client{Timeout: 30 * time.Second}}
		return googleLib(c.impl, auth.NewCachedTokenProvider(p, &auth.CachedTokenProviderOptions{
			ExpireEarly: c.window, DisableAsyncRefresh: c.impl == implGoogleSync,
		}))
	}
	panic("unknown impl " + c.impl)
}

func tokenwardLib(name string, src *tokensource.Cached) lib {
	return lib{
		name: name,
		token: func(ctx context.Context) (string, error) {
			tok, err := src.TokenContext(ctx)
			if err != nil {
				return "", err
			}
			return tok.AccessToken, nil
		},
		transport: func(base http.RoundTripper) http.RoundTripper {
			return &tokensource.Transport{Source: src, Base: base}
		},
	}
}

func xoauth2Lib(ts oauth2.TokenSource) lib {
	return lib{
		name: implXOAuth2,
		token: func(context.Context) (string, error) {
			tok, err := ts.Token()
			if err != nil {
				return "", err
			}
			return tok.AccessToken, nil
		},
		transport: func(base http.RoundTripper) http.RoundTripper {
			return &oauth2.Transport{Source: ts, Base: base}
		},
	}
}

func googleLib(name string, tp auth.TokenProvider) lib {
	creds := auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: tp})
	return lib{
		name: name,
		token: func(ctx context.Context) (string, error) {
			tok, err := tp.Token(ctx)
			if err != nil {
				return "", err
			}
			return tok.Value, nil
		},
		transport: func(base http.RoundTripper) http.RoundTripper {
			hc := &http.Client{Transport: base}
			if err := httptransport.AddAuthorizationMiddleware(hc, creds); err != nil {
				panic(err)
			}
			return hc.Transport
		},
	}
}

// staticLib serves tok for ever through tokenward's Transport: the
// baseline that never renews.
func staticLib(tok *oauth2.Token) lib {
	return tokenwardLib(implStatic, tokensource.New(tokensource.FromOAuth2(oauth2.StaticTokenSource(tok)), nil))
}

// staticToken obtains an hour-long token from srv for the static
// baselines.
func staticToken(tb testing.TB, srv *oauth2test.Server) *oauth2.Token {
	tb.Helper()
	conf := &client.Config{ClientID: staticClientID, ClientSecret: benchClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}
	tok, err := conf.ClientCredentialsToken(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// ccFetch fetches a new token on every call, with x/oauth2's own
// client_credentials code; the ReuseTokenSource around it does the
// caching.
type ccFetch struct{ cc *clientcredentials.Config }

func (f ccFetch) Token() (*oauth2.Token, error) { return f.cc.Token(context.Background()) }

// ccProvider is an auth.TokenProvider for the client_credentials grant
// against any RFC 6749 server (cloud.google.com/go/auth ships providers
// for Google's credential types only). Like the library's own 3LO
// provider it sends one form POST, without retries; the
// auth.NewCachedTokenProvider around it does the caching.
type ccProvider struct {
	tokenURL string
	hc       *http.Client
}

func (p *ccProvider) Token(ctx context.Context) (*auth.Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(benchClientID), url.QueryEscape(benchClientSecret))
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &auth.Error{Response: resp, Body: body}
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, fmt.Errorf("token response: %w", err)
	}
	return &auth.Token{Value: tr.AccessToken, Type: tr.TokenType,
		Expiry: time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)}, nil
}
