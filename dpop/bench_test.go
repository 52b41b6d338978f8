package dpop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/tokenward/tokenward/dpop"
)

// The benchmarks compare, per resource request proof (htm, htu, ath):
//
//   - BenchmarkProof: Key.Proof;
//   - BenchmarkProofGoJose: a straightforward go-jose builder (one Signer
//     per key with EmbedJWK and typ dpop+jwt, claims by json.Marshal);
//   - BenchmarkFloor: the hand-written floor, one signature over a
//     precomputed header segment and minimal claims, with no input checks.

const benchURL = "https://rs.example/v1/resource"

func benchKeys(b *testing.B) map[string]crypto.Signer {
	return map[string]crypto.Signer{"ES256": mustEC(b, elliptic.P256()), "RS256": rsa2048()}
}

func BenchmarkProof(b *testing.B) {
	for _, name := range []string{"ES256", "RS256"} {
		b.Run(name, func(b *testing.B) {
			k, err := dpop.NewKey(benchKeys(b)[name])
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Proof("GET", benchURL, token, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// goJoseClaims are the claims of a proof built with go-jose.
type goJoseClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// goJoseProof builds a proof the straightforward go-jose way.
func goJoseProof(s jose.Signer, method, url, accessToken string) (string, error) {
	var jti [16]byte
	rand.Read(jti[:])
	c := goJoseClaims{JTI: base64.RawURLEncoding.EncodeToString(jti[:]), HTM: method, HTU: url, IAT: time.Now().Unix()}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c.ATH = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func BenchmarkProofGoJose(b *testing.B) {
	for _, name := range []string{"ES256", "RS256"} {
		b.Run(name, func(b *testing.B) {
			s := goJoseSigner(b, name, benchKeys(b)[name])
			proof, err := goJoseProof(s, "GET", benchURL, token)
			if err != nil {
				b.Fatal(err)
			}
			parseProof(b, proof) // it is a valid proof
			b.ReportAllocs()
			for b.Loop() {
				if _, err := goJoseProof(s, "GET", benchURL, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFloor(b *testing.B) {
	for _, name := range []string{"ES256", "RS256"} {
		b.Run(name, func(b *testing.B) {
			floor := floorProof(b, benchKeys(b)[name])
			parseProof(b, floor()) // the floor is a valid proof too
			b.ReportAllocs()
			for b.Loop() {
				floor()
			}
		})
	}
}

// floorProof returns the hand-written floor for signer, an
// *ecdsa.PrivateKey on P-256 or an *rsa.PrivateKey: a resource request
// proof with every constant precomputed, signed directly.
func floorProof(b testing.TB, signer crypto.Signer) func() string {
	k, err := dpop.NewKey(signer)
	if err != nil {
		b.Fatal(err)
	}
	enc := base64.RawURLEncoding
	header := enc.EncodeToString(fmt.Appendf(nil, `{"typ":"dpop+jwt","alg":"%s","jwk":%s}`, k.Algorithm(), k.PublicJWK())) + "."
	sum := sha256.Sum256([]byte(token))
	ath := enc.EncodeToString(sum[:])
	return func() string {
		var jti [16]byte
		rand.Read(jti[:])
		c := append(make([]byte, 0, 256), `{"jti":"`...)
		c = enc.AppendEncode(c, jti[:])
		c = append(c, `","htm":"GET","htu":"`+benchURL+`","iat":`...)
		c = strconv.AppendInt(c, time.Now().Unix(), 10)
		c = append(c, `,"ath":"`+ath+`"}`...)
		out := append(make([]byte, 0, 1024), header...)
		out = enc.AppendEncode(out, c)
		digest := sha256.Sum256(out)
		var sig []byte
		switch priv := signer.(type) {
		case *ecdsa.PrivateKey:
			r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
			if err != nil {
				b.Fatal(err)
			}
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		case *rsa.PrivateKey:
			if sig, err = rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
		out = append(out, '.')
		return string(enc.AppendEncode(out, sig))
	}
}

// goJoseSigner returns a go-jose Signer for proofs by signer with alg.
func goJoseSigner(b testing.TB, alg string, signer crypto.Signer) jose.Signer {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: signer},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}
