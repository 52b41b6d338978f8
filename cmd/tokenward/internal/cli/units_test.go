package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/tokenward/tokenward/client"
)

func TestConfigSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.json")
	cf, err := LoadConfig(path)
	if err != nil || len(cf.Profiles) != 0 {
		t.Fatalf("missing file: %v, %v", cf, err)
	}
	cf.Profiles["a"] = &Profile{ClientID: "id", Grant: GrantClientCredentials, TokenURL: "https://x/token", HasSecret: true}
	cf.Default = "a"
	if err := cf.Save(path); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, fi.Mode().Perm(), want, err)
		}
	}
	got, err := LoadConfig(path)
	if err != nil || got.Default != "a" || got.Profiles["a"].ClientID != "id" || !got.Profiles["a"].HasSecret {
		t.Fatalf("reloaded: %+v, %v", got, err)
	}
	os.WriteFile(path, []byte("{nope"), 0o600)
	if _, err := LoadConfig(path); Classify("", err).Code != ExitConfig {
		t.Fatalf("bad JSON: %v", err)
	}
}

func TestPresets(t *testing.T) {
	vars := map[string]string{"domain": "https://id.example.com/", "realm": "r1", "tenant": "t1"}
	for _, name := range PresetNames() {
		p, err := ApplyPreset(name, vars)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		p.ClientID = "x"
		if err := p.Validate(); err != nil {
			t.Errorf("%s: invalid: %v", name, err)
		}
		for _, u := range []string{p.AuthURL, p.TokenURL, p.DeviceAuthURL, p.RevocationURL} {
			if strings.ContainsAny(u, "{}") || strings.Contains(u, "https://https") {
				t.Errorf("%s: unfilled URL %q", name, u)
			}
		}
	}
	want := map[string]Profile{
		"cognito":       {Grant: GrantClientCredentials, AuthStyle: AuthBasic, BodyFormat: BodyForm},
		"json-password": {Grant: GrantPassword, AuthStyle: AuthBody, BodyFormat: BodyJSON},
		"json-rotating": {Grant: GrantAuthorizationCode, AuthStyle: AuthBody, BodyFormat: BodyJSON},
		"officernd":     {Grant: GrantClientCredentials, AuthStyle: AuthBody, BodyFormat: BodyForm},
	}
	for name, w := range want {
		p, _ := ApplyPreset(name, vars)
		if p.Grant != w.Grant || p.AuthStyle != w.AuthStyle || p.BodyFormat != w.BodyFormat {
			t.Errorf("%s: %s/%s/%s, want %s/%s/%s", name, p.Grant, p.AuthStyle, p.BodyFormat, w.Grant, w.AuthStyle, w.BodyFormat)
		}
	}
	if p, _ := ApplyPreset("entra", nil); p.TokenURL != "https://login.microsoftonline.com/common/oauth2/v2.0/token" {
		t.Errorf("entra default tenant: %s", p.TokenURL)
	}
	if p, _ := ApplyPreset("cognito", vars); p.TokenURL != "https://id.example.com/oauth2/token" {
		t.Errorf("cognito: %s", p.TokenURL)
	}
	if _, err := ApplyPreset("keycloak", map[string]string{"domain": "x"}); err == nil || !strings.Contains(err.Error(), "--realm") {
		t.Errorf("keycloak without realm: %v", err)
	}
	if _, err := ApplyPreset("nope", nil); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestClassify(t *testing.T) {
	resp := &http.Response{StatusCode: 401}
	cases := []struct {
		err  error
		code int
		line string
	}{
		{&oauth2.RetrieveError{Response: resp, ErrorCode: "invalid_client"}, ExitAuth,
			`profile "acme": invalid_client: check the client ID, client secret and auth style with 'tokenward profile show acme'`},
		{fmt.Errorf("wrapped: %w", &oauth2.RetrieveError{Response: resp, ErrorCode: "invalid_grant", ErrorDescription: "gone"}), ExitAuth,
			`profile "acme": invalid_grant (gone): the login expired or was revoked: run 'tokenward login -p acme'`},
		{&client.TransportError{Op: "x", Err: errors.New("connection refused")}, ExitNetwork, ""},
		{&url.Error{Op: "Get", URL: "http://x", Err: errors.New("dial")}, ExitNetwork, ""},
		{&client.ConfigError{Field: "token URL", Reason: "is empty"}, ExitConfig, `profile "acme": token URL is empty: check it with 'tokenward profile show acme'`},
		{&client.ResponseError{StatusCode: 200, Reason: "garbage"}, ExitAuth, ""},
		{fmt.Errorf("x: %w", keychain.ErrUnavailable), ExitKeychain, ""},
		{errNotLoggedIn, ExitAuth, `profile "acme": not logged in: run 'tokenward login -p acme'`},
		{client.ErrDeviceCodeExpired, ExitAuth, ""},
		{context.Canceled, ExitInterrupted, `profile "acme": interrupted`},
		{errors.New("boom"), ExitGeneric, `profile "acme": boom`},
	}
	for _, c := range cases {
		e := Classify("acme", c.err)
		if e.Code != c.code || (c.line != "" && e.Error() != c.line) {
			t.Errorf("Classify(%v) = %d %q, want %d %q", c.err, e.Code, e.Error(), c.code, c.line)
		}
		if strings.Contains(e.Error(), "\n") {
			t.Errorf("multi-line error %q", e.Error())
		}
	}
	if got := Classify("", errNotLoggedIn).Error(); got != "not logged in: run 'tokenward login'" {
		t.Errorf("no profile: %q", got)
	}
	if got := shellQuote("a b"); got != `"a b"` {
		t.Errorf("shellQuote = %s", got)
	}
}

func TestBuildCurlRequest(t *testing.T) {
	files := map[string]string{"body.json": "{\n\"a\":1\n}\n", "bin": "x\ny\n"}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	body := func(r *http.Request) string {
		if r.Body == nil {
			return ""
		}
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	ctx := context.Background()

	r, err := buildCurlRequest(ctx, "https://api.example.com/x?q=1", &curlOptions{}, read)
	if err != nil || r.Method != "GET" || r.Body != nil {
		t.Fatalf("GET: %v %v", r, err)
	}
	r, err = buildCurlRequest(ctx, "https://api.example.com/x", &curlOptions{data: []string{"a=1", "@body.json"}, headers: []string{"X-One: 1", "Content-Type: application/json"}}, read)
	if err != nil || r.Method != "POST" || r.Header.Get("X-One") != "1" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST: %v %v", r, err)
	}
	if b := body(r); b != `a=1&{"a":1}` {
		t.Fatalf("-d body %q", b)
	}
	if r.GetBody == nil {
		t.Fatal("no GetBody: a 401 retry could not replay the body")
	}
	r, err = buildCurlRequest(ctx, "https://api.example.com/x", &curlOptions{method: "put", dataBinary: []string{"@bin"}}, read)
	if err != nil || r.Method != "PUT" || body(r) != "x\ny\n" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("--data-binary: %v %v", r, err)
	}
	for _, bad := range []struct {
		url string
		o   curlOptions
	}{
		{"ftp://x/", curlOptions{}},
		{"not a url", curlOptions{}},
		{"https://x/", curlOptions{headers: []string{"NoColon"}}},
		{"https://x/", curlOptions{headers: []string{"Authorization: Bearer x"}}},
		{"https://x/", curlOptions{data: []string{"@missing"}}},
	} {
		if _, err := buildCurlRequest(ctx, bad.url, &bad.o, read); Classify("", err).Code != ExitUsage {
			t.Errorf("%s %+v: %v", bad.url, bad.o, err)
		}
	}
}
