package wire

import (
	"net/http"
	"sync"
)

// MaxNonceLength caps a DPoP-Nonce header value that is remembered; a
// longer one is ignored.
const MaxNonceLength = 1024

// NonceMemo is the last DPoP nonce (RFC 9449 §8 and §9) learnt from each
// server, keyed by K (an origin). The zero value is ready to use; it is
// safe for concurrent use.
type NonceMemo[K comparable] struct {
	mu sync.Mutex
	m  map[K]string
}

// Get returns the nonce last learnt for k, or "".
func (n *NonceMemo[K]) Get(k K) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[k]
}

// Learn remembers the nonce of h's DPoP-Nonce header for k if the header
// holds exactly one valid nonce (at most MaxNonceLength NQCHARs; anything
// else is ignored), and reports whether it differs from the one known. The
// memo holds at most max keys: when full, it starts over.
func (n *NonceMemo[K]) Learn(k K, h http.Header, max int) bool {
	vs := h.Values("DPoP-Nonce")
	if len(vs) != 1 || !validNonce(vs[0]) {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m[k] == vs[0] {
		return false
	}
	if n.m == nil || len(n.m) >= max {
		n.m = make(map[K]string)
	}
	n.m[k] = vs[0]
	return true
}

// Len returns how many keys the memo holds.
func (n *NonceMemo[K]) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.m)
}

// validNonce reports whether s is a nonce RFC 9449 §8 allows: 1 or more
// NQCHARs (%x21 / %x23-5B / %x5D-7E), capped at MaxNonceLength. Package
// dpop has the same rule as dpop.ValidNonce; tokensource must not import
// it.
func validNonce(s string) bool {
	if s == "" || len(s) > MaxNonceLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
