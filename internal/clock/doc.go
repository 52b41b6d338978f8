// Package clock is the one time source shape shared by tokenward's
// packages: the wall clock in production, a [Fake] that moves only when
// told to in tests. Times from [Real] carry no monotonic reading, so that
// expiry checks compare wall-clock times and a machine that slept notices
// tokens that expired meanwhile.
package clock
