package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/tokensource"
)

const secret = "secret-XYZ"

// exported is everything the harness exported, metrics and spans, as
// JSON: names, descriptions, attributes, events, links and statuses.
func (h *harness) exported(t testing.TB) string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	m, err := json.Marshal(rm)
	if err != nil {
		t.Fatal(err)
	}
	s, err := json.Marshal(tracetest.SpanStubsFromReadOnlySpans(h.spans.Ended()))
	if err != nil {
		t.Fatal(err)
	}
	return string(m) + "\n" + string(s)
}

func TestNoSecretInTelemetry(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// Errors whose text, description, body and code carry a secret, as a
	// hostile or careless server or a wrapped transport error might.
	retrieve := &oauth2.RetrieveError{
		Response:         &http.Response{StatusCode: 400},
		Body:             []byte(`{"error":"invalid_grant","error_description":"refresh token ` + secret + ` is revoked"}`),
		ErrorCode:        "invalid_grant",
		ErrorDescription: "refresh token " + secret + " is revoked",
	}
	outcomes := []client.RequestOutcome{
		{StatusCode: 400, ErrorCode: "invalid_grant", Err: retrieve},
		{StatusCode: 400, ErrorCode: secret, Err: fmt.Errorf("client: %w", retrieve)},
		{StatusCode: 400, ErrorCode: "invalid_request " + secret, Err: fmt.Errorf("client: bad %s", secret)},
		{Err: fmt.Errorf(`client: Post "https://auth.example.com/token?client_secret=%s": connection refused`, secret)},
		{StatusCode: 500, Err: fmt.Errorf("client: 500: <html>%s</html>", secret)},
		{StatusCode: 200},
	}
	for _, endpoint := range []string{"token", "revocation", "introspection"} {
		for _, out := range outcomes {
			_, done := h.obs.StartRequest(ctx, client.RequestInfo{Endpoint: endpoint, GrantType: "refresh_token", ServerAddress: "auth.example.com"})
			done(out)
		}
	}
	for _, async := range []bool{false, true} {
		h.obs.Refreshed(ctx, tokensource.RefreshEvent{Async: async, Duration: time.Millisecond, Err: fmt.Errorf("tokensource: %w", retrieve)})
		h.obs.Refreshed(ctx, tokensource.RefreshEvent{Async: async, Err: fmt.Errorf("tokensource: token %s expired", secret)})
	}
	got := h.exported(t)
	if !strings.Contains(got, "tokenward.token.requests") || !strings.Contains(got, "oauth2 token") {
		t.Fatalf("exported data misses the metrics or spans:\n%s", got)
	}
	testlog.NoSecrets(t, "exported telemetry", got, secret)
}
