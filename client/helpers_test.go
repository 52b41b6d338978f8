package client

import (
	"encoding/base64"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// assertNoSecrets fails if text holds any of the secrets.
func assertNoSecrets(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("secret %q leaked in %q", s, text)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func slogText(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
