package oauth2test

import (
	"encoding/json"
	"net/http"
)

// oauthError is an RFC 6749 section 5.2 error response.
type oauthError struct {
	status      int
	code        string
	description string
}

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

func errInvalidClient(desc string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", desc}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc}
}

func errInvalidScope(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_scope", desc}
}

func errUnauthorizedClient(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "unauthorized_client", desc}
}

// errorBody is the JSON body of an error response.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeError writes e as JSON. An invalid_client error with status 401 carries
// a Basic challenge.
func writeError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized && e.code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth2test"`)
	}
	writeJSON(w, e.status, errorBody{Error: e.code, Description: e.description})
}

// writeJSON writes v as a JSON response that must not be cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "oauth2test: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
