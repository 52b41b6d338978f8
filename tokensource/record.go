package tokensource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// recordVersion is the version of the cache record written by Encode.
const recordVersion = 1

// extraKeys are the token response fields beyond RFC 6749's core ones that
// survive caching. oauth2.Token does not expose its raw response, so the
// record keeps the fields that callers and this package use.
var extraKeys = []string{
	"scope", "id_token", "issued_token_type",
	"refresh_token_expires_in", "refresh_expires_in",
}

// record is the cache encoding of a token.
type record struct {
	Version      int               `json:"v"`
	AccessToken  string            `json:"access_token"`
	TokenType    string            `json:"token_type,omitempty"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	Expiry       time.Time         `json:"expiry,omitzero"`
	Extra        map[string]string `json:"extra,omitempty"`
	Saved        time.Time         `json:"saved,omitzero"`
}

// ErrCorruptRecord reports cache bytes that are not a token record this
// version understands. Callers treat it as a cache miss.
var ErrCorruptRecord = errors.New("tokensource: corrupt or unknown cache record")

// Encode returns the cache encoding of tok: a versioned JSON record with
// the access, refresh and ID tokens, expiry, scope and other extras. The
// result holds secrets; store it only where tokens may live.
func Encode(tok *oauth2.Token) ([]byte, error) {
	return encodeAt(tok, time.Now())
}

func encodeAt(tok *oauth2.Token, now time.Time) ([]byte, error) {
	if tok == nil || tok.AccessToken == "" && tok.RefreshToken == "" {
		return nil, errors.New("tokensource: cannot encode an empty token")
	}
	r := record{
		Version:      recordVersion,
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
		Saved:        now,
	}
	for _, k := range extraKeys {
		if v := extraString(tok, k); v != "" {
			if r.Extra == nil {
				r.Extra = make(map[string]string)
			}
			r.Extra[k] = v
		}
	}
	// JSON would replace invalid UTF-8 and store a different token (a lost
	// refresh token, once the process restarts): refuse instead.
	valid := utf8.ValidString(r.AccessToken) && utf8.ValidString(r.TokenType) && utf8.ValidString(r.RefreshToken)
	for _, v := range r.Extra {
		valid = valid && utf8.ValidString(v)
	}
	if !valid {
		return nil, errors.New("tokensource: cannot encode a token that is not valid UTF-8")
	}
	return json.Marshal(r)
}

// Decode parses bytes written by Encode. Bytes it cannot read, including
// records of an unknown version, give an error that matches
// ErrCorruptRecord.
func Decode(data []byte) (*oauth2.Token, error) {
	tok, _, err := decodeRecord(data)
	return tok, err
}

func decodeRecord(data []byte) (*oauth2.Token, time.Time, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %v", ErrCorruptRecord, jsonErrKind(err))
	}
	if r.Version != recordVersion {
		return nil, time.Time{}, fmt.Errorf("%w: version %d", ErrCorruptRecord, r.Version)
	}
	if r.AccessToken == "" && r.RefreshToken == "" {
		return nil, time.Time{}, fmt.Errorf("%w: no token", ErrCorruptRecord)
	}
	tok := &oauth2.Token{
		AccessToken:  r.AccessToken,
		TokenType:    r.TokenType,
		RefreshToken: r.RefreshToken,
		Expiry:       r.Expiry,
	}
	if len(r.Extra) > 0 {
		extra := make(map[string]any, len(r.Extra))
		for k, v := range r.Extra {
			extra[k] = v
		}
		tok = tok.WithExtra(extra)
	}
	return tok, r.Saved, nil
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

// cacheExpiry is the expiry passed to Cache.Save for tok obtained at now:
// the access token's expiry when there is no refresh token; zero (keep)
// when there is one, unless the server said how long it lives.
func cacheExpiry(tok *oauth2.Token, now time.Time) time.Time {
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

// Save stores tok in c under key as a Cached would: encoded as a record,
// and kept until the access token's expiry when there is no refresh
// token, or for as long as its refresh token lives. Use it to put a token
// obtained outside a source (an interactive login) where a Cached with the
// same cache and key will find it.
func Save(ctx context.Context, c Cache, key string, tok *oauth2.Token) error {
	now := time.Now()
	data, err := encodeAt(tok, now)
	if err != nil {
		return err
	}
	return c.Save(ctx, key, data, cacheExpiry(tok, now))
}
