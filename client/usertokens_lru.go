package client

// list is an intrusive doubly linked list of users, most recently used
// first. Its zero value is empty. It is guarded by UserTokens.mu.
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
