// Package sqlcache is a token cache on database/sql, for PostgreSQL and
// SQLite: a web app or multi-tenant service keeps the tokens of many users
// in the database it already has, and a fleet of processes that share a
// key shares its tokens and, with the Store's lock, calls the token
// endpoint once per renewal.
//
// A [Store] implements tokensource.Cache and tokensource.Locker:
//
//	db, _ := sql.Open("pgx", "host=/run/postgresql dbname=app") // import _ "github.com/jackc/pgx/v5/stdlib"
//	store, err := sqlcache.New(db, nil)
//	src := cfg.TokenSource(nil, &tokensource.Options{Cache: store, CacheKey: "user-1"})
//
// The package imports no driver: the program imports the one it opens db
// with. PostgreSQL is tested with pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib, driver name "pgx"), SQLite with the
// pure-Go modernc.org/sqlite (driver name "sqlite"; no cgo). The dialect
// is detected from the driver, or set with Options.Dialect.
//
// The stored bytes are bearer credentials. Restrict who can read the
// table, and seal the bytes before they reach it with cache.NewSealed
// (AES-GCM), which keeps the Store's lock:
//
//	sealed, err := cache.NewSealed(store, key) // key: 32 bytes from a secret manager
//
// # Schema
//
// New creates the tables if they do not exist, in one transaction that
// concurrent New calls of other processes wait for. With the default
// Table "tokenward_tokens", on PostgreSQL:
//
//	CREATE TABLE tokenward_tokens (
//		key        TEXT NOT NULL PRIMARY KEY, -- the cache key, as tokensource gives it
//		data       BYTEA NOT NULL,            -- tokensource's encoded token record (opaque here)
//		expires_at TIMESTAMPTZ,               -- NULL: keep until overwritten or deleted
//		updated_at TIMESTAMPTZ NOT NULL       -- when the row was last saved
//	);
//	CREATE TABLE tokenward_tokens_schema (version INTEGER NOT NULL);
//
// On SQLite data is a BLOB and the times are INTEGER Unix milliseconds; a
// third table holds the locks:
//
//	CREATE TABLE tokenward_tokens_locks (
//		key        TEXT NOT NULL PRIMARY KEY,
//		token      TEXT NOT NULL,    -- the holder's random token
//		expires_at INTEGER NOT NULL  -- Unix milliseconds: the end of the lease
//	);
//
// The key is stored as given: tokensource's keys for client sources are
// hashes, but a key chosen by the caller (Options.CacheKey) appears in
// the table as it is.
//
// # Migrations
//
// The schema's version is the row of Table+"_schema" ([SchemaVersion],
// now 1). A release that changes the schema raises SchemaVersion and makes
// New migrate tables of an older version forward, inside the same
// serialized transaction, and says so in its release notes. New refuses
// tables of a newer version than it knows with [ErrSchemaVersion], so an
// old binary never writes rows that a newer one cannot read: upgrade every
// process that shares the table before (or while) the first new one
// starts, and do not roll back past a migration. Where a migration tool
// owns the database's schema, create the tables above with it and insert
// the version row (INSERT INTO tokenward_tokens_schema VALUES (1)); New
// then only checks the version.
//
// # Expiry
//
// Save stores the expiry tokensource gives it: the access token's expiry
// when there is no refresh token, zero (NULL: keep) when there is one,
// unless the server said how long the refresh token lives. So a usable
// refresh token is never dropped. Load never returns an entry whose
// expiry has passed by the Store's clock; it deletes such a row (only if
// no newer one replaced it meanwhile), and Save with an expiry that has
// passed deletes the entry instead of storing it. Rows of keys that are
// never loaded again stay; delete them with
// DELETE FROM tokenward_tokens WHERE expires_at < now() if that matters.
// A row that cannot be read (a value of the wrong type written by hand
// into a SQLite table) makes Load return an error, which tokensource
// treats as a miss with a warning.
//
// # Lock
//
// A lock's ttl is a lease, counted from the moment it is taken: the lock
// is held until unlock or the end of the lease, whichever comes first.
// tokensource sizes the lease from its refresh budget and stops the work
// it guards when the lease ends.
//
// On PostgreSQL, Lock takes a session advisory lock
// (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS)
// with pg_try_advisory_lock on a 64-bit hash of Table and the key, polled
// every Options.LockRetry (jittered) until the caller's context ends. The
// session is a connection of its own, taken from the pool for the lease:
// unlock runs pg_advisory_unlock and gives it back, and a timer does the
// same when the lease ends, since a session lock has no expiry of its own.
// A process that dies loses its locks at once: the server ends the
// session when the connection drops. The same is true of a connection
// that breaks while its process lives, the one way a lock ends before its
// lease; tokensource then copes as with any lost race (it re-reads the
// cache when a refresh token is refused). A held lock occupies a
// connection, so the *sql.DB must allow at least two (New checks), and
// it must reach the server directly or through a pooler in session mode:
// a pooler in transaction mode (PgBouncer's pool_mode=transaction) hands
// the session, and its locks, to others.
// Advisory locks belong to the database, not a schema: Stores with the
// same Table in two schemas of one database share them (they wait for
// each other, they do not break).
//
// On SQLite, Lock writes a row of Table+"_locks" holding a random token
// and the end of the lease, in a BEGIN IMMEDIATE transaction
// (https://www.sqlite.org/lang_transaction.html) that reads the row and
// writes it only if it is absent or expired, so that taking the lock is
// atomic across processes. unlock deletes the row only while it holds
// this holder's token; a crashed holder's row is taken over when its
// lease ends. The processes must share the file on one machine (SQLite's
// locking does not work over most network file systems) and agree on the
// time.
//
// # Timeouts and SQLite settings
//
// Every call is bounded by the caller's context and by Options.Timeout
// (DefaultTimeout, 5 s), so a database that is down or hangs costs a
// bounded wait; the error matches context.Canceled or
// context.DeadlineExceeded when a context ended it. When several
// processes share a SQLite file, open it in WAL mode with a busy timeout
// (modernc.org/sqlite: "file:tokens.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)");
// the Store also retries a busy database within its timeout. In WAL mode
// SQLite's default synchronous=FULL makes each Save wait for an fsync;
// synchronous(NORMAL) is faster, but a power failure may then lose the
// last Saves, and with them a rotated refresh token. A ":memory:"
// database is one per connection: use a file.
//
// References:
//   - RFC 6749 §10.4 (refresh tokens must be kept confidential): https://www.rfc-editor.org/rfc/rfc6749#section-10.4
//   - RFC 9700 §4.14 (refresh token rotation and reuse detection): https://www.rfc-editor.org/rfc/rfc9700#section-4.14
//   - PostgreSQL advisory locks: https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
//   - SQLite transactions and WAL: https://www.sqlite.org/lang_transaction.html, https://www.sqlite.org/wal.html
package sqlcache
