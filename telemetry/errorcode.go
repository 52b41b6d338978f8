package telemetry

// otherErrorCode replaces an error code that no registry lists. A server's
// error code is hostile input: passing it through would let a server grow
// the number of time series without bound, or echo a credential into a
// metric label.
const otherErrorCode = "_OTHER"

// registered reports whether code is an error code of the IANA "OAuth
// Extensions Error Registry" or of a base specification that a token,
// device authorization, revocation, introspection, pushed authorization or
// registration endpoint may answer with.
func registered(code string) bool {
	switch code {
	// RFC 6749 section 5.2 (token endpoint) and 4.1.2.1 (also sent by
	// some servers from the token endpoint).
	case "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
		"unsupported_grant_type", "invalid_scope", "access_denied",
		"unsupported_response_type", "server_error", "temporarily_unavailable":
		return true
	// RFC 6750 section 3.1.
	case "invalid_token", "insufficient_scope":
		return true
	// RFC 7009 section 2.2.1.
	case "unsupported_token_type":
		return true
	// RFC 7591 section 3.2.2.
	case "invalid_redirect_uri", "invalid_client_metadata", "invalid_software_statement",
		"unapproved_software_statement":
		return true
	// RFC 8628 section 3.5.
	case "authorization_pending", "slow_down", "expired_token":
		return true
	// RFC 8693 section 2.2.2 and RFC 8707 section 2.
	case "invalid_target":
		return true
	// RFC 9126 section 2.3 and RFC 9101 section 6.3.
	case "invalid_request_uri", "invalid_request_object", "request_not_supported",
		"request_uri_not_supported":
		return true
	// RFC 9449 section 5 and 8.
	case "invalid_dpop_proof", "use_dpop_nonce":
		return true
	// RFC 9470 section 3.
	case "insufficient_user_authentication":
		return true
	// OpenID Connect Core 1.0 section 3.1.2.6 and CIBA section 11.
	case "interaction_required", "login_required", "account_selection_required",
		"consent_required", "registration_not_supported", "expired_login_hint_token",
		"unknown_user_id", "transaction_failed", "invalid_binding_message",
		"invalid_user_code", "missing_user_code":
		return true
	}
	return false
}

// errorCode returns code when a registry lists it, otherErrorCode for any
// other non-empty code, and "" for none.
func errorCode(code string) string {
	switch {
	case code == "":
		return ""
	case registered(code):
		return code
	default:
		return otherErrorCode
	}
}
