// Package testlog captures what tests log and scans text for secrets: one log capture and one
// secret scanner for every package's tests ("a credential never goes into a log, an error, a
// span or a metric").
//
// [New] returns a debug-level *slog.Logger that writes every record both as text and as JSON
// into a [Buffer]; [NoSecrets] fails a test when a text holds a secret in any of the forms
// [Leak] looks for.
//
// References:
//   - log/slog: https://pkg.go.dev/log/slog
package testlog
