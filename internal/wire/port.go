package wire

import (
	"net/url"
	"strings"
)

// Port returns u's port, or its scheme's default (443 for https, 80 for
// http; "" for other schemes), so that origins compare as RFC 6454 §4
// says: an absent port is the scheme's default.
func Port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
