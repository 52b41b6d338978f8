package benchmarks

import (
	"os"
	"slices"
	"testing"
	"time"
)

// TestMain runs the fleet's child processes (see fleet_test.go) instead
// of the tests when the binary was re-executed as one.
func TestMain(m *testing.M) {
	if role := os.Getenv(envFleetRole); role != "" {
		os.Exit(fleetChild(role))
	}
	os.Exit(m.Run())
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted, by the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// latencyStats summarizes a set of latencies.
type latencyStats struct {
	p50, p99, p999, max time.Duration
}

func summarize(lat []time.Duration) latencyStats {
	s := slices.Clone(lat)
	slices.Sort(s)
	return latencyStats{percentile(s, 50), percentile(s, 99), percentile(s, 99.9), percentile(s, 100)}
}

// ms converts d to float milliseconds for ReportMetric.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
