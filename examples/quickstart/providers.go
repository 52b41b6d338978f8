package main

import (
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

// provider is one of the seed API documents (../../../shared/seeds): how
// its authorization server registers our client, and how a client.Config
// must be set up to talk to it.
type provider struct {
	name    string // seed number and provider
	summary string // the shape, in one line
	reg     oauth2test.Client
	format  client.BodyFormat
	style   oauth2.AuthStyle
}

// The four seed providers, registered with the fake server exactly as
// client/seeds_test.go models them.
var (
	// seed000 is OpenForce on AWS Cognito: client_credentials only, HTTP
	// Basic client authentication, form bodies, 3600 s tokens and no
	// refresh token.
	seed000 = provider{
		name:    "000 · OpenForce (AWS Cognito)",
		summary: "client_credentials · HTTP Basic · form body · 3600 s · no refresh token",
		reg: oauth2test.Client{
			ID: "oforce-client", Secret: "oforce-secret-000",
			AuthStyle: oauth2test.AuthBasic, BodyFormat: oauth2test.FormOnly,
			Grants:        []string{oauth2test.GrantClientCredentials},
			TokenLifetime: 3600 * time.Second,
		},
		format: client.FormBody,
		style:  oauth2.AuthStyleInHeader,
	}

	// seed001 takes the password and authorization code grants with JSON
	// bodies carrying the client credentials, answers token_type
	// "bearer" in lower case and issues refresh tokens.
	seed001 = provider{
		name:    "001 · JSON API with password and code grants",
		summary: `password + authorization_code · JSON body with credentials · "bearer" · 7200 s · refresh tokens`,
		reg: oauth2test.Client{
			ID: "api-001-client", Secret: "api-001-secret",
			AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
			Grants:       []string{oauth2test.GrantPassword, oauth2test.GrantAuthorizationCode, oauth2test.GrantRefreshToken},
			RedirectURIs: []string{"https://app.example.com/oauth/callback"},
			TokenType:    "bearer", TokenLifetime: 7200 * time.Second, IssueRefreshToken: true,
		},
		format: client.JSONBody,
		style:  oauth2.AuthStyleInParams,
	}

	// seed002 offers every grant, implicit included, with JSON bodies
	// carrying the client credentials, and rotates the refresh token on
	// every refresh.
	seed002 = provider{
		name:    "002 · SSO API with every grant and rotation",
		summary: "every grant incl. implicit · JSON body with credentials · rotating refresh tokens",
		reg: oauth2test.Client{
			ID: "BA779C49-4D93-4785-9596-25805A24C5DC", Secret: "4AD3CE00-8ED5-4F0A-A979-ACE64A15207C",
			AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
			RedirectURIs:      []string{"https://app.example.com/sso"},
			IssueRefreshToken: true, RotateRefreshTokens: true,
		},
		format: client.JSONBody,
		style:  oauth2.AuthStyleInParams,
	}

	// seed003 is OfficeRnD: client_credentials with the credentials in a
	// form body and space-separated scopes. The app is read-only, so
	// asking for write access fails with invalid_scope.
	seed003 = provider{
		name:    "003 · OfficeRnD",
		summary: "client_credentials · form body with credentials · scopes · read-only app",
		reg: oauth2test.Client{
			ID: "officernd-app", Secret: "officernd-secret-003",
			AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.FormOnly,
			Grants: []string{oauth2test.GrantClientCredentials}, Scopes: []string{"officernd.api.read"},
			TokenLifetime: 3599 * time.Second,
		},
		format: client.FormBody,
		style:  oauth2.AuthStyleInParams,
	}

	// tv is a client with the server's defaults (every grant, any
	// authentication style and body format), used for the device flow,
	// which none of the seed providers offers.
	tv = provider{
		name:    "bonus · device authorization (RFC 8628)",
		summary: "a generic client on a TV: user code shown on screen, approved on a phone",
		reg:     oauth2test.Client{ID: "tv-app", Secret: "tv-app-secret", IssueRefreshToken: true},
	}
)

// providers are the clients registered with the server.
var providers = []provider{seed000, seed001, seed002, seed003, tv}

// secrets are the values the report must never show.
func secrets() []string {
	s := []string{oauth2test.DefaultPassword}
	for _, p := range providers {
		s = append(s, p.reg.Secret)
	}
	return s
}

// newServer starts one fake authorization server playing every provider.
// It polls the device flow every second so that the quick start stays
// quick.
func newServer() *oauth2test.Server {
	opts := &oauth2test.Options{DeviceInterval: 1}
	for _, p := range providers {
		opts.Clients = append(opts.Clients, p.reg)
	}
	return oauth2test.NewServer(nil, opts)
}

// config returns the client.Config an application would write for p.
func (p provider) config(srv *oauth2test.Server) *client.Config {
	ep := srv.Endpoint()
	ep.AuthStyle = p.style
	conf := &client.Config{
		ClientID:     p.reg.ID,
		ClientSecret: p.reg.Secret,
		Endpoint:     ep,
		BodyFormat:   p.format,
	}
	if len(p.reg.RedirectURIs) > 0 {
		conf.RedirectURL = p.reg.RedirectURIs[0]
	}
	return conf
}
