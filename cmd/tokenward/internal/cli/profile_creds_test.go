package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/client"
)

// loadProfile reads profile name back from the test config file.
func (e *testEnv) loadProfile(name string) *Profile {
	e.t.Helper()
	cf, err := LoadConfig(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	p := cf.Profiles[name]
	if p == nil {
		e.t.Fatalf("no profile %s in %s", name, e.cfg)
	}
	return p
}

func TestProfileAddPrivateKeyStoresThePathOnly(t *testing.T) {
	e := newTestEnv(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key := writeKey(t, "PRIVATE KEY", mustPKCS8(t, ec), 0o600)
	pemText, _ := os.ReadFile(key)
	out := e.mustRun("", "profile", "add", "pk", "--token-url", "https://as.example.com/token", "--grant", "client_credentials",
		"--client-id", "svc", "--private-key", key, "--key-id", "k1")
	if !strings.Contains(out, "private_key_jwt with "+key) {
		t.Errorf("profile add said %q", out)
	}
	p := e.loadProfile("pk")
	if p.PrivateKey != key || p.KeyID != "k1" || p.HasSecret {
		t.Errorf("profile: %+v", p)
	}
	cfg, _ := os.ReadFile(e.cfg)
	assertNoKeyMaterial(t, "config file", string(cfg), pemText)
	show := e.mustRun("", "profile", "show", "pk")
	assertNoKeyMaterial(t, "profile show", show, pemText)

	// A relative path is stored absolute, so another working directory
	// finds the same file.
	t.Chdir(filepath.Dir(key))
	e.mustRun("", "profile", "add", "rel", "--token-url", "https://as.example.com/token", "--grant", "client_credentials",
		"--client-id", "svc", "--private-key", filepath.Base(key))
	if got := e.loadProfile("rel").PrivateKey; got != key {
		t.Errorf("relative --private-key stored as %q; want %q", got, key)
	}
}

// TestProfileAddRefusesBadCredentialFiles: every refusal is a config
// error (exit 3) at 'profile add', before anything is stored, and its
// message never quotes the file.
func TestProfileAddRefusesBadCredentialFiles(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	readable := writeKey(t, "PRIVATE KEY", mustPKCS8(t, ec), 0o644)
	good := writeKey(t, "PRIVATE KEY", mustPKCS8(t, ec), 0o600)
	x25519 := writeKey(t, "EC PRIVATE KEY", []byte("not der"), 0o600)
	missing := filepath.Join(t.TempDir(), "token")
	cert := filepath.Join(t.TempDir(), "cert.pem")
	os.WriteFile(cert, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
	base := []string{"--token-url", "https://as.example.com/token", "--grant", "client_credentials", "--client-id", "svc"}
	for name, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"world-readable key":        {[]string{"--private-key", readable}, ExitConfig, "readable by others"},
		"key of an unusable type":   {[]string{"--private-key", x25519}, ExitConfig, "not a valid EC PRIVATE KEY"},
		"missing key":               {[]string{"--private-key", missing}, ExitConfig, "does not exist"},
		"missing assertion file":    {[]string{"--assertion-file", missing}, ExitConfig, "assertion file " + missing + " does not exist"},
		"key and assertion":         {[]string{"--private-key", good, "--assertion-file", good}, ExitUsage, "private-key"},
		"key id without a key":      {[]string{"--assertion-file", good, "--key-id", "k"}, ExitConfig, "--key-id needs --private-key"},
		"cert without key":          {[]string{"--client-cert", cert}, ExitUsage, "client-key"},
		"world-readable client key": {[]string{"--client-cert", cert, "--client-key", readable}, ExitConfig, "readable by others"},
		"bad client certificate":    {[]string{"--client-cert", cert, "--client-key", good}, ExitConfig, "client certificate"},
	} {
		e := newTestEnv(t)
		code, _, errs := e.run("", append(append([]string{"profile", "add", "x"}, base...), c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, %q; want exit %d with %q", name, code, errs, c.code, c.want)
		}
		for _, f := range []string{readable, good} {
			data, _ := os.ReadFile(f)
			assertNoKeyMaterial(t, name, errs, data)
		}
		if _, err := os.Stat(e.cfg); err == nil {
			t.Errorf("%s: a config file was written", name)
		}
	}
}

// TestDPoPKeyPersists: --dpop makes one key at 'profile add' and keeps
// it in the store; every later load is the same key; --force makes a new
// one; 'profile remove' deletes it.
func TestDPoPKeyPersists(t *testing.T) {
	e := newTestEnv(t)
	args := []string{"profile", "add", "d", "--token-url", "https://as.example.com/token", "--client-id", "c", "--no-client-secret", "--grant", "device", "--device-auth-url", "https://as.example.com/device", "--dpop"}
	out := e.mustRun("", args...)
	if !strings.Contains(out, "DPoP key") {
		t.Errorf("profile add said %q", out)
	}
	der, _ := e.store.Load(t.Context(), dpopKeyKey("d"))
	if der == nil {
		t.Fatal("no DPoP key in the store")
	}
	cfg, _ := os.ReadFile(e.cfg)
	if !strings.Contains(string(cfg), `"dpop": true`) {
		t.Errorf("config file: %s", cfg)
	}
	p := e.loadProfile("d")
	k1, err := (&App{Store: e.store}).dpopKey(t.Context(), "d", p)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := (&App{Store: e.store}).dpopKey(t.Context(), "d", p) // another run
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k2.Thumbprint(), k1.Thumbprint(); got != want || k1.Algorithm() != "ES256" {
		t.Errorf("second load: thumbprint %s, alg %s; want %s, ES256", got, k1.Algorithm(), want)
	}
	if strings.Contains(string(cfg), k1.Thumbprint()) {
		t.Error("the config file names the key")
	}

	e.mustRun("", append(args, "--force")...)
	k3, err := (&App{Store: e.store}).dpopKey(t.Context(), "d", p)
	if err != nil || k3.Thumbprint() == k1.Thumbprint() {
		t.Errorf("--force kept the old key (%v)", err)
	}
	e.mustRun("", "profile", "remove", "d")
	if der, _ := e.store.Load(t.Context(), dpopKeyKey("d")); der != nil {
		t.Error("profile remove left the DPoP key")
	}
	if _, err := (&App{Store: e.store}).dpopKey(t.Context(), "d", p); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a removed key: %v", err)
	}
	// A corrupt entry is a clear config error, not a panic.
	e.store.Save(t.Context(), dpopKeyKey("d"), []byte("junk"), time.Time{})
	if _, err := (&App{Store: e.store}).dpopKey(t.Context(), "d", p); Classify("d", err).Code != ExitConfig {
		t.Errorf("a corrupt key: %v", err)
	}
}

func TestTokenExchangeProfile(t *testing.T) {
	e := newTestEnv(t)
	subject := writeFile(t, "subject.jwt\n", 0o644)
	tu := []string{"--token-url", "https://sts.example.com/token", "--client-id", "tx", "--no-client-secret"}
	e.mustRun("", "profile", "add", "src", "--grant", "client_credentials", "--client-id", "s",
		"--token-url", "https://as.example.com/token", "--client-secret-env", "HOME")
	e.mustRun("", append([]string{"profile", "add", "fromfile", "--subject-token-file", subject,
		"--audience", "https://api.example.com", "--requested-token-type", "access_token"}, tu...)...)
	x := e.loadProfile("fromfile")
	if x.Grant != GrantTokenExchange || x.Exchange.SubjectTokenType != client.TokenTypeJWT ||
		x.Exchange.RequestedTokenType != client.TokenTypeAccessToken || x.Exchange.Audience[0] != "https://api.example.com" {
		t.Errorf("file exchange profile: %+v %+v", x, x.Exchange)
	}
	e.mustRun("", append([]string{"profile", "add", "fromprofile", "--subject-profile", "src", "--resource", "https://api.example.com/v1"}, tu...)...)
	if x := e.loadProfile("fromprofile").Exchange; x.SubjectProfile != "src" || x.SubjectTokenType != client.TokenTypeAccessToken {
		t.Errorf("profile exchange: %+v", x)
	}
	cfg, _ := os.ReadFile(e.cfg)
	if strings.Contains(string(cfg), "subject.jwt") {
		t.Error("the subject token is in the config file")
	}
	for name, c := range map[string]struct {
		profile string
		args    []string
		code    int
		want    string
	}{
		"missing subject profile": {"new", []string{"--subject-profile", "nobody"}, ExitConfig, "no such profile"},
		"itself":                  {"new", []string{"--subject-profile", "new"}, ExitConfig, "leads back"},
		// src would take fromprofile's token, which is made from src's.
		"a loop":               {"src", []string{"--subject-profile", "fromprofile", "--force"}, ExitConfig, "leads back"},
		"missing subject file": {"new", []string{"--subject-token-file", subject + ".gone"}, ExitConfig, "does not exist"},
		"both subjects":        {"new", []string{"--subject-token-file", subject, "--subject-profile", "src"}, ExitUsage, "subject"},
		"bad token type":       {"new", []string{"--subject-profile", "src", "--subject-token-type", "cookie"}, ExitConfig, "cookie"},
		"wrong grant":          {"new", []string{"--subject-profile", "src", "--grant", "password"}, ExitConfig, "token_exchange grant"},
		"no subject":           {"new", []string{"--grant", "token_exchange"}, ExitConfig, "needs --subject"},
	} {
		code, _, errs := e.run("", append(append([]string{"profile", "add", c.profile}, tu...), c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, %q; want exit %d with %q", name, code, errs, c.code, c.want)
		}
	}
	var cf ConfigFile
	data, _ := os.ReadFile(e.cfg)
	json.Unmarshal(data, &cf)
	if cf.Profiles["src"].Exchange != nil {
		t.Error("a looping profile replaced src")
	}
}
