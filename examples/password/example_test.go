package main

import "context"

// Example runs the program against its embedded server; the output is
// the program's.
func Example() {
	if err := run(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// token type "bearer", expires in 7200 s, refresh token: true
	// sent application/json with the client secret in the body: true
}
