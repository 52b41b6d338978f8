package client

import (
	"github.com/tokenward/tokenward/internal/wire"
	"net/http"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
)

// Bounds of what a Config remembers.
const (
	maxMemoStyles   = 16 // endpoints × client IDs with a learned auth style
	maxRetryClients = 8  // base HTTP clients (Config's, or the context's) × policies
)

// shared is what a Config learns and builds as it is used: the
// authentication style that worked per endpoint, the DPoP nonce of each
// server, the default HTTP client
// and one retryablehttp client per base client and retry policy. It is
// created on first use and shared by the copies made after that (the
// sources copy their Config); a copy made before first use starts afresh.
type shared struct {
	mu      sync.Mutex
	styles  map[styleKey]oauth2.AuthStyle
	retry   map[retryKey]*retryablehttp.Client
	defHTTP *http.Client
	nonces  wire.NonceMemo[string] // DPoP nonce by authorization server origin

	// prepares holds, per request in flight, what its retries run first
	// (an attemptAuth's fresh credentials); see prepareRetry.
	prepares sync.Map // request context -> func(*http.Request) error
}

// prepareRetry is the PrepareRetry of every retry client s builds: it runs
// the preparation registered for the request, if any, keyed by the
// request's context, which is its own and which every retry keeps.
func (s *shared) prepareRetry(r *http.Request) error {
	if f, ok := s.prepares.Load(r.Context()); ok {
		return f.(func(*http.Request) error)(r)
	}
	return nil
}

type styleKey struct{ endpoint, clientID string }

type retryKey struct {
	base   *http.Client
	policy retryPolicy
}

// state returns c's shared state, creating it on first use. A Config is
// copied by value (and by String), so the state sits behind a pointer
// that is set once, atomically; no lock lives in Config itself.
func (c *Config) state() *shared {
	p := (*unsafe.Pointer)(unsafe.Pointer(&c.shared))
	if s := (*shared)(atomic.LoadPointer(p)); s != nil {
		return s
	}
	atomic.CompareAndSwapPointer(p, nil, unsafe.Pointer(new(shared)))
	return (*shared)(atomic.LoadPointer(p))
}

// style returns the remembered style for key.
func (s *shared) style(k styleKey) (oauth2.AuthStyle, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.styles[k]
	return st, ok
}

// rememberStyle records the style a 2xx answer accepted. The memo is
// bounded: when full, it starts over.
func (s *shared) rememberStyle(k styleKey, st oauth2.AuthStyle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.styles == nil || len(s.styles) >= maxMemoStyles {
		s.styles = map[styleKey]oauth2.AuthStyle{}
	}
	s.styles[k] = st
}

// forgetStyle drops what was learnt for k.
func (s *shared) forgetStyle(k styleKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.styles, k)
}

// retryClient returns the retryablehttp client for base (nil: the
// default client) and policy, built once.
func (s *shared) retryClient(base *http.Client, policy retryPolicy) *retryablehttp.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if base == nil {
		if s.defHTTP == nil {
			s.defHTTP = newDefaultHTTPClient()
		}
		base = s.defHTTP
	}
	k := retryKey{base, policy}
	if rc := s.retry[k]; rc != nil {
		return rc
	}
	if s.retry == nil || len(s.retry) >= maxRetryClients {
		s.retry = map[retryKey]*retryablehttp.Client{}
	}
	rc := newRetryClient(base, policy)
	rc.PrepareRetry = s.prepareRetry
	s.retry[k] = rc
	return rc
}
