package client

import (
	"encoding/base64"
	"io"
	"log/slog"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func slogText(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
