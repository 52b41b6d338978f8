package testlog

import (
	"bytes"
	"log/slog"
	"sync"
)

// Buffer collects log output; it is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// New returns a debug-level logger that writes each record twice into the returned Buffer: as
// text (slog.TextHandler) and as JSON (slog.JSONHandler), the two renderings a secret could
// escape through differently.
func New() (*slog.Logger, *Buffer) {
	b := &Buffer{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(slog.NewMultiHandler(slog.NewTextHandler(b, opts), slog.NewJSONHandler(b, opts))), b
}
