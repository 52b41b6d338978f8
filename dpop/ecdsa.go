package dpop

// ecdsaRaw converts an ASN.1 DER ECDSA signature, SEQUENCE { r INTEGER,
// s INTEGER }, as crypto.Signer returns it, to the JWS form (RFC 7518
// section 3.4): r and s as big-endian unsigned integers of size bytes each,
// concatenated. It accepts only strict DER of positive integers that fit.
func ecdsaRaw(der []byte, size int) ([]byte, bool) {
	if len(der) < 2 || der[0] != 0x30 {
		return nil, false
	}
	n, rest := int(der[1]), der[2:]
	switch {
	case n == 0x81 && len(rest) > 0 && rest[0] >= 0x80:
		n, rest = int(rest[0]), rest[1:]
	case n >= 0x80:
		return nil, false
	}
	if n != len(rest) {
		return nil, false
	}
	out := make([]byte, 2*size)
	for i := range 2 {
		var v []byte
		var ok bool
		v, rest, ok = derInt(rest)
		if !ok || len(v) > size {
			return nil, false
		}
		copy(out[(i+1)*size-len(v):], v)
	}
	return out, len(rest) == 0
}

// derInt reads one DER INTEGER that is positive and minimally encoded,
// returning its magnitude without a leading zero byte and the bytes after
// it.
func derInt(b []byte) (v, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != 0x02 || b[1] >= 0x80 || int(b[1]) > len(b)-2 || b[1] == 0 {
		return nil, nil, false
	}
	v, rest = b[2:2+int(b[1])], b[2+int(b[1]):]
	if v[0]&0x80 != 0 { // negative
		return nil, nil, false
	}
	if v[0] == 0 {
		if len(v) == 1 || v[1]&0x80 == 0 { // zero, or not minimal
			return nil, nil, false
		}
		v = v[1:]
	}
	return v, rest, true
}
