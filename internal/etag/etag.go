// Package etag compares entity tags the way RFC 9110 asks for If-None-Match,
// for the gateway's answers and the release page alike.
package etag

import "strings"

// NoneMatch reports whether an If-None-Match header names etag: "*", or a
// list of tags one of which equals etag by weak comparison (W/ ignored on
// either side, as a proxy that compresses marks a strong tag weak).
func NoneMatch(header, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}
