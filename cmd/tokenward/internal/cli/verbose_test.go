package cli

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/oauth2test"
)

func TestLoggingTransportRedacts(t *testing.T) {
	secrets := []string{
		"S3-client-secret", "S3-password", "S3-code", "S3-verifier", "S3-refresh", "S3-access",
		"S3-device", "S3-idtoken", "S3-basic", "S3-bearer", "S3-json-secret", "S3-json-refresh",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session=S3-access")
		io.WriteString(w, `{"access_token":"S3-access","refresh_token": "S3-refresh","id_token":"S3-idtoken","token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()

	var log bytes.Buffer
	hc := &http.Client{Transport: &LoggingTransport{W: &log}}

	form := url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"cid"}, "client_secret": {"S3-client-secret"},
		"password": {"S3-password"}, "code": {"S3-code"}, "code_verifier": {"S3-verifier"},
		"refresh_token": {"S3-refresh"}, "device_code": {"S3-device"},
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token?access_token=S3-access", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("cid", "S3-basic")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "S3-access") {
		t.Fatalf("the caller must get the body unchanged: %s", body)
	}

	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader(`{"client_secret": "S3-json-secret", "refresh_token":"S3-json-refresh", "grant_type":"refresh_token"}`))
	req.Header.Set("Authorization", "Bearer S3-bearer")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	out := log.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log contains %q:\n%s", s, out)
		}
	}
	for _, want := range []string{"> POST " + srv.URL + "/token", "< HTTP/1.1 200 OK", "grant_type=authorization_code", "client_id=cid",
		"Authorization: Basic [REDACTED]", "Authorization: Bearer [REDACTED]", `"token_type":"Bearer"`, `"grant_type":"refresh_token"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"code=abc&state=xyz":                  "code=[REDACTED]&state=xyz",
		"user_code=ABCD&device_code=zzz":      "user_code=ABCD&device_code=[REDACTED]",
		`{"error_code":"x","code":"abc"}`:     `{"error_code":"x","code":"[REDACTED]"}`,
		`{"access_token": null}`:              `{"access_token": "[REDACTED]"}`,
		"https://x/cb?state=s&code=c#token=t": "https://x/cb?state=s&code=[REDACTED]#token=[REDACTED]",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerboseShowsRequestDurations(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, nil)
	addCC(e, srv, "acme")
	srv.SetLatency(30 * time.Millisecond)
	_, _, errs := e.run("", "-v", "token", "-p", "acme")
	m := regexp.MustCompile(`(?m)^< HTTP/1\.1 200 OK \((\d+)ms\)$`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("-v shows no duration for the token request:\n%s", errs)
	}
	if ms, _ := strconv.Atoi(m[1]); ms < 30 {
		t.Fatalf("duration %sms; the server took at least 30ms", m[1])
	}
}
