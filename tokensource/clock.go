package tokensource

import "time"

// clock is the time source of a Cached; tests replace it.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// AfterFunc runs f once after d. The timer's goroutine exists only while f
// runs.
func (realClock) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }
