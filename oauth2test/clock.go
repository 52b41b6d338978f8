package oauth2test

import "time"

// Now returns the time on the server's clock, which decides the issuance and
// expiry of every code and token: Options.Clock (time.Now by default) plus
// every duration passed to Advance.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// now is Now for callers that hold s.mu.
func (s *Server) now() time.Time {
	return s.clock().Add(s.offset)
}

// Advance moves the server's clock forward by d, so that codes and tokens
// expire without waiting. A negative d moves it back, which tests of clock
// skew may want.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}
