package cache_test

import (
	"testing"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/tokensource"
)

var (
	_ tokensource.Cache  = (*cache.Memory)(nil)
	_ tokensource.Locker = (*cache.Memory)(nil)
)

func TestMemoryConformance(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) tokensource.Cache { return new(cache.Memory) })
}
