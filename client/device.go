package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// deviceGrantType is the grant_type of device access token requests.
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Device flow polling intervals (RFC 8628 §3.2 and §3.5).
const (
	defaultDeviceInterval = 5 * time.Second
	slowDownStep          = 5 * time.Second
)

// sleep waits for d or until ctx is done; tests replace it.
var sleep = func(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// now is the clock of the device flow; tests replace it.
var now = time.Now

// DeviceAuth starts the device authorization grant (RFC 8628 §3.1): it
// returns the user code and verification URI to show the user. A
// confidential client authenticates this request like a token request.
func (c *Config) DeviceAuth(ctx context.Context, opts ...RequestOption) (*oauth2.DeviceAuthResponse, error) {
	endpoint, err := checkEndpoint("device authorization", c.Endpoint.DeviceAuthURL)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	if s := c.scope(); s != "" {
		v.Set("scope", s)
	}
	k := call{op: "device authorization", endpoint: endpoint, params: apply(v, opts), policy: retrySafe}
	body, resp, red, err := c.send(ctx, k)
	if err != nil {
		return nil, err
	}
	fields, _ := decodeFields(resp, body)
	if code, _ := fields["error"].(string); code != "" || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, retrieveError(k.op, resp, body, fields, red)
	}
	var da oauth2.DeviceAuthResponse
	if err := json.Unmarshal(body, &da); err != nil {
		return nil, responseError(resp, "device authorization response is not valid JSON", nil, nil)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, responseError(resp, "device authorization response lacks device_code, user_code or verification_uri", nil, nil)
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
	k := call{op: "device_code grant", endpoint: endpoint, params: apply(v, opts), policy: retrySafe}
	for {
		if err := sleep(ctx, interval); err != nil {
			return nil, err
		}
		if !da.Expiry.IsZero() && now().After(da.Expiry) {
			return nil, ErrDeviceCodeExpired
		}
		tok, err := c.do(ctx, k)
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
