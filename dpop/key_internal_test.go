package dpop

import (
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"testing"
)

// TestThumbprintRFC7638 checks the example of RFC 7638 section 3.1.
func TestThumbprintRFC7638(t *testing.T) {
	const (
		n    = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
		want = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	)
	nb, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil {
		t.Fatal(err)
	}
	var k Key
	if err := k.init(&rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: 65537}, ""); err != nil {
		t.Fatal(err)
	}
	if got := k.Thumbprint(); got != want {
		t.Errorf("Thumbprint() = %q; want %q", got, want)
	}
	if got, wantJWK := string(k.PublicJWK()), `{"e":"AQAB","kty":"RSA","n":"`+n+`"}`; got != wantJWK {
		t.Errorf("PublicJWK() = %s; want %s", got, wantJWK)
	}
}

func TestECDSARaw(t *testing.T) {
	// der builds SEQUENCE { INTEGER r, INTEGER s } from content bytes.
	der := func(r, s []byte) []byte {
		body := append(append([]byte{0x02, byte(len(r))}, r...), append([]byte{0x02, byte(len(s))}, s...)...)
		if len(body) >= 0x80 {
			return append([]byte{0x30, 0x81, byte(len(body))}, body...)
		}
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	rep := func(b byte, n int) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = b
		}
		return out
	}
	big32 := append([]byte{0x00}, rep(0x80, 32)...) // a 32-byte integer with the high bit set
	tests := []struct {
		name string
		der  []byte
		size int
		want []byte // nil: rejected
	}{
		{"full width", der(rep(0x11, 32), rep(0x22, 32)), 32, append(rep(0x11, 32), rep(0x22, 32)...)},
		{"leading zero byte", der(big32, big32), 32, append(rep(0x80, 32), rep(0x80, 32)...)},
		{"short integers padded", der([]byte{0x01}, []byte{0x02}), 32, append(append(rep(0, 31), 1), append(rep(0, 31), 2)...)},
		{"P-521 long-form length", der(append([]byte{0x01}, rep(0x33, 65)...), append([]byte{0x01}, rep(0x44, 65)...)), 66,
			append(append([]byte{0x01}, rep(0x33, 65)...), append([]byte{0x01}, rep(0x44, 65)...)...)},
		{"too wide", der(rep(0x11, 33), rep(0x22, 32)), 32, nil},
		{"negative", der([]byte{0x80}, []byte{0x01}), 32, nil},
		{"not minimal", der([]byte{0x00, 0x01}, []byte{0x01}), 32, nil},
		{"zero", der([]byte{0x00}, []byte{0x01}), 32, nil},
		{"empty integer", der([]byte{}, []byte{0x01}), 32, nil},
		{"trailing bytes", append(der([]byte{0x01}, []byte{0x01}), 0x00), 32, nil},
		{"wrong tag", append([]byte{0x31}, der([]byte{1}, []byte{1})[1:]...), 32, nil},
		{"one integer", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, 32, nil},
		{"length beyond input", []byte{0x30, 0x06, 0x02, 0x09, 0x01}, 32, nil},
		{"non-minimal long form", append([]byte{0x30, 0x81, 0x06}, der([]byte{1}, []byte{1})[2:]...), 32, nil},
		{"empty", nil, 32, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ecdsaRaw(tt.der, tt.size)
			if tt.want == nil {
				if ok {
					t.Fatalf("ecdsaRaw() = %x, true; want rejected", got)
				}
				return
			}
			if !ok || string(got) != string(tt.want) {
				t.Errorf("ecdsaRaw() = %x, %v; want %x, true", got, ok, tt.want)
			}
		})
	}
}
