package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/clock"
)

// deviceGrantType is the grant_type of device access token requests.
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Device flow polling intervals (RFC 8628 §3.2 and §3.5).
const (
	defaultDeviceInterval = 5 * time.Second
	slowDownStep          = 5 * time.Second
)

// clockOrReal is the time source of device polling: Config.clock (set by
// tests), else the real clock.
func (c *Config) clockOrReal() clock.Clock {
	if c.clock != nil {
		return c.clock
	}
	return clock.Real
}

// sleep waits for d on clk or until ctx is done, stopping the timer then.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	ch := make(chan struct{})
	t := clk.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

// DeviceAuth starts the device authorization grant (RFC 8628 §3.1): it
// returns the user code and verification URI to show the user. A
// confidential client authenticates this request like a token request.
func (c *Config) DeviceAuth(ctx context.Context, opts ...RequestOption) (*oauth2.DeviceAuthResponse, error) {
	endpoint, err := checkEndpoint("device authorization", c.endpointURL(endpointDevice))
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	if s := c.scope(); s != "" {
		v.Set("scope", s)
	}
	var da oauth2.DeviceAuthResponse
	k := &call{op: "device authorization", endpoint: "device_authorization", url: endpoint, params: apply(v, opts), policy: retrySafe}
	k.decode = func(a *answer) error {
		if err := json.Unmarshal(a.body, &da); err != nil {
			return responseError(a.resp, "device authorization response is not valid JSON", nil, nil)
		}
		if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
			return responseError(a.resp, "device authorization response lacks device_code, user_code or verification_uri", nil, nil)
		}
		return nil
	}
	if _, err := c.post(ctx, k); err != nil {
		return nil, err
	}
	if da.Interval < 0 || da.Interval > 3600 {
		da.Interval = 0
	}
	return &da, nil
}

// DeviceAccessToken polls the token endpoint until the user approves or
// denies the device authorization da, the device code expires, or ctx is
// done (RFC 8628 §3.4–3.5). authorization_pending keeps it polling and
// slow_down adds five seconds to the interval; access_denied and
// expired_token end it with an *oauth2.RetrieveError, and a code that
// expires locally ends it with ErrDeviceCodeExpired.
func (c *Config) DeviceAccessToken(ctx context.Context, da *oauth2.DeviceAuthResponse, opts ...RequestOption) (*oauth2.Token, error) {
	if da == nil || da.DeviceCode == "" {
		return nil, errors.New("client: DeviceAccessToken needs a device authorization response")
	}
	endpoint, err := c.tokenURL()
	if err != nil {
		return nil, err
	}
	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = defaultDeviceInterval
	}
	v := url.Values{"grant_type": {deviceGrantType}, "device_code": {da.DeviceCode}}
	k := &call{op: "device_code grant", endpoint: "token", url: endpoint, params: apply(v, opts), policy: retrySafe}
	clk := c.clockOrReal()
	for {
		if err := sleep(ctx, clk, interval); err != nil {
			return nil, err
		}
		if !da.Expiry.IsZero() && clk.Now().After(da.Expiry) {
			return nil, ErrDeviceCodeExpired
		}
		tok, err := c.token(ctx, k)
		if err == nil {
			return tok, nil
		}
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			return nil, err
		}
		switch re.ErrorCode {
		case "authorization_pending":
		case "slow_down":
			interval += slowDownStep
		default:
			if re.ErrorCode == "" && re.Response != nil && re.Response.StatusCode >= http.StatusInternalServerError {
				continue // a server hiccup: keep polling (the retry layer already waited)
			}
			return nil, err
		}
	}
}
