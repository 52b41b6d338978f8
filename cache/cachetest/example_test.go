package cachetest_test

import (
	"testing"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/tokensource"
)

// ExampleRun shows a conformance test for a cache. In a _test.go file of
// your cache's package, t is the test's *testing.T.
func ExampleRun() {
	testConformance := func(t *testing.T) {
		cachetest.Run(t, func(t *testing.T) tokensource.Cache {
			return new(cache.Memory) // an empty cache for each subtest
		})
	}
	_ = testConformance
}

func TestRunOnMemory(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) tokensource.Cache { return new(cache.Memory) })
}
