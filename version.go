package releaselake

import (
	"regexp"
	"strings"
)

// Versions are compared without regular expressions or allocations: a list of a
// million rows is sorted with CompareVersions, so a version is read in place.
//
// A version is a numeric release part (1.2.3, 26.3.0, 4.2.11.1), then an optional
// suffix (-rc.1, rc2, .M1, .RELEASE, .post1, _RC1 …), then optional +build
// metadata. The suffix is read as tokens: runs of digits and runs of letters,
// with '.', '-' and '_' as separators, so "-rc.1", "rc1" and ".RC1" read alike.

// Version is a parsed version string; the zero Version is not a version.
type Version struct {
	s      string
	relEnd int  // end of the numeric release part
	build  int  // index of the '+' that starts build metadata, or len(s)
	parts  int  // number of numeric release components
	valid  bool // ParseVersion accepted s
}

// ParseVersion parses s as a version, or returns an Invalid error saying why it is not one.
func ParseVersion(s string) (Version, error) {
	v, why := parse(s)
	if why != "" {
		return Version{}, Errorf(Invalid, "version %q: %s", s, why)
	}
	return v, nil
}

// String returns the version as it was given.
func (v Version) String() string { return v.s }

// Compare orders v and w by version order and returns -1, 0 or +1; it is 0 only
// when both are the same string. Invalid versions sort before all valid ones.
func (v Version) Compare(w Version) int {
	switch {
	case !v.valid || !w.valid:
		if v.valid != w.valid {
			if v.valid {
				return 1
			}
			return -1
		}
		return strings.Compare(v.s, w.s)
	case v.s == w.s:
		return 0
	}
	if c := compareRelease(v.s[:v.relEnd], w.s[:w.relEnd]); c != 0 {
		return c
	}
	return v.compareSuffix(w)
}

// compareSuffix is Compare of two valid versions whose numeric release parts
// are equal: their suffixes, then their build metadata, then their strings.
func (v Version) compareSuffix(w Version) int {
	if c := compareTokens(v.s[v.relEnd:v.build], w.s[w.relEnd:w.build], true); c != 0 {
		return c
	}
	// Build metadata never makes a version newer, but it still orders the
	// variants of one version (+b85 before +b101), after the plain one.
	vb, wb := v.s[v.build:], w.s[w.build:]
	if (vb == "") != (wb == "") {
		if vb == "" {
			return -1
		}
		return 1
	}
	if c := compareTokens(vb, wb, false); c != 0 {
		return c
	}
	return strings.Compare(v.s, w.s) // 1.2 vs 1.2.0, 1.0.0 vs 1.0.0.RELEASE, rc1 vs RC1
}

// IsPrerelease reports whether v's suffix makes it a prerelease: any suffix does,
// except .RELEASE, .Final, .GA and PEP 440 .postN; +build metadata never does.
func (v Version) IsPrerelease() bool {
	if !v.valid {
		return false
	}
	t := newTokenizer(v.s[v.relEnd:v.build], true)
	first, _ := t.next()
	if first.sentinel {
		return false
	}
	if first.rank() == rankPost {
		second, ok := t.next()
		_, more := t.next()
		return ok && (!second.num || more)
	}
	return true
}

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

// IsPrerelease reports whether a version string says it is a prerelease: any
// suffix after the numeric part (-rc.1, rc2, b1, .dev0, -M1, -alpha, -canary.3 …)
// except .RELEASE, .Final, .GA, PEP 440 .postN and +build metadata. It reports
// false for a string that is not a version.
func IsPrerelease(version string) bool {
	v, _ := parse(version)
	return v.IsPrerelease()
}

// CompareVersions orders two version strings by version order and returns -1, 0
// or +1: 1.13.5 > 1.9.3, 2.0.0 > 2.0.0-rc.1 > 2.0.0-beta.2, 3.13.0 > 3.13.0rc2 >
// 3.13.0b1, 1.2.3.4 > 1.2.3, 1.0.post1 > 1.0. Versions that are equal by version
// order (1.2 and 1.2.0, 1.0.0 and 1.0.0.RELEASE, 2.51.0 and 2.51.0+dedupelabels)
// are ordered by build metadata, then by string, so the order is total. Strings
// that are not versions sort first, by string.
func CompareVersions(a, b string) int {
	if a == b {
		return 0
	}
	va, _ := parse(a)
	vb, _ := parse(b)
	return va.Compare(vb)
}

// parse reads s as a version; why is empty on success and says what is wrong otherwise.
func parse(s string) (v Version, why string) {
	const maxLen = 256
	v.s = s // kept when s is not a version, so such strings still order by string
	switch {
	case s == "":
		return v, "empty"
	case len(s) > maxLen:
		return v, "longer than 256 bytes"
	case !isDigit(s[0]):
		return v, "does not start with a digit"
	}
	i := 0
	for {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		v.parts++
		if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
			i++
			continue
		}
		break
	}
	v.relEnd = i
	v.build = len(s)
	if j := strings.IndexByte(s[i:], '+'); j >= 0 {
		v.build = i + j
		if !validBuild(s[v.build+1:]) {
			return Version{s: s}, "bad build metadata after '+'"
		}
	}
	if !validSuffix(s[v.relEnd:v.build]) {
		return Version{s: s}, "bad suffix after the numeric part"
	}
	v.valid = true
	return v, ""
}

// validSuffix accepts "" or letters and digits with single '.', '-', '_' between
// them; a separator may lead ("-rc.1") but not trail or repeat.
func validSuffix(s string) bool {
	prevSep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isSep(c):
			if prevSep {
				return false
			}
			prevSep = true
		case isAlnum(c):
			prevSep = false
		default:
			return false
		}
	}
	return !prevSep
}

// validBuild accepts a non-empty run of letters, digits, '.', '-', '_' and '+'
// that holds at least one letter or digit (redash has "0.3.6+b359+b359").
func validBuild(s string) bool {
	alnum := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlnum(c):
			alnum = true
		case isSep(c) || c == '+':
		default:
			return false
		}
	}
	return alnum
}

// compareRelease compares dotted runs of digits numerically, a missing component
// counting as 0, so 1.2 and 1.2.0 compare equal here.
func compareRelease(a, b string) int {
	for a != "" || b != "" {
		var x, y string
		x, a = cutComponent(a)
		y, b = cutComponent(b)
		if c := compareDigits(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func cutComponent(s string) (component, rest string) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// compareDigits compares two runs of decimal digits of any length as numbers.
func compareDigits(x, y string) int {
	x = strings.TrimLeft(x, "0")
	y = strings.TrimLeft(y, "0")
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

// Ranks of suffix words: where a suffix places a version among the versions with
// the same numeric part. PEP 440 spellings (a, b, c, pre, preview) rank with
// their long forms; words we do not know (canary, next, compat …) sit between
// milestones and release candidates and order among themselves alphabetically.
const (
	rankDev       = iota // dev, snapshot, nightly
	rankAlpha            // alpha, a
	rankBeta             // beta, b
	rankMilestone        // milestone, m
	rankOther            // any other word
	rankRC               // rc, c, cr, pre, preview
	rankRelease          // release, final, ga; and no suffix at all
	rankPost             // post
)

func wordRank(w string) int {
	switch len(w) {
	case 1:
		switch w[0] | 0x20 {
		case 'a':
			return rankAlpha
		case 'b':
			return rankBeta
		case 'c':
			return rankRC
		case 'm':
			return rankMilestone
		}
	case 2:
		switch {
		case strings.EqualFold(w, "rc"), strings.EqualFold(w, "cr"):
			return rankRC
		case strings.EqualFold(w, "ga"):
			return rankRelease
		}
	case 3:
		switch {
		case strings.EqualFold(w, "dev"):
			return rankDev
		case strings.EqualFold(w, "pre"):
			return rankRC
		}
	case 4:
		switch {
		case strings.EqualFold(w, "beta"):
			return rankBeta
		case strings.EqualFold(w, "post"):
			return rankPost
		}
	case 5:
		switch {
		case strings.EqualFold(w, "alpha"):
			return rankAlpha
		case strings.EqualFold(w, "final"):
			return rankRelease
		}
	case 7:
		switch {
		case strings.EqualFold(w, "release"):
			return rankRelease
		case strings.EqualFold(w, "preview"):
			return rankRC
		case strings.EqualFold(w, "nightly"):
			return rankDev
		}
	case 8:
		if strings.EqualFold(w, "snapshot") {
			return rankDev
		}
	case 9:
		if strings.EqualFold(w, "milestone") {
			return rankMilestone
		}
	}
	return rankOther
}

// token is one run of digits or letters of a suffix; sentinel stands for "no
// suffix", which ranks as a release.
type token struct {
	text     string
	num      bool
	sentinel bool
}

func (t token) rank() int {
	if t.sentinel {
		return rankRelease
	}
	return wordRank(t.text)
}

// compareToken orders numbers numerically and before words, and words by rank,
// then alphabetically ignoring case.
func compareToken(x, y token) int {
	switch {
	case x.num && y.num:
		return compareDigits(x.text, y.text)
	case x.num != y.num:
		if x.num {
			return -1
		}
		return 1
	}
	if rx, ry := x.rank(), y.rank(); rx != ry {
		if rx < ry {
			return -1
		}
		return 1
	}
	return compareFold(x.text, y.text)
}

// compareFold compares ASCII strings as if lower-cased.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i]|0x20, b[i]|0x20
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// tokenizer yields the tokens of a suffix. For a version suffix (release=true) a
// leading release word (.RELEASE, .Final, .GA) is dropped, and an empty suffix
// yields one sentinel token, so that 1.0.0 and 1.0.0.RELEASE both rank as
// releases, above any prerelease and below .postN.
type tokenizer struct {
	s       string
	i       int
	release bool
	started bool
}

func newTokenizer(s string, release bool) tokenizer {
	return tokenizer{s: s, release: release}
}

func (t *tokenizer) next() (token, bool) {
	tok, ok := t.raw()
	if t.release && !t.started {
		t.started = true
		if ok && !tok.num && wordRank(tok.text) == rankRelease {
			tok, ok = t.raw()
		}
		if !ok {
			return token{sentinel: true}, true
		}
	}
	return tok, ok
}

func (t *tokenizer) raw() (token, bool) {
	s, i := t.s, t.i
	for i < len(s) && !isAlnum(s[i]) {
		i++
	}
	if i == len(s) {
		t.i = i
		return token{}, false
	}
	start, num := i, isDigit(s[i])
	for i < len(s) && isAlnum(s[i]) && isDigit(s[i]) == num {
		i++
	}
	t.i = i
	return token{text: s[start:i], num: num}, true
}

// compareTokens compares two suffixes (or two build metadata strings) token by
// token; when one runs out first it is the smaller.
func compareTokens(a, b string, release bool) int {
	ta, tb := newTokenizer(a, release), newTokenizer(b, release)
	for {
		x, okx := ta.next()
		y, oky := tb.next()
		switch {
		case !okx && !oky:
			return 0
		case !okx:
			return -1
		case !oky:
			return 1
		}
		if c := compareToken(x, y); c != 0 {
			return c
		}
	}
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

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'z' }
func isSep(c byte) bool   { return c == '.' || c == '-' || c == '_' }

func isAlnumString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return s != ""
}

func isLowerName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || isDigit(c) || c == '-') {
			return false
		}
	}
	return s != ""
}
