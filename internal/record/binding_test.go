package record

import (
	"testing"

	"golang.org/x/oauth2"
)

func TestBindingRoundTrip(t *testing.T) {
	in := Record{Token: &oauth2.Token{AccessToken: "a", TokenType: "DPoP"}, JKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", CertThumbprint: "x5t-value"}
	data, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.JKT != in.JKT || out.CertThumbprint != in.CertThumbprint || out.Token.TokenType != "DPoP" {
		t.Errorf("got jkt %q x5t %q type %q; want %q %q DPoP", out.JKT, out.CertThumbprint, out.Token.TokenType, in.JKT, in.CertThumbprint)
	}
}
