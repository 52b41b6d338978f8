package telemetry

import (
	"net"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// Attribute keys. They are part of the contract (see the package
// documentation) and are the same on metrics and spans; package client
// and tokensource log lines use the same names.
const (
	keyGrantType  = attribute.Key("grant_type")
	keyOutcome    = attribute.Key("outcome")
	keyErrorCode  = attribute.Key("error_code")
	keyAsync      = attribute.Key("async")
	keyOperation  = attribute.Key("operation")
	keyResult     = attribute.Key("result")
	keyAcquired   = attribute.Key("acquired")
	keyServerAddr = attribute.Key("server.address")            // OpenTelemetry semantic convention
	keyServerPort = attribute.Key("server.port")               // OpenTelemetry semantic convention
	keyStatusCode = attribute.Key("http.response.status_code") // OpenTelemetry semantic convention
)

// Values of the outcome attribute.
const (
	outcomeSuccess = "success"
	outcomeError   = "error"
)

func outcome(err error) attribute.KeyValue {
	if err != nil {
		return keyOutcome.String(outcomeError)
	}
	return keyOutcome.String(outcomeSuccess)
}

// serverAttrs splits a "host[:port]" into server.address and server.port
// as the OpenTelemetry semantic conventions define them (an IPv6 address
// without its brackets).
func serverAttrs(hostport string) []attribute.KeyValue {
	if hostport == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return []attribute.KeyValue{keyServerAddr.String(strings.Trim(hostport, "[]"))}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return []attribute.KeyValue{keyServerAddr.String(host)}
	}
	return []attribute.KeyValue{keyServerAddr.String(host), keyServerPort.Int(n)}
}
