package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/tokensource"
)

// KeychainService is the OS keychain service name under which tokenward
// keeps client secrets and tokens.
const KeychainService = "tokenward"

// httpTimeout bounds one HTTP request the command sends.
const httpTimeout = 30 * time.Second

// IO are the standard streams of a command run.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// App is one run of the tokenward command: its streams, options and the
// stores it uses. Tests build one with a memory store in place of the OS
// keychain.
type App struct {
	IO

	// Store keeps client secrets and tokens; nil means the OS keychain
	// (keychain.New(KeychainService)).
	Store tokensource.Cache
	// OpenBrowser opens a URL in the user's browser; nil means
	// github.com/cli/browser.
	OpenBrowser func(url string) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RootCAs verifies the servers of profiles with a TLS client
	// certificate; nil means the system's roots (which $SSL_CERT_FILE and
	// $SSL_CERT_DIR can replace).
	RootCAs *x509.CertPool

	profileName string // -p
	resolved    string // the profile a command resolved, for error lines
	verbose     bool
	storeFlags  storeFlags
	cfgPath     string               // resolved config path, set by loadConfig
	dpopKeys    map[string]*dpop.Key // DPoP keys read from the store in this run, by profile
}

// store returns the secret and token store: the one --store (or
// $TOKENWARD_STORE) names, the OS keychain by default, with a
// cross-process lock (see newStore).
func (a *App) store() tokensource.Cache {
	if a.Store == nil {
		a.Store = a.newStore()
	}
	return a.Store
}

// now returns the current time.
func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// logger returns the logger for library warnings: stderr, warnings only
// unless --verbose.
func (a *App) logger() *slog.Logger {
	level := slog.LevelWarn
	if a.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(a.Err, &slog.HandlerOptions{Level: level}))
}

// newHTTPClient returns the client for requests to authorization servers
// over rt (a.transport or a.profileTransport), with the command's timeout.
func newHTTPClient(rt http.RoundTripper) *http.Client {
	return &http.Client{Transport: rt, Timeout: httpTimeout}
}

// loadConfig reads the config file.
func (a *App) loadConfig() (*ConfigFile, error) {
	path, err := ConfigPath()
	if err != nil {
		return nil, err
	}
	a.cfgPath = path
	return LoadConfig(path)
}

// saveConfig writes the config file read by loadConfig.
func (a *App) saveConfig(cf *ConfigFile) error {
	if a.cfgPath == "" {
		path, err := ConfigPath()
		if err != nil {
			return err
		}
		a.cfgPath = path
	}
	return cf.Save(a.cfgPath)
}

// profile loads the config and returns the selected profile.
func (a *App) profile() (string, *Profile, error) {
	cf, err := a.loadConfig()
	if err != nil {
		return a.profileName, nil, err
	}
	name, p, err := cf.Profile(a.profileName)
	a.resolved = name
	if err != nil {
		return name, nil, err
	}
	return name, p, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Keychain keys: one entry for the client secret and one for the tokens
// of each profile.
func secretKey(profile string) string { return "profile/" + profile + "/client-secret" }
func tokenKey(profile string) string  { return "profile/" + profile + "/token" }

// registrationTokenKey is the store key of the RFC 7592 registration
// access token of a client that 'tokenward register' registered.
func registrationTokenKey(profile string) string {
	return "profile/" + profile + "/registration-token"
}

// profileStoreKeys are every store key a profile may own.
func profileStoreKeys(profile string) []string {
	return []string{tokenKey(profile), secretKey(profile), dpopKeyKey(profile), registrationTokenKey(profile)}
}

// credentialSummary says, for messages, how the profile authenticates
// the client and binds its tokens: never a secret, only where it is.
func (p *Profile) credentialSummary() string {
	var parts []string
	switch {
	case p.PrivateKey != "":
		parts = append(parts, "private_key_jwt with "+p.PrivateKey)
	case p.AssertionFile != "":
		parts = append(parts, "client assertion from "+p.AssertionFile)
	}
	if p.ClientCert != "" {
		parts = append(parts, "TLS client certificate "+p.ClientCert)
	}
	if p.HasSecret {
		parts = append(parts, "client secret in the OS keychain")
	}
	if len(parts) == 0 {
		parts = append(parts, "no client secret")
	}
	if p.DPoP {
		parts = append(parts, "DPoP key in the OS keychain")
	}
	return strings.Join(parts, ", ")
}

// clientSecret returns the profile's client secret from the store, or ""
// when the profile has none.
func (a *App) clientSecret(ctx context.Context, name string, p *Profile) (string, error) {
	if !p.HasSecret {
		return "", nil
	}
	data, err := a.store().Load(ctx, secretKey(name))
	if err != nil {
		return "", keychainError(name, "cannot read the client secret", err)
	}
	if data == nil {
		return "", configError(name, "the client secret is missing from the OS keychain",
			"store it again with 'tokenward profile add "+shellQuote(name)+" --force --client-secret-stdin ...'")
	}
	return string(data), nil
}

// fileStoreRecipe is how to use the sealed file store for a whole shell
// session, for machines without a keychain.
const fileStoreRecipe = "or, without a keychain, use the sealed file store for this shell session: " +
	"(umask 077; head -c 32 /dev/urandom | base64 > ~/.tokenward.key); export " + EnvStore + "=file " + EnvKeyFile + "=~/.tokenward.key"

// keychainError wraps a store failure as an Error with ExitKeychain.
func keychainError(profile, what string, err error) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		return Classify(profile, err)
	}
	prefix := ""
	if what != "" {
		prefix = what + ": "
	}
	e := &Error{Code: ExitKeychain, Profile: profile, What: prefix + octalModes(trimPrefix(err.Error())), Err: err,
		Hint: "check the OS keychain"}
	if errors.Is(err, errNoStoreKey) {
		e.Code, e.What = ExitConfig, prefix+err.Error()
		e.Hint = "make a key once with '(umask 077; head -c 32 /dev/urandom | base64 > ~/.tokenward.key)', then export " + EnvKeyFile + "=~/.tokenward.key"
	} else if errors.Is(err, cache.ErrInsecureDir) {
		e.Code, e.Hint = ExitConfig, "make the directory private to you (chmod 700)"
	}
	if errors.Is(err, keychain.ErrUnavailable) {
		// The keychain's own message is long (it explains the fix); keep its
		// first clause and give the fix as the hint.
		cause := strings.TrimPrefix(trimPrefix(err.Error()), "unavailable: ")
		if i := strings.IndexAny(cause, "(:"); i > 0 {
			cause = strings.TrimSpace(cause[:i])
		}
		e.What = prefix + "OS keychain unavailable (" + cause + ")"
		e.Hint = "unlock or start the keychain (Linux: gnome-keyring or KWallet on the D-Bus session bus; headless: dbus-run-session and gnome-keyring-daemon --unlock), then retry; " + fileStoreRecipe
	}
	return e
}
