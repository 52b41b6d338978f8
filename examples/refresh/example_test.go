package main

import "context"

// Example runs the program against its embedded server; the output is
// the program's.
func Example() {
	if err := run(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// start 1: got an access token (43 chars); refresh token rotated and saved: true
	// start 2: got an access token (43 chars); refresh token rotated and saved: true
	// start 3: got an access token (43 chars); refresh token rotated and saved: true
	// stale refresh token: invalid_grant (refresh token reused after rotation; every token of its grant is revoked)
}
