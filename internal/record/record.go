package record

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// format is the version of the encoding written by Encode.
const format = 1

// extraKeys are the token response fields beyond RFC 6749's core ones that
// survive caching. oauth2.Token does not expose its raw response, so the
// record keeps the fields that callers and tokensource use.
var extraKeys = []string{
	"scope", "id_token", "issued_token_type",
	"refresh_token_expires_in", "refresh_expires_in",
}

// Record is a token as a cache stores it.
type Record struct {
	Token *oauth2.Token
	// Saved is when the token was obtained; its lifetime counts from it.
	Saved time.Time
	// Version orders the records of one key: a larger one is newer. Zero
	// (records written before versions existed) is unordered.
	Version uint64
	// Identity names whom the token is for (see [IdentityOf]); "" when
	// unknown.
	Identity string
	// JKT is the RFC 7638 thumbprint of the DPoP key a DPoP-bound token is
	// bound to (RFC 9449 §6); "" when not bound or unknown.
	JKT string
	// CertThumbprint is the base64url SHA-256 of the client certificate
	// a certificate-bound token is bound to (RFC 8705 x5t#S256); "" when
	// not bound or unknown.
	CertThumbprint string
}

// wire is the JSON shape of a Record.
type wire struct {
	Format       int               `json:"v"`
	AccessToken  string            `json:"access_token"`
	TokenType    string            `json:"token_type,omitempty"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	Expiry       time.Time         `json:"expiry,omitzero"`
	Extra        map[string]string `json:"extra,omitempty"`
	Saved        time.Time         `json:"saved,omitzero"`
	Version      uint64            `json:"ver,omitempty"`
	Identity     string            `json:"id,omitempty"`
	JKT          string            `json:"jkt,omitempty"`
	X5T          string            `json:"x5t,omitempty"`
}

// ErrCorrupt reports bytes that are not a record this version
// understands. Callers treat it as a cache miss.
var ErrCorrupt = errors.New("record: corrupt or unknown cache record")

// NextVersion is the version of a record written at now by a process
// that holds the record version held: issued-at nanoseconds, and always
// newer than held.
func NextVersion(held uint64, now time.Time) uint64 {
	return max(uint64(max(now.UnixNano(), 0)), held+1)
}

// Encode returns the encoding of r. The result holds secrets; store it
// only where tokens may live.
func Encode(r Record) ([]byte, error) {
	tok := r.Token
	if tok == nil || tok.AccessToken == "" && tok.RefreshToken == "" {
		return nil, errors.New("record: cannot encode an empty token")
	}
	w := wire{
		Format:       format,
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry.Round(0),
		Saved:        r.Saved.Round(0),
		Version:      r.Version,
		Identity:     r.Identity,
		JKT:          r.JKT,
		X5T:          r.CertThumbprint,
	}
	for _, k := range extraKeys {
		if v := extraString(tok, k); v != "" {
			if w.Extra == nil {
				w.Extra = make(map[string]string)
			}
			w.Extra[k] = v
		}
	}
	// JSON would replace invalid UTF-8 and store a different token (a lost
	// refresh token, once the process restarts): refuse instead.
	valid := utf8.ValidString(w.AccessToken) && utf8.ValidString(w.TokenType) && utf8.ValidString(w.RefreshToken) && utf8.ValidString(w.Identity) && utf8.ValidString(w.JKT) && utf8.ValidString(w.X5T)
	for _, v := range w.Extra {
		valid = valid && utf8.ValidString(v)
	}
	if !valid {
		return nil, errors.New("record: cannot encode a token that is not valid UTF-8")
	}
	return json.Marshal(w)
}

// Decode parses bytes written by Encode. Bytes it cannot read, including
// records of an unknown format, give an error that matches ErrCorrupt and
// quotes none of the input.
func Decode(data []byte) (Record, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrCorrupt, jsonErrKind(err))
	}
	if w.Format != format {
		return Record{}, fmt.Errorf("%w: version %d", ErrCorrupt, w.Format)
	}
	if w.AccessToken == "" && w.RefreshToken == "" {
		return Record{}, fmt.Errorf("%w: no token", ErrCorrupt)
	}
	tok := &oauth2.Token{
		AccessToken:  w.AccessToken,
		TokenType:    w.TokenType,
		RefreshToken: w.RefreshToken,
		Expiry:       w.Expiry,
	}
	if len(w.Extra) > 0 {
		extra := make(map[string]any, len(w.Extra))
		for k, v := range w.Extra {
			extra[k] = v
		}
		tok = tok.WithExtra(extra)
	}
	return Record{Token: tok, Saved: w.Saved, Version: w.Version, Identity: w.Identity, JKT: w.JKT, CertThumbprint: w.X5T}, nil
}

// jsonErrKind describes a JSON error without quoting the input, which may
// hold a token.
func jsonErrKind(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "invalid JSON at offset " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return "unexpected JSON type for " + typ.Field
	default:
		return "invalid JSON"
	}
}

// extraString returns tok.Extra(key) as a string ("" when absent).
func extraString(tok *oauth2.Token, key string) string {
	switch v := tok.Extra(key).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Expiry is the expiry passed to a cache's Save for tok obtained at now:
// the access token's expiry when there is no refresh token; zero (keep)
// when there is one, unless the server said how long it lives.
func Expiry(tok *oauth2.Token, now time.Time) time.Time {
	if tok.RefreshToken == "" {
		return tok.Expiry
	}
	for _, k := range []string{"refresh_token_expires_in", "refresh_expires_in"} {
		s := extraString(tok, k)
		if s == "" {
			continue
		}
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil || secs <= 0 || secs > 10*365*24*3600 {
			continue
		}
		exp := now.Add(time.Duration(secs * float64(time.Second)))
		if exp.Before(tok.Expiry) {
			exp = tok.Expiry
		}
		return exp
	}
	return time.Time{}
}

// maxIDToken bounds the id_token IdentityOf reads.
const maxIDToken = 16 << 10

// IdentityOf returns whom tok is for: the issuer and subject claims of
// its OpenID Connect id_token, or "" when it has none. The claims are not
// verified: the identity only tells two tokens of one cache key apart; it
// never chooses a key.
func IdentityOf(tok *oauth2.Token) string {
	if tok == nil {
		return ""
	}
	idt, _ := tok.Extra("id_token").(string)
	if idt == "" || len(idt) > maxIDToken {
		return ""
	}
	parts := strings.Split(idt, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Sub == "" {
		return ""
	}
	return claims.Iss + " " + claims.Sub
}
