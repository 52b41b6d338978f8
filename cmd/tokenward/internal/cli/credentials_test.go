package cli

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeKey writes a PEM block of typ with der to a file of the given mode
// and returns its path.
func writeKey(t *testing.T, typ string, der []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func mustPKCS8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestLoadPrivateKeyFormats(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ec384)
	for name, c := range map[string]struct {
		typ string
		der []byte
	}{
		"PKCS#8 EC":      {"PRIVATE KEY", mustPKCS8(t, ec)},
		"PKCS#8 RSA":     {"PRIVATE KEY", mustPKCS8(t, rsaKey)},
		"PKCS#8 Ed25519": {"PRIVATE KEY", mustPKCS8(t, ed)},
		"PKCS#1 RSA":     {"RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)},
		"SEC1 EC":        {"EC PRIVATE KEY", sec1},
	} {
		for _, mode := range []os.FileMode{0o600, 0o400} {
			if _, err := loadPrivateKey(writeKey(t, c.typ, c.der, mode)); err != nil {
				t.Errorf("%s, mode %#o: %v", name, mode, err)
			}
		}
	}
}

// TestLoadPrivateKeyRefusals: files others may read, missing files, keys
// that cannot sign a client assertion and what is not a key are refused,
// with an error that names the file and never quotes it.
func TestLoadPrivateKeyRefusals(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p224DER, _ := x509.MarshalECPrivateKey(p224)
	good := mustPKCS8(t, ec)
	missing := filepath.Join(t.TempDir(), "nope.pem")
	dir := t.TempDir()
	for name, c := range map[string]struct {
		path string
		want string
	}{
		"world-readable":     {writeKey(t, "PRIVATE KEY", good, 0o644), "readable by others"},
		"group-readable":     {writeKey(t, "PRIVATE KEY", good, 0o640), "readable by others"},
		"missing":            {missing, "does not exist"},
		"a directory":        {dir, "not a regular file"},
		"X25519":             {writeKey(t, "PRIVATE KEY", mustPKCS8(t, x25519), 0o600), "cannot sign"},
		"RSA 1024":           {writeKey(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small), 0o600), "1024-bit"},
		"P-224":              {writeKey(t, "EC PRIVATE KEY", p224DER, 0o600), "unsupported curve"},
		"a certificate":      {writeKey(t, "CERTIFICATE", good, 0o600), "not PRIVATE KEY"},
		"encrypted PKCS#8":   {writeKey(t, "ENCRYPTED PRIVATE KEY", good, 0o600), "encrypted"},
		"garbage DER":        {writeKey(t, "PRIVATE KEY", good[:40], 0o600), "not a valid"},
		"EC key as PKCS#1":   {writeKey(t, "RSA PRIVATE KEY", good, 0o600), "not a valid"},
		"not PEM":            {writeFile(t, "just text\n", 0o600), "no PEM block"},
		"an unreadable file": {writeFile(t, "x", 0o000), "not readable"},
	} {
		if name == "an unreadable file" && os.Geteuid() == 0 {
			continue // root reads files of any mode
		}
		_, err := loadPrivateKey(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v; want an error with %q", name, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: %v does not name the file", name, err)
		}
		if data, _ := os.ReadFile(c.path); len(data) > 0 {
			assertNoKeyMaterial(t, name, err.Error(), data)
		}
	}
	if _, err := loadPrivateKey(writeKey(t, "PRIVATE KEY", good, 0o604)); !errors.Is(err, errReadableByOthers) {
		t.Errorf("mode 0604: %v; want errReadableByOthers", err)
	}
}

// writeFile writes text to a new file of the given mode.
func writeFile(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertNoKeyMaterial fails if text holds any 16-byte run of the PEM
// body in data.
func assertNoKeyMaterial(t *testing.T, where, text string, data []byte) {
	t.Helper()
	var body string
	if b, _ := pem.Decode(data); b != nil {
		body = strings.Join(strings.Fields(string(data[strings.Index(string(data), "\n")+1:])), "")
		body = strings.TrimSuffix(body, "-----END"+b.Type+"-----")
	}
	for i := 0; i+16 <= len(body); i += 8 {
		if strings.Contains(text, body[i:i+16]) {
			t.Errorf("%s: key material in %q", where, text)
			return
		}
	}
}
