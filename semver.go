package releaselake

import (
	"math"
	"strings"
)

// Semver is a version read as semantic versioning reads one:
// major.minor.patch, then a prerelease, then build metadata. It is read from
// the version string alone, with the project's version parser (Version), so
// it agrees with the version order: 1.2 is 1.2.0, and 1.0.0.RELEASE is 1.0.0.
type Semver struct {
	Major, Minor, Patch int
	// Pre is the prerelease suffix as the version writes it, without its
	// leading separator ("rc.1", "M1", "beta2", "RC1"); nil for a stable
	// version. It says what the version string says: upstream may flag a
	// release as a prerelease that its version does not (Release.Prerelease).
	Pre *string
	// Build is the build metadata after '+' ("b359", "dedupelabels"); nil if none.
	Build *string
}

// Semver reads v as a semantic version. ok is false where semantic
// versioning cannot say what v says, and v stays a string:
//   - v is not a version (VersionOf of "nightly");
//   - a calendar version (Calendar: 2024.1.0, 20231005, 24.04, 23.09.0-dev);
//   - more than three numeric components (kafka's 0.8.2.1: its fourth would
//     be lost, and 0.8.2.1 would read as 0.8.2);
//   - a component of leading zeros (semantic versioning forbids them) or
//     over 2^31-1 (the largest GraphQL Int);
//   - a PEP 440 post-release (1.0.post1), newer than 1.0 yet with no
//     prerelease to tell them apart.
//
// Fewer than three components count the missing ones as 0, as the version
// order does (flask 0.1 is 0.1.0). A release word (.RELEASE, .Final, .GA) is
// no prerelease: 2.7.0.RELEASE is 2.7.0.
func (v Version) Semver() (s Semver, ok bool) {
	if !v.valid || v.parts > 3 || v.Calendar() {
		return Semver{}, false
	}
	rel := v.s[:v.relEnd]
	for _, n := range []*int{&s.Major, &s.Minor, &s.Patch} {
		if rel == "" {
			break
		}
		var comp string
		comp, rel = cutComponent(rel)
		if len(comp) > 1 && comp[0] == '0' || len(comp) > 10 {
			return Semver{}, false
		}
		x := 0
		for i := 0; i < len(comp); i++ {
			x = x*10 + int(comp[i]-'0')
		}
		if x > math.MaxInt32 {
			return Semver{}, false
		}
		*n = x
	}
	suffix := v.s[v.relEnd:v.build]
	if v.IsPrerelease() {
		pre := strings.TrimLeft(suffix, ".-_")
		s.Pre = &pre
	} else if t := newTokenizer(suffix, true); !t.onlyRelease() {
		return Semver{}, false // .postN: not a prerelease, yet not the plain release either
	}
	if v.build < len(v.s) {
		build := v.s[v.build+1:]
		s.Build = &build
	}
	return s, true
}

// onlyRelease reports whether a fresh tokenizer's suffix says nothing but
// "release": it is empty or a release word (.RELEASE, .Final, .GA).
func (t *tokenizer) onlyRelease() bool {
	first, _ := t.next()
	return first.sentinel
}

// Calendar reports whether v is a calendar version, by its string alone: its
// first component is 1000 or more (a year: 2024.1.0, 2024.10; a date:
// 20231005), or a later component is zero-padded (24.04, 23.09.0-dev: a
// month or day as calendar versioning writes it, which semantic versioning
// forbids). A two-digit year without padding (redash's 25.1.0) cannot be
// told from a semantic version this way, and is not one.
func (v Version) Calendar() bool {
	if !v.valid {
		return false
	}
	first, rest := cutComponent(v.s[:v.relEnd])
	if compareDigits(first, "1000") >= 0 {
		return true
	}
	for rest != "" {
		var comp string
		comp, rest = cutComponent(rest)
		if len(comp) > 1 && comp[0] == '0' {
			return true
		}
	}
	return false
}

// SemverOf reads a version string as a semantic version (Version.Semver); nil
// where it does not read as one.
func SemverOf(version string) *Semver {
	if s, ok := VersionOf(version).Semver(); ok {
		return &s
	}
	return nil
}

// Semver is the release's version read as a semantic version (SemverOf);
// nil where it does not read as one.
func (r Release) Semver() *Semver { return SemverOf(r.Version) }
