package client

// mtlsMember names the member of mtls_endpoint_aliases (RFC 8705 §5)
// for an endpoint an mTLS client reaches through its alias. The
// authorization endpoint is the user's browser's: it has none.
func mtlsMember(e endpoint) string {
	switch e {
	case endpointToken:
		return "token_endpoint"
	case endpointDevice:
		return "device_authorization_endpoint"
	case endpointRevocation:
		return "revocation_endpoint"
	case endpointIntrospection:
		return "introspection_endpoint"
	case endpointPAR:
		return "pushed_authorization_request_endpoint"
	}
	return ""
}
