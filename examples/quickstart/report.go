package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/oauth2test"
)

// labelWidth aligns the details of every step.
const labelWidth = 22

// report prints the quick start's findings: a section per provider and a
// line per step, marked ✓ or ✗. It never prints a secret or a whole
// token; see redact.
type report struct {
	w      io.Writer
	steps  int
	failed int
}

// section starts the part of the report about provider p.
func (r *report) section(p provider) {
	title := "── " + p.name + " "
	fmt.Fprintf(r.w, "\n%s%s\n", title, strings.Repeat("─", max(3, 72-utf8.RuneCountInString(title))))
	fmt.Fprintf(r.w, "   %s\n", p.summary)
}

// ok records a step that went as documented.
func (r *report) ok(label, format string, args ...any) {
	r.steps++
	fmt.Fprintf(r.w, "  ✓ %-*s %s\n", labelWidth, label, fmt.Sprintf(format, args...))
}

// fail records a step that did not, and returns err for the caller to
// stop its section with.
func (r *report) fail(label string, err error) error {
	r.steps++
	r.failed++
	fmt.Fprintf(r.w, "  ✗ %-*s %v\n", labelWidth, label, err)
	return err
}

// summary prints the final tally.
func (r *report) summary() {
	if r.failed == 0 {
		fmt.Fprintf(r.w, "\n✓ all %d steps passed\n", r.steps)
		return
	}
	fmt.Fprintf(r.w, "\n✗ %d of %d steps failed\n", r.failed, r.steps)
}

// redact shows a token or other credential as a short prefix and its
// length, such as "eyJhbGciOi…(412 chars)": enough to tell tokens apart,
// never enough to use one.
func redact(s string) string {
	if s == "" {
		return "(none)"
	}
	n := utf8.RuneCountInString(s)
	prefix := []rune(s)[:min(10, n/4)]
	return string(prefix) + "…(" + strconv.Itoa(n) + " chars)"
}

// describe summarizes a token for the report.
func describe(tok *oauth2.Token) string {
	var b strings.Builder
	fmt.Fprintf(&b, "access %s · %s", redact(tok.AccessToken), strconv.Quote(tok.TokenType))
	if tok.ExpiresIn > 0 {
		fmt.Fprintf(&b, " · expires_in %d", tok.ExpiresIn)
	}
	if tok.RefreshToken == "" {
		b.WriteString(" · no refresh token")
	} else {
		b.WriteString(" · refresh " + redact(tok.RefreshToken))
	}
	return b.String()
}

// wire describes how a token request was sent: its content type and
// where the client credentials went.
func wire(req *oauth2test.Request) string {
	if req == nil {
		return "no token request seen"
	}
	return req.ContentType + " · " + credentialsIn(req)
}

// credentialsIn says where a token request carried the client
// credentials, without showing them.
func credentialsIn(req *oauth2test.Request) string {
	_, hasID := req.Params["client_id"]
	_, hasSecret := req.Params["client_secret"]
	switch {
	case req.UsedBasic && hasSecret:
		return "client credentials in Basic header AND body"
	case req.UsedBasic:
		return "client credentials in Basic header"
	case hasSecret:
		return "client_id + client_secret in body"
	case hasID:
		return "client_id in body, no secret"
	}
	return "no client credentials"
}
