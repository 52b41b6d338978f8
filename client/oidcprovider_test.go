package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/tokensource"
)

// These tests run the client against oidc-provider, a certified OpenID
// provider started by scripts/test.sh (testdata/oidc-provider). Under
// CI=true a missing provider fails them.

func opConfig(t *testing.T, id, secret, redirect, scope string) *client.Config {
	iss := testenv.OIDCProvider(t)
	ep := testenv.EndpointsFor(iss)
	return &client.Config{
		ClientID: id, ClientSecret: secret, RedirectURL: redirect, Scopes: strings.Fields(scope),
		Endpoint: oauth2.Endpoint{AuthURL: ep.Auth, TokenURL: ep.Token, DeviceAuthURL: ep.DeviceAuth},
	}
}

func TestOIDCProviderClientCredentials(t *testing.T) {
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams, oauth2.AuthStyleAutoDetect} {
		conf := opConfig(t, testenv.SvcClientID, testenv.SvcClientSecret, "", "api:read")
		conf.Endpoint.AuthStyle = style
		tok, err := conf.ClientCredentialsToken(context.Background())
		if err != nil {
			t.Fatalf("style %d: %v", style, err)
		}
		if tok.Extra("scope") != "api:read" || tok.Type() != "Bearer" {
			t.Errorf("style %d: scope %v type %q; want api:read Bearer", style, tok.Extra("scope"), tok.TokenType)
		}
		if d := time.Until(tok.Expiry); d < 290*time.Second || d > 300*time.Second {
			t.Errorf("style %d: expires in %v; want ~300s", style, d)
		}
	}
	// A source through a real HTTP request cycle.
	src := opConfig(t, testenv.SvcClientID, testenv.SvcClientSecret, "", "api:read").ClientCredentialsSource(nil)
	t1, err := src.TokenContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if t2, _ := src.TokenContext(context.Background()); t2 != t1 {
		t.Error("source did not reuse its token")
	}

	bad := opConfig(t, testenv.SvcClientID, "wrong-secret-value", "", "api:read")
	_, err = bad.ClientCredentialsToken(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
		t.Fatalf("wrong secret: got %v; want 401 invalid_client", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("error leaks the secret: %v", err)
	}
	bad.Params = map[string][]string{"resource": {"urn:unknown"}}
	bad.ClientSecret = testenv.SvcClientSecret
	if _, err := bad.ClientCredentialsToken(context.Background()); !errors.As(err, &re) || re.ErrorCode != "invalid_target" {
		t.Errorf("unknown resource (Params): got %v; want invalid_target", err)
	}
}

func TestOIDCProviderAuthCodePKCERefreshRotation(t *testing.T) {
	ctx := context.Background()
	conf := opConfig(t, testenv.AppClientID, testenv.AppClientSecret, testenv.AppRedirectURI, testenv.AppScope)
	verifier := oauth2.GenerateVerifier()
	state := "state-" + oauth2.GenerateVerifier()[:12]
	cb, err := testenv.Login(ctx, conf.AuthCodeURL(state, client.S256Challenge(verifier)), testenv.AppRedirectURI, "alice")
	if err != nil {
		t.Fatal(err)
	}
	code, err := client.ParseCallback(cb.String(), state)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Exchange(ctx, code, client.Verifier(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("code exchange: refresh=%v id_token=%v; want both", tok.RefreshToken != "", tok.Extra("id_token") != nil)
	}
	var re *oauth2.RetrieveError

	// Refresh with rotation through a source; every rotated token reaches OnRefresh.
	var saved []string
	src := conf.TokenSource(tok, &tokensource.Options{OnRefresh: func(_ context.Context, tk *oauth2.Token) {
		saved = append(saved, tk.RefreshToken)
	}})
	first, err := src.TokenContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src.Invalidate(first)
	second, err := src.TokenContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not rotate")
	}
	if second.Extra("id_token") == nil {
		t.Error("refreshed token lost its id_token")
	}
	if len(saved) != 2 || saved[1] != second.RefreshToken {
		t.Errorf("OnRefresh saw %d tokens; want 2 ending with the rotated one", len(saved))
	}
	// Reuse detection: the old refresh token is refused, and the grant dies.
	_, err = conf.Refresh(ctx, first.RefreshToken)
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reused refresh token: got %v; want invalid_grant", err)
	}
	for _, s := range []string{first.RefreshToken, second.RefreshToken, verifier, code, testenv.AppClientSecret} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
	if _, err := conf.Refresh(ctx, second.RefreshToken); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("after reuse detection the newest refresh token still works (%v); want invalid_grant", err)
	}
	// The code is one-time: a second exchange fails, typed (and the
	// provider revokes what the code produced).
	_, err = conf.Exchange(ctx, code, client.Verifier(verifier))
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("reused code: got %v; want invalid_grant", err)
	}
}

func TestOIDCProviderPublicClientLoopback(t *testing.T) {
	ctx := context.Background()
	redirect := testenv.CLIRedirectURIPort(53123)
	conf := opConfig(t, testenv.CLIClientID, "", redirect, testenv.CLIScope)
	verifier := oauth2.GenerateVerifier()
	cb, err := testenv.Login(ctx, conf.AuthCodeURL("s", client.S256Challenge(verifier)), redirect, "bob")
	if err != nil {
		t.Fatal(err)
	}
	code, err := client.ParseCallback(cb.String(), "s")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Exchange(ctx, code, client.Verifier(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Error("public client got no refresh token")
	}
}

func TestOIDCProviderDeviceFlowConfidential(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iss := testenv.OIDCProvider(t)
	// x/oauth2's DeviceAuth never authenticates the client, so a confidential
	// client fails with invalid_client there; ours authenticates it.
	conf := opConfig(t, testenv.AppClientID, testenv.AppClientSecret, "", "openid offline_access api:read")
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if da.UserCode == "" || da.VerificationURIComplete == "" {
		t.Fatalf("device response %+v", da)
	}
	da.Interval = 1 // the provider sends none (5 s by default)
	done := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond) // let the client see authorization_pending first
		done <- testenv.ApproveDevice(ctx, iss, da.VerificationURIComplete, "carol")
	}()
	tok, err := conf.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Errorf("device token: refresh=%v id_token=%v; want both", tok.RefreshToken != "", tok.Extra("id_token") != nil)
	}
}
