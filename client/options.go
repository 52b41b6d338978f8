package client

import (
	"bytes"
	"encoding/json"
	"net/url"
)

// resourceOption is one or more resource indicators.
type resourceOption []string

func (r resourceOption) setParam(v url.Values) {
	for _, u := range r {
		v.Add("resource", u)
	}
}

// Resource returns a RequestOption that names the resource servers
// (absolute URIs) the token is for (RFC 8707), on authorization and
// token requests. Each is sent as its own resource parameter.
func Resource(uris ...string) RequestOption { return resourceOption(uris) }

// detailsOption is an authorization_details parameter.
type detailsOption string

func (d detailsOption) setParam(v url.Values) { v.Set("authorization_details", string(d)) }

// AuthorizationDetails returns a RequestOption that sends details, a
// JSON array of authorization detail objects (RFC 9396), on an
// authorization, PAR or token request. It is sent compacted.
func AuthorizationDetails(details json.RawMessage) RequestOption {
	var b bytes.Buffer
	if err := json.Compact(&b, details); err != nil {
		return detailsOption(details) // let the server say what is wrong
	}
	return detailsOption(b.String())
}
