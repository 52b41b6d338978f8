package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

func TestLogoutSaysWhenTheServerRefusedToRevoke(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, nil)
	rev := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"unsupported_token_type"}`)
	}))
	t.Cleanup(rev.Close)
	addCC(e, srv, "acme", "--revocation-url", rev.URL+"/revoke")
	e.mustRun("", "token", "-p", "acme")
	out := e.mustRun("", "logout", "-p", "acme")
	if strings.Contains(out, "revoked and deleted") || !strings.Contains(out, "does not revoke the access token") {
		t.Fatalf("logout after unsupported_token_type:\n%s", out)
	}
}

func TestWrongPasswordIsNotAnExpiredLogin(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, nil)
	e.mustRun(oauth2test.DefaultClientSecret+"\n", "profile", "add", "pw", "--grant", "password", "--token-url", srv.TokenURL(),
		"--client-id", oauth2test.DefaultClientID, "--auth-style", "basic", "--client-secret-stdin")
	code, _, errs := e.run("wrong\n", "login", "-p", "pw", "--username", oauth2test.DefaultUsername, "--password-stdin")
	if code != ExitAuth || strings.Contains(errs, "expired") || !strings.Contains(errs, "wrong username or password") {
		t.Fatalf("wrong password: exit %d, %q", code, errs)
	}
}

func TestNotFoundNamesTheURLAndTheFix(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, nil)
	e.mustRun(oauth2test.DefaultClientSecret+"\n", "profile", "add", "typo", "--grant", "client_credentials", "--token-url", srv.URL+"/tokne?x=1",
		"--client-id", oauth2test.DefaultClientID, "--auth-style", "basic", "--client-secret-stdin")
	code, _, errs := e.run("", "token", "-p", "typo")
	want := `tokenward: profile "typo": the token endpoint ` + srv.URL + `/tokne answered HTTP 404 Not Found`
	if code != ExitConfig || !strings.HasPrefix(errs, want) || !strings.Contains(errs, "tokenward profile add typo --force --token-url") {
		t.Fatalf("404: exit %d, %q; want prefix %q and a fix", code, errs, want)
	}
}

// unavailableStore is a keychain that is not there.
type unavailableStore struct{}

func (unavailableStore) Load(context.Context, string) ([]byte, error) {
	return nil, fmt.Errorf("keychain: %w", keychain.ErrUnavailable)
}
func (unavailableStore) Save(context.Context, string, []byte, time.Time) error {
	return fmt.Errorf("keychain: %w", keychain.ErrUnavailable)
}
func (unavailableStore) Delete(context.Context, string) error {
	return fmt.Errorf("keychain: %w", keychain.ErrUnavailable)
}

func TestWithoutKeychain(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("", "profile", "add", "g", "--preset", "google", "--client-id", "gid", "--no-client-secret")
	e.alt = unavailableStore{}
	code, out, errs := e.run("", "profile", "remove", "g")
	if code != ExitOK || !strings.Contains(out, `Removed profile "g"`) || !strings.Contains(errs, "may remain") {
		t.Fatalf("profile remove without a keychain: exit %d, %q, %q", code, out, errs)
	}
	e.alt = nil
	e.mustRun(oauth2test.DefaultClientSecret+"\n", "profile", "add", "k", "--grant", "client_credentials", "--token-url", "https://as.example.com/t",
		"--client-id", "c", "--client-secret-stdin")
	e.alt = unavailableStore{}
	code, _, errs = e.run("", "token", "-p", "k")
	if code != ExitKeychain || !strings.Contains(errs, "export TOKENWARD_STORE=file TOKENWARD_KEY_FILE=") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("token without a keychain: exit %d, %q; want the whole-session recipe", code, errs)
	}
}

func TestMessages(t *testing.T) {
	e := newTestEnv(t)
	_, _, errs := e.run("", "tokne")
	if want := "tokenward: unknown command \"tokne\" for \"tokenward\": did you mean \"token\"?: see 'tokenward --help'\n"; errs != want {
		t.Errorf("suggestion: %q; want %q", errs, want)
	}
	help := e.mustRun("", "profile", "add", "--help")
	if strings.Contains(help, "--auth-style none") || !strings.Contains(help, "--no-client-secret --scope") {
		t.Errorf("profile add --help should show --no-client-secret, as the README does:\n%s", help)
	}
	for in, want := range map[string]string{
		"cache: insecure directory: /x has mode -rwxrwxrwx": "cache: insecure directory: /x has mode 0777",
		"mode drwxr-x---":           "mode 0750",
		"mode -rw-------, and more": "mode 0600, and more",
	} {
		if got := octalModes(in); got != want {
			t.Errorf("octalModes(%q) = %q; want %q", in, got, want)
		}
	}
	rfe := &tokensource.RefreshError{Err: errors.New("connection refused")}
	if got := Classify("acme", rfe).Error(); !strings.Contains(got, "next try is in at most 8 seconds") {
		t.Errorf("backoff: %q", got)
	}
	rfe.RetryAt = time.Now().Add(4500 * time.Millisecond)
	if got := Classify("acme", rfe).Error(); !strings.Contains(got, "next try is in 5 seconds") {
		t.Errorf("backoff with RetryAt: %q; want the seconds until the next try", got)
	}
}
