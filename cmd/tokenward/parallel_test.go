package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/tokenward/tokenward/oauth2test"
)

// expireInKeychain makes the profile's token in the real keychain look
// expired, as if it were read right at its expiry.
func expireInKeychain(t *testing.T, profile string) {
	t.Helper()
	kc := keychain.New("tokenward")
	key := "profile/" + profile + "/token"
	data, err := kc.Load(t.Context(), key)
	if err != nil || data == nil {
		t.Fatalf("no token in the keychain for %s: %v", profile, err)
	}
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	rec["expiry"] = time.Now().Add(-time.Second)
	rec["saved"] = time.Now().Add(-time.Hour)
	if data, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := kc.Save(t.Context(), key, data, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// TestParallelTokenRunsRefreshOnce: N 'tokenward token' processes start at
// once right at expiry, with a rotating refresh token and a server that
// revokes the grant when a rotated-out refresh token is reused. The
// cross-process lock lets one of them refresh; the others read its token.
func TestParallelTokenRunsRefreshOnce(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env = append(c.env, "XDG_CACHE_HOME="+t.TempDir())
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "rot", Secret: "rot-secret", AuthStyle: oauth2test.AuthBody, IssueRefreshToken: true, RotateRefreshTokens: true,
	}}})
	c.run("rot-secret\n", "profile", "add", "par", "--grant", "password", "--token-url", srv.TokenURL(),
		"--client-id", "rot", "--auth-style", "body", "--client-secret-stdin")
	c.run(oauth2test.DefaultPassword+"\n", "login", "-p", "par", "--username", oauth2test.DefaultUsername, "--password-stdin")

	const n = 8
	for round := range 2 {
		expireInKeychain(t, "par")
		before := srv.GrantRequests(oauth2test.GrantRefreshToken)
		var wg sync.WaitGroup
		outs := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(c.bin, "token", "-p", "par")
				cmd.Env = c.env
				var out, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &stderr
				errs[i] = cmd.Run()
				outs[i] = out.String() + stderr.String()
			}()
		}
		wg.Wait()
		tokens := map[string]bool{}
		for i := range n {
			if errs[i] != nil || strings.Contains(outs[i], "invalid_grant") {
				t.Errorf("round %d, run %d: %v\n%s", round, i, errs[i], outs[i])
			}
			tokens[strings.TrimSpace(outs[i])] = true
		}
		if got := srv.GrantRequests(oauth2test.GrantRefreshToken) - before; got != 1 || len(tokens) != 1 {
			t.Fatalf("round %d: %d refreshes and %d distinct tokens from %d parallel runs; want 1 and 1", round, got, len(tokens), n)
		}
	}
}
