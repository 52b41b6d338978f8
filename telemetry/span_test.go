package telemetry

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

func TestSpan(t *testing.T) {
	tests := []struct {
		name       string
		info       client.RequestInfo
		out        client.RequestOutcome
		wantName   string
		wantAttrs  []attribute.KeyValue
		wantStatus codes.Code
		wantDesc   string
	}{{
		name:     "success",
		info:     client.RequestInfo{Endpoint: "token", GrantType: "client_credentials", ServerAddress: "auth.example.com"},
		out:      client.RequestOutcome{StatusCode: 200},
		wantName: "oauth2 token",
		wantAttrs: []attribute.KeyValue{keyGrantType.String("client_credentials"), keyServerAddr.String("auth.example.com"),
			keyStatusCode.Int(200)},
		wantStatus: codes.Unset,
	}, {
		name:     "oauth error",
		info:     client.RequestInfo{Endpoint: "token", GrantType: "refresh_token", ServerAddress: "auth.example.com:8443"},
		out:      client.RequestOutcome{StatusCode: 400, ErrorCode: "invalid_grant", Err: &oauth2.RetrieveError{ErrorCode: "invalid_grant"}},
		wantName: "oauth2 token",
		wantAttrs: []attribute.KeyValue{keyGrantType.String("refresh_token"), keyServerAddr.String("auth.example.com"),
			keyServerPort.Int(8443), keyStatusCode.Int(400), keyErrorCode.String("invalid_grant")},
		wantStatus: codes.Error,
		wantDesc:   "invalid_grant",
	}, {
		name:       "server error without a code",
		info:       client.RequestInfo{Endpoint: "token", GrantType: "password", ServerAddress: "auth.example.com"},
		out:        client.RequestOutcome{StatusCode: 503, Err: errors.New("client: 503 Service Unavailable")},
		wantName:   "oauth2 token",
		wantAttrs:  []attribute.KeyValue{keyGrantType.String("password"), keyServerAddr.String("auth.example.com"), keyStatusCode.Int(503)},
		wantStatus: codes.Error,
		wantDesc:   "HTTP 503",
	}, {
		name:       "no response",
		info:       client.RequestInfo{Endpoint: "token", GrantType: "password", ServerAddress: "auth.example.com"},
		out:        client.RequestOutcome{Err: errors.New("client: connection reset")},
		wantName:   "oauth2 token",
		wantAttrs:  []attribute.KeyValue{keyGrantType.String("password"), keyServerAddr.String("auth.example.com")},
		wantStatus: codes.Error,
		wantDesc:   "no response",
	}, {
		name:       "deadline",
		info:       client.RequestInfo{Endpoint: "token", GrantType: "password", ServerAddress: "auth.example.com"},
		out:        client.RequestOutcome{Err: fmt.Errorf("client: %w", context.DeadlineExceeded)},
		wantName:   "oauth2 token",
		wantAttrs:  []attribute.KeyValue{keyGrantType.String("password"), keyServerAddr.String("auth.example.com")},
		wantStatus: codes.Error,
		wantDesc:   "deadline exceeded",
	}, {
		name:       "revocation",
		info:       client.RequestInfo{Endpoint: "revocation", ServerAddress: "auth.example.com"},
		out:        client.RequestOutcome{StatusCode: 400, ErrorCode: "unsupported_token_type", Err: errors.New("client: revoke")},
		wantName:   "oauth2 revocation",
		wantAttrs:  []attribute.KeyValue{keyServerAddr.String("auth.example.com"), keyStatusCode.Int(400), keyErrorCode.String("unsupported_token_type")},
		wantStatus: codes.Error,
		wantDesc:   "unsupported_token_type",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx, done := h.obs.StartRequest(context.Background(), tt.info)
			if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
				t.Error("StartRequest returned a context without its span")
			}
			done(tt.out)
			spans := h.spans.Ended()
			if len(spans) != 1 {
				t.Fatalf("got %d spans; want 1", len(spans))
			}
			s := spans[0]
			if got := s.Name(); got != tt.wantName {
				t.Errorf("name: got %q; want %q", got, tt.wantName)
			}
			if got, want := s.SpanKind(), trace.SpanKindClient; got != want {
				t.Errorf("kind: got %v; want %v", got, want)
			}
			got, want := attrMap(s.Attributes()), attrMap(tt.wantAttrs)
			if len(got) != len(want) {
				t.Errorf("attributes: got %v; want %v", s.Attributes(), tt.wantAttrs)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("attribute %s: got %v; want %v", k, got[k].String(), v.String())
				}
			}
			if got := s.Status(); got.Code != tt.wantStatus || got.Description != tt.wantDesc {
				t.Errorf("status: got %v %q; want %v %q", got.Code, got.Description, tt.wantStatus, tt.wantDesc)
			}
			if got := len(s.Events()); got != 0 {
				t.Errorf("got %d events; want none (an error event would carry the error's text)", got)
			}
		})
	}
}

func TestSpanParent(t *testing.T) {
	info := client.RequestInfo{Endpoint: "token", GrantType: "client_credentials", ServerAddress: "auth.example.com"}
	tests := []struct {
		name   string
		derive func(context.Context) context.Context
	}{
		{"caller context", func(ctx context.Context) context.Context { return ctx }},
		// tokensource runs a shared refresh on a context detached from the
		// triggering caller's cancellation: the span must still be a child.
		{"detached refresh", context.WithoutCancel},
		{"detached and canceled caller", func(ctx context.Context) context.Context {
			ctx, cancel := context.WithCancel(ctx)
			detached := context.WithoutCancel(ctx)
			cancel()
			return detached
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx, parent := h.tp.Tracer("caller").Start(context.Background(), "GET /api")
			_, done := h.obs.StartRequest(tt.derive(ctx), info)
			done(client.RequestOutcome{StatusCode: 200})
			parent.End()
			var child trace.SpanContext
			for _, s := range h.spans.Ended() {
				if s.Name() == "oauth2 token" {
					child = s.Parent()
					if got, want := s.SpanContext().TraceID(), parent.SpanContext().TraceID(); got != want {
						t.Errorf("trace ID: got %v; want the caller's %v", got, want)
					}
				}
			}
			if got, want := child.SpanID(), parent.SpanContext().SpanID(); got != want {
				t.Errorf("parent span: got %v; want the caller's %v", got, want)
			}
		})
	}
}

func TestSpanWithoutParentIsRoot(t *testing.T) {
	h := newHarness(t)
	_, done := h.obs.StartRequest(context.Background(), client.RequestInfo{Endpoint: "token"})
	done(client.RequestOutcome{StatusCode: 200})
	if got := h.spans.Ended()[0].Parent(); got.IsValid() {
		t.Errorf("parent: got %v; want none", got)
	}
}
