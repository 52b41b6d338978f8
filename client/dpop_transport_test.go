package client

import (
	"io"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

func TestDPoPSourceThroughTransport(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{RequireDPoP: true, DPoPNonce: true})
	conf := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint: srv.Endpoint(), DPoP: mustDPoPKey(t)}
	src := conf.ClientCredentialsSource(nil)
	hc := tokensource.NewClient(src)
	get := func() int {
		t.Helper()
		resp, err := hc.Get(srv.ResourceURL())
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// The first request learns the resource's nonce (use_dpop_nonce, one
	// resend); the next ones carry it. The server refuses a replayed
	// proof, so every 200 is a fresh proof.
	for i := range 5 {
		if got := get(); got != 200 {
			t.Fatalf("request %d: status %d; want 200", i, got)
		}
	}
	if got, want := srv.ResourceRequests(), 6; got != want {
		t.Errorf("%d resource requests; want %d (one nonce challenge, then one each)", got, want)
	}
	// The server rotates its nonce: one more resend.
	srv.RotateDPoPNonce()
	if got := get(); got != 200 {
		t.Fatalf("after rotation: status %d; want 200", got)
	}
	if got, want := srv.ResourceRequests(), 8; got != want {
		t.Errorf("%d resource requests; want %d", got, want)
	}
	// invalid_token (a DPoP challenge) still renews the token once.
	issued := srv.IssuedAccessTokens()
	srv.RevokeAll()
	if got := get(); got != 200 {
		t.Fatalf("after revocation: status %d; want 200", got)
	}
	if got := srv.IssuedAccessTokens(); got != issued+1 {
		t.Errorf("%d tokens issued after the revocation; want 1", got-issued)
	}
	// A POST with a replayable body passes the nonce challenge too.
	srv.RotateDPoPNonce()
	resp, err := hc.Post(srv.ResourceURL(), "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("POST after rotation: status %d; want 200", resp.StatusCode)
	}
}

func TestDPoPOptionsKeptAndNotModified(t *testing.T) {
	key := mustDPoPKey(t)
	conf := &Config{ClientID: "c", DPoP: key}
	opts := &tokensource.Options{CacheKey: "k"}
	if got := conf.bound(opts); got == opts || got.DPoP != key || got.CacheKey != "k" || opts.DPoP != nil {
		t.Errorf("bound: got %+v; want a copy with the key", got)
	}
	other := mustDPoPKey(t)
	if got := conf.bound(&tokensource.Options{DPoP: other}); got.DPoP != other {
		t.Error("bound replaced the Options' own key")
	}
	if got := (&Config{}).bound(opts); got != opts {
		t.Error("bound copied Options without a key")
	}
}
