package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestOnce runs one round with -once on a free port and checks that the
// spans and metrics were printed and that /metrics served the Prometheus
// series.
func TestOnce(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-once", "-addr", "127.0.0.1:0"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{"Prometheus metrics: http://127.0.0.1:", `"Name": "round 1"`, "GET http://127.0.0.1:", "refused scope"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "telemetry-example-secret") {
		t.Errorf("output contains the client secret:\n%s", got)
	}
	if !strings.Contains(got, `"Name": "oauth2 token"`) {
		t.Fatalf("no oauth2 token span:\n%s", got)
	}
	for _, want := range []string{
		`"Name": "oauth2 revocation"`,
		`"Name": "tokenward.token.requests"`,
		`"Name": "tokenward.token.request.duration"`,
		`tokenward_token_requests_total{grant_type="client_credentials",http_response_status_code="200"`,
		`tokenward_token_requests_total{error_code="invalid_scope",grant_type="client_credentials"`,
		"tokenward_token_request_duration_seconds_count{",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestBadAddr checks that a listen failure is reported, not ignored.
func TestBadAddr(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-once", "-addr", "256.0.0.1:0"}, &out); err == nil {
		t.Error("run with an invalid -addr: got no error")
	}
}
