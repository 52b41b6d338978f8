package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
	"golang.org/x/oauth2"
)

// canned returns a Config whose token endpoint (oauth2test's) answers
// every attempt of one request with status, contentType (none when empty)
// and body (empty when empty).
func canned(t *testing.T, status int, contentType, body string) *Config {
	t.Helper()
	srv := oauth2test.NewServer(t, nil)
	for range maxRetries + 1 {
		srv.QueueFault(oauth2test.Fault{Status: status, ContentType: contentType, Body: body,
			NoContentType: contentType == "", EmptyBody: body == ""})
	}
	return &Config{ClientID: "cid", ClientSecret: "s3cret-client", Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}
}

func TestParseTokenResponses(t *testing.T) {
	jwt := "eyJhbGciOiJub25lIn0." + b64(`{"exp":4102444800}`) + ".sig" // 2100-01-01
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantType    string
		wantExpiry  time.Duration // approximate, from now; 0 means zero Expiry
		wantExpAbs  time.Time
		wantScope   string
		wantRefresh string
	}{
		{"standard json", 200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":3600}`, "Bearer", time.Hour, time.Time{}, "", ""},
		{"lowercase bearer", 200, "application/json", `{"access_token":"AT","token_type":"bearer","expires_in":7200,"refresh_token":"RT"}`, "bearer", 2 * time.Hour, time.Time{}, "", "RT"},
		{"json as text/plain", 200, "text/plain", `{"access_token":"AT","token_type":"Bearer","expires_in":60}`, "Bearer", time.Minute, time.Time{}, "", ""},
		{"json as text/html", 200, "text/html", ` {"access_token":"AT","expires_in":60} `, "", time.Minute, time.Time{}, "", ""},
		{"string expires_in", 200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":"3599"}`, "Bearer", 3599 * time.Second, time.Time{}, "", ""},
		{"float expires_in", 200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":3600.0}`, "Bearer", time.Hour, time.Time{}, "", ""},
		{"missing expires_in", 200, "application/json", `{"access_token":"AT","token_type":"Bearer"}`, "Bearer", 0, time.Time{}, "", ""},
		{"zero expires_in", 200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":0}`, "Bearer", 0, time.Time{}, "", ""},
		{"jwt exp fallback", 200, "application/json", `{"access_token":"` + jwt + `","token_type":"Bearer"}`, "Bearer", 0, time.Unix(4102444800, 0), "", ""},
		{"scope kept", 200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":3599,"scope":"officernd.api.read officernd.api.write"}`, "Bearer", 3599 * time.Second, time.Time{}, "officernd.api.read officernd.api.write", ""},
		{"form encoded", 200, "application/x-www-form-urlencoded", `access_token=AT&token_type=bearer&expires_in=3600&scope=a+b`, "bearer", time.Hour, time.Time{}, "a b", ""},
		{"form as text/plain", 200, "text/plain", `access_token=AT&expires_in=60`, "", time.Minute, time.Time{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := canned(t, tt.status, tt.contentType, tt.body)
			tok, err := c.ClientCredentialsToken(context.Background())
			if err != nil {
				t.Fatalf("got error %v; want a token", err)
			}
			if tok.AccessToken != "AT" && !strings.HasPrefix(tok.AccessToken, "eyJ") {
				t.Errorf("AccessToken = %q; want AT", tok.AccessToken)
			}
			if tok.TokenType != tt.wantType {
				t.Errorf("TokenType = %q; want %q", tok.TokenType, tt.wantType)
			}
			if tok.Type() != "Bearer" {
				t.Errorf("Type() = %q; want Bearer", tok.Type())
			}
			switch {
			case !tt.wantExpAbs.IsZero():
				if !tok.Expiry.Equal(tt.wantExpAbs) {
					t.Errorf("Expiry = %v; want %v", tok.Expiry, tt.wantExpAbs)
				}
			case tt.wantExpiry == 0:
				if !tok.Expiry.IsZero() {
					t.Errorf("Expiry = %v; want zero", tok.Expiry)
				}
			default:
				if d := time.Until(tok.Expiry); d < tt.wantExpiry-5*time.Second || d > tt.wantExpiry {
					t.Errorf("Expiry in %v; want about %v", d, tt.wantExpiry)
				}
			}
			if got, _ := tok.Extra("scope").(string); got != tt.wantScope {
				t.Errorf("scope = %q; want %q", got, tt.wantScope)
			}
			if tok.RefreshToken != tt.wantRefresh {
				t.Errorf("RefreshToken = %q; want %q", tok.RefreshToken, tt.wantRefresh)
			}
		})
	}
}

func TestDefaultExpiresIn(t *testing.T) {
	c := canned(t, 200, "application/json", `{"access_token":"AT","token_type":"Bearer"}`)
	c.DefaultExpiresIn = 10 * time.Minute
	tok, err := c.ClientCredentialsToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(tok.Expiry); d < 9*time.Minute || d > 10*time.Minute {
		t.Errorf("Expiry in %v; want about 10m", d)
	}
}

func TestParseTokenErrors(t *testing.T) {
	big := `{"access_token":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantCode    string // RetrieveError code, or "" for a ResponseError
		wantStatus  int
		wantMsg     string // substring of the error message
	}{
		{"rfc error 400", 400, "application/json", `{"error":"invalid_scope","error_description":"App lacks write"}`, "invalid_scope", 400, `"invalid_scope" "App lacks write"`},
		{"error in a 200", 200, "application/json", `{"error":"invalid_grant","error_description":"bad"}`, "invalid_grant", 200, "invalid_grant"},
		{"form error", 400, "application/x-www-form-urlencoded", `error=invalid_client`, "invalid_client", 400, `"invalid_client"`},
		{"html 500", 500, "text/html", `<html><body><h1>Internal Server Error</h1></body></html>`, "-", 500, "Internal Server Error"},
		{"html 200", 200, "text/html", `<html>maintenance</html>`, "", 200, "neither a JSON object"},
		{"truncated json", 200, "application/json", `{"access_token":"AT","tok`, "", 200, "neither a JSON object"},
		{"empty body", 200, "application/json", ``, "", 200, "empty body"},
		{"missing access_token", 200, "application/json", `{"token_type":"Bearer"}`, "", 200, "missing access_token"},
		{"unknown token_type", 200, "application/json", `{"access_token":"AT","token_type":"MAC"}`, "", 200, `unsupported token_type "MAC"`},
		{"token_type number", 200, "application/json", `{"access_token":"AT","token_type":5}`, "", 200, "token_type is not a string"},
		{"negative expires_in", 200, "application/json", `{"access_token":"AT","expires_in":-5}`, "", 200, "negative"},
		{"absurd expires_in", 200, "application/json", `{"access_token":"AT","expires_in":1e30}`, "", 200, "absurdly large"},
		{"garbage expires_in", 200, "application/json", `{"access_token":"AT","expires_in":"soon"}`, "", 200, "not a number"},
		{"object expires_in", 200, "application/json", `{"access_token":"AT","expires_in":{}}`, "", 200, "not a number"},
		{"oversized body", 200, "application/json", big, "", 200, "exceeds MaxResponseBytes (1048576)"},
		{"json array", 200, "application/json", `[1,2]`, "", 200, "neither"},
		{"redirect", 302, "text/html", `moved`, "-", 302, "302 Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := canned(t, tt.status, tt.contentType, tt.body)
			tok, err := c.ClientCredentialsToken(context.Background())
			if err == nil {
				t.Fatalf("got token %v; want an error", tok)
			}
			var rerr *ResponseError
			switch tt.wantCode {
			case "":
				if !errors.As(err, &rerr) {
					t.Fatalf("got %T %v; want *ResponseError", err, err)
				}
				if rerr.StatusCode != tt.wantStatus {
					t.Errorf("StatusCode = %d; want %d", rerr.StatusCode, tt.wantStatus)
				}
			default:
				re, ok := err.(*oauth2.RetrieveError) // x/oauth2's idiom: the error itself
				if !ok {
					t.Fatalf("got %T %v; want *oauth2.RetrieveError itself", err, err)
				}
				if code := strings.TrimPrefix(tt.wantCode, "-"); re.ErrorCode != code {
					t.Errorf("ErrorCode = %q; want %q", re.ErrorCode, code)
				}
				if re.Response == nil || re.Response.StatusCode != tt.wantStatus {
					t.Errorf("Response status = %v; want %d", re.Response, tt.wantStatus)
				}
			}
			if msg := err.Error(); !strings.Contains(msg, tt.wantMsg) || !hasPackagePrefix(err) {
				t.Errorf("error = %q; want it to start with its package name and contain %q", msg, tt.wantMsg)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error message is %d bytes; want a short one", len(err.Error()))
			}
			testlog.NoSecrets(t, "text", err.Error(), "s3cret-client")
		})
	}
}

func TestErrorsRedactEchoedSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.WriteHeader(400)
		// A hostile or careless server echoing what it got.
		w.Write([]byte(`{"error":"invalid_grant","error_description":"refresh token ` + r.PostForm.Get("refresh_token") + ` and secret ` + r.PostForm.Get("client_secret") + ` rejected"}`))
	}))
	defer srv.Close()
	c := &Config{ClientID: "cid", ClientSecret: "client-secret-value", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInParams}}
	_, err := c.Refresh(context.Background(), "refresh-token-value")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("got %v; want invalid_grant", err)
	}
	testlog.NoSecrets(t, "text", err.Error(), "client-secret-value", "refresh-token-value")
	testlog.NoSecrets(t, "text", re.ErrorDescription, "client-secret-value", "refresh-token-value")
	testlog.NoSecrets(t, "text", string(re.Body), "client-secret-value", "refresh-token-value")
	testlog.NoSecrets(t, "text", re.Error(), "client-secret-value", "refresh-token-value")
}

func TestExpiresIn(t *testing.T) {
	tests := []struct {
		in      any
		want    float64
		present bool
		wantErr bool
	}{
		{nil, 0, false, false},
		{"", 0, false, false},
		{"60", 60, true, false},
		{" 60 ", 60, true, false},
		{float64(1.5), 1.5, true, false},
		{"NaN", 0, true, true},
		{"Inf", 0, true, true},
		{true, 0, true, true},
		{"-1", 0, true, true},
	}
	for _, tt := range tests {
		got, present, err := expiresIn(tt.in)
		if got != tt.want || present != tt.present || (err != nil) != tt.wantErr {
			t.Errorf("expiresIn(%#v) = %v, %v, %v; want %v, %v, err=%v", tt.in, got, present, err, tt.want, tt.present, tt.wantErr)
		}
	}
}

func TestJWTExpiry(t *testing.T) {
	tests := []struct {
		tok  string
		want int64 // 0: none
	}{
		{"a." + b64(`{"exp":1700000000}`) + ".c", 1700000000},
		{"a." + b64(`{"exp":1700000000.5}`) + ".c", 1700000000},
		{"a." + b64(`{"exp":"soon"}`) + ".c", 0},
		{"a." + b64(`{"sub":"x"}`) + ".c", 0},
		{"a." + b64(`{"exp":-1}`) + ".c", 0},
		{"a.!!!.c", 0},
		{"opaque", 0},
		{"a.b", 0},
	}
	for _, tt := range tests {
		got, ok := jwtExpiry(tt.tok)
		if tt.want == 0 && ok || tt.want != 0 && got.Unix() != tt.want {
			t.Errorf("jwtExpiry(%q) = %v, %v; want %d", tt.tok, got, ok, tt.want)
		}
	}
}
