// Transport shows tokensource.NewClient: an http.Client that adds a
// Bearer token from a source to every request, reuses it while it is
// valid, and, when the resource server answers 401 invalid_token (RFC
// 6750), drops the token, gets a new one and retries the request once.
//
// An embedded fake authorization server plays both the authorization
// server and the protected resource; moving its clock forward makes the
// token expire on the server's side only, so it runs with no setup and
// no waiting:
//
//	go run ./examples/transport
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()

	conf := &client.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint:     srv.Endpoint(),
	}
	hc := tokensource.NewClient(conf.ClientCredentialsSource(nil))

	get := func(what string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.ResourceURL(), nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Printf("%-28s %s (token requests so far: %d, resource requests: %d)\n",
			what+":", resp.Status, srv.TokenRequests(), srv.ResourceRequests())
		return nil
	}
	if err := get("first call"); err != nil {
		return err
	}
	if err := get("second call, same token"); err != nil {
		return err
	}
	// The server now considers the token expired; the client does not know.
	srv.Advance(2 * time.Hour)
	return get("after expiry, 401 + retry")
}
