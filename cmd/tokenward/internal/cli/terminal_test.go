package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// hostile holds what a server may put in a string to take over a terminal.
var hostile = []string{
	"\x1b]52;c;ZWNobyBwd25lZA==\x07",  // OSC 52: write the clipboard
	"\x1b]0;owned\x07",                // OSC 0: set the window title
	"\x1b[2J\x1b[H",                   // clear the screen, cursor home
	"\u009b31m",                       // 8-bit CSI
	"\u009d0;title\u009c",             // 8-bit OSC ... ST
	"abc\u202edcb",                    // right-to-left override
	"line\rOVERWRITE\nnext\bback\x7f", // carriage return, newline, backspace, DEL
	"bad\xff\xfeutf8",                 // invalid UTF-8
}

func TestSafe(t *testing.T) {
	for _, s := range hostile {
		got := safe(s)
		if strings.IndexFunc(got, unsafeRune) >= 0 || strings.ContainsAny(got, "\x1b\x07\r\n\b") {
			t.Errorf("safe(%q) = %q: still holds a control character", s, got)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"plain ASCII", "plain ASCII"},
		{"héllo wörld ✓", "héllo wörld ✓"},
		{"\x1b]0;t\x07", `\x1b]0;t\x07`},
		{"a\u202eb", `a\u202eb`},
		{"x\xffy", `x\xffy`},
	} {
		if got := safe(c.in); got != c.want {
			t.Errorf("safe(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestSafeJSON(t *testing.T) {
	for _, s := range hostile {
		b, _ := json.Marshal(map[string]string{"scope": s})
		got := safeJSON(b)
		if strings.IndexFunc(got, unsafeRune) >= 0 {
			t.Errorf("safeJSON(%q) = %q: still holds a control character", b, got)
		}
		var back map[string]string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("safeJSON(%q) = %q: not JSON: %v", b, got, err)
		} else if want := strings.Join(strings.Split(s, "\xff\xfe"), "\ufffd\ufffd"); back["scope"] != want {
			t.Errorf("safeJSON round trip = %q; want %q", back["scope"], want)
		}
	}
}
