package keychain

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The envelope and chunk codec: how one entry becomes a head item (JSON)
// and, when large, chunk items, and back. Nothing here talks to a
// keychain.

// DefaultChunkSize is the largest keychain item a Store writes unless
// Options.ChunkSize says otherwise: 2000 characters fit Windows
// Credential Manager's 2560-byte limit and macOS's ~4 KB command limit
// (go-keyring base64-encodes once more there) with room for the service
// and account names.
const DefaultChunkSize = 2000

// DefaultService is the service name New uses for an empty one.
const DefaultService = "tokenward"

const (
	envelopeVersion = 1
	// maxChunks bounds the items of one entry (16 MiB of text at the
	// default chunk size); Load treats a head claiming more as corrupt.
	maxChunks = 8192
	// maxDecoded bounds what Load inflates, against a hostile item.
	maxDecoded = 64 << 20
	// compressMin is the size from which Save tries compression.
	compressMin = 128
)

// account is the keychain account of key's head item: a hash, so no key
// text is shown in the keychain.
func account(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "tw-" + hex.EncodeToString(sum[:20])
}

// chunkAccount is the account of the i-th chunk item of an entry.
func chunkAccount(acct string, i int) string {
	return acct + "#" + strconv.Itoa(i)
}

// envelope is the head item of an entry, as JSON.
type envelope struct {
	V      int       `json:"v"`
	Expiry time.Time `json:"exp,omitzero"`
	Flate  bool      `json:"z,omitempty"` // payload is raw DEFLATE (RFC 1951)
	// N is the number of chunk items. 0: Data holds the whole payload.
	N int `json:"n,omitempty"`
	// Sum is the SHA-256 of the chunks' joined text (base64, no padding).
	Sum  string `json:"sum,omitempty"`
	Data string `json:"d,omitempty"` // base64 (standard) of the payload
}

// encodeEntry returns the head item for data and, when the head would be
// larger than chunkSize characters, the chunk items it refers to.
func encodeEntry(data []byte, expiry time.Time, chunkSize int) (head string, chunks []string, err error) {
	env := envelope{V: envelopeVersion}
	if !expiry.IsZero() {
		env.Expiry = expiry.UTC()
	}
	payload := data
	if len(data) >= compressMin {
		if z := deflate(data); len(z) < len(data) {
			payload, env.Flate = z, true
		}
	}
	text := base64.StdEncoding.EncodeToString(payload)
	env.Data = text
	h, _ := json.Marshal(env)
	if len(h) <= chunkSize {
		return string(h), nil, nil
	}
	n := (len(text) + chunkSize - 1) / chunkSize
	if n > maxChunks {
		return "", nil, fmt.Errorf("value too large (%d characters after compression and base64; at most %d)", len(text), maxChunks*chunkSize)
	}
	sum := sha256.Sum256([]byte(text))
	env.Data, env.N, env.Sum = "", n, base64.RawStdEncoding.EncodeToString(sum[:])
	h, _ = json.Marshal(env)
	for i := range n {
		chunks = append(chunks, text[i*chunkSize:min((i+1)*chunkSize, len(text))])
	}
	return string(h), chunks, nil
}

// errCorrupt is an error of the codec; the Store reports it as ErrCorrupt.
type errCorrupt string

func (e errCorrupt) Error() string { return string(e) }

// parseHead decodes a head item.
func parseHead(raw string) (envelope, error) {
	var env envelope
	if json.Unmarshal([]byte(raw), &env) != nil || env.V < 1 {
		return env, errCorrupt("the head item is not a tokenward entry")
	}
	if env.V != envelopeVersion {
		return env, errCorrupt(fmt.Sprintf("entry format version %d is not supported (written by a newer tokenward?)", env.V))
	}
	if env.N != 0 && (env.N < 0 || env.N > maxChunks || env.Data != "") {
		return env, errCorrupt("bad chunk count in the head item")
	}
	return env, nil
}

// decodeEntry returns the payload of an entry whose head is env and whose
// chunk items, if any, joined are chunked.
func decodeEntry(env envelope, chunked string) ([]byte, error) {
	text := env.Data
	if env.N != 0 {
		sum := sha256.Sum256([]byte(chunked))
		if base64.RawStdEncoding.EncodeToString(sum[:]) != env.Sum {
			return nil, errCorrupt("chunks do not match the checksum (torn write)")
		}
		text = chunked
	}
	payload, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, errCorrupt("bad base64")
	}
	if env.Flate {
		payload, err = inflate(payload)
		if err != nil {
			return nil, errCorrupt(err.Error())
		}
	}
	if payload == nil {
		payload = []byte{}
	}
	return payload, nil
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression) // the level is valid
	w.Write(data)                                      // writes to a bytes.Buffer do not fail
	w.Close()
	return b.Bytes()
}

func inflate(z []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(z))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
	if err != nil {
		return nil, errors.New("bad compressed data")
	}
	if len(out) > maxDecoded {
		return nil, errors.New("value too large")
	}
	return out, nil
}
