package faulttest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a loopback TCP listener that hands each connection to a
// handler.
type Server struct {
	// URL is "http://" + the listening address, with no path.
	URL string
	// Addr is the listening address, host:port.
	Addr string

	ln       net.Listener
	handle   func(net.Conn)
	done     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted atomic.Int32
	requests atomic.Int32
}

// Serve starts a Server on 127.0.0.1 that runs handle for every connection
// it accepts, in its own goroutine. handle need not close the connection.
// The server is closed by t.Cleanup.
func Serve(t testing.TB, handle func(conn net.Conn)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Addr:   ln.Addr().String(),
		ln:     ln,
		handle: handle,
		done:   make(chan struct{}),
		conns:  map[net.Conn]struct{}{},
	}
	s.URL = "http://" + s.Addr
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		fc := &conn{Conn: c, srv: s}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		s.conns[fc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, fc)
				s.mu.Unlock()
				fc.Close()
			}()
			s.handle(fc)
		}()
	}
}

// Close stops the listener, closes every connection and waits for the
// handlers to return. It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		s.wg.Wait()
		return
	default:
	}
	close(s.done)
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Accepted returns the number of connections accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Requests returns the number of HTTP requests that handlers read with
// ReadRequest: how many requests reached the server.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// conn is a connection of a Server.
type conn struct {
	net.Conn
	srv *Server
}

// Sleep waits for d, or until the server of conn closes; it reports
// whether the whole d elapsed. On a connection not from a Server it is
// time.Sleep.
func Sleep(c net.Conn, d time.Duration) bool {
	fc, ok := c.(*conn)
	if !ok {
		time.Sleep(d)
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-fc.srv.done:
		return false
	}
}

// ReadRequest reads one HTTP request, with its body, from c. It counts
// toward Server.Requests.
func ReadRequest(c net.Conn) (*http.Request, []byte, error) {
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		return nil, nil, err
	}
	if fc, ok := c.(*conn); ok {
		fc.srv.requests.Add(1)
	}
	return req, body, nil
}

// Reset closes c with a TCP reset (SO_LINGER 0) instead of an orderly
// close, as a crashing server or a middlebox does.
func Reset(c net.Conn) {
	if fc, ok := c.(*conn); ok {
		c = fc.Conn
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// ClosedPort returns the URL of a loopback port where nothing listens, so
// that connecting is refused.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// AcceptThenClose closes each connection at once, before reading the
// request.
func AcceptThenClose(c net.Conn) { c.Close() }

// ResetMidResponse reads the request, writes the first half of response
// (a complete raw HTTP response), then resets the connection.
func ResetMidResponse(response string) func(net.Conn) {
	return func(c net.Conn) {
		if _, _, err := ReadRequest(c); err != nil {
			return
		}
		io.WriteString(c, response[:len(response)/2])
		Sleep(c, 20*time.Millisecond) // let the half reach the client
		Reset(c)
	}
}

// ResetAfter reads the request, writes prefix (for example complete
// headers and part of a body), then resets the connection.
func ResetAfter(prefix string) func(net.Conn) {
	return func(c net.Conn) {
		if _, _, err := ReadRequest(c); err != nil {
			return
		}
		io.WriteString(c, prefix)
		Sleep(c, 20*time.Millisecond)
		Reset(c)
	}
}

// CloseAfter reads the request, writes prefix, then closes the connection
// normally (a FIN), so that the client sees a short body.
func CloseAfter(prefix string) func(net.Conn) {
	return func(c net.Conn) {
		if _, _, err := ReadRequest(c); err != nil {
			return
		}
		io.WriteString(c, prefix)
	}
}

// SlowLoris reads the request, writes head at once, then the rest of
// response one byte every interval, until it is written or the client
// or the server gives up.
func SlowLoris(head, rest string, interval time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		if _, _, err := ReadRequest(c); err != nil {
			return
		}
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		for i := 0; i < len(rest); i++ {
			if !Sleep(c, interval) {
				return
			}
			if _, err := c.Write([]byte{rest[i]}); err != nil {
				return
			}
		}
	}
}

// NeverAnswer reads the request and then holds the connection open
// without answering until the client hangs up or the server closes.
func NeverAnswer(c net.Conn) {
	if _, _, err := ReadRequest(c); err != nil {
		return
	}
	io.Copy(io.Discard, c) // returns when the client closes or Close closes c
}

// Response formats a raw HTTP/1.1 response with a Content-Length that
// matches body.
func Response(status int, contentType, body string) string {
	return Head(status, contentType, len(body)) + body
}

// Head formats the status line and headers of a raw HTTP/1.1 response
// announcing contentLength bytes of body.
func Head(status int, contentType string, contentLength int) string {
	h := "HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n"
	if contentType != "" {
		h += "Content-Type: " + contentType + "\r\n"
	}
	return h + "Content-Length: " + strconv.Itoa(contentLength) + "\r\nConnection: close\r\n\r\n"
}
