package oauth2test

import (
	"net/http"
	"strings"
	"testing"
)

func authServer(t *testing.T) *Server {
	return NewServer(t, &Options{Clients: []Client{
		{ID: "any", Secret: "any-secret", AuthStyle: AuthAny},
		{ID: "basic", Secret: "basic-secret", AuthStyle: AuthBasic},
		{ID: "body", Secret: "body-secret", AuthStyle: AuthBody},
		{ID: "public", AuthStyle: AuthNone},
		{ID: "odd", Secret: "s3cr+t:/&=%", AuthStyle: AuthBasic},
	}})
}

func TestClientAuthentication(t *testing.T) {
	s := authServer(t)
	pw := form("grant_type", "password", "username", DefaultUsername, "password", DefaultPassword)
	with := func(kv ...string) map[string]any {
		m := map[string]any{}
		for k, v := range pw {
			m[k] = v[0]
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	withForm := func(kv ...string) call {
		v := form(kv...)
		for k, vs := range pw {
			v[k] = vs
		}
		return call{form: v}
	}
	basic := func(user, pass string) call {
		return call{form: pw, useBasic: true, basicUser: user, basicPass: pass}
	}
	tests := []struct {
		name   string
		call   call
		status int // 200 or the error status
		code   string
	}{
		{"any/basic", basic("any", "any-secret"), 200, ""},
		{"any/form body", withForm("client_id", "any", "client_secret", "any-secret"), 200, ""},
		{"any/json body", call{json: with("client_id", "any", "client_secret", "any-secret")}, 200, ""},
		{"any/basic wrong secret", basic("any", "nope"), 401, "invalid_client"},
		{"any/body wrong secret", withForm("client_id", "any", "client_secret", "nope"), 401, "invalid_client"},
		{"any/no secret", withForm("client_id", "any"), 401, "invalid_client"},
		{"basic/basic", basic("basic", "basic-secret"), 200, ""},
		{"basic/basic form-encoded secret", basic("odd", "s3cr+t:/&=%"), 200, ""},
		{"basic/body rejected", withForm("client_id", "basic", "client_secret", "basic-secret"), 401, "invalid_client"},
		{"body/form", withForm("client_id", "body", "client_secret", "body-secret"), 200, ""},
		{"body/json", call{json: with("client_id", "body", "client_secret", "body-secret")}, 200, ""},
		{"body/basic rejected", basic("body", "body-secret"), 401, "invalid_client"},
		{"public/client_id only", withForm("client_id", "public"), 200, ""},
		{"public/with secret rejected", withForm("client_id", "public", "client_secret", "x"), 401, "invalid_client"},
		{"public/basic rejected", basic("public", ""), 401, "invalid_client"},
		{"unknown client", withForm("client_id", "nobody", "client_secret", "x"), 401, "invalid_client"},
		{"no client", call{form: pw}, 401, "invalid_client"},
		{"basic and body secret", call{form: withForm("client_secret", "any-secret").form, useBasic: true, basicUser: "any", basicPass: "any-secret"}, 400, "invalid_request"},
		{"basic and matching body client_id", call{form: withForm("client_id", "any").form, useBasic: true, basicUser: "any", basicPass: "any-secret"}, 200, ""},
		{"basic and other body client_id", call{form: withForm("client_id", "body").form, useBasic: true, basicUser: "any", basicPass: "any-secret"}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.call)
			if tt.status == 200 {
				wantOK(t, r)
				return
			}
			wantError(t, r, tt.status, tt.code)
			if got, want := r.header.Get("WWW-Authenticate"), `Basic realm="oauth2test"`; tt.status == 401 && got != want {
				t.Errorf("WWW-Authenticate = %q; want %q", got, want)
			}
		})
	}
}

func TestBodyFormat(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{
		{ID: "json", Secret: "js", AuthStyle: AuthBody, BodyFormat: JSONOnly},
		{ID: "form", Secret: "fs", AuthStyle: AuthBody, BodyFormat: FormOnly},
		{ID: "any", Secret: "as", AuthStyle: AuthBody},
	}})
	cc := func(id, secret string) map[string]any {
		return map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}
	}
	tests := []struct {
		name string
		call call
		ok   bool
	}{
		{"json/exact application/json", call{json: cc("json", "js")}, true},
		{"json/charset parameter rejected", call{json: cc("json", "js"), contentType: "application/json; charset=utf-8"}, false},
		{"json/form rejected", call{form: form("grant_type", "client_credentials", "client_id", "json", "client_secret", "js")}, false},
		{"form/form", call{form: form("grant_type", "client_credentials", "client_id", "form", "client_secret", "fs")}, true},
		{"form/form with charset", call{form: form("grant_type", "client_credentials", "client_id", "form", "client_secret", "fs"), contentType: "application/x-www-form-urlencoded; charset=utf-8"}, true},
		{"form/json rejected", call{json: cc("form", "fs")}, false},
		{"any/form", call{form: form("grant_type", "client_credentials", "client_id", "any", "client_secret", "as")}, true},
		{"any/json with charset", call{json: cc("any", "as"), contentType: "application/json; charset=utf-8"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.call)
			if tt.ok {
				wantOK(t, r)
			} else {
				wantError(t, r, http.StatusBadRequest, "invalid_request")
			}
			want := tt.call.contentType
			if want == "" && tt.call.json != nil {
				want = "application/json"
			} else if want == "" {
				want = "application/x-www-form-urlencoded"
			}
			if got := s.LastTokenRequest().ContentType; got != want {
				t.Errorf("LastTokenRequest().ContentType = %q; want %q", got, want)
			}
		})
	}
}

func TestHostileInput(t *testing.T) {
	s := NewServer(t, nil)
	big := strings.Repeat("a", maxBodyBytes+1)
	tests := []struct {
		name   string
		call   call
		status int
	}{
		{"GET", call{method: http.MethodGet}, http.StatusMethodNotAllowed},
		{"empty body", call{}, http.StatusUnauthorized},
		{"JSON array", call{raw: `["a"]`, contentType: "application/json"}, http.StatusBadRequest},
		{"JSON null", call{raw: `null`, contentType: "application/json"}, http.StatusBadRequest},
		{"JSON trailing data", call{raw: `{}{}`, contentType: "application/json"}, http.StatusBadRequest},
		{"truncated JSON", call{raw: `{"grant_type":`, contentType: "application/json"}, http.StatusBadRequest},
		{"JSON non-string values", call{raw: `{"grant_type":1,"client_id":{"a":[1]},"x":null}`, contentType: "application/json"}, http.StatusUnauthorized},
		{"bad form escape", call{raw: "grant_type=%zz", contentType: "application/x-www-form-urlencoded"}, http.StatusBadRequest},
		{"duplicate parameter", call{raw: "grant_type=a&grant_type=b", contentType: "application/x-www-form-urlencoded"}, http.StatusBadRequest},
		{"unsupported content type", call{raw: "<x/>", contentType: "application/xml"}, http.StatusBadRequest},
		{"body over 1 MiB", call{raw: big, contentType: "application/x-www-form-urlencoded"}, http.StatusRequestEntityTooLarge},
		{"invalid Basic", call{form: form("grant_type", "client_credentials"), header: http.Header{"Authorization": {"Basic !!!"}}}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.call)
			if r.status != tt.status {
				t.Fatalf("status = %d (body %s); want %d", r.status, r.body, tt.status)
			}
			if r.str("error") == "" {
				t.Errorf("body %s has no error field", r.body)
			}
			if got, want := r.header.Get("Cache-Control"), "no-store"; got != want {
				t.Errorf("Cache-Control = %q; want %q", got, want)
			}
		})
	}
	for _, path := range []string{"/authorize?client_id=%zz", "/device?user_code=<script>", "/device_authorization", "/revoke", "/resource", "/.well-known/openid-configuration"} {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
			r := do(t, s, call{method: method, path: path, raw: "%%%", contentType: "application/x-www-form-urlencoded"})
			if r.status >= 500 {
				t.Errorf("%s %s: status = %d; want < 500", method, path, r.status)
			}
		}
	}
}

func TestStringers(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{AuthAny.String(), "AuthAny"},
		{AuthBasic.String(), "AuthBasic"},
		{AuthBody.String(), "AuthBody"},
		{AuthNone.String(), "AuthNone"},
		{AuthStyle(9).String(), "AuthStyle(9)"},
		{AnyBody.String(), "AnyBody"},
		{FormOnly.String(), "FormOnly"},
		{JSONOnly.String(), "JSONOnly"},
		{BodyFormat(7).String(), "BodyFormat(7)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}
