package client

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/hashicorp/go-retryablehttp"
)

// attemptAuth is a clientAuth whose credentials are made anew for every
// attempt, retries included: renew makes the ones the next apply sends.
// secrets returns every credential made, for the redactor.
type attemptAuth interface {
	clientAuth
	renew(ctx context.Context) error
	secrets() []string
}

// prepareKey carries, in a request's context, the function that the
// retry client's PrepareRetry calls before each retry of that request.
type prepareKey struct{}

// prepareRetry is the PrepareRetry of every retry client: it runs the
// request's own preparation, if any.
func prepareRetry(r *http.Request) error {
	if f, ok := r.Context().Value(prepareKey{}).(func(*http.Request) error); ok {
		return f(r)
	}
	return nil
}

// requestBody applies auth to params (which it may modify) and encodes
// the body. For an attemptAuth it makes fresh credentials first, and
// returns a context under which each retry renews them and re-encodes
// the body, so that no attempt replays a one-time assertion.
func (c *Config) requestBody(ctx context.Context, auth clientAuth, params url.Values) (context.Context, http.Header, any, string, error) {
	h := http.Header{}
	aa, ok := auth.(attemptAuth)
	if !ok {
		auth.apply(h, params)
		body, contentType := encodeBody(c.BodyFormat, params)
		return ctx, h, body, contentType, nil
	}
	base := cloneValues(params)
	if err := aa.renew(ctx); err != nil {
		return nil, nil, nil, "", err
	}
	aa.apply(h, params)
	cur, contentType := encodeBody(c.BodyFormat, params)
	var mu sync.Mutex
	body := retryablehttp.ReaderFunc(func() (io.Reader, error) {
		mu.Lock()
		defer mu.Unlock()
		return bytes.NewReader(cur), nil
	})
	prepare := func(r *http.Request) error {
		if err := aa.renew(r.Context()); err != nil {
			return err
		}
		p := cloneValues(base)
		rh := r.Header.Clone()
		aa.apply(rh, p)
		b, _ := encodeBody(c.BodyFormat, p)
		mu.Lock()
		cur = b
		mu.Unlock()
		r.Header = rh
		r.ContentLength = int64(len(b))
		return nil
	}
	return context.WithValue(ctx, prepareKey{}, prepare), h, body, contentType, nil
}

// withAttemptSecrets adds the credentials an attemptAuth made to red.
func withAttemptSecrets(red redactor, auth clientAuth) redactor {
	if aa, ok := auth.(attemptAuth); ok {
		return append(slices.Clip(red), aa.secrets()...)
	}
	return red
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
