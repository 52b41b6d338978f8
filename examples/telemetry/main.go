// Telemetry shows package telemetry: token requests, renewals and cache
// calls recorded as OpenTelemetry metrics and spans, printed with the
// stdout exporters and served to Prometheus at /metrics through the
// OpenTelemetry Prometheus exporter.
//
// An embedded fake authorization server plays the provider, so it runs
// with no setup:
//
//	go run ./examples/telemetry              # a round every 5 s; Ctrl-C stops
//	go run ./examples/telemetry -once        # one round, then print /metrics and exit
//	curl -s http://127.0.0.1:9464/metrics | grep tokenward_
//
// This program is its own module, so that neither the core module nor the
// telemetry module requires the OpenTelemetry SDK's exporters or the
// Prometheus client.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/telemetry"
	"github.com/tokenward/tokenward/tokensource"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("telemetry", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "127.0.0.1:9464", "listen address of the Prometheus /metrics endpoint")
	once := fs.Bool("once", false, "run one round, print what /metrics serves, and exit")
	interval := fs.Duration("interval", 5*time.Second, "time between rounds and between metric printouts")
	if err := fs.Parse(args); err != nil {
		return err
	}

	// OpenTelemetry SDK: spans to stdout as they end; metrics to stdout
	// every interval (and at shutdown) and to a Prometheus registry.
	spanOut, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanOut))
	defer tp.Shutdown(context.WithoutCancel(ctx))
	metricOut, err := stdoutmetric.New(stdoutmetric.WithWriter(out), stdoutmetric.WithPrettyPrint())
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	promReader, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricOut, sdkmetric.WithInterval(*interval))),
		sdkmetric.WithReader(promReader))
	defer mp.Shutdown(context.WithoutCancel(ctx))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln) // ends with hs.Close below
	defer hs.Close()
	metricsURL := "http://" + ln.Addr().String() + "/metrics"
	fmt.Fprintln(out, "Prometheus metrics:", metricsURL)

	// The provider, and a client wired to one Observer at both hooks.
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "telemetry-example", Secret: "telemetry-example-secret",
		TokenLifetime: 30 * time.Second, // short, so that a long run shows renewals
	}}})
	defer srv.Close()
	obs := telemetry.New(mp, tp)
	conf := &client.Config{
		ClientID:      "telemetry-example",
		ClientSecret:  "telemetry-example-secret",
		Endpoint:      srv.Endpoint(),
		RevocationURL: srv.RevocationURL(),
		Observer:      obs,
	}
	src := conf.ClientCredentialsSource(&tokensource.Options{
		Cache: &cache.Memory{}, CacheKey: "telemetry-example", Observer: obs})
	app := tp.Tracer("example")

	for round := 1; ; round++ {
		if err := oneRound(ctx, app, conf, src, srv, obs, round, out); err != nil {
			return err
		}
		if *once {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*interval):
		}
	}
	if err := mp.ForceFlush(ctx); err != nil {
		return err
	}
	return printScrape(ctx, metricsURL, out)
}

// oneRound does what an application does: it serves requests that need a
// token (the first asks the token endpoint, the others hit the cache),
// meets a refused scope and revokes a token.
func oneRound(ctx context.Context, app trace.Tracer, conf *client.Config, src *tokensource.Cached, srv *oauth2test.Server, obs tokensource.Observer, round int, out io.Writer) error {
	ctx, span := app.Start(ctx, fmt.Sprintf("round %d", round))
	defer span.End()
	for range 3 {
		if _, err := src.TokenContext(ctx); err != nil {
			return err
		}
	}
	// A scope the server refuses: the error reaches the caller typed and
	// the span and metrics record invalid_scope.
	srv.QueueFault(oauth2test.Fault{Error: "invalid_scope", Description: "scope admin is not granted"})
	refused := *conf
	refused.Scopes = []string{"admin"}
	_, err := refused.ClientCredentialsSource(&tokensource.Options{Observer: obs}).TokenContext(ctx)
	fmt.Fprintf(out, "round %d: refused scope: %v\n", round, err)
	// A revocation: one "oauth2 revocation" span.
	tok, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		return err
	}
	return conf.Revoke(ctx, tok.AccessToken, "access_token")
}

// printScrape prints the tokenward series that /metrics serves, without
// the histogram buckets.
func printScrape(ctx context.Context, url string, out io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("telemetry example: /metrics answered " + resp.Status)
	}
	fmt.Fprintln(out, "GET", url, "(tokenward series, buckets omitted):")
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 1<<20))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "tokenward_") && !strings.Contains(line, "_bucket{") {
			fmt.Fprintln(out, " ", line)
		}
	}
	return sc.Err()
}
