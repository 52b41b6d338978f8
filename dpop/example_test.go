package dpop_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/url"
	"strings"

	"github.com/tokenward/tokenward/dpop"
)

// A fresh key signs a proof for a token request and one for a resource
// request, which carries the hash of the access token.
func Example() {
	key, err := dpop.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	tokenProof, err := key.Proof("POST", "https://as.example/token", "", "")
	if err != nil {
		log.Fatal(err)
	}
	resourceProof, err := key.Proof("GET", "https://RS.example:443/v1/items?page=2", "2YotnFZFEjr1zCsicMWpAA", "")
	if err != nil {
		log.Fatal(err)
	}
	// The request carries:
	//   DPoP: <resourceProof>
	//   Authorization: DPoP 2YotnFZFEjr1zCsicMWpAA
	for _, proof := range []string{tokenProof, resourceProof} {
		header, claims := decode(proof)
		fmt.Println(header["typ"], header["alg"], claims["htm"], claims["htu"], claims["ath"] != nil)
	}
	// Output:
	// dpop+jwt ES256 POST https://as.example/token false
	// dpop+jwt ES256 GET https://rs.example/v1/items true
}

// Any crypto.Signer is a key: here an ECDSA P-384 key, which signs with
// ES384. A KMS or HSM signer works the same way.
func ExampleNewKey() {
	priv, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	key, err := dpop.NewKey(priv)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(key.Algorithm())
	// Output: ES384
}

// The key's thumbprint is the dpop_jkt parameter of an authorization
// request, binding the authorization code to the key.
func ExampleKey_Thumbprint() {
	key, err := dpop.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {"my-app"},
		"dpop_jkt":      {key.Thumbprint()},
	}
	authURL := "https://as.example/authorize?" + q.Encode()
	fmt.Println(len(key.Thumbprint()), strings.Contains(authURL, "dpop_jkt="+key.Thumbprint()))
	// Output: 43 true
}

// A server's nonce is checked before it is remembered, then sent in every
// later proof to that server.
func ExampleValidNonce() {
	for _, nonce := range []string{"eyJ7S_zG.eyJH0-Z.HX4w-7v", "bad nonce\r\n"} {
		fmt.Println(dpop.ValidNonce(nonce))
	}
	// Output:
	// true
	// false
}

// decode returns the header and claims of a proof, unverified.
func decode(proof string) (header, claims map[string]any) {
	parts := strings.Split(proof, ".")
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			log.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			log.Fatal(err)
		}
	}
	return header, claims
}
