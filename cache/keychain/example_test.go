package keychain_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/zalando/go-keyring"
)

// The Store is normally handed to tokensource.Options.Cache, which owns
// the bytes; this example calls it directly. keyring.MockInit swaps the OS
// keychain for an in-memory one, for the whole process, so the example
// runs anywhere; a real program leaves it out. (In this package's test
// binary it runs after the tests, which use the real keychain.)
func Example() {
	keyring.MockInit()

	ctx := context.Background()
	store := keychain.New("my-cli")

	err := store.Save(ctx, "user@example.com", []byte(`{"access_token":"…"}`), time.Now().Add(time.Hour))
	if err != nil {
		fmt.Println("save:", err)
		return
	}
	data, err := store.Load(ctx, "user@example.com")
	fmt.Printf("%s %v\n", data, err)

	// Entries are items of service "my-cli" whose account is a hash of
	// the key, so the key does not show in the keychain.
	_, err = keyring.Get("my-cli", "user@example.com")
	fmt.Println(err)

	if err := store.Delete(ctx, "user@example.com"); err != nil {
		fmt.Println("delete:", err)
	}
	data, err = store.Load(ctx, "user@example.com")
	fmt.Println(data == nil, err)
	// Output:
	// {"access_token":"…"} <nil>
	// secret not found in keyring
	// true <nil>
}

// A program that must run where there may be no keychain (a CI job, a
// container) can opt in to a fallback. The Store switches to it, with one
// logged warning, the first time the keychain is unavailable. A cache.File
// fallback should be wrapped with cache.NewSealed: it would otherwise
// store tokens in plaintext.
func ExampleNewWithOptions() {
	keyring.MockInitWithError(keyring.ErrUnsupportedPlatform) // no keychain here

	ctx := context.Background()
	store := keychain.NewWithOptions("my-cli", &keychain.Options{
		Fallback: &cache.Memory{},               // e.g. cache.NewSealed(fileCache, key)
		Logger:   slog.New(slog.DiscardHandler), // nil: slog.Default()
	})
	fmt.Println(store.Save(ctx, "k", []byte("token"), time.Time{}))
	data, err := store.Load(ctx, "k")
	fmt.Printf("%s %v\n", data, err)

	withoutFallback := keychain.New("my-cli")
	_, err = withoutFallback.Load(ctx, "k")
	fmt.Println(errors.Is(err, keychain.ErrUnavailable))
	// Output:
	// <nil>
	// token <nil>
	// true
}
