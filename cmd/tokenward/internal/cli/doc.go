// Package cli implements the tokenward command: profiles in a config
// file, secrets and tokens in the OS keychain, and the token, login,
// logout, status, curl and header commands. cmd/tokenward only calls
// [Main].
package cli
