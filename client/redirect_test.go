package client

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testlog"
	"golang.org/x/oauth2"
)

func TestParseImplicitRedirect(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		state     string
		wantErr   error  // sentinel, or nil
		wantCode  string // RetrieveError code
		wantResp  bool   // *ResponseError
		wantToken string
	}{
		{"ok", "https://app.example/cb#access_token=AT1&token_type=bearer&expires_in=3600&state=xyz&scope=read", "xyz", nil, "", false, "AT1"},
		{"wrong state", "https://app.example/cb#access_token=AT1&state=abc", "xyz", ErrStateMismatch, "", false, ""},
		{"missing state", "https://app.example/cb#access_token=AT1", "xyz", ErrStateMismatch, "", false, ""},
		{"empty wanted state", "https://app.example/cb#access_token=AT1&state=", "", ErrStateMismatch, "", false, ""},
		{"error redirect", "https://app.example/cb#error=access_denied&error_description=no&state=xyz", "xyz", nil, "access_denied", false, ""},
		{"no token", "https://app.example/cb#state=xyz", "xyz", nil, "", true, ""},
		{"unknown type", "https://app.example/cb#access_token=AT1&token_type=mac&state=xyz", "xyz", nil, "", true, ""},
		{"bad expires", "https://app.example/cb#access_token=AT1&expires_in=-3&state=xyz", "xyz", nil, "", true, ""},
		{"malformed fragment", "https://app.example/cb#access_token=%zz&state=xyz", "xyz", nil, "", true, ""},
		{"not a url", "://", "xyz", nil, "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := ParseImplicitRedirect(tt.url, tt.state)
			var re *oauth2.RetrieveError
			var rerr *ResponseError
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v; want %v", err, tt.wantErr)
				}
			case tt.wantCode != "":
				if !errors.As(err, &re) || re.ErrorCode != tt.wantCode {
					t.Fatalf("got %v; want RetrieveError %s", err, tt.wantCode)
				}
			case tt.wantResp:
				if !errors.As(err, &rerr) {
					t.Fatalf("got %T %v; want *ResponseError", err, err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if tok.AccessToken != tt.wantToken || tok.RefreshToken != "" || tok.Expiry.IsZero() || tok.Extra("scope") != "read" {
					t.Errorf("got %+v; want %s with expiry, scope and no refresh token", tok, tt.wantToken)
				}
			}
			if err != nil {
				testlog.NoSecrets(t, "text", err.Error(), "AT1")
			}
		})
	}
}

func TestParseCallback(t *testing.T) {
	code, err := ParseCallback("http://127.0.0.1:5000/callback?code=C0DE&state=s1&iss=x", "s1")
	if err != nil || code != "C0DE" {
		t.Fatalf("got %q, %v; want C0DE", code, err)
	}
	if _, err := ParseCallback("http://127.0.0.1/cb?code=C0DE&state=s2", "s1"); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("wrong state: got %v; want ErrStateMismatch", err)
	}
	_, err = ParseCallback("http://127.0.0.1/cb?error=access_denied&state=s1", "s1")
	if re, ok := err.(*oauth2.RetrieveError); !ok || re.ErrorCode != "access_denied" {
		t.Errorf("error redirect: got %v; want access_denied", err)
	}
	if _, err := ParseCallback("http://127.0.0.1/cb?state=s1", "s1"); err == nil {
		t.Error("no code: got nil error")
	}
}

func TestAuthCodeURL(t *testing.T) {
	c := &Config{ClientID: "cid", RedirectURL: "https://app.example/cb", Scopes: []string{"openid", "read"},
		Endpoint: oauth2.Endpoint{AuthURL: "https://idp.example/oauth/authorize?tenant=1"}}
	v := oauth2.GenerateVerifier()
	got := c.AuthCodeURL("st", S256Challenge(v), SetParam("prompt", "login"))
	for _, want := range []string{"tenant=1&", "response_type=code", "client_id=cid", "redirect_uri=https%3A%2F%2Fapp.example%2Fcb", "scope=openid+read", "state=st", "code_challenge_method=S256", "code_challenge=" + oauth2.S256ChallengeFromVerifier(v), "prompt=login"} {
		if !strings.Contains(got, want) {
			t.Errorf("AuthCodeURL = %q; want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, v) {
		t.Error("AuthCodeURL leaks the verifier")
	}
	if got := c.ImplicitURL("st"); !strings.Contains(got, "response_type=token") {
		t.Errorf("ImplicitURL = %q; want response_type=token", got)
	}
}

func TestParseImplicitRedirectEscapedValues(t *testing.T) {
	tests := []struct {
		name, fragment, want string
	}{
		{"seed 002 token ending in %3d", "access_token=C0fJeyBP-gUgi5J7eUejpfEgw3SQXHstBaDR0eauY2s3g%253d", "C0fJeyBP-gUgi5J7eUejpfEgw3SQXHstBaDR0eauY2s3g%3d"},
		{"escaped plus slash equals", "access_token=a%2Bb%2Fc%3D%3D", "a+b/c=="},
		{"escaped ampersand", "access_token=a%26b", "a&b"},
		{"lower-case escape", "access_token=YWJj%3d", "YWJj="},
	}
	for _, tt := range tests {
		tok, err := ParseImplicitRedirect("https://app.example/cb#"+tt.fragment+"&token_type=bearer&state=xyz", "xyz")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if tok.AccessToken != tt.want {
			t.Errorf("%s: AccessToken = %q; want %q", tt.name, tok.AccessToken, tt.want)
		}
	}
}
