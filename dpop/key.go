package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// Errors returned by NewKey, NewKeyAlg and Proof. They are wrapped with a
// reason that names no key material; test for them with errors.Is.
var (
	// ErrUnsupportedKey means a signer's public key has a type, curve or
	// size that DPoP cannot use, or does not fit the requested algorithm.
	ErrUnsupportedKey = errors.New("dpop: unsupported key")
	// ErrSign means the signer failed to sign, or returned a signature
	// that does not verify against its public key.
	ErrSign = errors.New("dpop: the key cannot sign")
)

// The JWS algorithms (RFC 7518) a Key can sign with.
const (
	ES256 = "ES256" // ECDSA P-256 with SHA-256: the default for P-256 keys, and GenerateKey's
	ES384 = "ES384" // ECDSA P-384 with SHA-384
	ES512 = "ES512" // ECDSA P-521 with SHA-512
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256: the default for RSA keys
	PS256 = "PS256" // RSASSA-PSS with SHA-256, for RSA keys with NewKeyAlg
	EdDSA = "EdDSA" // Ed25519 (RFC 8037)
)

// MinRSABits is the smallest RSA modulus, in bits, that NewKey accepts.
const MinRSABits = 2048

// Key is a DPoP key: a crypto.Signer, the JWS algorithm it signs with, and
// its public JWK. Make one with NewKey, NewKeyAlg or GenerateKey. A Key is
// immutable and safe for concurrent use as long as its signer is.
type Key struct {
	signer     crypto.Signer
	alg        string
	hash       crypto.Hash       // digest signed; 0 for EdDSA, which signs the message
	opts       crypto.SignerOpts // passed to signer.Sign
	ecSize     int               // for ECDSA: the byte length of r and of s; 0 otherwise
	sigLen     int               // the byte length of a JWS signature
	jwk        []byte            // the public JWK with only the RFC 7638 required members, in their order
	thumbprint string
	header     string // the base64url-encoded protected header and the "." after it
}

// NewKey returns a Key that signs with signer, choosing the algorithm from
// its public key: ES256, ES384 or ES512 for ECDSA keys on P-256, P-384 or
// P-521; RS256 for RSA keys of at least MinRSABits bits; EdDSA for Ed25519.
// Any crypto.Signer works, including ones backed by a KMS or an HSM: NewKey
// reads nothing but signer.Public().
//
// NewKey signs one test message and verifies the signature against the
// public key, so that a key that cannot sign, or whose Public does not match
// its private half, fails here with ErrSign rather than on the first request.
// For a remote signer that is one round trip.
func NewKey(signer crypto.Signer) (*Key, error) {
	return NewKeyAlg(signer, "")
}

// NewKeyAlg is NewKey with the algorithm named: ES256, ES384, ES512, RS256,
// PS256 or EdDSA. The algorithm must fit the key (PS256 and RS256 for RSA
// keys, the ES algorithm of the key's curve for ECDSA keys, EdDSA for
// Ed25519). An empty alg picks the key's default, as NewKey does.
func NewKeyAlg(signer crypto.Signer, alg string) (*Key, error) {
	if signer == nil {
		return nil, fmt.Errorf("%w: nil signer", ErrUnsupportedKey)
	}
	k := &Key{signer: signer}
	pub := signer.Public()
	if err := k.init(pub, alg); err != nil {
		return nil, err
	}
	if err := k.selfTest(pub); err != nil {
		return nil, err
	}
	return k, nil
}

// init sets everything but the signer from the public key and the
// requested algorithm.
func (k *Key) init(pub crypto.PublicKey, alg string) error {
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		if err := k.initECDSA(pub, alg); err != nil {
			return err
		}
	case *rsa.PublicKey:
		if err := k.initRSA(pub, alg); err != nil {
			return err
		}
	case ed25519.PublicKey:
		if alg != "" && alg != EdDSA {
			return fmt.Errorf("%w: algorithm %s does not fit an Ed25519 key", ErrUnsupportedKey, algName(alg))
		}
		if len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrUnsupportedKey, len(pub))
		}
		k.alg, k.opts, k.sigLen = EdDSA, crypto.Hash(0), ed25519.SignatureSize
		k.jwk = fmt.Appendf(nil, `{"crv":"Ed25519","kty":"OKP","x":"%s"}`, b64(pub))
	default:
		return fmt.Errorf("%w: public key of type %T", ErrUnsupportedKey, pub)
	}
	sum := sha256.Sum256(k.jwk)
	k.thumbprint = b64(sum[:])
	header := fmt.Appendf(nil, `{"typ":"dpop+jwt","alg":"%s","jwk":%s}`, k.alg, k.jwk)
	k.header = b64(header) + "."
	return nil
}

// GenerateKey returns a Key for a fresh ECDSA P-256 private key, which
// signs with ES256. Its Signer is an *ecdsa.PrivateKey, for callers that
// store the key.
func GenerateKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dpop: generating a P-256 key: %w", err)
	}
	return NewKey(priv)
}

// Algorithm returns the JWS algorithm the key signs with, such as "ES256",
// for comparison with a server's dpop_signing_alg_values_supported.
func (k *Key) Algorithm() string { return k.alg }

// Thumbprint returns the base64url-encoded RFC 7638 SHA-256 thumbprint of
// the public key: the dpop_jkt authorization request parameter, and the
// jkt that a bound token's cnf claim carries.
func (k *Key) Thumbprint() string { return k.thumbprint }

// PublicJWK returns the public key as a JWK (RFC 7517) holding only the
// members RFC 7638 requires, in lexicographic order: the jwk header of
// every proof. The caller may modify the returned slice.
func (k *Key) PublicJWK() json.RawMessage { return append(json.RawMessage(nil), k.jwk...) }

// Signer returns the crypto.Signer the key signs with, for callers that
// store a key made by GenerateKey.
func (k *Key) Signer() crypto.Signer { return k.signer }

// initECDSA sets the algorithm and JWK of an ECDSA key.
func (k *Key) initECDSA(pub *ecdsa.PublicKey, alg string) error {
	if pub.Curve == nil {
		return fmt.Errorf("%w: ECDSA key with no curve", ErrUnsupportedKey)
	}
	var want, crv string
	switch pub.Curve {
	case elliptic.P256():
		want, crv, k.hash, k.ecSize = ES256, "P-256", crypto.SHA256, 32
	case elliptic.P384():
		want, crv, k.hash, k.ecSize = ES384, "P-384", crypto.SHA384, 48
	case elliptic.P521():
		want, crv, k.hash, k.ecSize = ES512, "P-521", crypto.SHA512, 66
	default:
		return fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, algName(pub.Curve.Params().Name))
	}
	if alg != "" && alg != want {
		return fmt.Errorf("%w: algorithm %s does not fit an ECDSA %s key", ErrUnsupportedKey, algName(alg), crv)
	}
	point, err := pub.Bytes() // 0x04 || X || Y, each coordinate full width
	if err != nil || len(point) != 1+2*k.ecSize {
		return fmt.Errorf("%w: invalid ECDSA %s public key", ErrUnsupportedKey, crv)
	}
	x, y := point[1:1+k.ecSize], point[1+k.ecSize:]
	k.alg, k.opts, k.sigLen = want, k.hash, 2*k.ecSize
	k.jwk = fmt.Appendf(nil, `{"crv":"%s","kty":"EC","x":"%s","y":"%s"}`, crv, b64(x), b64(y))
	return nil
}

// initRSA sets the algorithm and JWK of an RSA key.
func (k *Key) initRSA(pub *rsa.PublicKey, alg string) error {
	if pub.N == nil || pub.E < 3 || pub.E%2 == 0 {
		return fmt.Errorf("%w: invalid RSA public key", ErrUnsupportedKey)
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return fmt.Errorf("%w: RSA key of %d bits, want at least %d", ErrUnsupportedKey, bits, MinRSABits)
	}
	k.hash, k.sigLen = crypto.SHA256, (pub.N.BitLen()+7)/8
	switch alg {
	case "", RS256:
		k.alg, k.opts = RS256, crypto.SHA256
	case PS256:
		k.alg, k.opts = PS256, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	default:
		return fmt.Errorf("%w: algorithm %s does not fit an RSA key", ErrUnsupportedKey, algName(alg))
	}
	e := big.NewInt(int64(pub.E)).Bytes()
	k.jwk = fmt.Appendf(nil, `{"e":"%s","kty":"RSA","n":"%s"}`, b64(e), b64(pub.N.Bytes()))
	return nil
}

// selfTest signs a fixed message and verifies the signature against pub.
func (k *Key) selfTest(pub crypto.PublicKey) error {
	msg := []byte(k.header + "ZHBvcCBzZWxmLXRlc3Q")
	sig, err := k.sign(msg)
	if err != nil {
		return err
	}
	ok := false
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		r, s := new(big.Int).SetBytes(sig[:k.ecSize]), new(big.Int).SetBytes(sig[k.ecSize:])
		ok = ecdsa.Verify(pub, digest(k.hash, msg), r, s)
	case *rsa.PublicKey:
		if k.alg == PS256 {
			ok = rsa.VerifyPSS(pub, k.hash, digest(k.hash, msg), sig, k.opts.(*rsa.PSSOptions)) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(pub, k.hash, digest(k.hash, msg), sig) == nil
		}
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, msg, sig)
	}
	if !ok {
		return fmt.Errorf("%w: its signature does not verify against its public key", ErrSign)
	}
	return nil
}

// sign returns the JWS signature (RFC 7515 section 5.1, RFC 7518 section
// 3) of msg: r || s for ECDSA, the signer's bytes otherwise.
func (k *Key) sign(msg []byte) ([]byte, error) {
	in := msg // EdDSA signs the message itself
	if k.hash != 0 {
		in = digest(k.hash, msg)
	}
	sig, err := k.signer.Sign(rand.Reader, in, k.opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSign, err)
	}
	if k.ecSize == 0 {
		return sig, nil
	}
	raw, ok := ecdsaRaw(sig, k.ecSize)
	if !ok {
		return nil, fmt.Errorf("%w: the signer returned a malformed ECDSA signature", ErrSign)
	}
	return raw, nil
}

// digest returns the h digest of msg, for h SHA-256, SHA-384 or SHA-512.
func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA384:
		sum := sha512.Sum384(msg)
		return sum[:]
	case crypto.SHA512:
		sum := sha512.Sum512(msg)
		return sum[:]
	}
	sum := sha256.Sum256(msg)
	return sum[:]
}

// b64 is base64url without padding (RFC 7515 section 2).
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// algName bounds a caller's algorithm or curve name for an error message.
func algName(s string) string {
	if len(s) > 16 {
		s = s[:16] + "..."
	}
	return fmt.Sprintf("%q", s)
}
