package oauth2test

import (
	"html/template"
	"net/http"
)

// hiddenField is a hidden input of a form.
type hiddenField struct {
	Name, Value string
}

// loginData fills loginTemplate.
type loginData struct {
	ClientID string
	Scope    string
	Username string
	Error    string
	Hidden   []hiddenField
}

// deviceData fills deviceTemplate.
type deviceData struct {
	UserCode string
	Username string
	Error    string
}

// messageData fills messageTemplate.
type messageData struct {
	Title   string
	Message string
}

var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - oauth2test</title></head>
<body>
<h1>Sign in</h1>
<p>Client <strong id="client">{{.ClientID}}</strong> requests access{{if .Scope}} with scope <strong id="scope">{{.Scope}}</strong>{{end}}.</p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>
{{end}}<form id="login" method="post" action="/authorize">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label>Username <input id="username" name="username" autocomplete="username" value="{{.Username}}"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="submit" type="submit" name="action" value="approve">Sign in and allow</button>
<button id="deny" type="submit" name="action" value="deny">Deny</button>
</form>
</body>
</html>
`))

var deviceTemplate = template.Must(template.New("device").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Connect a device - oauth2test</title></head>
<body>
<h1>Connect a device</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>
{{end}}<form id="device" method="post" action="/device">
<label>Code <input id="user_code" name="user_code" value="{{.UserCode}}" autocomplete="off"></label>
<label>Username <input id="username" name="username" autocomplete="username" value="{{.Username}}"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="submit" type="submit" name="action" value="approve">Sign in and allow</button>
<button id="deny" type="submit" name="action" value="deny">Deny</button>
</form>
</body>
</html>
`))

var messageTemplate = template.Must(template.New("message").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}} - oauth2test</title></head>
<body>
<h1>{{.Title}}</h1>
<p id="message">{{.Message}}</p>
</body>
</html>
`))

// renderHTML executes t with data as a page with status.
func renderHTML(w http.ResponseWriter, status int, t *template.Template, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	t.Execute(w, data)
}

// renderMessage writes a page with a title and a message.
func renderMessage(w http.ResponseWriter, status int, title, message string) {
	renderHTML(w, status, messageTemplate, messageData{Title: title, Message: message})
}
