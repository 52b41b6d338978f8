package cli

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// safe returns s fit for a terminal: every control character (C0, DEL,
// C1), every bidirectional override or isolate, the line and paragraph
// separators and every invalid UTF-8 byte is replaced by its Go escape
// (\x1b, \u202e). A server's string printed through safe cannot move the
// cursor, clear the screen, set the window title or write the clipboard
// (OSC 52). Every string from a server goes through safe before it is
// printed: device codes and URIs, error codes and descriptions, scopes,
// status lines, headers and verbose logs.
func safe(s string) string {
	i := strings.IndexFunc(s, unsafeRune)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// unsafeRune reports whether r may change a terminal's state or hide text.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028, r == 0x2029, r == utf8.RuneError:
		return true
	}
	return false
}

// safeJSON returns JSON text fit for a terminal: encoding/json already
// escapes C0 characters; the other runes safe escapes become \uXXXX
// escapes, which keep the JSON valid and mean the same.
func safeJSON(b []byte) string {
	s := string(b)
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var out strings.Builder
	for _, r := range s {
		if unsafeRune(r) && r >= 0x20 {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}
