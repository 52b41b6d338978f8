package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/tokensource"
)

func ExampleMemory() {
	var mem cache.Memory // the zero value is ready
	src := tokensource.New(tokensource.FromOAuth2(staticSource("abc")), &tokensource.Options{Cache: &mem, CacheKey: "my-api"})
	tok, _ := src.TokenContext(context.Background())
	stored, _ := mem.Load(context.Background(), "my-api")
	fmt.Println(tok.AccessToken, len(stored) > 0)
	// Output: abc true
}

func ExampleNewFile() {
	dir, _ := os.MkdirTemp("", "tokens")
	defer os.RemoveAll(dir)
	files, err := cache.NewFile(dir) // 0600 files in a 0700 directory
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	files.Save(ctx, "my-api", []byte("encoded token"), time.Now().Add(time.Hour))
	data, _ := files.Load(ctx, "my-api")
	fmt.Println(string(data))
	// Output: encoded token
}

func ExampleNewSealed() {
	key := bytes.Repeat([]byte{0x42}, 32) // keep real keys in a keychain or secret manager
	var mem cache.Memory
	sealed, err := cache.NewSealed(&mem, key)
	if err != nil {
		panic(err)
	}
	src := tokensource.New(tokensource.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-access-token"})),
		&tokensource.Options{Cache: sealed, CacheKey: "my-api"})
	src.TokenContext(context.Background())
	raw, _ := mem.Load(context.Background(), "my-api")
	fmt.Println("plaintext in the cache:", bytes.Contains(raw, []byte("secret-access-token")))
	// Output: plaintext in the cache: false
}
