package releaselake

import (
	"net/url"
	"strings"
)

// SafeURL returns the URL a release may link to: s without surrounding spaces
// and without user info, if it is an http or https URL, and true; "" and true
// for an empty s; "" and false for anything else (javascript:, data:, vbscript:,
// a relative or unreadable URL). Pages, feeds and API clients link to
// Release.URL as it is, so no other scheme is stored or served. See
// docs/security.md.
func SafeURL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	rest, ok := cutPrefixFold(s, "https://")
	if !ok {
		rest, ok = cutPrefixFold(s, "http://")
	}
	if !ok || rest == "" || strings.ContainsFunc(s, isControl) {
		return "", false
	}
	host, _, _ := strings.Cut(rest, "/")
	if strings.Contains(host, "@") { // user info: never public
		return Redact(s), true
	}
	return s, true
}

// Redact returns u without the user info (user:password@) of its authority, for
// logs, errors, run records and anything stored. It leaves text that is not a
// URL with user info as it is.
func Redact(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	authority := u[i+3:]
	if end := strings.IndexAny(authority, "/?#"); end >= 0 {
		authority = authority[:end]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return u
	}
	return u[:i+3] + u[i+3+at+1:]
}

// SplitUserInfo returns u without its user info, and the user info (nil if
// none): a request authenticates with the second while the first is what is
// shown and stored.
func SplitUserInfo(u string) (string, *url.Userinfo) {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return Redact(u), nil
	}
	user := p.User
	p.User = nil
	return p.String(), user
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
