// Package testenv starts real services for tests, from Go, so that a
// plain go test works wherever the service's binaries are installed: each
// helper starts its processes on free loopback ports in a temporary
// directory and stops them with t.Cleanup. When a binary is missing the
// test is skipped, or fails when CI=true.
//
// References:
//   - Redis replication and WAIT: https://redis.io/docs/latest/operate/oss_and_stack/management/replication/
//   - Redis Sentinel: https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
//   - Redis Cluster: https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/
package testenv
