package oauth2test

import (
	"errors"
	"net/http"
	"strings"
)

// writeDPoPError answers a request whose DPoP proof DPoPVerifier.Verify
// refused with err. At the token endpoint (resource false) it is a 400
// error response (RFC 9449 section 5); at a protected resource a 401 with a
// DPoP challenge listing algs (section 7.1). A non-empty nonce goes in the
// DPoP-Nonce header (section 8), which a use_dpop_nonce error needs.
func writeDPoPError(w http.ResponseWriter, err error, resource bool, nonce string, algs []string) {
	e := &DPoPError{Code: DPoPInvalidProof, Description: "invalid DPoP proof"}
	errors.As(err, &e)
	if nonce != "" {
		w.Header().Set("DPoP-Nonce", nonce)
	}
	if !resource {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: e.Code, Description: e.Description})
		return
	}
	w.Header().Set("WWW-Authenticate",
		`DPoP error="`+e.Code+`", error_description="`+e.Description+`", algs="`+strings.Join(algs, " ")+`"`)
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: e.Code, Description: e.Description})
}
