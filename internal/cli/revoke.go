package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

// revoke revokes token (of the given type hint) at the RFC 7009
// revocation endpoint, authenticating the client as the profile says.
// RFC 7009 requires a form body; a profile with JSON bodies sends JSON,
// as such providers expect it everywhere.
func revoke(ctx context.Context, conf *client.Config, endpoint, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	basic := conf.ClientSecret != "" && conf.Endpoint.AuthStyle != oauth2.AuthStyleInParams
	if !basic {
		form.Set("client_id", conf.ClientID)
		if conf.ClientSecret != "" {
			form.Set("client_secret", conf.ClientSecret)
		}
	}
	body, contentType := []byte(form.Encode()), "application/x-www-form-urlencoded"
	if conf.BodyFormat == client.JSONBody {
		m := map[string]string{}
		for k := range form {
			m[k] = form.Get(k)
		}
		body, _ = json.Marshal(m)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if basic {
		req.SetBasicAuth(url.QueryEscape(conf.ClientID), url.QueryEscape(conf.ClientSecret))
	}
	hc := conf.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	json.Unmarshal(data, &e)
	// RFC 7009 §2.2.1: unsupported_token_type means the server does not
	// revoke this kind of token; it is not a failure of the logout.
	if e.Code == "unsupported_token_type" {
		return nil
	}
	if e.Code != "" {
		return &oauth2.RetrieveError{Response: resp, Body: data, ErrorCode: e.Code, ErrorDescription: e.Description}
	}
	return &Error{Code: ExitAuth, What: fmt.Sprintf("revocation endpoint answered HTTP %d: %s", resp.StatusCode, oneLine(Redact(string(data)), 160))}
}
