// Package csp makes the security headers of the HTML pages serve answers:
// a Content-Security-Policy that allows a page's own inline scripts and
// styles by their hashes and nothing inline besides, no framing, and no
// content sniffing (docs/security.md).
package csp

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
)

var inline = regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`)

// Hashes returns the CSP sources ('sha256-…') of the inline scripts and
// styles of page, a page's HTML whose inline blocks are the same on every
// request.
func Hashes(page string) (scripts, styles []string) {
	for _, m := range inline.FindAllStringSubmatch(page, -1) {
		sum := sha256.Sum256([]byte(m[2]))
		src := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if m[1] == "script" {
			scripts = append(scripts, src)
		} else {
			styles = append(styles, src)
		}
	}
	return scripts, styles
}

// Policy is the Content-Security-Policy of a page whose inline blocks are
// page's, with extra directives (e.g. "connect-src 'self'") after the
// defaults: nothing from elsewhere, no plugins, no base or form target
// elsewhere, no framing.
func Policy(page string, extra ...string) string {
	scripts, styles := Hashes(page)
	d := []string{"default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
		strings.Join(append([]string{"script-src 'self'"}, scripts...), " "),
		strings.Join(append([]string{"style-src 'self'"}, styles...), " ")}
	return strings.Join(append(d, extra...), "; ")
}

// Set sets the security headers of an HTML answer with policy.
func Set(h http.Header, policy string) {
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}
