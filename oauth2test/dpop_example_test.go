package oauth2test_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/oauth2test"
)

// A resource server under test checks each request's DPoP proof and that
// its key is the one the access token is bound to.
func ExampleDPoPVerifier() {
	key, err := dpop.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	boundTo := map[string]string{"token-1": key.Thumbprint()} // access token → cnf.jkt

	var verifier oauth2test.DPoPVerifier
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
		jkt, err := verifier.Verify(r, token, "", time.Now())
		switch {
		case !ok || err != nil:
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_dpop_proof"`)
			w.WriteHeader(http.StatusUnauthorized)
		case jkt != boundTo[token]:
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		default:
			io.WriteString(w, "hello")
		}
	}))
	defer rs.Close()

	proof, err := key.Proof("GET", rs.URL+"/items", "token-1", "")
	if err != nil {
		log.Fatal(err)
	}
	for range 2 { // the second time, the same proof is a replay
		req, _ := http.NewRequest("GET", rs.URL+"/items", nil)
		req.Header.Set("Authorization", "DPoP token-1")
		req.Header.Set("DPoP", proof)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// 200
	// 401
}
