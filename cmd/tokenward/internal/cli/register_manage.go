package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tokenward/tokenward/client"
)

// checkManageFlags refuses, with --read or --delete, every flag of
// 'tokenward register' but those two: they act on a registration that
// exists, not on a new one.
func checkManageFlags(cmd *cobra.Command) error {
	var others []string
	cmd.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Changed && f.Name != "read" && f.Name != "delete" {
			others = append(others, "--"+f.Name)
		}
	})
	if len(others) > 0 {
		return usageError("--read and --delete take only a profile name, not %s", strings.Join(others, ", "))
	}
	return nil
}

// registration returns the RFC 7592 registration of profile name that
// 'tokenward register' made: its management URI from the profile and its
// registration access token from the store.
func (a *App) registration(ctx context.Context, name string) (*Profile, *client.Registration, error) {
	cf, err := a.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	p, ok := cf.Profiles[name]
	if !ok {
		return nil, nil, configError(name, "no such profile", "see 'tokenward profile list'")
	}
	if p.RegistrationClientURI == "" {
		return nil, nil, configError(name, "the profile was not made by 'tokenward register' (no registration_client_uri)", "")
	}
	tok, err := a.store().Load(ctx, registrationTokenKey(name))
	if err != nil {
		return nil, nil, keychainError(name, "cannot read the registration access token", err)
	}
	if len(tok) == 0 {
		return nil, nil, configError(name, "the registration access token is missing from the store", "")
	}
	return p, &client.Registration{ClientID: p.ClientID, RegistrationClientURI: p.RegistrationClientURI, RegistrationAccessToken: string(tok)}, nil
}

// readRegistration implements 'tokenward register --read': it prints the
// server's current metadata of the profile's client (RFC 7592 §2.1) and
// stores a client secret or registration access token that the server
// rotated (RFC 7592 §2.1 says to discard the old ones).
func (a *App) readRegistration(ctx context.Context, name string) error {
	p, reg, err := a.registration(ctx, name)
	if err != nil {
		return err
	}
	base, err := a.profileTransport(name, p)
	if err != nil {
		return err
	}
	cur, err := reg.Read(ctx, newHTTPClient(base))
	if err != nil {
		return Classify(name, at("the registration client URI", "", reg.RegistrationClientURI, err))
	}
	if t := cur.RegistrationAccessToken; t != "" && t != reg.RegistrationAccessToken {
		if err := a.store().Save(ctx, registrationTokenKey(name), []byte(t), time.Time{}); err != nil {
			return keychainError(name, "cannot store the new registration access token", err)
		}
	}
	if s := cur.ClientSecret; s != "" && p.HasSecret {
		if err := a.store().Save(ctx, secretKey(name), []byte(s), time.Time{}); err != nil {
			return keychainError(name, "cannot store the new client secret", err)
		}
	}
	b, err := registrationView(cur)
	if err != nil {
		return err
	}
	out := safeJSON(b)
	for _, s := range []string{cur.ClientSecret, cur.RegistrationAccessToken, reg.RegistrationAccessToken} {
		if len(s) >= 8 { // a server echoing a secret in another member
			out = strings.ReplaceAll(out, s, "[REDACTED]")
		}
	}
	fmt.Fprintln(a.Out, out)
	return nil
}

// deleteRegistration implements 'tokenward register --delete': it
// deletes the profile's client at the server (RFC 7592 §2.3), then its
// stored client secret, registration access token and tokens. The
// profile stays, naming a client that no longer exists, until 'tokenward
// profile remove'.
func (a *App) deleteRegistration(ctx context.Context, name string) error {
	p, reg, err := a.registration(ctx, name)
	if err != nil {
		return err
	}
	base, err := a.profileTransport(name, p)
	if err != nil {
		return err
	}
	if err := reg.Delete(ctx, newHTTPClient(base)); err != nil {
		return Classify(name, at("the registration client URI", "", reg.RegistrationClientURI, err))
	}
	for _, k := range []string{secretKey(name), registrationTokenKey(name), tokenKey(name)} {
		if err := a.store().Delete(ctx, k); err != nil {
			return keychainError(name, "deleted the client at the server, but cannot delete its stored secrets", err)
		}
	}
	cf, err := a.loadConfig()
	if err != nil {
		return err
	}
	if q := cf.Profiles[name]; q != nil {
		q.HasSecret = false
		q.RegistrationClientURI = ""
		if err := a.saveConfig(cf); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.Out, "Deleted client %s at the server and its stored secrets; remove the profile with 'tokenward profile remove %s'.\n",
		shellQuote(safe(oneLine(reg.ClientID, 200))), shellQuote(name))
	return nil
}

// registrationView is what 'tokenward register --read' prints: the
// client's ID and the metadata members package client names (never the
// secret, the registration access token or a member it does not name).
func registrationView(reg *client.Registration) ([]byte, error) {
	md := reg.Metadata
	md.Extra = nil
	b, err := json.Marshal(md)
	var v map[string]any
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot encode the registration: %w", err)
	}
	v["client_id"] = reg.ClientID
	if !reg.ClientSecretExpiresAt.IsZero() {
		v["client_secret_expires_at"] = reg.ClientSecretExpiresAt.UTC().Format(time.RFC3339)
	}
	return json.MarshalIndent(v, "", "  ")
}
