package client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ClientAssertion authenticates a client with a JWT instead of a shared
// secret (RFC 7523 section 2.2, RFC 7521): private_key_jwt
// (PrivateKeyJWT), client_secret_jwt (SecretJWT), or an assertion minted
// elsewhere (AssertionFile, AssertionFunc). Each request gets a fresh
// assertion; none is reused, and none appears in an error or log line.
type ClientAssertion interface {
	assertion(ctx context.Context, r assertionRequest) (string, error)
}

// assertionRequest is what a ClientAssertion needs for one request.
type assertionRequest struct {
	ClientID string
	Secret   string   // Config.ClientSecret, for SecretJWT
	Audience []string // the token endpoint URL, then the issuer if known; or the pinned audience
	Now      func() time.Time
}

func (r assertionRequest) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// assertionLifetime is how far ahead exp is (RFC 7523 wants it short;
// DESIGN.md caps it at 5 minutes).
const assertionLifetime = 2 * time.Minute

// Client assertion parameter values (RFC 7523 section 2.2).
const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// ErrUnsupportedKey is matched by errors for a key whose type or curve
// has no JWS algorithm here, or an algorithm that is not supported.
var ErrUnsupportedKey = errors.New("client: unsupported key or algorithm for a client assertion")

// AssertionError reports a client assertion that could not be made. It
// never holds key material or the assertion.
type AssertionError struct {
	Reason string
	Err    error // ErrUnsupportedKey, the signer's or the file's error
}

func (e *AssertionError) Error() string {
	s := "client: client assertion: " + e.Reason
	if e.Err != nil && e.Err != ErrUnsupportedKey {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *AssertionError) Unwrap() error { return e.Err }

// assertionClaims are the claims of a client authentication JWT.
type assertionClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience audience `json:"aud"`
	JWTID    string   `json:"jti"`
	IssuedAt int64    `json:"iat"`
	Expiry   int64    `json:"exp"`
	Scope    string   `json:"scope,omitempty"`
}

// audience is a string when it has one member, else an array (RFC 7519
// section 4.1.3).
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

func newJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func clientClaims(r assertionRequest) (*assertionClaims, error) {
	if r.ClientID == "" {
		return nil, &AssertionError{Reason: "the client ID is empty"}
	}
	if len(r.Audience) == 0 {
		return nil, &AssertionError{Reason: "no audience (token endpoint URL)"}
	}
	jti, err := newJTI()
	if err != nil {
		return nil, &AssertionError{Reason: "no randomness for jti", Err: err}
	}
	now := r.now()
	return &assertionClaims{
		Issuer: r.ClientID, Subject: r.ClientID, Audience: r.Audience, JWTID: jti,
		IssuedAt: now.Unix(), Expiry: now.Add(assertionLifetime).Unix(),
	}, nil
}

// keySigner signs JWTs with one key. The JWS is built by hand (header
// encoded once, one hash, one signature): go-jose's general signer costs
// 1.5x the raw ECDSA signature, over the 1.3x budget.
type keySigner struct {
	key   crypto.Signer
	keyID string
	alg   jose.SignatureAlgorithm // "" picks by key type

	once   sync.Once
	header string // base64url of the JOSE header, then "."
	hash   crypto.Hash
	opts   crypto.SignerOpts
	ecSize int // bytes of r and s for ECDSA, else 0
	err    error
}

func (k *keySigner) init() {
	if k.key == nil {
		k.err = &AssertionError{Reason: "no key", Err: ErrUnsupportedKey}
		return
	}
	alg, err := algFor(k.key.Public(), k.alg)
	if err != nil {
		k.err = err
		return
	}
	h, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid,omitempty"`
		Typ string `json:"typ"`
	}{string(alg), k.keyID, "JWT"})
	if err != nil {
		k.err = &AssertionError{Reason: "cannot encode the header", Err: err}
		return
	}
	k.header = base64.RawURLEncoding.EncodeToString(h) + "."
	switch alg {
	case jose.RS256, jose.ES256:
		k.hash = crypto.SHA256
	case jose.RS384, jose.ES384:
		k.hash = crypto.SHA384
	case jose.RS512, jose.ES512:
		k.hash = crypto.SHA512
	case jose.PS256:
		k.hash = crypto.SHA256
	case jose.PS384:
		k.hash = crypto.SHA384
	case jose.PS512:
		k.hash = crypto.SHA512
	}
	k.opts = k.hash
	switch alg {
	case jose.PS256, jose.PS384, jose.PS512:
		k.opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: k.hash}
	case jose.ES256:
		k.ecSize = 32
	case jose.ES384:
		k.ecSize = 48
	case jose.ES512:
		k.ecSize = 66
	case jose.EdDSA:
		k.opts = crypto.Hash(0) // Ed25519 signs the message itself
	}
}

// sign returns the compact JWS of claims.
func (k *keySigner) sign(claims any) (string, error) {
	k.once.Do(k.init)
	if k.err != nil {
		return "", k.err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", &AssertionError{Reason: "cannot encode claims", Err: err}
	}
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(k.header)+enc.EncodedLen(len(payload))+1+enc.EncodedLen(2*133))
	buf = append(buf, k.header...)
	buf = enc.AppendEncode(buf, payload)
	digest := buf
	if k.hash != 0 {
		h := k.hash.New()
		h.Write(buf)
		digest = h.Sum(nil)
	}
	sig, err := k.key.Sign(rand.Reader, digest, k.opts)
	if err != nil {
		return "", &AssertionError{Reason: "the key cannot sign", Err: err}
	}
	if k.ecSize > 0 {
		if sig, err = fixedECDSA(sig, k.ecSize); err != nil {
			return "", &AssertionError{Reason: "the key returned a malformed ECDSA signature", Err: err}
		}
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// fixedECDSA converts an ASN.1 DER ECDSA signature (what crypto.Signer
// returns) to the fixed-size r||s of JWS (RFC 7518 section 3.4).
func fixedECDSA(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 || rs.R == nil || rs.S == nil || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 ||
		rs.R.BitLen() > 8*size || rs.S.BitLen() > 8*size {
		return nil, errors.New("bad r or s")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// algFor returns the JWS algorithm for pub: RS256 (or PS256 if asked)
// for RSA, ES256/384/512 by curve, EdDSA for Ed25519.
func algFor(pub crypto.PublicKey, want jose.SignatureAlgorithm) (jose.SignatureAlgorithm, error) {
	var alg jose.SignatureAlgorithm
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() < 2048 {
			return "", &AssertionError{Reason: "RSA key shorter than 2048 bits", Err: ErrUnsupportedKey}
		}
		alg = jose.RS256
		switch want {
		case jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			alg = want
		}
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		case elliptic.P521():
			alg = jose.ES512
		default:
			return "", &AssertionError{Reason: "unsupported ECDSA curve", Err: ErrUnsupportedKey}
		}
	case ed25519.PublicKey:
		alg = jose.EdDSA
	default:
		return "", &AssertionError{Reason: "unsupported key type", Err: ErrUnsupportedKey}
	}
	if want != "" && want != alg {
		return "", &AssertionError{Reason: "algorithm " + quoteServer(string(want)) + " does not fit the key", Err: ErrUnsupportedKey}
	}
	return alg, nil
}

// keyAssertion is private_key_jwt.
type keyAssertion struct{ s *keySigner }

// PrivateKeyJWT returns a ClientAssertion that signs private_key_jwt
// assertions with key, whose public key the server knows under keyID
// (sent as kid; "" sends none). The algorithm follows the key: RS256 for
// RSA (2048 bits or more), ES256, ES384 or ES512 for ECDSA P-256, P-384
// or P-521, EdDSA for Ed25519. Any crypto.Signer works, so keys held by
// a KMS, an HSM or a TPM do too. Use PrivateKeyJWTAlg for PS256.
func PrivateKeyJWT(key crypto.Signer, keyID string) ClientAssertion {
	return keyAssertion{&keySigner{key: key, keyID: keyID}}
}

// PrivateKeyJWTAlg is PrivateKeyJWT with the JWS algorithm named
// ("PS256", "RS512", ...), for servers that want another than the key's
// default. An algorithm that does not fit the key fails with
// ErrUnsupportedKey.
func PrivateKeyJWTAlg(key crypto.Signer, keyID, alg string) ClientAssertion {
	return keyAssertion{&keySigner{key: key, keyID: keyID, alg: jose.SignatureAlgorithm(alg)}}
}

func (a keyAssertion) assertion(_ context.Context, r assertionRequest) (string, error) {
	c, err := clientClaims(r)
	if err != nil {
		return "", err
	}
	return a.s.sign(c)
}

// secretAssertion is client_secret_jwt.
type secretAssertion struct{}

// SecretJWT returns a ClientAssertion that signs client_secret_jwt
// assertions (HS256) with the Config's ClientSecret, which itself is
// never sent.
func SecretJWT() ClientAssertion { return secretAssertion{} }

func (secretAssertion) assertion(_ context.Context, r assertionRequest) (string, error) {
	if r.Secret == "" {
		return "", &AssertionError{Reason: "client_secret_jwt needs a client secret"}
	}
	c, err := clientClaims(r)
	if err != nil {
		return "", err
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(r.Secret)}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", &AssertionError{Reason: "cannot sign with HS256", Err: ErrUnsupportedKey}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", &AssertionError{Reason: "cannot encode claims", Err: err}
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", &AssertionError{Reason: "signing failed"}
	}
	return jws.CompactSerialize()
}

// funcAssertion is an externally minted assertion.
type funcAssertion func(ctx context.Context, audience string) (string, error)

// AssertionFunc returns a ClientAssertion that calls f for every request
// with the audience the assertion is for (the token endpoint URL, or the
// Config's pinned audience). f must return a fresh, unexpired JWT.
func AssertionFunc(f func(ctx context.Context, audience string) (string, error)) ClientAssertion {
	return funcAssertion(f)
}

func (f funcAssertion) assertion(ctx context.Context, r assertionRequest) (string, error) {
	aud := ""
	if len(r.Audience) > 0 {
		aud = r.Audience[0]
	}
	s, err := f(ctx, aud)
	if err != nil {
		return "", &AssertionError{Reason: "the assertion function failed", Err: err}
	}
	if s == "" {
		return "", &AssertionError{Reason: "the assertion function returned an empty assertion"}
	}
	return s, nil
}

// clientAssertionParams returns the parameters that authenticate the
// client with a: client_assertion_type and client_assertion (RFC 7521
// section 4.2). The pipeline adds them, with client_id, to every request
// that authenticates the client.
func clientAssertionParams(ctx context.Context, a ClientAssertion, r assertionRequest) (url.Values, error) {
	s, err := a.assertion(ctx, r)
	if err != nil {
		return nil, err
	}
	return url.Values{
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {s},
	}, nil
}

// assertionAudience is the aud of a client assertion: pinned if set,
// else the token endpoint URL and, when known, the issuer
// (draft-ietf-oauth-rfc7523bis wants the issuer, RFC 7523's example the
// token endpoint).
func assertionAudience(pinned, tokenURL, issuer string) []string {
	switch {
	case pinned != "":
		return []string{pinned}
	case issuer != "" && issuer != tokenURL:
		return []string{tokenURL, issuer}
	default:
		return []string{tokenURL}
	}
}

// String names the assertion by its key ID, without key material.
func (a keyAssertion) String() string { return "client.PrivateKeyJWT(" + a.s.keyID + ")" }

// GoString is String, for %#v.
func (a keyAssertion) GoString() string { return a.String() }
