package client

import (
	"context"
	"sync"
)

// turns serialises the store writes of each user of a UserTokens: Save,
// Delete's removal and every save of the user's sources take the user's
// turn, so that they happen one at a time in the order they got it. A
// turn is held only across store calls, never across a token request or
// a revocation. Entries exist only while someone holds or waits for a
// turn, so memory does not grow with the number of users.
type turns struct {
	mu sync.Mutex       // guards m and every turn's waiters; never held during I/O
	m  map[string]*turn // by user ID
}

// turn is one user's turn: a one-slot semaphore, so that a waiter can
// give up when its context ends.
type turn struct {
	slot    chan struct{}
	waiters int // holders and waiters, guarded by turns.mu
}

// take waits for userID's turn, or for ctx to end. The returned function
// gives the turn back; call it exactly once when err is nil.
func (t *turns) take(ctx context.Context, userID string) (release func(), err error) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]*turn{}
	}
	tu := t.m[userID]
	if tu == nil {
		tu = &turn{slot: make(chan struct{}, 1)}
		t.m[userID] = tu
	}
	tu.waiters++
	t.mu.Unlock()
	done := func() {
		t.mu.Lock()
		if tu.waiters--; tu.waiters == 0 {
			delete(t.m, userID)
		}
		t.mu.Unlock()
	}
	select {
	case tu.slot <- struct{}{}:
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
	return func() { <-tu.slot; done() }, nil
}
