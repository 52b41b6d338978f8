package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/oauth2"
)

// BenchmarkClientCredentialsToken measures one token request through the
// pipeline against a loopback server: building, sending, reading,
// classifying and decoding.
func BenchmarkClientCredentialsToken(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"AT","token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ClientCredentialsToken(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
