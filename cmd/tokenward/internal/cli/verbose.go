package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// redactedValue replaces secret values in verbose logs.
const redactedValue = "[REDACTED]"

// secretKeys are parameter and JSON field names whose values are secret.
var secretKeys = []string{
	"access_token", "refresh_token", "id_token", "client_secret", "password",
	"code", "code_verifier", "device_code", "assertion", "client_assertion", "token",
	"subject_token", "actor_token", "registration_access_token", "issued_token",
}

// secretHeaders are headers whose values are secret.
var secretHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
	"X-Api-Key": true, "Dpop": true,
}

var (
	keyAlt = strings.Join(secretKeys, "|")
	// formSecretRe matches key=value in form bodies and query strings.
	formSecretRe = regexp.MustCompile(`(^|[?&#;\s])(` + keyAlt + `)=([^&#\s]*)`)
	// jsonSecretRe matches "key": "value" (and unquoted scalars) in JSON.
	jsonSecretRe = regexp.MustCompile(`("(?:` + keyAlt + `)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)`)
)

// Redact replaces the values of secret parameters and JSON fields in s
// (a body, a URL or a query string) with [REDACTED].
func Redact(s string) string {
	s = formSecretRe.ReplaceAllString(s, "${1}${2}="+redactedValue)
	return jsonSecretRe.ReplaceAllString(s, `${1}"`+redactedValue+`"`)
}

// redactHeader returns the value of header name as it may be logged.
func redactHeader(name, value string) string {
	if !secretHeaders[http.CanonicalHeaderKey(name)] {
		return Redact(value)
	}
	if scheme, _, ok := strings.Cut(value, " "); ok && len(scheme) < 16 {
		return scheme + " " + redactedValue
	}
	return redactedValue
}

// maxLoggedBody bounds the body bytes a verbose log shows.
const maxLoggedBody = 4 << 10

// LoggingTransport is an http.RoundTripper that writes each exchange
// (method, URL, status, headers, bodies) to W with secrets redacted. It
// reads at most maxLoggedBody bytes of a response body ahead of the
// caller and gives them back unchanged.
type LoggingTransport struct {
	Base http.RoundTripper // nil means http.DefaultTransport
	W    io.Writer

	mu sync.Mutex // serialises writes to W
}

// RoundTrip logs req, sends it with Base, and logs the response.
func (t *LoggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", req.Method, Redact(req.URL.String()))
	writeHeaders(&b, "> ", req.Header)
	if req.Body != nil && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			data, _ := io.ReadAll(io.LimitReader(body, maxLoggedBody+1))
			body.Close()
			writeBody(&b, "> ", data)
		}
	}
	t.write(b.String())

	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	start := time.Now()
	resp, err := base.RoundTrip(req)
	if err != nil {
		t.write(fmt.Sprintf("< error after %s: %s\n", time.Since(start).Round(time.Millisecond), Redact(err.Error())))
		return nil, err
	}
	b.Reset()
	fmt.Fprintf(&b, "< %s %s (%s)\n", resp.Proto, resp.Status, time.Since(start).Round(time.Millisecond))
	writeHeaders(&b, "< ", resp.Header)
	if resp.Body != nil {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, maxLoggedBody+1))
		writeBody(&b, "< ", head)
		resp.Body = &prefixedBody{r: io.MultiReader(bytes.NewReader(head), resp.Body), c: resp.Body}
	}
	t.write(b.String())
	return resp, nil
}

func (t *LoggingTransport) write(s string) {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = safe(l)
	}
	s = strings.Join(lines, "\n") + "\n"
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.W, s)
}

// writeHeaders writes h sorted by name, secrets redacted.
func writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, redactHeader(k, v))
		}
	}
}

// writeBody writes a body excerpt, secrets redacted.
func writeBody(b *strings.Builder, prefix string, data []byte) {
	if len(data) == 0 {
		return
	}
	more := ""
	if len(data) > maxLoggedBody {
		data, more = data[:maxLoggedBody], " …(truncated)"
	}
	s := strings.ToValidUTF8(string(data), "?")
	b.WriteString(prefix + "\n")
	for _, line := range strings.Split(strings.TrimRight(Redact(s), "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	if more != "" {
		b.WriteString(prefix + more + "\n")
	}
}

// prefixedBody replays the logged head of a body, then the rest.
type prefixedBody struct {
	r io.Reader
	c io.Closer
}

func (p *prefixedBody) Read(b []byte) (int, error) { return p.r.Read(b) }
func (p *prefixedBody) Close() error               { return p.c.Close() }
