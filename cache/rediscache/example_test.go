package rediscache_test

import (
	"context"
	"errors"
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

// Example_sentinel shares tokens through a Sentinel-managed primary. By
// default every lock and Save waits until a replica has it, so a failover
// loses neither; a write that no replica acknowledged in time is an error
// matching ErrNotReplicated.
func Example_sentinel() {
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            "tokens",
		SentinelAddrs:         []string{"127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"},
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()
	store := rediscache.New(rdb, &rediscache.Options{ReplicaTimeout: 500 * time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := store.Save(ctx, "my-client", []byte(`{"v":1}`), time.Time{})
	var re *rediscache.ReplicationError
	switch {
	case errors.As(err, &re):
		// The primary has the write, no replica does yet: keep the token,
		// keep the lock, and save again.
		fmt.Printf("only %d of %d replicas within %v\n", re.Got, re.Want, re.Timeout)
	case err != nil:
		fmt.Println(err)
	}
}
