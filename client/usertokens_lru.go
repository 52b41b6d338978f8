package client

import "sync"

// residents is the set of users whose sources are in memory, bounded by
// max. Lookups take the read lock only: a hit reads the map and sets the
// user's reference bit. Inserts and removals take the write lock. Eviction is CLOCK
// (second chance), an approximation of least recently used: the user at
// the tail is evicted unless it was used since it last got there, in
// which case it goes back to the front with its bit cleared.
type residents struct {
	mu  sync.RWMutex     // guards m and l; never held during I/O
	m   map[string]*user // by user ID
	l   list             // newest first
	max int
}

// lookup returns userID's resident user, or nil.
func (s *residents) lookup(userID string) *user {
	s.mu.RLock()
	r := s.m[userID]
	s.mu.RUnlock()
	if r == nil {
		return nil
	}
	if !r.ref.Load() {
		r.ref.Store(true)
	}
	return r
}

// insert makes nr resident unless another user for its ID already is;
// it returns the resident one, and the user evicted to make room, if any,
// already marked evicted.
func (s *residents) insert(nr *user) (r, evicted *user) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.m[nr.id]; cur != nil {
		return cur, nil
	}
	if s.m == nil {
		s.m = map[string]*user{}
	}
	s.m[nr.id] = nr
	s.l.pushFront(nr)
	// Each pass either evicts or clears a bit: at most n+1 passes.
	for s.l.n > s.max {
		t := s.l.back()
		if t.ref.Load() {
			t.ref.Store(false)
			s.l.moveToFront(t)
			continue
		}
		s.l.remove(t)
		delete(s.m, t.id)
		t.evicted.Store(true) // before it is gone: Delete's tombstone sees one or the other
		evicted = t
	}
	return nr, evicted
}

// remove drops userID's resident user, if it is r (or any, when r is
// nil), marks it evicted, and returns what it dropped.
func (s *residents) remove(userID string, r *user) *user {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.m[userID]
	if cur == nil || r != nil && cur != r {
		return nil
	}
	s.l.remove(cur)
	delete(s.m, userID)
	cur.evicted.Store(true)
	return cur
}

// len returns how many users are resident.
func (s *residents) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.l.n
}

// list is an intrusive doubly linked list of users. Its zero value is
// empty.
type list struct {
	head, tail *user
	n          int
}

func (l *list) pushFront(r *user) {
	r.prev, r.next = nil, l.head
	if l.head != nil {
		l.head.prev = r
	} else {
		l.tail = r
	}
	l.head = r
	l.n++
}

func (l *list) remove(r *user) {
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		l.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		l.tail = r.prev
	}
	r.prev, r.next = nil, nil
	l.n--
}

func (l *list) moveToFront(r *user) {
	if l.head == r {
		return
	}
	l.remove(r)
	l.pushFront(r)
}

func (l *list) back() *user { return l.tail }
