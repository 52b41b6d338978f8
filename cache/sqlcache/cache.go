package sqlcache

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Load returns the entry for key, or (nil, nil) when there is none or it
// has expired (an expired row is then deleted). A row that cannot be read
// is an error, never a panic.
func (s *Store) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, "load", err)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	var data []byte
	var exp expiry
	err := s.retryBusy(ctx, func() error {
		return s.db.QueryRowContext(ctx, s.q.load, key).Scan(&data, s.scanDest(&exp))
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(ctx, "load", err)
	}
	if t := exp.time(); !t.IsZero() && !s.now().Before(t) {
		// Best effort: a failure leaves a row that the next Load skips
		// too. The condition keeps a fresh row that a peer saved since.
		_, _ = s.db.ExecContext(ctx, s.q.removeExpired, key, s.timeArg(t))
		return nil, nil
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Save stores data under key until expiry; a zero expiry keeps it until it
// is overwritten or deleted (a usable refresh token is never dropped). An
// expiry that has already passed deletes the entry instead.
func (s *Store) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "save", err)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	now := s.now()
	if !expiry.IsZero() && !now.Before(expiry) {
		if err := s.exec(ctx, s.q.remove, key); err != nil {
			return wrap(ctx, "save (expired entry)", err)
		}
		return nil
	}
	if data == nil {
		data = []byte{}
	}
	if err := s.exec(ctx, s.q.save, key, data, s.timeArg(expiry), s.timeArg(now)); err != nil {
		return wrap(ctx, "save", err)
	}
	return nil
}

// Delete removes the entry for key. Deleting a missing entry is not an
// error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "delete", err)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.exec(ctx, s.q.remove, key); err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
}

// exec runs a statement that returns no rows, see retryBusy.
func (s *Store) exec(ctx context.Context, query string, args ...any) error {
	return s.retryBusy(ctx, func() error {
		_, err := s.db.ExecContext(ctx, query, args...)
		return err
	})
}

// retryBusy runs f, and on SQLite runs it again while the database is
// busy (another connection holds its write lock and the DSN sets no
// busy_timeout, or it ran out) until ctx is done.
func (s *Store) retryBusy(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || s.dialect != SQLite || !isBusy(err) {
			return err
		}
		if perr := s.pause(ctx); perr != nil {
			return err
		}
	}
}
