package tokensource

import "strings"

// Bounds on a hostile WWW-Authenticate header: parsing is linear in the
// input, which is cut at maxChallengeBytes, and stops after
// maxChallenges challenges of at most maxChallengeParams parameters.
const (
	maxChallengeBytes  = 8 << 10
	maxChallenges      = 16
	maxChallengeParams = 16
)

// invalidTokenChallenge reports whether WWW-Authenticate header values
// hold a Bearer or DPoP challenge with error="invalid_token" (RFC 6750
// §3, RFC 9449 §7.1).
func invalidTokenChallenge(values []string) bool {
	return hasChallenge(values, "invalid_token", true)
}

// hasChallenge reports whether WWW-Authenticate header values hold a DPoP
// (or, when bearer is set, a Bearer) challenge with error=code, reading
// at most maxChallengeBytes of them in all.
func hasChallenge(values []string, code string, bearer bool) bool {
	budget := maxChallengeBytes
	for _, v := range values {
		if budget <= 0 {
			return false
		}
		if len(v) > budget {
			v = v[:budget]
		}
		budget -= len(v)
		for _, ch := range parseChallenges(v) {
			scheme := strings.EqualFold(ch.scheme, "DPoP") || bearer && strings.EqualFold(ch.scheme, "Bearer")
			if scheme && ch.params["error"] == code {
				return true
			}
		}
	}
	return false
}

// challenge is one authentication challenge of a WWW-Authenticate header
// (RFC 9110 §11.6.1): a scheme and its auth-params, with lower-case
// parameter names.
type challenge struct {
	scheme string
	params map[string]string
}

// parseChallenges parses a WWW-Authenticate header value, which may hold
// several challenges. It is lenient: malformed parts are skipped, and it
// never fails. It reads at most maxChallengeBytes of s, in one pass.
func parseChallenges(s string) []challenge {
	if len(s) > maxChallengeBytes {
		s = s[:maxChallengeBytes]
	}
	var out []challenge
	p := parser{s: s}
	for len(out) < maxChallenges {
		p.skip(" \t,")
		if p.done() {
			return out
		}
		scheme := p.token()
		if scheme == "" {
			p.i++ // not a token character: skip it
			continue
		}
		ch := challenge{scheme: scheme, params: map[string]string{}}
		p.skip(" \t")
		// auth-params: name = value, separated by commas, until the next
		// scheme (a token not followed by '='). Backing up to save only
		// re-reads what the next challenge's scheme consumes.
		for !p.done() && len(ch.params) < maxChallengeParams {
			save := p.i
			p.skip(" \t,")
			name := p.token()
			p.skip(" \t")
			if name == "" || p.done() || p.s[p.i] != '=' {
				p.i = save // the next challenge's scheme, or junk
				break
			}
			p.i++ // '='
			p.skip(" \t")
			var val string
			if !p.done() && p.s[p.i] == '"' {
				val = p.quoted()
			} else {
				start := p.i
				p.token()
				for !p.done() && p.s[p.i] == '=' { // token68 padding
					p.i++
				}
				val = p.s[start:p.i]
			}
			ch.params[strings.ToLower(name)] = val
		}
		out = append(out, ch)
		// Skip anything up to the next comma if the parameter list ended
		// on an unexpected character.
		if !p.done() && p.s[p.i] != ',' && p.s[p.i] != ' ' && p.s[p.i] != '\t' {
			if j := strings.IndexByte(p.s[p.i:], ','); j >= 0 {
				p.i += j
			} else {
				p.i = len(p.s)
			}
		}
	}
	return out
}

type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) skip(chars string) {
	for !p.done() && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

// token reads an RFC 9110 token (tchar+, plus '/' for token68).
func (p *parser) token() string {
	start := p.i
	for !p.done() && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at '"', unescaping backslashes.
func (p *parser) quoted() string {
	var b strings.Builder
	p.i++ // opening quote
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch c {
		case '\\':
			if !p.done() {
				b.WriteByte(p.s[p.i])
				p.i++
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~/", c) >= 0
}
