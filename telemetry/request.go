package telemetry

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tokenward/tokenward/client"
)

// StartRequest implements [client.Observer]. It starts a client span named
// "oauth2 " + info.Endpoint ("oauth2 token", "oauth2 revocation", ...), a
// child of the span in ctx if there is one, and returns ctx with the new
// span. done ends the span and, for the token endpoint, records
// tokenward.token.requests and tokenward.token.request.duration.
//
// Neither the span nor the metrics hold an error's text: a failure is
// described by its registered OAuth error code (or "_OTHER"), its HTTP
// status and a fixed description, so no server- or caller-provided string
// reaches them.
func (o *Observer) StartRequest(ctx context.Context, info client.RequestInfo) (context.Context, func(client.RequestOutcome)) {
	start := time.Now()
	attrs := make([]attribute.KeyValue, 0, 6)
	if info.GrantType != "" {
		attrs = append(attrs, keyGrantType.String(info.GrantType))
	}
	attrs = append(attrs, serverAttrs(info.ServerAddress)...)
	ctx, span := o.tracer.Start(ctx, spanName(info.Endpoint),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(start),
		trace.WithAttributes(attrs...))
	token := info.Endpoint == "token"
	return ctx, func(out client.RequestOutcome) {
		elapsed := time.Since(start)
		var end []attribute.KeyValue
		if out.StatusCode > 0 {
			end = append(end, keyStatusCode.Int(out.StatusCode))
		}
		code := errorCode(out.ErrorCode)
		if code != "" {
			end = append(end, keyErrorCode.String(code))
		}
		span.SetAttributes(end...)
		if out.Err != nil {
			span.SetStatus(codes.Error, failure(out, code))
		}
		span.End()
		if !token {
			return
		}
		all := make([]attribute.KeyValue, 0, len(attrs)+len(end)+1)
		all = append(append(append(all, attrs...), end...), outcome(out.Err))
		set := metric.WithAttributeSet(attribute.NewSet(all...))
		o.requests.Add(ctx, 1, set)
		o.reqDuration.Record(ctx, elapsed.Seconds(), set)
	}
}

// spanName is "oauth2 " and the endpoint's name, or "oauth2 request" for
// a name that is not a short lower-case identifier (span names must stay
// few).
func spanName(endpoint string) string {
	if endpoint == "" || len(endpoint) > 32 {
		return "oauth2 request"
	}
	for _, r := range endpoint {
		if (r < 'a' || r > 'z') && r != '_' {
			return "oauth2 request"
		}
	}
	return "oauth2 " + endpoint
}

// failure is the span status description of a failed request: the error
// code when the server sent one, else a fixed text naming the HTTP status
// or the cancellation. It never includes the error's own text.
func failure(out client.RequestOutcome, code string) string {
	switch {
	case code != "":
		return code
	case errors.Is(out.Err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(out.Err, context.Canceled):
		return "canceled"
	case out.StatusCode > 0:
		return "HTTP " + strconv.Itoa(out.StatusCode)
	default:
		return "no response"
	}
}
