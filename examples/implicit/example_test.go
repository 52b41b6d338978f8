package main

// Example runs the program against its embedded server; the output is
// the program's.
func Example() {
	if err := run(); err != nil {
		panic(err)
	}
	// Output:
	// redirect fragment carries: access_token, expires_in, state, token_type
	// token: Bearer, expires in 3600 s, refresh token: false
	// wrong state: client: state mismatch in redirect
}
