// Command tokenward gets OAuth 2.0 tokens for the APIs you work with and
// keeps them in the OS keychain. See README.md beside this file, or run
// tokenward --help.
//
// Install it with:
//
//	go install github.com/tokenward/tokenward/cmd/tokenward@latest
package main

import (
	"os"

	"github.com/tokenward/tokenward/cmd/tokenward/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
