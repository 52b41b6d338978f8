package cache_test

import (
	"log/slog"
	"time"

	"golang.org/x/oauth2"
)

func staticSource(at string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at, Expiry: time.Now().Add(time.Hour)})
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
