package rediscache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenward/tokenward/cache/rediscache"
)

// Example stores an entry in a Redis server on localhost. It needs a
// running server, so it has no checked output.
func Example() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		ContextTimeoutEnabled: true, // a hung server cannot outlast a call's context
	})
	defer rdb.Close()

	store := rediscache.New(rdb, &rediscache.Options{Prefix: "myapp:tokens:"})

	// Normally tokensource.Options{Cache: store} does this; the bytes are
	// tokensource's encoded token.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := store.Save(ctx, "my-client", []byte(`{"v":1}`), time.Now().Add(time.Hour)); err != nil {
		fmt.Println(err)
		return
	}
	data, err := store.Load(ctx, "my-client")
	fmt.Println(string(data), err)
}
