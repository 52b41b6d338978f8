package client

import (
	"encoding/json"
	"net/url"
	"strings"
)

// redactor removes known secret values from text that may echo them.
type redactor []string

const redacted = "[REDACTED]"

func (r redactor) String(s string) string {
	for _, sec := range r {
		if sec == "" {
			continue
		}
		for _, form := range echoes(sec) {
			if len(sec) < minSecretLen {
				s = replaceWhole(s, form)
			} else {
				s = strings.ReplaceAll(s, form, redacted)
			}
		}
	}
	return s
}

// minSecretLen is the shortest secret replaced wherever it occurs; a
// shorter one is replaced only where it stands alone (see replaceWhole),
// so that redacting "ab" does not mangle every word holding it.
const minSecretLen = 4

// echoes returns the forms in which a server may echo sec: as sent,
// JSON-escaped and percent-encoded (query and path style, either hex
// case).
func echoes(sec string) []string {
	forms := []string{sec}
	add := func(f string) {
		for _, g := range forms {
			if g == f {
				return
			}
		}
		forms = append(forms, f)
	}
	if j, err := json.Marshal(sec); err == nil {
		add(string(j[1 : len(j)-1]))
	}
	q := url.QueryEscape(sec)
	add(q)
	add(lowerHex(q))
	p := url.PathEscape(sec)
	add(p)
	add(lowerHex(p))
	return forms
}

// lowerHex lowercases the hex digits of percent escapes.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lower(b[i+1]), lower(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// replaceWhole replaces the occurrences of sec that are a whole value:
// not preceded by a letter, digit or one of "-._~+/%", and not followed
// by one of those or "=" (base64 padding); "=" before it separates a key
// from its value.
func replaceWhole(s, sec string) string {
	var b strings.Builder
	for from := 0; ; {
		i := strings.Index(s[from:], sec)
		if i < 0 {
			b.WriteString(s[from:])
			return b.String()
		}
		i += from
		end := i + len(sec)
		whole := (i == 0 || !valueByte(s[i-1])) && (end == len(s) || !valueByte(s[end]) && s[end] != '=')
		b.WriteString(s[from:i])
		if whole {
			b.WriteString(redacted)
		} else {
			b.WriteString(sec)
		}
		from = end
	}
}

func valueByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/%", c) >= 0
}

func (r redactor) Bytes(b []byte) []byte {
	return []byte(r.String(string(b)))
}

// excerpt returns a short, printable, redacted start of body.
func excerpt(body []byte, r redactor) string {
	const max = 160
	s := strings.TrimSpace(scrubTokens(r.String(string(body))))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// tokenMembers are response members whose values are credentials.
var tokenMembers = [...]string{"access_token", "refresh_token", "id_token"}

// scrubTokens replaces the values of token members in a body that is
// quoted in an error, JSON ("access_token": "...") or form-encoded
// (access_token=...), even when the body is truncated and could not be
// parsed, so that a cut-short token response cannot leak its tokens.
func scrubTokens(s string) string {
	for _, k := range tokenMembers {
		for from := 0; from < len(s); {
			i := strings.Index(s[from:], k)
			if i < 0 {
				break
			}
			i += from
			from = i + len(k)
			j := from
			if j < len(s) && s[j] == '"' { // JSON member name
				j = skipSpace(s, j+1)
				if j >= len(s) || s[j] != ':' {
					continue
				}
				j = skipSpace(s, j+1)
				if j >= len(s) || s[j] != '"' {
					continue
				}
				start := j + 1
				end := start
				for end < len(s) && s[end] != '"' {
					if s[end] == '\\' {
						end++
					}
					end++
				}
				end = min(end, len(s))
				s = s[:start] + redacted + s[end:]
				from = start + len(redacted)
			} else if j < len(s) && s[j] == '=' { // form parameter
				start := j + 1
				end := start
				for end < len(s) && s[end] != '&' && s[end] != ' ' && s[end] != '\n' {
					end++
				}
				s = s[:start] + redacted + s[end:]
				from = start + len(redacted)
			}
		}
	}
	return s
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// secretParams are request parameters whose values never appear in errors.
var secretParams = [...]string{"client_secret", "password", "code", "code_verifier", "refresh_token", "device_code", "assertion", "client_assertion", "token", "subject_token", "actor_token"}

// redactor returns a redactor for the secrets of this config and params.
func (c *Config) redactor(params url.Values) redactor {
	r := redactor{c.ClientSecret}
	if c.ClientSecret != "" { // the HTTP Basic credentials, which a server may echo
		r = append(r, basicCredentials(c.ClientID, c.ClientSecret))
	}
	for _, k := range secretParams {
		if v := params.Get(k); v != "" {
			r = append(r, v)
		}
	}
	return r
}
