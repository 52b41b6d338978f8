package oauth2test

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Server is a fake OAuth 2.0 authorization server listening on a loopback
// address. Create one with NewServer and stop it with Close.
type Server struct {
	// URL is the base URL of the server, of the form http://127.0.0.1:port,
	// with no trailing slash. It is also the issuer in metadata and JWTs.
	URL string

	ts        *httptest.Server
	done      chan struct{} // closed by Close; ends injected latency
	closeOnce sync.Once

	clock              func() time.Time
	jwtKey             []byte
	deviceInterval     int // seconds; negative: omitted from responses
	deviceCodeLifetime time.Duration
	refreshLifetime    time.Duration
	autoApproveUser    string
	requirePAR         bool

	mu            sync.Mutex
	offset        time.Duration // added to clock by Advance
	clients       map[string]*Client
	users         map[string]string
	access        map[string]*accessToken
	refresh       map[string]*refreshToken
	codes         map[string]*authCode
	devices       map[string]*deviceGrant // by device_code
	userCodes     map[string]*deviceGrant // by normalized user_code
	faults        []Fault
	latency       time.Duration
	tokenRequests int
	grantRequests map[string]int
	resourceReqs  int
	lastToken     *Request
	issuedAccess  int
	std           *extState // standards beyond client secrets (standards.go)

	clientCAs   *x509.CertPool // for AuthTLS clients; non-nil: the server listens with TLS
	dpop        DPoPVerifier   // checks every DPoP proof
	requireDPoP bool
	dpopNonce   string  // what proofs must carry; "" for none (guarded by mu)
	bound       binding // of the token request being served (guarded by mu)
}

// NewServer starts and returns a new Server. tb may be nil, for programs such
// as a quick start; otherwise Close is registered with tb.Cleanup and an
// invalid opts fails the test. opts may be nil for the defaults.
//
// When tb is nil, NewServer panics if opts is invalid: a client with an empty
// or duplicate ID, or an unknown AuthStyle, BodyFormat or ExpiresInFormat.
func NewServer(tb testing.TB, opts *Options) *Server {
	if tb != nil {
		tb.Helper()
	}
	s, err := newServer(opts)
	if err != nil {
		if tb != nil {
			tb.Fatal(err)
		}
		panic(err)
	}
	s.ts = httptest.NewUnstartedServer(s.handler())
	if s.clientCAs != nil {
		s.ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	s.URL = s.ts.URL
	if tb != nil {
		tb.Cleanup(s.Close)
	}
	return s
}

// newServer builds the state of a server from opts, without listening.
func newServer(opts *Options) (*Server, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Server{
		done:               make(chan struct{}),
		clock:              opts.Clock,
		jwtKey:             make([]byte, 32),
		deviceInterval:     opts.DeviceInterval,
		deviceCodeLifetime: opts.DeviceCodeLifetime,
		refreshLifetime:    opts.RefreshTokenLifetime,
		autoApproveUser:    opts.AutoApproveUser,
		requirePAR:         opts.RequirePAR,
		clients:            map[string]*Client{},
		users:              map[string]string{},
		access:             map[string]*accessToken{},
		refresh:            map[string]*refreshToken{},
		codes:              map[string]*authCode{},
		devices:            map[string]*deviceGrant{},
		userCodes:          map[string]*deviceGrant{},
		grantRequests:      map[string]int{},
	}
	rand.Read(s.jwtKey)
	s.requireDPoP = opts.RequireDPoP
	s.clientCAs = opts.ClientCAs
	if opts.DPoPNonce {
		s.dpopNonce = randomString(16)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.deviceInterval == 0 {
		s.deviceInterval = DefaultDeviceInterval
	}
	if s.deviceCodeLifetime <= 0 {
		s.deviceCodeLifetime = DefaultDeviceCodeLifetime
	}
	lifetime := opts.TokenLifetime
	if lifetime <= 0 {
		lifetime = DefaultTokenLifetime
	}
	clients := opts.Clients
	if clients == nil {
		clients = []Client{{ID: DefaultClientID, Secret: DefaultClientSecret}}
	}
	for _, c := range clients {
		if err := c.validate(); err != nil {
			return nil, err
		}
		if s.clients[c.ID] != nil {
			return nil, fmt.Errorf("oauth2test: duplicate client ID %q", c.ID)
		}
		s.clients[c.ID] = c.clone(lifetime)
	}
	users := opts.Users
	if users == nil {
		users = map[string]string{DefaultUsername: DefaultPassword}
	}
	for u, p := range users {
		s.users[u] = p
	}
	return s, nil
}

// handler returns the server's routes.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/token", s.handleToken)
	mux.HandleFunc("/authorize", s.handleAuthorize)
	mux.HandleFunc("/device_authorization", s.handleDeviceAuthorization)
	mux.HandleFunc("/device", s.handleDevice)
	mux.HandleFunc("/resource", s.handleResource)
	mux.HandleFunc("/revoke", s.handleRevoke)
	mux.HandleFunc("/introspect", s.handleIntrospect)
	mux.HandleFunc("/par", s.handlePAR)
	mux.HandleFunc("/register", s.handleRegister)
	mux.HandleFunc("/register/", s.handleRegister)
	mux.HandleFunc(ResourceMetadataPath, s.handleResourceMetadata)
	mux.HandleFunc("/.well-known/oauth-authorization-server", s.handleMetadata)
	mux.HandleFunc("/.well-known/openid-configuration", s.handleMetadata)
	return mux
}

// Close shuts the server down, ending any injected latency, and blocks until
// all outstanding requests have completed. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.Close()
	})
}

// Client returns an HTTP client configured for making requests to the server,
// like httptest.Server.Client. It follows redirects.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Endpoint returns the server's endpoints for golang.org/x/oauth2, with the
// zero AuthStyle (auto-detect).
func (s *Server) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:       s.AuthURL(),
		DeviceAuthURL: s.DeviceAuthURL(),
		TokenURL:      s.TokenURL(),
	}
}

// TokenURL returns the URL of the token endpoint.
func (s *Server) TokenURL() string { return s.URL + "/token" }

// AuthURL returns the URL of the authorization endpoint. Its login page has a
// form with id "login", inputs named "username" and "password", and buttons
// with ids "submit" (sign in and allow) and "deny".
func (s *Server) AuthURL() string { return s.URL + "/authorize" }

// DeviceAuthURL returns the URL of the device authorization endpoint
// (RFC 8628). Clients authenticate there as at the token endpoint, so a
// confidential client must send its secret; golang.org/x/oauth2's
// Config.DeviceAuth sends only client_id, which suits an AuthNone client.
func (s *Server) DeviceAuthURL() string { return s.URL + "/device_authorization" }

// ResourceURL returns the URL of a protected resource that accepts Bearer
// tokens issued by the server (RFC 6750).
func (s *Server) ResourceURL() string { return s.URL + "/resource" }

// RevocationURL returns the URL of the revocation endpoint (RFC 7009).
func (s *Server) RevocationURL() string { return s.URL + "/revoke" }

// VerificationURL returns the URL of the page where a user enters a device
// user code (RFC 8628 verification_uri). The page has a form with id
// "device", inputs named "user_code" (prefilled from the user_code query
// parameter), "username" and "password", and buttons with ids "submit"
// (sign in and allow) and "deny".
func (s *Server) VerificationURL() string { return s.URL + "/device" }

// TokenRequests returns the number of requests that reached the token
// endpoint, including failed and faulted ones.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// GrantRequests returns the number of token endpoint requests whose
// grant_type parameter was grantType, including failed and faulted ones.
func (s *Server) GrantRequests(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grantRequests[grantType]
}

// LastTokenRequest returns a copy of the last request that reached the token
// endpoint, or nil if there was none.
func (s *Server) LastTokenRequest() *Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastToken.clone()
}

// ResourceRequests returns the number of requests that reached the protected
// resource, whether or not they were authorized.
func (s *Server) ResourceRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resourceReqs
}

// IssuedAccessTokens returns the number of access tokens the server has
// issued, by any grant or the implicit flow, whether or not they are still
// valid.
func (s *Server) IssuedAccessTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuedAccess
}
