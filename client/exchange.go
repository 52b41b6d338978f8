package client

import (
	"context"
	"crypto"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Grant types beyond RFC 6749.
const (
	// GrantTypeJWTBearer is the JWT bearer authorization grant (RFC 7523
	// section 2.1).
	GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantTypeTokenExchange is token exchange (RFC 8693).
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// Token type identifiers of token exchange (RFC 8693 section 3).
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeSAML1        = "urn:ietf:params:oauth:token-type:saml1"
	TokenTypeSAML2        = "urn:ietf:params:oauth:token-type:saml2"
)

// TokenExchange is a token exchange request (RFC 8693 section 2.1).
// SubjectToken and SubjectTokenType are required; an ActorToken needs
// its ActorTokenType. The issued token's type is kept on the token as
// the extra value "issued_token_type".
type TokenExchange struct {
	SubjectToken, SubjectTokenType string
	ActorToken, ActorTokenType     string
	RequestedTokenType             string
	Audience, Resource             []string
}

// params returns the request's parameters (without scope and client
// authentication, which the Config adds).
func (r TokenExchange) params() (url.Values, error) {
	switch {
	case r.SubjectToken == "":
		return nil, &ConfigError{Field: "token exchange", Reason: "has no subject token"}
	case r.SubjectTokenType == "":
		return nil, &ConfigError{Field: "token exchange", Reason: "has no subject token type"}
	case r.ActorToken != "" && r.ActorTokenType == "":
		return nil, &ConfigError{Field: "token exchange", Reason: "has an actor token without its type"}
	case r.ActorToken == "" && r.ActorTokenType != "":
		return nil, &ConfigError{Field: "token exchange", Reason: "has an actor token type without a token"}
	}
	for _, u := range r.Resource {
		if pu, err := url.Parse(u); err != nil || !pu.IsAbs() || pu.Fragment != "" {
			return nil, &ConfigError{Field: "token exchange", Reason: "resource " + quoteServer(u) + " is not an absolute URI without a fragment"}
		}
	}
	v := url.Values{
		"grant_type":         {GrantTypeTokenExchange},
		"subject_token":      {r.SubjectToken},
		"subject_token_type": {r.SubjectTokenType},
	}
	if r.ActorToken != "" {
		v.Set("actor_token", r.ActorToken)
		v.Set("actor_token_type", r.ActorTokenType)
	}
	if r.RequestedTokenType != "" {
		v.Set("requested_token_type", r.RequestedTokenType)
	}
	for _, a := range r.Audience {
		v.Add("audience", a)
	}
	for _, u := range r.Resource {
		v.Add("resource", u)
	}
	return v, nil
}

// jwtBearerParams returns the parameters of a JWT bearer grant (RFC
// 7523 section 2.1).
func jwtBearerParams(assertion string) (url.Values, error) {
	if assertion == "" {
		return nil, &ConfigError{Field: "JWT bearer grant", Reason: "has no assertion"}
	}
	return url.Values{"grant_type": {GrantTypeJWTBearer}, "assertion": {assertion}}, nil
}

// ServiceAccount signs the assertions of the JWT bearer grant (RFC 7523
// section 2.1) that service accounts use: iss = Issuer (often the
// account's email), sub = Subject (Issuer if empty; the user to act for
// under domain-wide delegation), aud = Audience (the token endpoint if
// empty), scope = Scopes, and exp = Lifetime ahead (1 hour at most; zero
// means 1 hour). As a ClientAssertion (for JWTBearerSource) it signs a
// fresh assertion for every request.
type ServiceAccount struct {
	Key      crypto.Signer
	KeyID    string
	Issuer   string
	Subject  string
	Audience string
	Scopes   []string
	Lifetime time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// maxServiceAccountLifetime is the usual cap of service-account
// assertions (Google's, for one).
const maxServiceAccountLifetime = time.Hour

// Assertion signs one assertion.
func (s *ServiceAccount) Assertion(ctx context.Context) (string, error) {
	return s.assertion(ctx, assertionRequest{})
}

func (s *ServiceAccount) assertion(_ context.Context, r assertionRequest) (string, error) {
	if s.Issuer == "" {
		return "", &AssertionError{Reason: "the service account has no issuer"}
	}
	aud := s.Audience
	if aud == "" && len(r.Audience) > 0 {
		aud = r.Audience[0]
	}
	if aud == "" {
		return "", &AssertionError{Reason: "the service account assertion has no audience"}
	}
	life := s.Lifetime
	if life <= 0 || life > maxServiceAccountLifetime {
		life = maxServiceAccountLifetime
	}
	sub := s.Subject
	if sub == "" {
		sub = s.Issuer
	}
	jti, err := newJTI()
	if err != nil {
		return "", &AssertionError{Reason: "no randomness for jti", Err: err}
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	c := &assertionClaims{
		Issuer: s.Issuer, Subject: sub, Audience: audience{aud}, JWTID: jti,
		IssuedAt: now.Unix(), Expiry: now.Add(life).Unix(), Scope: strings.Join(s.Scopes, " "),
	}
	k := &keySigner{key: s.Key, keyID: s.KeyID}
	return k.sign(c)
}

// String describes s without its key.
func (s *ServiceAccount) String() string {
	return "client.ServiceAccount{Issuer: " + s.Issuer + ", Subject: " + s.Subject + ", KeyID: " + s.KeyID + "}"
}

// GoString describes s without its key, for %#v.
func (s *ServiceAccount) GoString() string { return s.String() }

// LogValue describes s without its key, for log/slog.
func (s *ServiceAccount) LogValue() slog.Value {
	return slog.GroupValue(slog.String("issuer", s.Issuer), slog.String("subject", s.Subject), slog.String("key_id", s.KeyID))
}
