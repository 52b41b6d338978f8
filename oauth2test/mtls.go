package oauth2test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

// checkClientCert authenticates an AuthTLS or AuthSelfSignedTLS client by
// the certificate its connection presented (RFC 8705 §2). Callers hold
// s.mu.
func (s *Server) checkClientCert(c *Client, cs *tls.ConnectionState) *oauthError {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return errInvalidClient("an mTLS client must present a TLS client certificate")
	}
	leaf := cs.PeerCertificates[0]
	if c.AuthStyle == AuthSelfSignedTLS {
		if !bytes.Equal(leaf.Raw, c.TLSCertificate) {
			return errInvalidClient("the TLS client certificate is not the client's")
		}
		return nil
	}
	inter := x509.NewCertPool()
	for _, ic := range cs.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	opts := x509.VerifyOptions{Roots: s.clientCAs, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if s.clientCAs == nil {
		return errInvalidClient("the server has no ClientCAs to verify client certificates")
	}
	if _, err := leaf.Verify(opts); err != nil {
		return errInvalidClient("the TLS client certificate does not chain to a trusted CA")
	}
	if c.TLSSubject != "" && leaf.Subject.String() != c.TLSSubject || c.TLSSubject == "" && leaf.Subject.CommonName != c.ID {
		return errInvalidClient("the TLS client certificate's subject is not the client's")
	}
	return nil
}

// MTLSClient returns an HTTP client that trusts the server's TLS
// certificate and presents cert as its client certificate, for a Server
// with Options.ClientCAs.
func (s *Server) MTLSClient(cert tls.Certificate) *http.Client {
	tr := s.ts.Client().Transport.(*http.Transport).Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	return &http.Client{Transport: tr}
}
