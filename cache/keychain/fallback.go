package keychain

import (
	"errors"
	"log/slog"
)

// The fallback: once the keychain is found unavailable, a Store with
// Options.Fallback sends every call there for the rest of its life.

// fallBack reports whether err makes the Store switch to its fallback
// (and switches it).
func (s *Store) fallBack(err error) bool {
	if s.fallback == nil || !errors.Is(err, ErrUnavailable) {
		return false
	}
	s.useFallback.Store(true)
	s.warnOnce.Do(func() {
		s.log().Warn("keychain unavailable; using the configured fallback cache for the rest of this process",
			slog.String("service", s.service), slog.Any("error", err))
	})
	return true
}
