package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// CA is a test certificate authority.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// New returns a fresh CA named name. Every function of the package fails
// t on error, or panics when t is nil (for examples).
func New(t testing.TB, name string) *CA {
	if t != nil {
		t.Helper()
	}
	key := mustKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		fail(t, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		fail(t, err)
	}
	return &CA{Cert: cert, key: key}
}

// Pool returns a pool holding the CA's certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Client issues a client certificate with common name cn.
func (ca *CA) Client(t testing.TB, cn string) tls.Certificate {
	if t != nil {
		t.Helper()
	}
	return issue(t, cn, ca.Cert, ca.key)
}

// SelfSigned returns a self-signed client certificate with common name cn.
func SelfSigned(t testing.TB, cn string) tls.Certificate {
	if t != nil {
		t.Helper()
	}
	return issue(t, cn, nil, nil)
}

func issue(t testing.TB, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) tls.Certificate {
	key := mustKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		fail(t, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		fail(t, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func mustKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fail(t, err)
	}
	return k
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		fail(t, err)
	}
	return n
}

func fail(t testing.TB, err error) {
	if t == nil {
		panic(err)
	}
	t.Fatal(err)
}
