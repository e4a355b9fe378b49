package releaselake

import (
	"regexp"
	"strings"
)

// VersionFromTag returns the version a tag carries, and ok=false when the tag is
// not a version (moving tags like "nightly", odd tags like "show", branch-ish names
// like "2.3.x", other packages' tags). With a pattern (a catalog tag_pattern) the
// tag must match it, and the group named "version" that matched, else group 1, is
// the version. Without one, the usual prefixes are stripped: "v"/"V", "release-",
// "rel/release-", "rel/" and the like, and legacy "name_vX_Y_Z" becomes "X.Y.Z".
// Either way the result must look like a version: at least two numeric components.
func VersionFromTag(tag string, pattern *regexp.Regexp) (version string, ok bool) {
	if pattern != nil {
		version, ok = fromPattern(tag, pattern)
	} else {
		version, ok = stripTagPrefix(tag), true
	}
	if !ok {
		return "", false
	}
	if u, isUnderscored := fromUnderscores(version); isUnderscored {
		version = u
	}
	if !looksLikeVersion(version) {
		return "", false
	}
	return version, true
}

// fromPattern applies a catalog tag_pattern: the version is the group named
// "version" that took part in the match (a pattern may name several alternatives
// "version"), else group 1, else the whole match.
func fromPattern(tag string, pattern *regexp.Regexp) (string, bool) {
	m := pattern.FindStringSubmatchIndex(tag)
	if m == nil {
		return "", false
	}
	group, named := -1, false
	for i, name := range pattern.SubexpNames() {
		if name == "version" {
			named = true
			if m[2*i] >= 0 {
				group = i
				break
			}
		}
	}
	switch {
	case group >= 0:
	case named:
		return "", false
	case pattern.NumSubexp() == 0:
		group = 0
	default:
		group = 1
	}
	if m[2*group] < 0 {
		return "", false
	}
	return tag[m[2*group]:m[2*group+1]], true
}

// tagPrefixes are the prefixes stripped from a tag when the catalog gives no
// pattern, longest first; a "v" may follow any of them.
var tagPrefixes = []string{"rel/release-", "release-", "release/", "release_", "version-", "rel/", "rel-"}

func stripTagPrefix(tag string) string {
	for _, p := range tagPrefixes {
		if strings.HasPrefix(tag, p) {
			tag = tag[len(p):]
			break
		}
	}
	if len(tag) > 1 && (tag[0] == 'v' || tag[0] == 'V') && isDigit(tag[1]) {
		return tag[1:]
	}
	// Legacy "name_vX_Y_Z" (rabbitmq_v3_6_1): only a lower-case name, only with
	// an underscored version after it, so that other "name-…" tags stay out.
	if i := strings.Index(tag, "_v"); i > 0 && i+2 < len(tag) && isDigit(tag[i+2]) && isLowerName(tag[:i]) {
		if _, ok := fromUnderscores(tag[i+2:]); ok {
			return tag[i+2:]
		}
	}
	return tag
}

// fromUnderscores rewrites an underscored version ("3_6_1", "3_6_1_rc1") to a
// dotted one ("3.6.1", "3.6.1-rc1"); ok is false unless s is one.
func fromUnderscores(s string) (string, bool) {
	if strings.IndexByte(s, '.') >= 0 || strings.IndexByte(s, '_') < 0 {
		return "", false
	}
	fields := strings.Split(s, "_")
	n := 0
	for n < len(fields) && fields[n] != "" && strings.Trim(fields[n], "0123456789") == "" {
		n++
	}
	if n < 2 {
		return "", false
	}
	for _, f := range fields[n:] {
		if f == "" || !isAlnumString(f) {
			return "", false
		}
	}
	v := strings.Join(fields[:n], ".")
	if n < len(fields) {
		v += "-" + strings.Join(fields[n:], ".")
	}
	return v, true
}

// looksLikeVersion reports whether s, taken from a tag, is a version: it parses,
// has at least two numeric components ("3" is a branch), and is not a branch
// wildcard like "2.3.x".
func looksLikeVersion(s string) bool {
	v, why := parse(s)
	if why != "" || v.parts < 2 {
		return false
	}
	suffix := s[v.relEnd:v.build]
	if suffix != "" && isSep(suffix[0]) {
		suffix = suffix[1:]
	}
	if i := strings.IndexAny(suffix, ".-_"); i >= 0 {
		suffix = suffix[:i]
	}
	return !strings.EqualFold(suffix, "x")
}
