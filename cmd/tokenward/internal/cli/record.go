package cli

import (
	"context"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/tokensource"
)

// The token record's encoding belongs to tokensource. These two functions
// are the CLI's only uses of it (a login stores a token where the
// profile's source finds it; status reads it without a source), so a
// change of that API touches only this file.

// saveRecord stores tok under key in the record format tokensource reads.
func saveRecord(ctx context.Context, store tokensource.Cache, key string, tok *oauth2.Token) error {
	return tokensource.Save(ctx, store, key, tok)
}

// decodeRecord decodes a record that tokensource (or saveRecord) wrote.
func decodeRecord(data []byte) (*oauth2.Token, error) {
	r, err := record.Decode(data)
	if err != nil {
		return nil, err
	}
	return r.Token, nil
}
