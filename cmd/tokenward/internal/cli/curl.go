package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenward/tokenward/internal/wire"
	"github.com/tokenward/tokenward/tokensource"
)

// curlOptions are the curl-like flags of 'tokenward curl'.
type curlOptions struct {
	method     string
	headers    []string
	data       []string // -d/--data: @file strips newlines, joined with &
	dataBinary []string // --data-binary: sent as is
	include    bool
	silent     bool
	fail       bool
	output     string
}

// newCurlCommand builds 'tokenward curl'.
func (a *App) newCurlCommand() *cobra.Command {
	var o curlOptions
	cmd := &cobra.Command{
		Use:   "curl URL",
		Short: "Send an authorized HTTP request and print the response",
		Long: `Send an HTTP request with the profile's access token (Authorization: Bearer)
and print the response body. A few curl flags are understood: -X, -H, -d/--data
(@file reads a file), --data-binary (@file, sent as is), -i, -s, -o, -f. A 401
invalid_token response is retried once with a fresh token. A redirect is
followed only within the request's origin (scheme, host and port), so the
token never goes to another server or from https to http. With -f/--fail
an HTTP error status (400 or more) prints no body and exits with 22, as
curl -f does.`,
		Example: `  tokenward curl -p acme https://api.example.com/v1/things
  tokenward curl -p acme -X POST -H 'Content-Type: application/json' -d '{"name":"x"}' https://api.example.com/v1/things
  tokenward curl -p acme --data-binary @payload.bin -o out.json -i https://api.example.com/upload`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.curl(cmd.Context(), args[0], &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.method, "request", "X", "", "HTTP method (default GET, or POST with data)")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "extra header 'Name: value' (repeatable)")
	f.StringArrayVarP(&o.data, "data", "d", nil, "request body; @file reads a file (repeatable, joined with &)")
	f.StringArrayVar(&o.dataBinary, "data-binary", nil, "request body sent as is; @file reads a file")
	f.BoolVarP(&o.include, "include", "i", false, "print the response status line and headers")
	f.BoolVarP(&o.silent, "silent", "s", false, "do not print the HTTP error note on stderr")
	f.StringVarP(&o.output, "output", "o", "", "write the body to this file instead of stdout")
	f.BoolVarP(&o.fail, "fail", "f", false, "exit 22 without printing the body on an HTTP status of 400 or more")
	return cmd
}

// buildCurlRequest makes the request the curl flags describe.
func buildCurlRequest(ctx context.Context, rawURL string, o *curlOptions, readFile func(string) ([]byte, error)) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usageError("%q is not an http(s) URL", rawURL)
	}
	var body []byte
	hasData := len(o.data) > 0 || len(o.dataBinary) > 0
	var parts [][]byte
	for _, d := range o.data {
		b, err := dataArg(d, readFile)
		if err != nil {
			return nil, err
		}
		parts = append(parts, bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil))
	}
	for _, d := range o.dataBinary {
		b, err := dataArg(d, readFile)
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	body = bytes.Join(parts, []byte("&"))
	method := strings.ToUpper(o.method)
	if method == "" {
		method = http.MethodGet
		if hasData {
			method = http.MethodPost
		}
	}
	var rd io.Reader
	if hasData {
		rd = bytes.NewReader(body) // NewRequest sets GetBody, so a 401 retry can replay it
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, usageError("bad request: %v", err)
	}
	if hasData {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "tokenward-curl")
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usageError("-H %q is not 'Name: value'", h)
		}
		if strings.EqualFold(k, "Authorization") {
			return nil, usageError("-H Authorization: tokenward sets it from the profile's token")
		}
		if strings.EqualFold(k, "Host") {
			req.Host = strings.TrimSpace(v)
			continue
		}
		req.Header.Set(k, strings.TrimSpace(v))
	}
	return req, nil
}

// dataArg returns a data flag's bytes, reading @file.
func dataArg(d string, readFile func(string) ([]byte, error)) ([]byte, error) {
	name, ok := strings.CutPrefix(d, "@")
	if !ok {
		return []byte(d), nil
	}
	var b []byte
	var err error
	if name == "-" {
		b, err = readFile("/dev/stdin")
	} else {
		b, err = readFile(name)
	}
	if err != nil {
		return nil, usageError("cannot read %s: %v", d, err)
	}
	return b, nil
}

// curl sends the request with the profile's token and prints the response.
func (a *App) curl(ctx context.Context, rawURL string, o *curlOptions) error {
	name, p, err := a.profile()
	if err != nil {
		return err
	}
	req, err := buildCurlRequest(ctx, rawURL, o, os.ReadFile)
	if err != nil {
		return err
	}
	// Make sure a token is at hand (logging in when interactive), then let
	// the transport use and renew it.
	if _, _, err := a.currentToken(ctx); err != nil {
		return err
	}
	src, err := a.tokenSource(ctx, name, p)
	if err != nil {
		return err
	}
	// The profile's transport presents its TLS client certificate, which a
	// certificate-bound token (RFC 8705) needs; DPoP proofs come from the
	// source's key.
	base, err := a.profileTransport(name, p)
	if err != nil {
		return err
	}
	hc := tokensource.NewClient(src)
	if t, ok := hc.Transport.(*tokensource.Transport); ok {
		t.Base = base
	}
	hc.CheckRedirect = curlRedirect
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	if o.fail && resp.StatusCode >= 400 {
		if o.include {
			writeResponseHead(a.Out, resp)
		}
		return &Error{Code: ExitHTTP, Profile: name, What: originOf(req.URL) + " answered " + resp.Status}
	}
	out := a.Out
	if o.output != "" && o.output != "-" {
		f, err := os.OpenFile(o.output, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return &Error{Code: ExitGeneric, What: "cannot write " + o.output + ": " + err.Error()}
		}
		defer f.Close()
		out = f
	}
	if o.include {
		writeResponseHead(a.Out, resp)
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode >= 400 && !o.silent {
		fmt.Fprintf(a.Err, "tokenward: profile %q: %s answered %s\n", name, originOf(req.URL), safe(resp.Status))
	}
	return nil
}

// curlRedirect is the redirect policy of 'tokenward curl': it follows a
// redirect within the first request's origin only, so the token never goes
// to another origin, nor from https to plain http; otherwise the redirect
// response itself is printed.
func curlRedirect(r *http.Request, via []*http.Request) error {
	if len(via) >= 10 || !sameOrigin(r.URL, via[0].URL) {
		return http.ErrUseLastResponse
	}
	return nil
}

// sameOrigin reports whether a and b have the same origin (RFC 6454):
// scheme, host and port, an absent port meaning the scheme's default.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && wire.Port(a) == wire.Port(b)
}

// originOf returns scheme://host[:port] of u, for messages: no path or
// query, which may hold secrets.
func originOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// writeResponseHead writes the status line and headers, like curl -i.
func writeResponseHead(w io.Writer, resp *http.Response) {
	fmt.Fprintf(w, "%s %s\r\n", safe(resp.Proto), safe(resp.Status))
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(w, "%s: %s\r\n", safe(k), safe(v))
		}
	}
	fmt.Fprint(w, "\r\n")
}
