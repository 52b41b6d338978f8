package tokensource_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/tokensource"
)

// countingSource issues a new token on every call, like a token endpoint.
type countingSource struct{ n int }

func (s *countingSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.n++
	return &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", s.n), Expiry: time.Now().Add(time.Hour)}, nil
}

func ExampleNew() {
	src := &countingSource{}
	cached := tokensource.New(src, &tokensource.Options{
		ExpiryWindow: 5 * time.Minute,
		OnRefresh: func(ctx context.Context, tok *oauth2.Token) {
			fmt.Println("new token:", tok.AccessToken) // persist rotated refresh tokens here
		},
	})
	for range 3 {
		tok, err := cached.TokenContext(context.Background())
		if err != nil {
			panic(err)
		}
		fmt.Println("using", tok.AccessToken)
	}
	// Output:
	// new token: token-1
	// using token-1
	// using token-1
	// using token-1
}

func ExampleNewClient() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "server saw: ", r.Header.Get("Authorization"))
	}))
	defer api.Close()

	src := tokensource.New(&countingSource{}, nil)
	resp, err := tokensource.NewClient(src).Get(api.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: server saw: Bearer token-1
}

func ExampleCached_Invalidate() {
	src := tokensource.New(&countingSource{}, nil)
	tok, _ := src.TokenContext(context.Background())
	// A resource server rejected tok (401 invalid_token): drop it.
	src.Invalidate(tok)
	tok, _ = src.TokenContext(context.Background())
	fmt.Println(tok.AccessToken)
	// Output: token-2
}

func ExampleFromOAuth2() {
	static := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc"})
	tok, _ := tokensource.New(tokensource.FromOAuth2(static), nil).TokenContext(context.Background())
	fmt.Println(tok.AccessToken)
	// Output: abc
}

// NewClientWithBase sends the authorized requests through a RoundTripper
// of your own: here one that sets a User-Agent.
func ExampleNewClientWithBase() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, r.UserAgent(), r.Header.Get("Authorization"))
	}))
	defer api.Close()

	base := userAgent{"example/1.0", http.DefaultTransport}
	src := tokensource.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at-123"}))
	resp, err := tokensource.NewClientWithBase(src, base).Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output: example/1.0 Bearer at-123
}

// userAgent is a RoundTripper that sets the User-Agent header.
type userAgent struct {
	name string
	base http.RoundTripper
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.name)
	return u.base.RoundTrip(r)
}
