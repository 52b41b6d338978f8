package dpop

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors returned by Proof for input it cannot put in a proof. The input
// itself is never part of the error.
var (
	// ErrInvalidTarget means the method is not an HTTP token, or the URL
	// is not an absolute http or https URL.
	ErrInvalidTarget = errors.New("dpop: invalid request target")
	// ErrInvalidNonce means a nonce does not satisfy ValidNonce.
	ErrInvalidNonce = errors.New("dpop: invalid nonce")
)

// MaxNonceLength is the longest server nonce, in bytes, that ValidNonce
// accepts and Proof puts in a proof. RFC 9449 sets no limit; servers send
// a few dozen bytes.
const MaxNonceLength = 1024

// maxTargetLength bounds the URL a proof may carry.
const maxTargetLength = 8192

// Proof returns a DPoP proof (RFC 9449 section 4.2) for an HTTP request with
// method to url, issued now. The proof is a compact JWS signed by the key,
// with a protected header of typ "dpop+jwt", the key's alg and its public
// jwk, and claims:
//
//   - jti: 128 random bits, unique to this proof;
//   - htm: method, which must be an HTTP method token such as "POST";
//   - htu: url without its query, fragment and user information, with the
//     scheme and host in lower case and a default port (443 for https, 80
//     for http) removed, the path kept as it is sent (an empty one is "/");
//   - iat: the current Unix time;
//   - ath: the base64url-encoded SHA-256 hash of accessToken, unless it is
//     empty (token requests carry none; resource requests must);
//   - nonce: the server-provided nonce, unless it is empty.
//
// Every call makes a new proof; a proof must never be sent twice. Proof does
// no I/O beyond the key's signer.
func (k *Key) Proof(method, url, accessToken, nonce string) (string, error) {
	return k.ProofAt(method, url, accessToken, nonce, time.Now())
}

// ProofAt is Proof with iat taken from iat instead of the current time, for
// callers that run on an injected clock or correct for a server's clock
// skew.
func (k *Key) ProofAt(method, url, accessToken, nonce string, iat time.Time) (string, error) {
	if !validMethod(method) {
		return "", fmt.Errorf("%w: the method is not an HTTP token", ErrInvalidTarget)
	}
	htu, err := targetURI(url)
	if err != nil {
		return "", err
	}
	if nonce != "" && !ValidNonce(nonce) {
		return "", fmt.Errorf("%w: a nonce is 1 to %d characters of RFC 9449's NQCHAR", ErrInvalidNonce, MaxNonceLength)
	}

	var jti [16]byte
	rand.Read(jti[:]) // never fails (crypto/rand)

	var buf [512]byte
	claims := append(buf[:0], `{"jti":"`...)
	claims = enc.AppendEncode(claims, jti[:])
	claims = append(claims, `","htm":"`...)
	claims = append(claims, method...)
	claims = append(claims, `","htu":`...)
	claims = appendJSONString(claims, htu)
	claims = append(claims, `,"iat":`...)
	claims = strconv.AppendInt(claims, iat.Unix(), 10)
	if accessToken != "" {
		ath := sha256.Sum256([]byte(accessToken))
		claims = append(claims, `,"ath":"`...)
		claims = enc.AppendEncode(claims, ath[:])
		claims = append(claims, '"')
	}
	if nonce != "" {
		claims = append(claims, `,"nonce":"`...)
		claims = append(claims, nonce...) // NQCHAR needs no JSON escaping
		claims = append(claims, '"')
	}
	claims = append(claims, '}')

	out := make([]byte, 0, len(k.header)+enc.EncodedLen(len(claims))+1+enc.EncodedLen(k.sigLen))
	out = append(out, k.header...)
	out = enc.AppendEncode(out, claims)
	sig, err := k.sign(out)
	if err != nil {
		return "", err
	}
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return string(out), nil
}

// ValidNonce reports whether nonce is a DPoP nonce that Proof accepts: 1 to
// MaxNonceLength characters of NQCHAR (RFC 9449 section 8.1: printable
// ASCII except the double quote and the backslash). A client checks a
// server's DPoP-Nonce header with it before remembering the value.
func ValidNonce(nonce string) bool {
	if nonce == "" || len(nonce) > MaxNonceLength {
		return false
	}
	for i := 0; i < len(nonce); i++ {
		if c := nonce[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

var enc = base64.RawURLEncoding

// validMethod reports whether m is an HTTP method token (RFC 9110 section
// 9.1).
func validMethod(m string) bool {
	if m == "" || len(m) > 64 {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// targetURI returns the htu of a request to raw (RFC 9449 section 4.2):
// scheme, host and path, normalised as RFC 3986 section 6.2.3 does for
// http and https (lower-case scheme and host, no default or empty port, an
// empty path as "/"), without user information, query or fragment. The
// path is kept as the request sends it, so that a server comparing the
// bytes and one normalising both sides agree.
func targetURI(raw string) (string, error) {
	if len(raw) > maxTargetLength {
		return "", fmt.Errorf("%w: the URL is longer than %d bytes", ErrInvalidTarget, maxTargetLength)
	}
	u, err := url.Parse(raw)
	if err != nil { // the url.Error would repeat the URL
		return "", fmt.Errorf("%w: the URL does not parse", ErrInvalidTarget)
	}
	scheme := strings.ToLower(u.Scheme)
	var defaultPort string
	switch scheme {
	case "https":
		defaultPort = "443"
	case "http":
		defaultPort = "80"
	default:
		return "", fmt.Errorf("%w: the URL is not an absolute http or https URL", ErrInvalidTarget)
	}
	hostname := strings.ToLower(u.Hostname())
	if u.Opaque != "" || hostname == "" {
		return "", fmt.Errorf("%w: the URL has no host", ErrInvalidTarget)
	}
	host := hostname
	if port := u.Port(); port != "" && port != defaultPort {
		host = net.JoinHostPort(hostname, port)
	} else if strings.IndexByte(hostname, ':') >= 0 { // IPv6
		host = "[" + hostname + "]"
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	htu := scheme + "://" + host + path
	if !utf8.ValidString(htu) {
		return "", fmt.Errorf("%w: the URL is not valid UTF-8", ErrInvalidTarget)
	}
	return htu, nil
}

// appendJSONString appends s, valid UTF-8, to b as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
