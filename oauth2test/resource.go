package oauth2test

import (
	"net/http"
	"strings"
)

// resourceResponse is the body of a successful protected resource request.
type resourceResponse struct {
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Expiry   int64  `json:"exp"`
}

// handleResource serves a protected resource (RFC 6750) for any method: a
// request whose Authorization header carries a Bearer access token that is
// unrevoked and unexpired on the server's clock gets 200 and a JSON body
// describing the token; any other gets 401 with a Bearer challenge. A
// DPoP-bound token must come with scheme DPoP and a valid proof by its key
// (RFC 9449 §7), a certificate-bound one over a TLS connection presenting
// its certificate (RFC 8705 §3).
func (s *Server) handleResource(w http.ResponseWriter, r *http.Request) {
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	value = strings.TrimSpace(value)

	dpopScheme := strings.EqualFold(scheme, "DPoP")
	var jkt string
	if dpopScheme && value != "" {
		s.mu.Lock()
		s.resourceReqs++
		s.mu.Unlock()
		var ok bool
		if jkt, ok = s.checkResourceDPoP(w, r, value); !ok {
			return
		}
		s.setDPoPNonce(w)
	}

	s.mu.Lock()
	if !dpopScheme || value == "" {
		s.resourceReqs++
	}
	var resp *resourceResponse
	problem := ""
	switch t := s.access[value]; {
	case !strings.EqualFold(scheme, "Bearer") && !dpopScheme || value == "":
		problem = "missing"
	case t == nil:
		problem = "unknown access token"
	case t.revoked || (t.fam != nil && t.fam.revoked):
		problem = "access token revoked"
	case !t.valid(s.now()):
		problem = "access token expired"
	case t.bound.jkt != jkt:
		problem = "access token not bound to the DPoP proof's key" // RFC 9449 §7.1, §7.2
	case t.bound.x5t != "" && t.bound.x5t != certThumbprint(r):
		problem = "access token bound to another client certificate" // RFC 8705 §3
	default:
		resp = &resourceResponse{
			Subject:  t.subject,
			ClientID: t.clientID,
			Scope:    strings.Join(t.scopes, " "),
			Expiry:   t.expiry.Unix(),
		}
	}
	s.mu.Unlock()

	switch problem {
	case "":
		writeJSON(w, http.StatusOK, resp)
	case "missing":
		// RFC 6750 section 3.1: no error code when no credentials were sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="oauth2test"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error_description": "missing Bearer token"})
	default:
		scheme := "Bearer"
		if dpopScheme {
			scheme = "DPoP"
		}
		w.Header().Set("WWW-Authenticate", scheme+` realm="oauth2test", error="invalid_token", error_description="`+problem+`"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "invalid_token", Description: problem})
	}
}
