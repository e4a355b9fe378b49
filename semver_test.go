package releaselake_test

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/releaselake/releaselake"
)

// semverString writes s back as semantic versioning writes it; "null" for nil.
func semverString(s *releaselake.Semver) string {
	if s == nil {
		return "null"
	}
	out := fmt.Sprintf("%d.%d.%d", s.Major, s.Minor, s.Patch)
	if s.Pre != nil {
		out += "-" + *s.Pre
	}
	if s.Build != nil {
		out += "+" + *s.Build
	}
	return out
}

// Each case is a version the fixtures' real histories hold (repository in
// the comment), or the calendar form the brief names.
func TestSemverOf_realVersions(t *testing.T) {
	for _, c := range []struct{ version, want string }{
		{"3.5.0", "3.5.0"},                                       // spring-boot
		{"2.3.0.RELEASE", "2.3.0"},                               // spring-boot: a release word is no prerelease
		{"0.5.0.M1", "0.5.0-M1"},                                 // spring-boot milestones
		{"3.0.0-M1", "3.0.0-M1"},                                 // spring-boot
		{"4.0.0-beta.2", "4.0.0-beta.2"},                         // tailwindcss
		{"2.0.0rc1", "2.0.0-rc1"},                                // flask, PEP 440
		{"1.1.0_RC1", "1.1.0-RC1"},                               // rails
		{"0.3.1+b85", "0.3.1+b85"},                               // redash build metadata
		{"2.54.0-rc.1+dedupelabels", "2.54.0-rc.1+dedupelabels"}, // prometheus
		{"0.1", "0.1.0"},                                         // flask: the missing patch is 0, as in the version order
		{"25.1.0", "25.1.0"},                                     // redash: a two-digit year without padding reads as semver
		{"0.10.0.0", "null"},                                     // kafka: four components
		{"0.8.2.1", "null"},                                      // kafka
		{"23.09.0-dev", "null"},                                  // redash: calendar, zero-padded month
		{"24.04", "null"},                                        // calendar, zero-padded month
		{"2024.1.0", "null"},                                     // calendar, a year
		{"20231005", "null"},                                     // calendar, a date
		{"1.0.post1", "null"},                                    // PEP 440 post-release
		{"01.2.3", "null"},                                       // leading zero
		{"1.2147483648.0", "null"},                               // over GraphQL's Int
		{"1.2147483647.0", "1.2147483647.0"},
		{"nightly", "null"},
		{"", "null"},
	} {
		if got := semverString(releaselake.SemverOf(c.version)); got != c.want {
			t.Errorf("SemverOf(%q) = %s, want %s", c.version, got, c.want)
		}
	}
}

// Over every version of the fixtures' real histories: a version reads as
// semver, or is not one for one of the documented reasons, each worked out
// here by simpler logic; a semver says what the version says (its numbers,
// whether it is a prerelease); and semver order agrees with version order.
func TestSemverOf_fixtureHistories(t *testing.T) {
	tags := loadFixtures(t)
	patterns := tagPatterns(t)
	numeric := regexp.MustCompile(`^(\d+)(?:\.(\d+))?(?:\.(\d+))?(\.\d+)?`)
	calendar := regexp.MustCompile(`^(\d{4,}|\d+\.(\d+\.)*0\d)`)
	post := regexp.MustCompile(`\.post\d+$`)
	type counted struct{ semver, calendar, four, post, other int }
	byRepo := map[string]*counted{}
	var all []string
	for _, f := range tags {
		v, ok := releaselake.VersionFromTag(f.Tag, patternFor(t, patterns, f.repo()))
		if !ok {
			continue
		}
		c := byRepo[f.repo()]
		if c == nil {
			c = &counted{}
			byRepo[f.repo()] = c
		}
		s := releaselake.SemverOf(v)
		m := numeric.FindStringSubmatch(v)
		switch {
		case s != nil:
			c.semver++
			all = append(all, v)
			for k, n := range []int{s.Major, s.Minor, s.Patch} {
				if want, _ := strconv.Atoi(m[k+1]); n != want {
					t.Errorf("%s %q: component %d is %d, want %d", f.repo(), v, k, n, want)
				}
			}
			if (s.Pre != nil) != releaselake.IsPrerelease(v) {
				t.Errorf("%s %q: pre %v, but IsPrerelease says %v", f.repo(), v, s.Pre, releaselake.IsPrerelease(v))
			}
			if m[4] != "" || calendar.MatchString(v) || post.MatchString(v) {
				t.Errorf("%s %q reads as semver %s", f.repo(), v, semverString(s))
			}
		case calendar.MatchString(v):
			c.calendar++
		case m[4] != "":
			c.four++
		case post.MatchString(v):
			c.post++
		default:
			c.other++
			t.Errorf("%s %q: not semver, for no documented reason", f.repo(), v)
		}
	}
	for repo, c := range byRepo {
		t.Logf("%-30s semver %4d  calendar %3d  four components %3d  post %2d", repo, c.semver, c.calendar, c.four, c.post)
	}
	if c := byRepo["getredash/redash"]; c == nil || c.calendar == 0 {
		t.Error("redash: no calendar version among the fixtures")
	}
	if c := byRepo["apache/kafka"]; c == nil || c.four == 0 {
		t.Error("kafka: no four-component version among the fixtures")
	}

	// Semver order is version order, but for build metadata (which semantic
	// versioning does not order) and the prerelease spellings it compares
	// as strings (the version order reads rc1 and RC1 alike).
	bad := 0
	for i := 0; i < len(all) && bad < 10; i += 7 {
		for j := i + 1; j < len(all) && bad < 10; j += 3 {
			a, b := releaselake.SemverOf(all[i]), releaselake.SemverOf(all[j])
			want := releaselake.CompareVersions(all[i], all[j])
			got := cmpTriple(a, b)
			if got == 0 && (a.Pre == nil) != (b.Pre == nil) {
				got = 1 // a stable version is greater than its prereleases
				if a.Pre != nil {
					got = -1
				}
			}
			if got != 0 && got != want {
				t.Errorf("semver %s vs %s gives %d; version order %q vs %q gives %d",
					semverString(a), semverString(b), got, all[i], all[j], want)
				bad++
			}
		}
	}
}

func cmpTriple(a, b *releaselake.Semver) int {
	for _, p := range [][2]int{{a.Major, b.Major}, {a.Minor, b.Minor}, {a.Patch, b.Patch}} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Calendar versions are told by their first component (a year or a date) or
// a zero-padded later one; everything else is not calendar.
func TestVersion_Calendar(t *testing.T) {
	for v, want := range map[string]bool{
		"2024.1.0": true, "2024.10": true, "20231005": true, "24.04": true, "23.09.0-dev": true, "1000.0": true,
		"999.0.0": false, "25.1.0": false, "24.4": false, "1.0.0": false, "nightly": false, "0.10.0.0": false,
	} {
		if got := releaselake.VersionOf(v).Calendar(); got != want {
			t.Errorf("VersionOf(%q).Calendar() = %v, want %v", v, got, want)
		}
	}
}

// Semver and Line never panic, and agree with the version order: a semver
// has the version's own numbers (its release key) and prerelease, and two versions in
// different lines order as their lines' numbers do.
func FuzzSemverAndLine(f *testing.F) {
	for _, s := range []string{"4.1.0-M1", "2.3.0.RELEASE", "0.8.2.1", "23.09.0-dev", "2024.1.0", "1.0.post1", "0.3.1+b85",
		"1", "01.2", "1.2147483648.0", "nightly", ""} {
		f.Add(s, "4.1.3")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, vb := releaselake.VersionOf(a), releaselake.VersionOf(b)
		if s, ok := va.Semver(); ok {
			if !va.Valid() || va.Calendar() || (s.Pre != nil) != va.IsPrerelease() {
				t.Fatalf("%q: semver %s, valid %v, calendar %v, prerelease %v", a, semverString(&s), va.Valid(), va.Calendar(), va.IsPrerelease())
			}
			key, _ := va.ReleaseKey()
			if triple, _ := releaselake.VersionOf(fmt.Sprintf("%d.%d.%d", s.Major, s.Minor, s.Patch)).ReleaseKey(); triple != key {
				t.Fatalf("%q reads as semver %s, whose numbers are not the version's (%v)", a, semverString(&s), key)
			}
		}
		for _, depth := range []int{releaselake.LineMajor, releaselake.LineMinor} {
			la, oka := va.Line(depth)
			lb, okb := vb.Line(depth)
			if oka != va.Valid() || okb != vb.Valid() {
				t.Fatalf("Line of %q: %v, of %q: %v", a, oka, b, okb)
			}
			if oka && okb && la != lb {
				if want := releaselake.CompareVersions(la, lb); releaselake.CompareVersions(a, b) != want {
					t.Fatalf("%q (line %s) and %q (line %s) order unlike their lines", a, la, b, lb)
				}
			}
		}
	})
}
