package wire

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/dpop"
)

// The memo's nonce rule is dpop.ValidNonce's, and only one valid value
// is learnt.
func TestNonceMemoLearn(t *testing.T) {
	tests := map[string]http.Header{
		"valid":     {"Dpop-Nonce": {"abc-123"}},
		"two":       {"Dpop-Nonce": {"a", "b"}},
		"quote":     {"Dpop-Nonce": {`a"b`}},
		"space":     {"Dpop-Nonce": {"a b"}},
		"utf-8":     {"Dpop-Nonce": {"é"}},
		"long":      {"Dpop-Nonce": {strings.Repeat("n", MaxNonceLength+1)}},
		"longest":   {"Dpop-Nonce": {strings.Repeat("n", MaxNonceLength)}},
		"absent":    {},
		"empty":     {"Dpop-Nonce": {""}},
		"backslash": {"Dpop-Nonce": {`a\b`}},
	}
	for name, h := range tests {
		var n NonceMemo[string]
		vs := h.Values("DPoP-Nonce")
		want := len(vs) == 1 && dpop.ValidNonce(vs[0])
		if got := n.Learn("o", h, 4); got != want {
			t.Errorf("%s: Learn = %v; want %v", name, got, want)
		}
		if got := n.Get("o") != ""; got != want {
			t.Errorf("%s: remembered %v; want %v", name, got, want)
		}
	}
	if MaxNonceLength != dpop.MaxNonceLength {
		t.Errorf("MaxNonceLength = %d; dpop's is %d", MaxNonceLength, dpop.MaxNonceLength)
	}
}
