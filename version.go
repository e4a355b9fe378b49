package releaselake

import "strings"

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

// VersionOf returns s as a Version whether or not it is one, without an
// error to allocate: an invalid Version orders as CompareVersions orders s.
func VersionOf(s string) Version {
	v, _ := parse(s)
	return v
}

// Valid reports whether v is a version (ParseVersion accepts it).
func (v Version) Valid() bool { return v.valid }

// ReleaseKey returns the numeric release part of a valid version as numbers
// (1.13.5 -> 1, 13, 5, 0): keys compared component by component order as
// Compare orders the release parts. ok is false for an invalid version, one
// of more than four components, or a component of more than 19 digits.
func (v Version) ReleaseKey() (key [4]uint64, ok bool) {
	if !v.valid {
		return key, false
	}
	s := v.s[:v.relEnd]
	for i := 0; s != ""; i++ {
		var comp string
		comp, s = cutComponent(s)
		comp = strings.TrimLeft(comp, "0")
		if i == len(key) || len(comp) > 19 {
			return [4]uint64{}, false
		}
		for j := 0; j < len(comp); j++ {
			key[i] = key[i]*10 + uint64(comp[j]-'0')
		}
	}
	return key, true
}

// CompareSuffix is Compare of two valid versions whose release parts are
// equal (as their ReleaseKeys say), without comparing those again.
func (v Version) CompareSuffix(w Version) int { return v.compareSuffix(w) }

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
