package client_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/internal/testca"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// A Config with a DPoP key gets DPoP-bound tokens (RFC 9449), and the
// client that tokensource.NewClient builds sends each request with a
// fresh proof, answering the server's nonce challenges.
func ExampleConfig_dpop() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{RequireDPoP: true, DPoPNonce: true})
	defer srv.Close()

	key, err := dpop.GenerateKey() // or dpop.NewKey(signer), e.g. a key kept in a KMS
	if err != nil {
		panic(err)
	}
	conf := &client.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint:     srv.Endpoint(),
		DPoP:         key,
	}
	src := conf.ClientCredentialsSource(nil)
	hc := tokensource.NewClient(src)
	resp, err := hc.Get(srv.ResourceURL())
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	tok, _ := src.TokenContext(context.Background())
	fmt.Println(resp.StatusCode, tok.Type())
	// Output: 200 DPoP
}

// A Config with MTLS authenticates with the TLS client certificate of its
// HTTPClient (RFC 8705) and gets certificate-bound tokens, which are sent
// through a Transport presenting the same certificate.
func ExampleConfig_mtls() {
	ca := testca.New(nil, "example CA")   // your PKI
	cert := ca.Client(nil, "mtls-client") // or tls.LoadX509KeyPair, or a GetClientCertificate callback
	srv := oauth2test.NewServer(nil, &oauth2test.Options{
		ClientCAs: ca.Pool(),
		Clients:   []oauth2test.Client{{ID: "mtls-client", AuthStyle: oauth2test.AuthTLS}},
	})
	defer srv.Close()

	hc := srv.MTLSClient(cert) // an *http.Client whose TLS config presents cert
	conf := &client.Config{ClientID: "mtls-client", Endpoint: srv.Endpoint(), MTLS: true, HTTPClient: hc}
	src := conf.ClientCredentialsSource(nil)
	api := &http.Client{Transport: &tokensource.Transport{Source: src, Base: hc.Transport}}
	resp, err := api.Get(srv.ResourceURL())
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output: 200
}
