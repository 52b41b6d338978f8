package telemetry

import "testing"

func TestErrorCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"invalid_grant", "invalid_grant"},
		{"invalid_client", "invalid_client"},
		{"slow_down", "slow_down"},
		{"use_dpop_nonce", "use_dpop_nonce"},
		{"Invalid_Grant", "_OTHER"},
		{"vendor_specific", "_OTHER"},
		{"invalid_grant\x1b[31m", "_OTHER"},
		{"secret-XYZ", "_OTHER"},
	}
	for _, tt := range tests {
		if got := errorCode(tt.in); got != tt.want {
			t.Errorf("errorCode(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"token", "oauth2 token"},
		{"revocation", "oauth2 revocation"},
		{"device_authorization", "oauth2 device_authorization"},
		{"", "oauth2 request"},
		{"Token", "oauth2 request"},
		{"token endpoint", "oauth2 request"},
		{"a_very_long_endpoint_name_that_goes_on", "oauth2 request"},
	}
	for _, tt := range tests {
		if got := spanName(tt.in); got != tt.want {
			t.Errorf("spanName(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}
