package oauth2test

import "net/http"

// ResourceMetadataPath is where the protected resource at ResourceURL
// describes itself (RFC 9728 section 3.1: the well-known path inserted
// before the resource's path).
const ResourceMetadataPath = "/.well-known/oauth-protected-resource/resource"

// handleResourceMetadata serves the protected resource's metadata (RFC
// 9728), naming this server as its authorization server.
func (s *Server) handleResourceMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resource":                 s.ResourceURL(),
		"authorization_servers":    []string{s.URL},
		"bearer_methods_supported": []string{"header"},
	})
}
