package cli

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxCredentialFile caps a key, certificate or token file.
const maxCredentialFile = 64 << 10

// errReadableByOthers is matched by errors for a private key file that
// users other than its owner may read.
var errReadableByOthers = errors.New("readable by others")

// hasClientAuth reports whether the profile authenticates the client
// with something other than a client secret.
func (p *Profile) hasClientAuth() bool {
	return p.PrivateKey != "" || p.AssertionFile != "" || p.ClientCert != ""
}

// validateCredentials checks the credential file settings of a profile
// (the files themselves are checked by checkCredentialFiles).
func (p *Profile) validateCredentials() []string {
	var errs []string
	if p.PrivateKey != "" && p.AssertionFile != "" {
		errs = append(errs, "--private-key and --assertion-file are two client assertions: give one")
	}
	if p.KeyID != "" && p.PrivateKey == "" {
		errs = append(errs, "--key-id needs --private-key")
	}
	if (p.ClientCert == "") != (p.ClientKey == "") {
		errs = append(errs, "--client-cert and --client-key go together")
	}
	for _, f := range []struct{ flag, path string }{
		{"--private-key", p.PrivateKey}, {"--assertion-file", p.AssertionFile},
		{"--client-cert", p.ClientCert}, {"--client-key", p.ClientKey},
	} {
		if f.path != "" && !filepath.IsAbs(f.path) {
			errs = append(errs, f.flag+" path is not absolute")
		}
	}
	return errs
}

// checkCredentialFiles reads every credential file the profile names, so
// that 'profile add' fails on a missing, unreadable, world-readable or
// unparsable file instead of the first token request.
func (p *Profile) checkCredentialFiles() error {
	if p.PrivateKey != "" {
		if _, err := loadPrivateKey(p.PrivateKey); err != nil {
			return err
		}
	}
	if p.AssertionFile != "" {
		if _, err := readTokenFile("assertion file", p.AssertionFile); err != nil {
			return err
		}
	}
	if p.ClientCert != "" {
		if _, err := loadClientCertificate(p.ClientCert, p.ClientKey); err != nil {
			return err
		}
	}
	if x := p.Exchange; x != nil && x.SubjectTokenFile != "" {
		if _, err := readTokenFile("subject token file", x.SubjectTokenFile); err != nil {
			return err
		}
	}
	if x := p.Exchange; x != nil && x.ActorTokenFile != "" {
		if _, err := readTokenFile("actor token file", x.ActorTokenFile); err != nil {
			return err
		}
	}
	return nil
}

// readPrivateFile reads a file that holds a private key: a regular file
// of at most 64 KiB that only its owner may read (mode 0600 or 0400, as
// ssh demands of its keys). Errors name the file, never its content.
func readPrivateFile(what, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(what, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileError(what, path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file", what, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s %s is %w (mode %#o): chmod 600 it", what, path, errReadableByOthers, perm)
	}
	return readCapped(what, path, f)
}

// readTokenFile reads a file that holds one token or assertion (at most
// 64 KiB, white space trimmed). Its mode is not checked: a Kubernetes
// projected service-account token is mode 0644 in a volume only its pod
// sees.
func readTokenFile(what, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fileError(what, path, err)
	}
	defer f.Close()
	b, err := readCapped(what, path, f)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s %s is empty", what, path)
	}
	return s, nil
}

// readCapped reads r, refusing more than maxCredentialFile bytes.
func readCapped(what, path string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCredentialFile+1))
	if err != nil {
		return nil, fileError(what, path, err)
	}
	if len(b) > maxCredentialFile {
		return nil, fmt.Errorf("%s %s is larger than 64 KiB", what, path)
	}
	return b, nil
}

// fileError says why a file could not be read, in words without the Go
// operation names.
func fileError(what, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s does not exist", what, path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s is not readable (permission denied)", what, path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %s cannot be read: %v", what, path, err)
}

// loadPrivateKey reads a PEM private key that can sign client
// assertions: PKCS#8 ("PRIVATE KEY"), PKCS#1 RSA ("RSA PRIVATE KEY") or
// SEC1 EC ("EC PRIVATE KEY"); RSA of 2048 bits or more, ECDSA on P-256,
// P-384 or P-521, or Ed25519. Encrypted keys are refused. Errors never
// quote the file's content.
func loadPrivateKey(path string) (crypto.Signer, error) {
	const what = "private key"
	data, err := readPrivateFile(what, path)
	if err != nil {
		return nil, err
	}
	return parsePrivateKey(path, data)
}

// parsePrivateKey parses the PEM private key read from path.
func parsePrivateKey(path string, data []byte) (crypto.Signer, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("private key %s "+format, append([]any{path}, args...)...)
	}
	block, rest := pem.Decode(data)
	for block != nil && block.Type == "EC PARAMETERS" { // openssl ecparam -genkey writes them first
		block, rest = pem.Decode(rest)
	}
	if block == nil {
		return nil, bad("holds no PEM block")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, bad("is encrypted: decrypt it into a file only you can read (openssl pkey -in KEY -out PLAIN)")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		// The type line is a label, not key material, but it is bounded.
		return nil, bad("holds a %q PEM block, not PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY", safe(oneLine(block.Type, 40)))
	}
	if err != nil {
		// x509's messages carry no key bytes, but an ASN.1 error may quote
		// structure: say only which format failed.
		return nil, bad("is not a valid %s block", block.Type)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, bad("is a %d-bit RSA key: use 2048 bits or more", k.N.BitLen())
		}
		return k, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return k, nil
		}
		return nil, bad("is an ECDSA key on an unsupported curve: use P-256, P-384 or P-521")
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, bad("is a %s key, which cannot sign a client assertion: use RSA, ECDSA (P-256, P-384, P-521) or Ed25519", keyKind(key))
}

// keyKind names a parsed key's type for an error.
func keyKind(key any) string {
	switch fmt.Sprintf("%T", key) {
	case "*ecdh.PrivateKey":
		return "X25519 (ECDH)"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", key), "*")
}

// loadClientCertificate reads the TLS client certificate (PEM, with its
// chain) and its private key, which only its owner may read.
func loadClientCertificate(certPath, keyPath string) (*tls.Certificate, error) {
	f, err := os.Open(certPath)
	if err != nil {
		return nil, fileError("client certificate", certPath, err)
	}
	defer f.Close()
	certPEM, err := readCapped("client certificate", certPath, f)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readPrivateFile("client key", keyPath)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// tls's messages say what is wrong (no PEM data, key does not
		// match) without quoting either file.
		return nil, fmt.Errorf("client certificate %s and key %s: %s", certPath, keyPath, strings.TrimPrefix(err.Error(), "tls: "))
	}
	return &cert, nil
}
