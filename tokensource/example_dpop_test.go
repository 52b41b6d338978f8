package tokensource_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/tokensource"
)

// A Transport sends a DPoP-bound token (token_type DPoP) with a fresh
// proof by its key on every request. Sources from package client set the
// key themselves (client.Config.DPoP); here it is given to the Transport.
func ExampleTransport_dpop() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		fmt.Println(scheme, strings.Count(r.Header.Get("DPoP"), "."))
	}))
	defer api.Close()

	key, err := dpop.GenerateKey()
	if err != nil {
		panic(err)
	}
	tok := &oauth2.Token{AccessToken: "token-bound-to-key", TokenType: "DPoP"} // as the server issued it
	hc := &http.Client{Transport: &tokensource.Transport{
		Source: tokensource.FromOAuth2(oauth2.StaticTokenSource(tok)),
		DPoP:   key,
	}}
	resp, err := hc.Get(api.URL + "/v1/items")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	// Output: DPoP 2
}
