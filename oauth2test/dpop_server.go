package oauth2test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// binding is what the token request being served binds its tokens to: a
// DPoP key's thumbprint (RFC 9449 §6) and a client certificate's
// (RFC 8705 §3). Server.token sets it under s.mu for the grant handlers
// and issue.
type binding struct {
	jkt string // base64url SHA-256 JWK thumbprint; "" when not DPoP
	x5t string // base64url SHA-256 of the certificate; "" when not mTLS
}

// checkTokenDPoP verifies the DPoP proof of a token request, if it has
// one or the server requires one, and returns its key's thumbprint. On a
// refused proof it answers the request (400 invalid_dpop_proof or
// use_dpop_nonce with the current nonce) and reports false.
func (s *Server) checkTokenDPoP(w http.ResponseWriter, r *http.Request) (string, bool) {
	if len(r.Header.Values("DPoP")) == 0 && !s.requireDPoP {
		return "", true
	}
	nonce := s.currentDPoPNonce()
	jkt, err := s.dpop.Verify(r, "", nonce, s.clock())
	if err != nil {
		writeDPoPError(w, err, false, nonce, nil)
		return "", false
	}
	return jkt, true
}

// currentDPoPNonce returns the nonce proofs must carry, or "" when the
// server asks for none.
func (s *Server) currentDPoPNonce() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dpopNonce
}

// RotateDPoPNonce replaces the DPoP nonce that proofs must carry, as a
// server does from time to time (RFC 9449 §8), and returns the new one.
// It has no effect unless Options.DPoPNonce is set. A client must then
// answer one use_dpop_nonce error at the token endpoint or the resource.
func (s *Server) RotateDPoPNonce() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dpopNonce != "" {
		s.dpopNonce = randomString(16)
	}
	return s.dpopNonce
}

// setDPoPNonce sends the current nonce, if any, with a response.
func (s *Server) setDPoPNonce(w http.ResponseWriter) {
	if n := s.currentDPoPNonce(); n != "" {
		w.Header().Set("DPoP-Nonce", n)
	}
}

// checkBinding refuses a token request whose proof key differs from the
// key the presented grant (authorization code or refresh token) is bound
// to. Callers hold s.mu.
func (s *Server) checkBinding(want, what string) *oauthError {
	if want != "" && want != s.bound.jkt {
		return errInvalidGrant(what + " is bound to another DPoP key")
	}
	return nil
}

// checkResourceDPoP verifies a resource request with scheme DPoP: the proof
// must carry the token's ath and the current nonce. On a refused proof it
// answers with 401 and a DPoP challenge and reports false.
func (s *Server) checkResourceDPoP(w http.ResponseWriter, r *http.Request, token string) (string, bool) {
	nonce := s.currentDPoPNonce()
	jkt, err := s.dpop.Verify(r, token, nonce, s.clock())
	if err != nil {
		writeDPoPError(w, err, true, nonce, s.dpop.algorithms())
		return "", false
	}
	return jkt, true
}

// cnf is the confirmation claim of a token bound as b, or nil.
func (b binding) cnf() map[string]string {
	cnf := map[string]string{}
	if b.jkt != "" {
		cnf["jkt"] = b.jkt
	}
	if b.x5t != "" {
		cnf["x5t#S256"] = b.x5t
	}
	if len(cnf) == 0 {
		return nil
	}
	return cnf
}

// certThumbprint is the base64url SHA-256 of the client certificate of r's
// TLS connection (RFC 8705 §3.1), or "" when it presented none.
func certThumbprint(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// pushedJKT sets the dpop_jkt of a pushed authorization request from its
// proof's key, refusing one that names another key (RFC 9449 §10.1).
func pushedJKT(req *Request, jkt string) *oauthError {
	if jkt == "" {
		return nil
	}
	if got := req.Params["dpop_jkt"]; got != "" && got != jkt {
		return errInvalidRequest("dpop_jkt does not match the DPoP proof's key")
	}
	req.Params["dpop_jkt"] = jkt
	return nil
}
