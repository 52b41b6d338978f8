package cli

import (
	"crypto/sha256"
	"encoding/base64"
)

// fragmentScript posts the URL fragment (where the implicit flow puts the
// token) back to the loopback listener, removes it from the address bar
// and history, and shows the listener's answer.
const fragmentScript = `(function () {
  var h = location.hash;
  history.replaceState(null, "", location.pathname);
  fetch(location.pathname, {method: "POST", headers: {"Content-Type": "text/plain"}, body: h})
    .then(function (r) { return r.text(); })
    .then(function (t) { document.documentElement.innerHTML = t; })
    .catch(function (e) { document.getElementById("message").textContent = "Could not reach tokenward: " + e; });
})();`

// fragmentPage is served at the redirect URI in the implicit flow.
const fragmentPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>tokenward: signing in…</title></head>
<body>
<h1 id="result">Signing in…</h1>
<p id="message">Handing the token to tokenward.</p>
<script>` + fragmentScript + `</script>
</body>
</html>
`

// fragmentScriptHash is the CSP hash of fragmentScript, so the page may
// run that script and no other.
var fragmentScriptHash = func() string {
	sum := sha256.Sum256([]byte(fragmentScript))
	return base64.StdEncoding.EncodeToString(sum[:])
}()
