package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// ClientMetadata is what a client asks to be registered with (RFC 7591
// section 2). Extra holds members this type does not name; it must not
// repeat them.
type ClientMetadata struct {
	RedirectURIs            []string        `json:"redirect_uris,omitempty"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string        `json:"grant_types,omitempty"`
	ResponseTypes           []string        `json:"response_types,omitempty"`
	ClientName              string          `json:"client_name,omitempty"`
	ClientURI               string          `json:"client_uri,omitempty"`
	LogoURI                 string          `json:"logo_uri,omitempty"`
	Scope                   string          `json:"scope,omitempty"`
	Contacts                []string        `json:"contacts,omitempty"`
	TOSURI                  string          `json:"tos_uri,omitempty"`
	PolicyURI               string          `json:"policy_uri,omitempty"`
	JWKSURI                 string          `json:"jwks_uri,omitempty"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	SoftwareID              string          `json:"software_id,omitempty"`
	SoftwareVersion         string          `json:"software_version,omitempty"`
	SoftwareStatement       string          `json:"software_statement,omitempty"`
	ApplicationType         string          `json:"application_type,omitempty"` // OpenID Connect: "web" or "native"

	Extra map[string]any `json:"-"`
}

// MarshalJSON encodes m with its Extra members. An empty but non-nil
// RedirectURIs, GrantTypes or ResponseTypes is sent as [] (a client
// without redirects says so), a nil one not at all.
func (m ClientMetadata) MarshalJSON() ([]byte, error) {
	type plain ClientMetadata
	b, err := json.Marshal(plain(m))
	if err != nil {
		return nil, err
	}
	empty := map[string]bool{
		"redirect_uris":  m.RedirectURIs != nil && len(m.RedirectURIs) == 0,
		"grant_types":    m.GrantTypes != nil && len(m.GrantTypes) == 0,
		"response_types": m.ResponseTypes != nil && len(m.ResponseTypes) == 0,
	}
	if len(m.Extra) == 0 && !empty["redirect_uris"] && !empty["grant_types"] && !empty["response_types"] {
		return b, nil
	}
	var all map[string]any
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, e := range empty {
		if e {
			all[k] = []string{}
		}
	}
	for k, v := range m.Extra {
		if _, dup := all[k]; !dup {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// Registration is a registered client (RFC 7591 section 3.2.1): its
// credentials, what the server registered (which may differ from what
// was asked), and, for RFC 7592 management, RegistrationAccessToken and
// RegistrationClientURI.
type Registration struct {
	ClientID              string
	ClientSecret          string
	ClientIDIssuedAt      time.Time // zero if not sent
	ClientSecretExpiresAt time.Time // zero: the secret does not expire
	// RegistrationAccessToken authorizes Read, Update and Delete at
	// RegistrationClientURI (RFC 7592). It is a credential.
	RegistrationAccessToken string
	RegistrationClientURI   string
	Metadata                ClientMetadata
	// Raw is the response as the server sent it; it holds the secrets.
	Raw json.RawMessage
}

// String describes r without its secrets.
func (r Registration) String() string {
	return "client.Registration{ClientID: " + r.ClientID + ", RegistrationClientURI: " + r.RegistrationClientURI + "}"
}

// GoString describes r without its secrets, for %#v.
func (r Registration) GoString() string { return r.String() }

// ErrNoClientID is matched by errors for a registration answer without
// a client_id.
var ErrNoClientID = errors.New("client: registration response has no client_id")

const registrationEndpoint = "client registration"

// Register registers a client at the RFC 7591 registrationURL (from
// Metadata.RegistrationEndpoint). hc sends the request; nil means a
// default client with a 30 s timeout; to send an initial access token,
// give hc a transport that adds it (tokensource.Transport). The URL must
// be https (http only on loopback); redirects are not followed, the
// answer is capped at 1 MiB. An RFC 7591 error is an
// *oauth2.RetrieveError (invalid_redirect_uri, invalid_client_metadata,
// ...).
func Register(ctx context.Context, registrationURL string, md *ClientMetadata, hc *http.Client) (*Registration, error) {
	if md == nil {
		md = &ClientMetadata{}
	}
	return registrationRequest(ctx, http.MethodPost, registrationURL, "", md, hc)
}

// Read fetches the client's current registration (RFC 7592 section 2.1).
func (r *Registration) Read(ctx context.Context, hc *http.Client) (*Registration, error) {
	if err := r.manageable(); err != nil {
		return nil, err
	}
	return registrationRequest(ctx, http.MethodGet, r.RegistrationClientURI, r.RegistrationAccessToken, nil, hc)
}

// Update replaces the client's metadata with md (RFC 7592 section 2.2);
// client_id (and client_secret, if r has one) are sent as the RFC
// requires.
func (r *Registration) Update(ctx context.Context, md *ClientMetadata, hc *http.Client) (*Registration, error) {
	if err := r.manageable(); err != nil {
		return nil, err
	}
	body := ClientMetadata{}
	if md != nil {
		body = *md
	}
	extra := map[string]any{"client_id": r.ClientID}
	if r.ClientSecret != "" {
		extra["client_secret"] = r.ClientSecret
	}
	for k, v := range body.Extra {
		extra[k] = v
	}
	body.Extra = extra
	return registrationRequest(ctx, http.MethodPut, r.RegistrationClientURI, r.RegistrationAccessToken, body, hc)
}

// Delete deregisters the client (RFC 7592 section 2.3).
func (r *Registration) Delete(ctx context.Context, hc *http.Client) error {
	if err := r.manageable(); err != nil {
		return err
	}
	if _, err := checkEndpoint("registration client", r.RegistrationClientURI); err != nil {
		return err
	}
	resp, err := doJSON(ctx, noRedirectClient(hc, false), http.MethodDelete, r.RegistrationClientURI, r.RegistrationAccessToken, nil)
	if err != nil {
		return &ConfigError{Field: "registration client URI", Reason: "request failed", Err: err}
	}
	if resp.status != http.StatusNoContent && resp.status != http.StatusOK {
		return registrationError(resp)
	}
	return nil
}

func (r *Registration) manageable() error {
	if r.RegistrationClientURI == "" || r.RegistrationAccessToken == "" {
		return &ConfigError{Field: "registration", Reason: "has no registration_client_uri or registration_access_token (RFC 7592)"}
	}
	return nil
}

func registrationRequest(ctx context.Context, method, rawURL, bearer string, body any, hc *http.Client) (*Registration, error) {
	if _, err := checkEndpoint("registration", rawURL); err != nil {
		return nil, err
	}
	resp, err := doJSON(ctx, noRedirectClient(hc, false), method, rawURL, bearer, body)
	if err != nil {
		return nil, &ConfigError{Field: "registration URL", Reason: "request failed", Err: err}
	}
	if resp.status < 200 || resp.status > 299 { // want, or another 2xx: some servers answer 200 to a POST
		return nil, registrationError(resp)
	}
	return parseRegistration(resp.status, resp.body)
}

// registrationError returns the RFC 7591 section 3.2.2 error of a
// non-success answer as an *oauth2.RetrieveError.
func registrationError(resp *plainResponse) error {
	re := &oauth2.RetrieveError{
		Response: &http.Response{StatusCode: resp.status, Header: resp.header},
		Body:     resp.body,
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(resp.body, &e) == nil {
		re.ErrorCode, re.ErrorDescription = e.Error, e.Description
	}
	if re.ErrorCode == "" {
		re.Body = nil // not an RFC 7591 error: keep the body out of the message
		return &InvalidResponseError{Endpoint: registrationEndpoint, StatusCode: resp.status, Reason: "HTTP " + http.StatusText(resp.status)}
	}
	return re
}

// parseRegistration parses a client information response.
func parseRegistration(status int, body []byte) (*Registration, error) {
	var r struct {
		ClientMetadata
		ClientID                string   `json:"client_id"`
		ClientSecret            string   `json:"client_secret"`
		ClientIDIssuedAt        *float64 `json:"client_id_issued_at"`
		ClientSecretExpiresAt   *float64 `json:"client_secret_expires_at"`
		RegistrationAccessToken string   `json:"registration_access_token"`
		RegistrationClientURI   string   `json:"registration_client_uri"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, &InvalidResponseError{Endpoint: registrationEndpoint, StatusCode: status, Reason: "not a JSON object of the expected members"}
	}
	if r.ClientID == "" {
		return nil, &InvalidResponseError{Endpoint: registrationEndpoint, StatusCode: status, Reason: "no client_id", Err: ErrNoClientID}
	}
	if r.RegistrationClientURI != "" {
		if _, err := checkEndpoint("registration client", r.RegistrationClientURI); err != nil {
			return nil, err
		}
	}
	reg := &Registration{
		ClientID: r.ClientID, ClientSecret: r.ClientSecret,
		RegistrationAccessToken: r.RegistrationAccessToken, RegistrationClientURI: r.RegistrationClientURI,
		Metadata: r.ClientMetadata, Raw: json.RawMessage(body),
	}
	if r.ClientIDIssuedAt != nil && *r.ClientIDIssuedAt > 0 && *r.ClientIDIssuedAt < 1e11 { // NumericDate; absurd values ignored
		reg.ClientIDIssuedAt = time.Unix(int64(*r.ClientIDIssuedAt), 0)
	}
	if r.ClientSecretExpiresAt != nil && *r.ClientSecretExpiresAt > 0 && *r.ClientSecretExpiresAt < 1e11 {
		reg.ClientSecretExpiresAt = time.Unix(int64(*r.ClientSecretExpiresAt), 0)
	}
	return reg, nil
}
