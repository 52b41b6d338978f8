package tokensource

import "strings"

// invalidTokenChallenge reports whether WWW-Authenticate header values
// hold a Bearer or DPoP challenge with error="invalid_token" (RFC 6750
// §3, RFC 9449 §7.1).
func invalidTokenChallenge(values []string) bool {
	for _, v := range values {
		for _, ch := range ParseChallenges(v) {
			if (strings.EqualFold(ch.Scheme, "Bearer") || strings.EqualFold(ch.Scheme, "DPoP")) && ch.Params["error"] == "invalid_token" {
				return true
			}
		}
	}
	return false
}

// Challenge is one authentication challenge of a WWW-Authenticate header
// (RFC 9110 §11.6.1): a scheme and its auth-params, with lower-case
// parameter names.
type Challenge struct {
	Scheme string
	Params map[string]string
}

// ParseChallenges parses a WWW-Authenticate header value, which may hold
// several challenges. It is lenient: malformed parts are skipped, and it
// never fails.
func ParseChallenges(s string) []Challenge {
	var out []Challenge
	p := parser{s: s}
	for {
		p.skip(" \t,")
		if p.done() {
			return out
		}
		scheme := p.token()
		if scheme == "" {
			p.i++ // not a token character: skip it
			continue
		}
		ch := Challenge{Scheme: scheme, Params: map[string]string{}}
		p.skip(" \t")
		// auth-params: name = value, separated by commas, until the next
		// scheme (a token not followed by '=').
		for !p.done() {
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
				val = p.token()
				for !p.done() && p.s[p.i] == '=' { // token68 padding
					val += "="
					p.i++
				}
			}
			ch.Params[strings.ToLower(name)] = val
		}
		out = append(out, ch)
		// Skip anything up to the next comma if the parameter list ended
		// on an unexpected character.
		if !p.done() && p.s[p.i] != ',' && p.s[p.i] != ' ' && p.s[p.i] != '\t' {
			for !p.done() && p.s[p.i] != ',' {
				p.i++
			}
		}
	}
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
