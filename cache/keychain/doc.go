// Package keychain is a tokensource.Cache in the operating system's
// credential store, through github.com/zalando/go-keyring:
//
//   - macOS: the login Keychain, via /usr/bin/security
//     (https://developer.apple.com/documentation/security/keychain-services);
//   - Windows: Credential Manager generic credentials
//     (https://learn.microsoft.com/windows/win32/secauthn/credentials-management);
//   - Linux and the BSDs: the freedesktop.org Secret Service API on the
//     D-Bus session bus, as served by gnome-keyring or KWallet
//     (https://specifications.freedesktop.org/secret-service/latest/).
//
// Other systems have no backend: every call fails with an error matching
// [ErrUnavailable].
//
// It suits command-line tools and desktop programs: tokens survive
// restarts, are encrypted at rest by the OS, and are scoped to the user.
//
//	src := cfg.PasswordSource(user, pass, &tokensource.Options{Cache: keychain.New("mytool")})
//
// # Items
//
// Each entry is a keychain item whose service is the Store's service name
// and whose account is "tw-" and a SHA-256 prefix of the cache key, so no
// key text (which may name a user) shows in the keychain's UI. The item
// holds a small versioned JSON envelope with the expiry and the value:
// compressed with DEFLATE when that makes it smaller, then base64, since
// keychains store strings. Load never returns an entry past its expiry.
//
// Windows limits an item to 2560 bytes and go-keyring refuses values of
// about 3 KB on macOS (ErrSetDataTooBig), so an envelope longer than
// Options.ChunkSize (default [DefaultChunkSize]) is split: the text goes
// to items "<account>#0", "<account>#1", … and the head item records
// their count and SHA-256. Save writes the chunks first and the head last,
// then removes chunks left over from a larger previous value; Delete
// removes the head first, then every chunk. A Save that crashed half-way
// (or one running in another process at the same moment) is detected by
// Load as an error matching [ErrCorrupt], never returned as garbage, and
// tokensource treats that as a miss.
//
// # No keychain
//
// When no keychain is reachable (no D-Bus session bus, no Secret Service
// on it, a locked collection that cannot be unlocked without a prompt, no
// Windows logon session), the methods return an error matching
// [ErrUnavailable] that says what is wrong and how to fix it. By default
// that is all: tokensource treats it as a cache miss with a logged
// warning, and the process keeps working from its in-memory token (a
// command-line tool just logs in on every run).
//
// A fallback is explicit: with Options.Fallback set, the Store switches
// to that cache the first time the keychain is unavailable, logs one
// warning, and uses the fallback for the rest of its life. Note that
// cache.File stores tokens in plaintext on disk; wrap it with
// cache.NewSealed (AES-GCM) when it is a keychain's fallback:
//
//	file, err := cache.NewFile("")
//	…
//	sealed, err := cache.NewSealed(file, key) // key: 32 bytes kept elsewhere
//	…
//	store := keychain.NewWithOptions("mytool", &keychain.Options{Fallback: sealed})
//
// # Headless Linux
//
// go-keyring on Linux only speaks the Secret Service API, which needs a
// D-Bus session bus and an unlocked "login" (or default) collection. A
// server, container or CI job usually has neither; run the program inside
// a private session with an unlocked gnome-keyring:
//
//	dbus-run-session -- sh -c 'printf %s "$KEYRING_PASS" |
//		gnome-keyring-daemon --unlock --components=secrets; exec mytool'
//
// (Debian/Ubuntu: apt-get install dbus gnome-keyring.) The keyring is
// created in $XDG_DATA_HOME/keyrings on first use and is unlocked with
// that password afterwards. Errors seen without it, and what they mean:
//
//   - exec: "dbus-launch": executable file not found: no session bus
//     (DBUS_SESSION_BUS_ADDRESS is unset);
//   - failed to unlock correct collection: the collection is locked and
//     unlocking it needs a prompt that cannot be shown, or the keyring
//     exists with another password;
//   - org.freedesktop.DBus.Error.ServiceUnknown: nothing serves
//     org.freedesktop.secrets on the bus.
//
// For a long-running service on a server, cache.File (sealed) or
// cache/rediscache are usually a better fit than a keychain.
//
// # Limits
//
// go-keyring calls cannot be cancelled: each method checks its context
// before it starts, but a call waiting on the keychain (for example on an
// unlock prompt) runs to its end. Save and Delete, once started, finish,
// so as not to leave a torn entry behind.
//
// Store is not a tokensource.Locker: keychains have no locking
// primitive. Processes that share a cache key and must refresh only once
// need cache.File's file lock (one machine) or cache/rediscache's lock;
// within one process, tokensource already refreshes once per source.
package keychain
