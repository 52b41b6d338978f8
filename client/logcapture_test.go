package client_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// logCapture collects log output for secret scans.
type logCapture struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newLogCapture returns a debug-level logger that writes text and JSON
// records into one buffer.
func newLogCapture() (*slog.Logger, *logCapture) {
	l := &logCapture{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(multiHandler{slog.NewTextHandler(l, opts), slog.NewJSONHandler(l, opts)}), l
}

// multiHandler sends each record to every handler.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		h.Handle(ctx, r.Clone())
	}
	return nil
}

func (m multiHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (m multiHandler) WithGroup(name string) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(name)
	}
	return out
}

// assertNoSecretText fails if text holds a secret (or, for long ones,
// its first 12 characters).
func assertNoSecretText(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(text, s) || len(s) >= 16 && strings.Contains(text, s[:12]) {
			t.Errorf("%s: secret %q leaked in %q", what, s, text)
		}
	}
}
