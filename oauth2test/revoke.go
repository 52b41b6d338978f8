package oauth2test

import "net/http"

// handleRevoke serves the revocation endpoint (RFC 7009). The client
// authenticates as at the token endpoint. Revoking an access token revokes
// that token; revoking a refresh token revokes it and every token issued from
// the same grant. Unknown tokens, and tokens of other clients, are ignored:
// the answer is 200 with an empty body either way.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	req, ok := readPost(w, r, "revocation")
	if !ok {
		return
	}
	s.mu.Lock()
	e := s.revoke(req)
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revoke revokes the token of a revocation request. Callers hold s.mu.
func (s *Server) revoke(req *Request) *oauthError {
	c, e := s.authenticate(req)
	if e != nil {
		return e
	}
	value := req.Params["token"]
	if value == "" {
		return errInvalidRequest("missing token")
	}
	// token_type_hint is only a hint (RFC 7009 section 2.1): search both.
	if t := s.access[value]; t != nil && t.clientID == c.ID {
		t.revoked = true
	}
	if t := s.refresh[value]; t != nil && t.clientID == c.ID {
		t.revoked = true
		t.fam.revoked = true
	}
	return nil
}
