package main

import (
	"sync"
	"time"
)

// maxSessions bounds each session table; the oldest entries go first.
const maxSessions = 100_000

// sessions is an in-memory table of random IDs to values that expire.
// A real deployment keeps sessions where every instance can read them.
type sessions struct {
	mu    sync.Mutex
	m     map[string]session
	order []string // IDs in insertion order, for pruning
	now   func() time.Time
}

type session struct {
	value   any
	expires time.Time
}

func newSessions() *sessions { return &sessions{m: map[string]session{}, now: time.Now} }

// add stores v under a new random ID for life and returns the ID.
func (s *sessions) add(v any, life time.Duration) string {
	id := randomID()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune()
	s.m[id] = session{value: v, expires: s.now().Add(life)}
	s.order = append(s.order, id)
	return id
}

// get returns the value under id if it has not expired.
func (s *sessions) get(id string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if !ok || !s.now().Before(e.expires) {
		return nil, false
	}
	return e.value, true
}

// take removes and returns the value under id if it has not expired.
func (s *sessions) take(id string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	delete(s.m, id)
	if !ok || !s.now().Before(e.expires) {
		return nil, false
	}
	return e.value, true
}

// prune drops expired and removed entries from the front of the order,
// and the oldest beyond maxSessions. Callers hold s.mu.
func (s *sessions) prune() {
	now := s.now()
	i := 0
	for ; i < len(s.order); i++ {
		e, ok := s.m[s.order[i]]
		if ok && now.Before(e.expires) && len(s.m) < maxSessions {
			break
		}
		delete(s.m, s.order[i])
	}
	s.order = s.order[i:]
}
