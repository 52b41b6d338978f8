package oauth2test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
)

func TestWriteDPoPError(t *testing.T) {
	algs := []string{"ES256", "EdDSA"}
	tests := []struct {
		name          string
		err           error
		resource      bool
		nonce         string
		wantStatus    int
		wantCode      string
		wantChallenge string
	}{
		{"token endpoint, bad proof", invalidProof("jti replayed"), false, "", 400, DPoPInvalidProof, ""},
		{"token endpoint, nonce", &DPoPError{DPoPUseNonce, "need a nonce"}, false, "n-1", 400, DPoPUseNonce, ""},
		{"resource, bad proof", invalidProof("missing ath"), true, "", 401, DPoPInvalidProof,
			`DPoP error="invalid_dpop_proof", error_description="missing ath", algs="ES256 EdDSA"`},
		{"resource, nonce", &DPoPError{DPoPUseNonce, "need a nonce"}, true, "n-2", 401, DPoPUseNonce,
			`DPoP error="use_dpop_nonce", error_description="need a nonce", algs="ES256 EdDSA"`},
		{"not a DPoPError", errors.New("other"), false, "", 400, DPoPInvalidProof, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeDPoPError(w, tt.err, tt.resource, tt.nonce, algs)
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.wantStatus || body.Error != tt.wantCode {
				t.Errorf("got %d %q; want %d %q", w.Code, body.Error, tt.wantStatus, tt.wantCode)
			}
			if got := w.Header().Get("DPoP-Nonce"); got != tt.nonce {
				t.Errorf("DPoP-Nonce = %q; want %q", got, tt.nonce)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q; want %q", got, tt.wantChallenge)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q; want no-store", got)
			}
		})
	}
}
