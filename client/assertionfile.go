package client

import (
	"bytes"
	"context"
	"io"
	"os"
)

// maxAssertionFile caps an assertion file.
const maxAssertionFile = 64 << 10

// fileAssertion is an assertion minted elsewhere and written to a file.
type fileAssertion string

// AssertionFile returns a ClientAssertion read from the file at path for
// every request, so that a rotated file (a Kubernetes projected
// service-account token, replaced by a symlink swap; a CI job's OIDC
// token) is picked up as soon as it changes. The file holds one JWT;
// surrounding white space is ignored, and it may be at most 64 KiB.
func AssertionFile(path string) ClientAssertion { return fileAssertion(path) }

func (p fileAssertion) assertion(ctx context.Context, _ assertionRequest) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	f, err := os.Open(string(p))
	if err != nil {
		return "", &AssertionError{Reason: "cannot read the assertion file", Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAssertionFile+1))
	if err != nil {
		return "", &AssertionError{Reason: "cannot read the assertion file", Err: err}
	}
	if len(b) > maxAssertionFile {
		return "", &AssertionError{Reason: "the assertion file is larger than 64 KiB"}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", &AssertionError{Reason: "the assertion file is empty"}
	}
	return string(b), nil
}
