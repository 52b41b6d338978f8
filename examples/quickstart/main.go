// Quickstart shows tokenward against the four providers it was born from,
// with no setup: it starts an embedded fake authorization server
// (package oauth2test) that plays each provider as its API document
// describes it, obtains tokens with every documented grant through
// client.Config, calls a protected resource through tokensource.NewClient,
// and prints a report of what went over the wire.
//
// It shows a token renewed after the server says it expired (401
// invalid_token, then a transparent renewal and retry), a rotating refresh
// token whose reuse the server refuses, and a scope error reaching the
// caller as a typed *oauth2.RetrieveError. Tokens appear only as short
// prefixes; secrets and passwords never appear.
//
// Run it with:
//
//	go run ./examples/quickstart
//
// It exits with status 1 if any step fails, so it doubles as a smoke test.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// quickstart holds what every step needs.
type quickstart struct {
	srv *oauth2test.Server
	rep *report
	// onToken, if set, sees every token obtained, so that tests can check
	// that none of them is printed.
	onToken func(*oauth2.Token)
}

// run starts the fake server, runs each provider's steps and writes the
// report to w. It returns an error if any step failed.
func run(ctx context.Context, w io.Writer, onToken func(*oauth2.Token)) error {
	srv := newServer()
	defer srv.Close()
	q := &quickstart{srv: srv, rep: &report{w: w}, onToken: onToken}

	fmt.Fprintf(w, "tokenward quickstart: an embedded oauth2test server at %s plays the seed providers\n", srv.URL)
	sections := []struct {
		p     provider
		steps func(context.Context, *client.Config) error
	}{
		{seed000, q.openForce},
		{seed001, q.passwordAndCode},
		{seed002, q.everyGrant},
		{seed003, q.officeRnD},
		{tv, q.device},
	}
	for _, s := range sections {
		q.rep.section(s.p)
		_ = s.steps(ctx, s.p.config(srv)) // the report shows the failure; carry on with the next provider
	}
	q.rep.summary()
	if q.rep.failed > 0 {
		return fmt.Errorf("%d of %d steps failed", q.rep.failed, q.rep.steps)
	}
	return nil
}

// seen passes a freshly obtained token to onToken and returns its
// arguments, so that it can wrap any call that obtains a token.
func (q *quickstart) seen(tok *oauth2.Token, err error) (*oauth2.Token, error) {
	if tok != nil && q.onToken != nil {
		q.onToken(tok)
	}
	return tok, err
}

// options returns source options whose OnRefresh reports every token to
// onToken and then calls then, if not nil.
func (q *quickstart) options(then func(context.Context, *oauth2.Token)) *tokensource.Options {
	return &tokensource.Options{OnRefresh: func(ctx context.Context, tok *oauth2.Token) {
		q.seen(tok, nil)
		if then != nil {
			then(ctx, tok)
		}
	}}
}
