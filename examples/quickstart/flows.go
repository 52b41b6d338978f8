package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

// openForce (seed 000) gets a token with client credentials sent in an
// HTTP Basic header, and shows the source asking again once the server
// says the token expired: there is no refresh token.
func (q *quickstart) openForce(ctx context.Context, conf *client.Config) error {
	tok, err := q.seen(conf.ClientCredentialsToken(ctx))
	if err != nil {
		return q.rep.fail("client_credentials", err)
	}
	if tok.RefreshToken != "" || tok.ExpiresIn != 3600 {
		return q.rep.fail("client_credentials", fmt.Errorf("got %s; want expires_in 3600 and no refresh token", describe(tok)))
	}
	q.rep.ok("client_credentials", "%s", describe(tok))
	if err := q.checkWire("application/x-www-form-urlencoded", inBasic); err != nil {
		return err
	}

	src := conf.ClientCredentialsSource(q.options(nil))
	if err := q.callResource(ctx, src); err != nil {
		return err
	}
	_, err = q.expireAndRetry(ctx, src, 2*time.Hour, oauth2test.GrantClientCredentials)
	return err
}

// passwordAndCode (seed 001) uses the password and authorization code
// grants with JSON bodies, and renews with the refresh token, which this
// provider does not rotate.
func (q *quickstart) passwordAndCode(ctx context.Context, conf *client.Config) error {
	pw, err := q.seen(conf.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword))
	if err != nil {
		return q.rep.fail("password", err)
	}
	if pw.TokenType != "bearer" || pw.RefreshToken == "" {
		return q.rep.fail("password", fmt.Errorf("got %s; want a lowercase bearer token with a refresh token", describe(pw)))
	}
	q.rep.ok("password", "%s", describe(pw))
	if err := q.checkWire("application/json", inBody); err != nil {
		return err
	}

	tok, err := q.authCode(ctx, conf)
	if err != nil {
		return err
	}
	src := conf.TokenSource(tok, q.options(nil))
	if err := q.callResource(ctx, src); err != nil {
		return err
	}
	renewed, err := q.expireAndRetry(ctx, src, 3*time.Hour, oauth2test.GrantRefreshToken)
	if err != nil {
		return err
	}
	if renewed.RefreshToken != tok.RefreshToken {
		return q.rep.fail("refresh token", errors.New("changed, but this provider does not rotate"))
	}
	q.rep.ok("refresh token", "kept: %s (this provider does not rotate)", redact(renewed.RefreshToken))
	return nil
}

// everyGrant (seed 002) uses all five grants with JSON bodies, shows the
// refresh token rotating and the server refusing a rotated one, and a
// source persisting each rotated refresh token through OnRefresh.
func (q *quickstart) everyGrant(ctx context.Context, conf *client.Config) error {
	cc, err := q.seen(conf.ClientCredentialsToken(ctx))
	if err != nil {
		return q.rep.fail("client_credentials", err)
	}
	q.rep.ok("client_credentials", "%s", describe(cc))
	if err := q.checkWire("application/json", inBody); err != nil {
		return err
	}

	pw, err := q.seen(conf.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword))
	if err != nil {
		return q.rep.fail("password", err)
	}
	q.rep.ok("password", "%s", describe(pw))

	code, err := q.authCode(ctx, conf)
	if err != nil {
		return err
	}
	if err := q.implicit(ctx, conf); err != nil {
		return err
	}

	// Every refresh rotates the refresh token; the old one is dead.
	rotated, err := q.seen(conf.Refresh(ctx, pw.RefreshToken))
	if err != nil {
		return q.rep.fail("refresh_token", err)
	}
	if rotated.RefreshToken == pw.RefreshToken {
		return q.rep.fail("refresh_token", errors.New("the refresh token did not rotate"))
	}
	q.rep.ok("refresh_token", "rotated: refresh %s → %s", redact(pw.RefreshToken), redact(rotated.RefreshToken))
	_, err = conf.Refresh(ctx, pw.RefreshToken)
	re, err := asRetrieveError(err, "invalid_grant")
	if err != nil {
		return q.rep.fail("reuse detection", err)
	}
	q.rep.ok("reuse detection", "old refresh token → %s", typed(re))

	// A source renews from the newest refresh token and hands each one to
	// OnRefresh, to be persisted before the token is used.
	var store refreshStore
	src := conf.TokenSource(code, q.options(store.save))
	if err := q.callResource(ctx, src); err != nil {
		return err
	}
	renewed, err := q.expireAndRetry(ctx, src, 2*time.Hour, oauth2test.GrantRefreshToken)
	if err != nil {
		return err
	}
	saved, saves := store.latest()
	if saved != renewed.RefreshToken || saved == code.RefreshToken {
		return q.rep.fail("OnRefresh", errors.New("the store does not hold the rotated refresh token"))
	}
	q.rep.ok("OnRefresh", "persisted the rotated refresh %s (%d saves: initial + renewal)", redact(saved), saves)
	return nil
}

// implicit runs the implicit grant: the token comes back in the fragment
// of the redirect, without a refresh token.
func (q *quickstart) implicit(ctx context.Context, conf *client.Config) error {
	const label = "implicit"
	state := rand.Text()
	redirect, err := q.srv.Authorize(conf.ImplicitURL(state), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		return q.rep.fail(label, err)
	}
	tok, err := q.seen(client.ParseImplicitRedirect(redirect.String(), state))
	if err != nil {
		return q.rep.fail(label, err)
	}
	if redirect.RawQuery != "" || tok.RefreshToken != "" {
		return q.rep.fail(label, errors.New("want the token in the fragment, without a refresh token"))
	}
	q.rep.ok(label, "token in the redirect fragment · %s", describe(tok))
	if _, err := client.ParseImplicitRedirect(redirect.String(), rand.Text()); !errors.Is(err, client.ErrStateMismatch) {
		return q.rep.fail("state check", fmt.Errorf("got %v; want client.ErrStateMismatch", err))
	}
	q.rep.ok("state check", "a redirect answering another request → client.ErrStateMismatch")
	return nil
}

// refreshStore stands for wherever an application keeps its refresh
// token (a database row, a file, the OS keychain).
type refreshStore struct {
	mu    sync.Mutex
	token string
	saves int
}

// save is an OnRefresh callback.
func (s *refreshStore) save(_ context.Context, tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok.RefreshToken
	s.saves++
}

func (s *refreshStore) latest() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.saves
}

// officeRnD (seed 003) gets a read-only token with client credentials in a
// form body, then asks for write access, which the app lacks: the
// invalid_scope error reaches the caller as an *oauth2.RetrieveError,
// from Config and through an http.Client alike.
func (q *quickstart) officeRnD(ctx context.Context, conf *client.Config) error {
	conf.Scopes = []string{"officernd.api.read"}
	tok, err := q.seen(conf.ClientCredentialsToken(ctx))
	if err != nil {
		return q.rep.fail("client_credentials", err)
	}
	if tok.Extra("scope") != "officernd.api.read" {
		return q.rep.fail("client_credentials", fmt.Errorf("granted scope %q; want officernd.api.read", tok.Extra("scope")))
	}
	q.rep.ok("client_credentials", "%s · scope %q", describe(tok), tok.Extra("scope"))
	if err := q.checkWire("application/x-www-form-urlencoded", inBody); err != nil {
		return err
	}
	if err := q.callResource(ctx, conf.ClientCredentialsSource(q.options(nil))); err != nil {
		return err
	}

	write := *conf
	write.Scopes = []string{"officernd.api.read", "officernd.api.write"}
	_, err = q.seen(write.ClientCredentialsToken(ctx))
	re, err := asRetrieveError(err, "invalid_scope")
	if err != nil {
		return q.rep.fail("ask for write", err)
	}
	q.rep.ok("ask for write", "%s", typed(re))

	// The same error through an http.Client. The source would log the
	// failed renewal as a warning; keep the report clean.
	opts := q.options(nil)
	opts.Logger = slog.New(slog.DiscardHandler)
	_, err = q.getResource(ctx, write.ClientCredentialsSource(opts))
	if _, err := asRetrieveError(err, "invalid_scope"); err != nil {
		return q.rep.fail("…via http.Client", err)
	}
	q.rep.ok("…via http.Client", "Get fails; errors.As finds the *oauth2.RetrieveError invalid_scope")
	return nil
}

// device runs the device authorization grant: the device shows a user
// code, the user approves it elsewhere (simulated with ApproveDevice), and
// the device polls the token endpoint until then.
func (q *quickstart) device(ctx context.Context, conf *client.Config) error {
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return q.rep.fail("device authorization", err)
	}
	q.rep.ok("device authorization", "show user code %s · visit %s · poll every %ds", da.UserCode, da.VerificationURI, da.Interval)
	if err := q.srv.ApproveDevice(da.UserCode, oauth2test.DefaultUsername); err != nil {
		return q.rep.fail("user approves", err)
	}
	q.rep.ok("user approves", "%s enters the code on her phone (srv.ApproveDevice)", oauth2test.DefaultUsername)

	polls := q.srv.GrantRequests(oauth2test.GrantDeviceCode)
	tok, err := q.seen(conf.DeviceAccessToken(ctx, da))
	if err != nil {
		return q.rep.fail("device_code", err)
	}
	polls = q.srv.GrantRequests(oauth2test.GrantDeviceCode) - polls
	q.rep.ok("device_code", "%s · after %d poll(s)", describe(tok), polls)
	return nil
}
