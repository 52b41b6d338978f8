package oauth2test

import (
	"net/http"
	"testing"
)

func revokeToken(t *testing.T, s *Server, id, secret, token string, kv ...string) reply {
	t.Helper()
	return do(t, s, call{path: "/revoke", form: form(append([]string{"client_id", id, "client_secret", secret, "token", token}, kv...)...)})
}

func TestRevoke(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{
		{ID: "c", Secret: "s", IssueRefreshToken: true},
		{ID: "other", Secret: "s"},
	}})

	// Revoking an access token revokes only that token.
	a := passwordToken(t, s, "c", "s")
	r := revokeToken(t, s, "c", "s", a.str("access_token"), "token_type_hint", "access_token")
	wantOK(t, r)
	if len(r.body) != 0 {
		t.Errorf("revocation body = %q; want empty", r.body)
	}
	if got := getResource(t, s, a.str("access_token")).status; got != http.StatusUnauthorized {
		t.Errorf("revoked access token: status = %d; want 401", got)
	}
	wantOK(t, refresh(t, s, "c", "s", a.str("refresh_token")))

	// Revoking a refresh token revokes its family, whatever the hint says.
	b := passwordToken(t, s, "c", "s")
	wantOK(t, revokeToken(t, s, "c", "s", b.str("refresh_token"), "token_type_hint", "access_token"))
	wantError(t, refresh(t, s, "c", "s", b.str("refresh_token")), 400, "invalid_grant")
	if got := getResource(t, s, b.str("access_token")).status; got != http.StatusUnauthorized {
		t.Errorf("access token of a revoked family: status = %d; want 401", got)
	}

	// Unknown tokens and other clients' tokens: 200, nothing revoked.
	c := passwordToken(t, s, "c", "s")
	wantOK(t, revokeToken(t, s, "other", "s", c.str("access_token")))
	wantOK(t, revokeToken(t, s, "c", "s", "no-such-token"))
	wantOK(t, getResource(t, s, c.str("access_token")))

	// Client authentication and the token parameter are required.
	wantError(t, revokeToken(t, s, "c", "wrong", c.str("access_token")), 401, "invalid_client")
	wantError(t, do(t, s, call{path: "/revoke", form: form("client_id", "c", "client_secret", "s")}), 400, "invalid_request")
	wantError(t, do(t, s, call{path: "/revoke", method: http.MethodGet}), 405, "invalid_request")
}
