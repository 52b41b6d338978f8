// Package faulttest provides misbehaving TCP servers for tests: servers
// that refuse connections, accept and hang up, reset the connection in the
// middle of a response, answer one byte at a time, or never answer. Each
// behaviour is a handler for one raw connection, so tests can combine them
// or write their own.
//
// Everything a Server starts ends by the time the test's cleanup returns:
// the listener and every connection are closed and every handler has
// returned, so goleak stays quiet.
package faulttest
