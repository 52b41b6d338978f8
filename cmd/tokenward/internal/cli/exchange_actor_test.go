package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/client"
)

// TestTokenExchangeActorToken checks that --actor-token-file is stored as
// a path, read anew at each exchange, and sent as actor_token with its
// type; the actor token never reaches the config file or stderr.
func TestTokenExchangeActorToken(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := standardsServer(t, &ec.PublicKey)
	e := newTestEnv(t)
	t.Setenv("SVC_SECRET", "svc-secret-3e7a")
	t.Setenv("TX_SECRET", "tx-secret-91bd")
	const actor1, actor2 = "actor%3d+/one", "actor%3d+/two"
	actorPath := writeFile(t, actor1+"\n", 0o644)
	e.mustRun("", "profile", "add", "svc", "--issuer", srv.URL, "--grant", "client_credentials", "--client-id", "svc", "--client-secret-env", "SVC_SECRET")
	tx := []string{"--issuer", srv.URL, "--client-id", "tx", "--client-secret-env", "TX_SECRET", "--subject-profile", "svc"}
	e.mustRun("", append([]string{"profile", "add", "tx", "--actor-token-file", actorPath, "--actor-token-type", "access_token"}, tx...)...)
	if x := e.loadProfile("tx").Exchange; x.ActorTokenFile != actorPath || x.ActorTokenType != client.TokenTypeAccessToken {
		t.Errorf("actor settings: %+v", x)
	}

	var stderr strings.Builder
	for i, want := range []string{actor1, actor2} {
		if i > 0 {
			if err := os.WriteFile(actorPath, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			e.expireStored("tx")
		}
		code, out, errs := e.run("", "token", "-p", "tx", "--verbose")
		stderr.WriteString(errs)
		if code != 0 || strings.TrimSpace(out) == "" {
			t.Fatalf("exchange %d: exit %d: %s", i+1, code, errs)
		}
		last := srv.LastTokenRequest()
		if got := last.Params["actor_token"]; got != want {
			t.Errorf("exchange %d: actor_token = %q; want %q", i+1, got, want)
		}
		if got := last.Params["actor_token_type"]; got != client.TokenTypeAccessToken {
			t.Errorf("exchange %d: actor_token_type = %q; want %q", i+1, got, client.TokenTypeAccessToken)
		}
	}
	cfg, _ := os.ReadFile(e.cfg)
	for where, text := range map[string]string{"config file": string(cfg), "stderr": stderr.String()} {
		if strings.Contains(text, "actor%3d") || strings.Contains(text, "actor%253d") {
			t.Errorf("the actor token is in the %s", where)
		}
	}

	// The type defaults to jwt; a type needs a file; the file must be readable.
	e.mustRun("", append([]string{"profile", "add", "txjwt", "--actor-token-file", actorPath}, tx...)...)
	if x := e.loadProfile("txjwt").Exchange; x.ActorTokenType != client.TokenTypeJWT {
		t.Errorf("default actor token type %q; want %q", x.ActorTokenType, client.TokenTypeJWT)
	}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"type without file": {[]string{"--actor-token-type", "jwt"}, "--actor-token-file"},
		"missing file":      {[]string{"--actor-token-file", actorPath + ".gone"}, "does not exist"},
		"bad type":          {[]string{"--actor-token-file", actorPath, "--actor-token-type", "cookie"}, "cookie"},
	} {
		code, _, errs := e.run("", append(append([]string{"profile", "add", "bad"}, tx...), c.args...)...)
		if code != ExitConfig || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, %q; want exit %d with %q", name, code, errs, ExitConfig, c.want)
		}
	}

	// A file that vanished after profile add is a config error at the exchange.
	os.Remove(actorPath)
	e.expireStored("tx")
	if code, _, errs := e.run("", "token", "-p", "tx"); code != ExitConfig || !strings.Contains(errs, "actor token file") {
		t.Errorf("a vanished actor file: exit %d, %q; want exit %d", code, errs, ExitConfig)
	}
}
