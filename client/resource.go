package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ResourceMetadata is a protected resource's metadata (RFC 9728): which
// authorization servers issue tokens for it and how it takes them.
type ResourceMetadata struct {
	Resource                              string   `json:"resource"`
	AuthorizationServers                  []string `json:"authorization_servers,omitempty"`
	JWKSURI                               string   `json:"jwks_uri,omitempty"`
	ScopesSupported                       []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported                []string `json:"bearer_methods_supported,omitempty"`
	ResourceSigningAlgValuesSupported     []string `json:"resource_signing_alg_values_supported,omitempty"`
	ResourceName                          string   `json:"resource_name,omitempty"`
	ResourceDocumentation                 string   `json:"resource_documentation,omitempty"`
	AuthorizationDetailsTypesSupported    []string `json:"authorization_details_types_supported,omitempty"`
	DPoPSigningAlgValuesSupported         []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPBoundAccessTokensRequired         bool     `json:"dpop_bound_access_tokens_required,omitempty"`
	TLSClientCertificateBoundAccessTokens bool     `json:"tls_client_certificate_bound_access_tokens,omitempty"`

	// Raw is the document as the server sent it.
	Raw json.RawMessage `json:"-"`
}

// DiscoverResource fetches the metadata of the protected resource
// identified by resource, at the well-known URI inserted before its path
// (RFC 9728 section 3.1). The document must name exactly resource, and
// resource, jwks_uri and every authorization server must be https (http
// only on loopback). Use ResourceMetadataURL to find resource from a 401
// answer, and Discover on one of AuthorizationServers next.
func DiscoverResource(ctx context.Context, resource string, hc *http.Client) (*ResourceMetadata, error) {
	u, err := checkIdentifier("resource", resource)
	if err != nil {
		return nil, &DiscoveryError{URL: resource, Reason: "bad resource", Err: err}
	}
	docURL := wellKnownURL(u, wellKnownResource)
	return fetchResourceMetadata(ctx, docURL, resource, hc)
}

// DiscoverResourceAt fetches protected resource metadata from docURL, as
// named by the resource_metadata parameter of a 401's WWW-Authenticate
// challenge (see ResourceMetadataURL), and checks that it names resource.
func DiscoverResourceAt(ctx context.Context, docURL, resource string, hc *http.Client) (*ResourceMetadata, error) {
	if _, err := checkEndpoint("resource metadata", docURL); err != nil {
		return nil, &DiscoveryError{URL: docURL, Reason: "bad metadata URL", Err: err}
	}
	return fetchResourceMetadata(ctx, docURL, resource, hc)
}

func fetchResourceMetadata(ctx context.Context, docURL, resource string, hc *http.Client) (*ResourceMetadata, error) {
	resp, err := doJSON(ctx, noRedirectClient(hc, true), http.MethodGet, docURL, "", nil)
	if err != nil {
		return nil, &DiscoveryError{URL: docURL, Reason: "request failed", Err: err}
	}
	if resp.status != http.StatusOK {
		return nil, &DiscoveryError{URL: docURL, Reason: fmt.Sprintf("HTTP %d", resp.status)}
	}
	m := new(ResourceMetadata)
	if err := json.Unmarshal(resp.body, m); err != nil {
		return nil, &DiscoveryError{URL: docURL, Reason: "not a valid metadata document (JSON object with string and array members)"}
	}
	m.Raw = json.RawMessage(resp.body)
	if m.Resource != resource {
		return nil, &DiscoveryError{URL: docURL, Reason: "document names resource " + quoteServer(m.Resource), Err: ErrIssuerMismatch}
	}
	check := append([]string{m.JWKSURI}, m.AuthorizationServers...)
	for _, v := range check {
		if v == "" {
			continue
		}
		if _, err := checkEndpoint("resource metadata", v); err != nil {
			return nil, &DiscoveryError{URL: docURL, Reason: "insecure URL", Err: err}
		}
	}
	return m, nil
}

// ResourceMetadataURL returns the resource_metadata parameter of the
// Bearer (or DPoP) challenge in a 401 answer's WWW-Authenticate header
// (RFC 9728 section 5.1), or "" if there is none. The header is parsed
// in one bounded pass.
func ResourceMetadataURL(h http.Header) string {
	for _, v := range h.Values("WWW-Authenticate") {
		for _, c := range parseChallenges(v) {
			if (strings.EqualFold(c.scheme, "Bearer") || strings.EqualFold(c.scheme, "DPoP")) && c.params["resource_metadata"] != "" {
				return c.params["resource_metadata"]
			}
		}
	}
	return ""
}

// challenge is one auth-scheme with its auth-params (RFC 9110 section
// 11.6.1).
type challenge struct {
	scheme string
	params map[string]string
}

// Limits of parseChallenges: a header from a server is hostile.
const (
	maxChallengeHeader = 8 << 10
	maxChallengeParams = 32
)

// parseChallenges parses a WWW-Authenticate value into challenges. It
// reads each byte at most once, ignores what it cannot parse, and stops
// at maxChallengeHeader bytes or maxChallengeParams parameters.
func parseChallenges(s string) []challenge {
	if len(s) > maxChallengeHeader {
		s = s[:maxChallengeHeader]
	}
	var out []challenge
	n := 0
	i := 0
	isTokenChar := func(c byte) bool {
		return c > ' ' && c < 0x7f && !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", rune(c))
	}
	skipWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	token := func() string {
		start := i
		for i < len(s) && (isTokenChar(s[i]) || s[i] == '/') { // '/' for token68 values
			i++
		}
		return s[start:i]
	}
	for i < len(s) && n < maxChallengeParams {
		skipWS()
		for i < len(s) && s[i] == ',' {
			i++
			skipWS()
		}
		name := token()
		if name == "" {
			i++ // skip an unexpected byte
			continue
		}
		skipWS()
		if i < len(s) && s[i] == '=' && len(out) > 0 {
			// auth-param of the current challenge
			i++
			skipWS()
			var val string
			if i < len(s) && s[i] == '"' {
				i++
				var b strings.Builder
				for i < len(s) && s[i] != '"' {
					if s[i] == '\\' && i+1 < len(s) {
						i++
					}
					b.WriteByte(s[i])
					i++
				}
				i++ // closing quote
				val = b.String()
			} else { // a token; be lenient: up to the next comma or space
				start := i
				for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
					i++
				}
				val = s[start:i]
			}
			c := &out[len(out)-1]
			key := strings.ToLower(name)
			if _, dup := c.params[key]; !dup {
				c.params[key] = val
			}
			n++
			continue
		}
		// a new challenge: scheme, then params or a token68
		out = append(out, challenge{scheme: name, params: map[string]string{}})
		skipWS()
		// token68 (e.g. Basic abc==): skip it unless it is a param name
		start := i
		t := token()
		for i < len(s) && s[i] == '=' {
			i++
		}
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if t != "" && (j >= len(s) || s[j] == ',') && i > start+len(t) {
			continue // a token68
		}
		i = start // a param name: parse it in the loop
	}
	return out
}
