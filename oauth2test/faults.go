package oauth2test

import (
	"io"
	"net"
	"net/http"
	"time"
)

// Fault is a failure injected into the answer to one token endpoint request.
// Its zero value does nothing; set fields to choose the failure:
//
//   - Error (with optional Description and Status) sends an RFC 6749
//     section 5.2 JSON error; with Status 200 it is an "error in a 200".
//   - Body sends a raw body instead, such as an HTML page, garbage or
//     truncated JSON, with ContentType (sniffed when empty; none at all
//     with NoContentType).
//   - Status alone sends that status with its text as a plain body; with
//     EmptyBody, with no body at all.
//   - CloseConnection drops the connection without answering.
//   - Latency alone delays the request, which is then answered normally.
//
// RetryAfter adds a Retry-After header to any of them.
type Fault struct {
	// Status is the HTTP status. Zero means 400 when Error is set and 500
	// otherwise.
	Status int

	// Error is an RFC 6749 section 5.2 error code such as "invalid_grant" or
	// "temporarily_unavailable".
	Error string

	// Description is sent as error_description with Error.
	Description string

	// RetryAfter is the Retry-After header value: seconds or an HTTP date.
	RetryAfter string

	// Latency is slept before answering, on top of Server.SetLatency. The
	// sleep ends early when the client gives up or the server closes.
	Latency time.Duration

	// Body is a raw body to send instead of a JSON error; it takes precedence
	// over Error.
	Body string

	// ContentType is the Content-Type of Body; empty means sniffed with
	// http.DetectContentType.
	ContentType string

	// NoContentType sends the answer without a Content-Type header.
	NoContentType bool

	// EmptyBody sends Status (500 when zero) with an empty body instead of
	// the status text, as a server that answers 200 with nothing does.
	EmptyBody bool

	// CloseConnection makes the server drop the TCP connection (with a
	// reset) without answering, as when a connection breaks mid-request.
	CloseConnection bool

	// Process makes the server first handle the request as usual, consuming
	// codes and rotating refresh tokens, and then answer with the fault, as
	// when a response is lost on its way back to the client.
	Process bool
}

// passThrough reports whether f only delays the request.
func (f Fault) passThrough() bool {
	return f.Status == 0 && f.Error == "" && f.Body == "" && f.RetryAfter == "" && !f.CloseConnection && !f.EmptyBody
}

// QueueFault queues f for the token endpoint. Queued faults apply in order,
// one per request, to the next requests that reach the token endpoint.
func (s *Server) QueueFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// SetLatency sets a delay added to every token endpoint response; zero
// removes it.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// popFault dequeues the next fault. Callers hold s.mu.
func (s *Server) popFault() (Fault, bool) {
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// sleep waits for d and reports whether it did; it returns false early when
// the request's context ends or the server closes.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// writeFault answers with f.
func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	if f.CloseConnection {
		dropConnection(w)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
		if f.Error != "" {
			status = http.StatusBadRequest
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Error != "" && f.Body == "" && !f.EmptyBody {
		writeJSON(w, status, errorBody{Error: f.Error, Description: f.Description})
		return
	}
	body, ct := f.Body, f.ContentType
	if body == "" && !f.EmptyBody {
		body, ct = http.StatusText(status)+"\n", "text/plain; charset=utf-8"
	}
	switch {
	case f.NoContentType:
		w.Header()["Content-Type"] = nil // net/http would sniff one
	case ct != "":
		w.Header().Set("Content-Type", ct)
	case body != "":
		w.Header().Set("Content-Type", http.DetectContentType([]byte(body)))
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// dropConnection closes the connection under w with a TCP reset, without
// writing a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http's way to abort a response
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
