package main

import "context"

// Example runs the program against its embedded server; the output is
// the program's.
func Example() {
	if err := run(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// first call:                  200 OK (token requests so far: 1, resource requests: 1)
	// second call, same token:     200 OK (token requests so far: 1, resource requests: 2)
	// after expiry, 401 + retry:   200 OK (token requests so far: 2, resource requests: 4)
}
