package benchmarks

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

// Scenario 7: tokens for many users. 100,000 users in the store, 10,000
// resident: client.UserTokens (hashed keys, LRU of MaxResident sources)
// side by side with a naive manager (a map of sources behind a mutex, no
// bound). Targets: memory per resident user ≤ 2 KiB, 0 store queries
// per warm API call.

const (
	storedUsers   = 100_000
	residentUsers = 10_000
)

// userToken is an opaque token pair for user i: a 43-character access
// token (the size of 32 random bytes in base64url), a refresh token of the
// same size and a scope, valid for an hour.
func userToken(i int) *oauth2.Token {
	at := fmt.Sprintf("at-%040d", i)
	rt := fmt.Sprintf("rt-%040d", i)
	return (&oauth2.Token{AccessToken: at, TokenType: "Bearer", RefreshToken: rt, Expiry: time.Now().Add(time.Hour)}).
		WithExtra(map[string]any{"scope": "openid profile api.read"})
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func userID(i int) string { return "user-" + strconv.Itoa(i) + "@example.com" }

// countingStore counts the calls that reach a store.
type countingStore struct {
	tokensource.Cache
	loads, saves atomic.Int64
}

func (s *countingStore) Load(ctx context.Context, key string) ([]byte, error) {
	s.loads.Add(1)
	return s.Cache.Load(ctx, key)
}

func (s *countingStore) Save(ctx context.Context, key string, data []byte, exp time.Time) error {
	s.saves.Add(1)
	return s.Cache.Save(ctx, key, data, exp)
}

// userManager is what both implementations offer.
type userManager interface {
	Source(userID string) *tokensource.Cached
}

// naiveUsers is the manager apps write by hand: every user's source in
// a map behind a mutex, keyed by the raw user ID, never evicted.
type naiveUsers struct {
	conf  *client.Config
	store tokensource.Cache
	mu    sync.Mutex
	m     map[string]*tokensource.Cached
}

func (n *naiveUsers) Source(id string) *tokensource.Cached {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.m[id]
	if s == nil {
		s = n.conf.TokenSource(nil, &tokensource.Options{Cache: n.store, CacheKey: "naive-" + id, Logger: quietLogger()})
		n.m[id] = s
	}
	return s
}

func (n *naiveUsers) save(ctx context.Context, id string, tok *oauth2.Token) error {
	return tokensource.Save(ctx, n.store, "naive-"+id, tok)
}

func benchConfig() *client.Config {
	// The tokens are valid for an hour: the token endpoint is never called.
	return &client.Config{ClientID: "webapp", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: "http://127.0.0.1:1/token"}}
}

// newManagers fills a store with storedUsers users for each
// implementation and returns them with their stores.
func newManagers(tb testing.TB, store func() tokensource.Cache) map[string]struct {
	m     userManager
	store *countingStore
} {
	ctx := context.Background()
	out := map[string]struct {
		m     userManager
		store *countingStore
	}{}
	{
		st := &countingStore{Cache: store()}
		ut := benchConfig().UserTokens(st, &client.UserTokensOptions{MaxResident: residentUsers, Options: tokensource.Options{Logger: quietLogger()}})
		for i := range storedUsers {
			if err := ut.Save(ctx, userID(i), userToken(i)); err != nil {
				tb.Fatal(err)
			}
		}
		out["usertokens"] = struct {
			m     userManager
			store *countingStore
		}{ut, st}
	}
	{
		st := &countingStore{Cache: store()}
		n := &naiveUsers{conf: benchConfig(), store: st, m: map[string]*tokensource.Cached{}}
		for i := range storedUsers {
			if err := n.save(ctx, userID(i), userToken(i)); err != nil {
				tb.Fatal(err)
			}
		}
		out["naive"] = struct {
			m     userManager
			store *countingStore
		}{n, st}
	}
	return out
}

// warm loads users [0, residentUsers) into m.
func warm(tb testing.TB, m userManager) {
	ctx := context.Background()
	for i := range residentUsers {
		if _, err := m.Source(userID(i)).TokenContext(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

func memoryStore() tokensource.Cache { return &cache.Memory{} }

// BenchmarkUserTokens measures, per implementation: a warm Source lookup
// and token read (serial and parallel), a warm API call and the store
// queries it makes, and a cold load from the store.
func BenchmarkUserTokens(b *testing.B) {
	impls := newManagers(b, memoryStore)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer api.Close()
	for _, name := range []string{"usertokens", "naive"} {
		im := impls[name]
		warm(b, im.m)
		ctx := context.Background()
		b.Run("impl="+name+"/op=warm-source", func(b *testing.B) {
			ids := residentIDs()
			i := 0
			for b.Loop() {
				if _, err := im.m.Source(ids[i&(len(ids)-1)]).TokenContext(ctx); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("impl="+name+"/op=warm-source-parallel", func(b *testing.B) {
			ids := residentIDs()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(ids))
				for pb.Next() {
					if _, err := im.m.Source(ids[i&(len(ids)-1)]).TokenContext(ctx); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
		b.Run("impl="+name+"/op=warm-api-call", func(b *testing.B) {
			ids := residentIDs()
			clients := make([]*http.Client, len(ids))
			for i, id := range ids {
				clients[i] = clientFor(im.m, id)
			}
			loads := im.store.loads.Load()
			i, n := 0, 0
			for b.Loop() {
				resp, err := clients[i&(len(ids)-1)].Get(api.URL)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				i++
				n++
			}
			b.ReportMetric(float64(im.store.loads.Load()-loads)/float64(n), "store-queries/call")
		})
		b.Run("impl="+name+"/op=cold-load", func(b *testing.B) {
			// Users beyond the resident ones, each loaded once from the
			// store (UserTokens evicts as it goes; the naive map grows).
			next := residentUsers
			for b.Loop() {
				if next == storedUsers {
					b.StopTimer()
					next = residentUsers
					if n, ok := im.m.(*naiveUsers); ok {
						n.mu.Lock()
						clear(n.m) // or its users would be warm from now on
						n.mu.Unlock()
					}
					b.StartTimer()
				}
				if _, err := im.m.Source(userID(next)).TokenContext(ctx); err != nil {
					b.Fatal(err)
				}
				next++
			}
		})
	}
}

// residentIDs returns 8192 (a power of two) of the resident users, in a
// random order.
func residentIDs() []string {
	ids := make([]string, 8192)
	for i := range ids {
		ids[i] = userID(rand.IntN(residentUsers))
	}
	return ids
}

func clientFor(m userManager, id string) *http.Client {
	if ut, ok := m.(*client.UserTokens); ok {
		return ut.Client(id)
	}
	return tokensource.NewClient(m.Source(id))
}

// BenchmarkUserTokensMemory measures the heap that residentUsers warm
// users take in each implementation, beyond the store's own bytes.
func BenchmarkUserTokensMemory(b *testing.B) {
	for _, name := range []string{"usertokens", "naive"} {
		b.Run("impl="+name, func(b *testing.B) {
			ctx := context.Background()
			var perUser float64
			for b.Loop() {
				b.StopTimer()
				st := &countingStore{Cache: &cache.Memory{}}
				var m userManager
				var save func(id string, tok *oauth2.Token) error
				if name == "usertokens" {
					ut := benchConfig().UserTokens(st, &client.UserTokensOptions{MaxResident: residentUsers, Options: tokensource.Options{Logger: quietLogger()}})
					m, save = ut, func(id string, tok *oauth2.Token) error { return ut.Save(ctx, id, tok) }
				} else {
					n := &naiveUsers{conf: benchConfig(), store: st, m: map[string]*tokensource.Cached{}}
					m, save = n, func(id string, tok *oauth2.Token) error { return n.save(ctx, id, tok) }
				}
				for i := range residentUsers {
					if err := save(userID(i), userToken(i)); err != nil {
						b.Fatal(err)
					}
				}
				before := heapInUse()
				b.StartTimer()
				warm(b, m)
				b.StopTimer()
				after := heapInUse()
				perUser = float64(after-before) / residentUsers
				runtime.KeepAlive(m)
				runtime.KeepAlive(st)
				b.StartTimer()
			}
			b.ReportMetric(perUser, "B/resident-user")
		})
	}
}

// heapInUse is the live heap marked by a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
