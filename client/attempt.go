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

// requestBody applies auth to params (which it may modify) and encodes
// the body. For an attemptAuth it makes fresh credentials first, and
// returns the preparation that each retry runs (see shared.prepareRetry)
// to renew them and re-encode the body, so that no attempt replays a
// one-time assertion; otherwise prepare is nil.
func (c *Config) requestBody(ctx context.Context, auth clientAuth, params url.Values) (prepare func(*http.Request) error, _ http.Header, _ any, _ string, _ error) {
	h := http.Header{}
	aa, ok := auth.(attemptAuth)
	if !ok {
		auth.apply(h, params)
		body, contentType := encodeBody(c.BodyFormat, params)
		return nil, h, body, contentType, nil
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
	prepare = func(r *http.Request) error {
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
	return prepare, h, body, contentType, nil
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
