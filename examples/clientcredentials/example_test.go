package main

import "context"

// Example runs the program against its embedded server; the output is
// the program's.
func Example() {
	if err := run(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// token:         43 chars, type Bearer, expires in 3600 s, refresh token: false
	// content type:  application/x-www-form-urlencoded
	// HTTP Basic:    true
}
