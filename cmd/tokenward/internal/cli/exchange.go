package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

// tokenTypes maps the short token type names the flags accept to RFC
// 8693 §3 identifiers.
var tokenTypes = map[string]string{
	"access_token":  client.TokenTypeAccessToken,
	"refresh_token": client.TokenTypeRefreshToken,
	"id_token":      client.TokenTypeIDToken,
	"jwt":           client.TokenTypeJWT,
	"saml1":         client.TokenTypeSAML1,
	"saml2":         client.TokenTypeSAML2,
}

// tokenTypeURI returns the token type identifier for a flag value: a short
// name (access_token, jwt, ...) or an absolute URI, kept as is.
func tokenTypeURI(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if u, ok := tokenTypes[v]; ok {
		return u, nil
	}
	if strings.Contains(v, ":") {
		return v, nil
	}
	return "", fmt.Errorf("%s %q is not access_token, refresh_token, id_token, jwt, saml1, saml2 or a token type URI", flag, v)
}

// maxSubjectDepth bounds a chain of token exchange profiles whose subject
// is another exchange profile.
const maxSubjectDepth = 4

// validateExchange checks the token exchange settings of a profile.
func (p *Profile) validateExchange() []string {
	x := p.Exchange
	switch {
	case x == nil && p.Grant == GrantTokenExchange:
		return []string{"the token_exchange grant needs --subject-token-file or --subject-profile"}
	case x == nil:
		return nil
	case p.Grant != GrantTokenExchange:
		return []string{"--subject-token-file, --subject-profile and --actor-token-file are for the token_exchange grant"}
	}
	var errs []string
	switch {
	case x.SubjectTokenFile != "" && x.SubjectProfile != "":
		errs = append(errs, "give --subject-token-file or --subject-profile, not both")
	case x.SubjectTokenFile == "" && x.SubjectProfile == "":
		errs = append(errs, "the token_exchange grant needs --subject-token-file or --subject-profile")
	case x.SubjectProfile != "" && !validName(x.SubjectProfile):
		errs = append(errs, fmt.Sprintf("--subject-profile %q is not a profile name", x.SubjectProfile))
	}
	if x.SubjectTokenType == "" {
		errs = append(errs, "the subject token type is empty (--subject-token-type)")
	}
	if (x.ActorTokenFile == "") != (x.ActorTokenType == "") {
		errs = append(errs, "--actor-token-type needs --actor-token-file")
	}
	return errs
}

// checkSubjectChain follows the subject profiles from name through cf and
// refuses a missing profile or a loop.
func checkSubjectChain(cf *ConfigFile, name string, p *Profile) error {
	seen := map[string]bool{name: true}
	for x := p.Exchange; x != nil && x.SubjectProfile != ""; {
		next := x.SubjectProfile
		if seen[next] {
			return fmt.Errorf("--subject-profile %s leads back to profile %s", next, name)
		}
		seen[next] = true
		sp, ok := cf.Profiles[next]
		if !ok {
			return fmt.Errorf("--subject-profile %s: no such profile", next)
		}
		if len(seen) > maxSubjectDepth+1 {
			return fmt.Errorf("--subject-profile %s: more than %d exchanges in a chain", next, maxSubjectDepth)
		}
		x = sp.Exchange
	}
	return nil
}

// subjectDepthKey carries the depth of nested exchanges in a context.
type subjectDepthKey struct{}

// exchange obtains the profile's token by token exchange: the subject
// token is read from its file (anew each time: a projected token
// rotates) or is the other profile's current access token; the actor
// token, if any, is read from its file anew each time too.
func (a *App) exchange(ctx context.Context, conf *client.Config, name string, p *Profile) (*oauth2.Token, error) {
	x := p.Exchange
	subject, subjectExpiry, err := a.subjectToken(ctx, name, x)
	if err != nil {
		return nil, err
	}
	var actor string
	if x.ActorTokenFile != "" {
		if actor, err = readTokenFile("actor token file", x.ActorTokenFile); err != nil {
			return nil, configError(name, err.Error(), "check the file the profile names with 'tokenward profile show "+shellQuote(name)+"'")
		}
	}
	tok, err := conf.ExchangeToken(ctx, client.TokenExchange{
		SubjectToken:       subject,
		SubjectTokenType:   x.SubjectTokenType,
		ActorToken:         actor,
		ActorTokenType:     x.ActorTokenType,
		RequestedTokenType: x.RequestedTokenType,
		Audience:           x.Audience,
		Resource:           x.Resource,
	})
	// The exchanged token is not used past its subject's expiry: then the
	// next run exchanges the subject's successor.
	if err == nil && !subjectExpiry.IsZero() && (tok.Expiry.IsZero() || subjectExpiry.Before(tok.Expiry)) {
		tok.Expiry = subjectExpiry
	}
	return tok, err
}

// subjectToken returns the subject token of an exchange profile, and its
// expiry when it is known (zero for a file).
func (a *App) subjectToken(ctx context.Context, name string, x *Exchange) (string, time.Time, error) {
	if x.SubjectTokenFile != "" {
		s, err := readTokenFile("subject token file", x.SubjectTokenFile)
		if err != nil {
			return "", time.Time{}, configError(name, err.Error(), "check the file the profile names with 'tokenward profile show "+shellQuote(name)+"'")
		}
		return s, time.Time{}, nil
	}
	depth, _ := ctx.Value(subjectDepthKey{}).(int)
	if depth >= maxSubjectDepth {
		return "", time.Time{}, configError(name, fmt.Sprintf("more than %d token exchanges in a chain of subject profiles", maxSubjectDepth), "check --subject-profile")
	}
	cf, err := a.loadConfig()
	if err != nil {
		return "", time.Time{}, err
	}
	sp, ok := cf.Profiles[x.SubjectProfile]
	if !ok {
		return "", time.Time{}, configError(name, "subject profile "+shellQuote(x.SubjectProfile)+" does not exist", "re-add the profile with another --subject-profile")
	}
	ctx = context.WithValue(ctx, subjectDepthKey{}, depth+1)
	src, err := a.tokenSource(ctx, x.SubjectProfile, sp)
	if err != nil {
		return "", time.Time{}, err
	}
	tok, err := src.TokenContext(ctx)
	if errors.Is(err, errNotLoggedIn) || isInvalidGrant(err) {
		return "", time.Time{}, &Error{Code: ExitAuth, Profile: name, What: "subject profile " + shellQuote(x.SubjectProfile) + " is not logged in", Err: err,
			Hint: "run 'tokenward login" + profileFlag(x.SubjectProfile) + "'"}
	}
	if err != nil {
		e := Classify(x.SubjectProfile, err)
		return "", time.Time{}, &Error{Code: e.Code, Profile: name, What: "subject token: " + e.Error(), Err: err}
	}
	return tok.AccessToken, tok.Expiry, nil
}
