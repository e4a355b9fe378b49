package releaselake_test

import (
	"regexp"
	"testing"

	"github.com/releaselake/releaselake"
)

// Version parsing and ordering never panic, and order stays consistent.
func FuzzVersions(f *testing.F) {
	for _, s := range []string{"v1.2.3", "3.13.0rc2", "v5.3.0.RELEASE", "mobx@6.13.0", "rel/release-3.1.0",
		"0.9.0+b1234", "v2.0.0-rc.1", "nightly", "", "1..2", "v", "1.2.3-", "99999999999999999999.1"} {
		f.Add(s, "1.0.0")
	}
	pattern := regexp.MustCompile(`^(?:mobx@)?(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)$`)
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, tag := range []string{a, b} {
			releaselake.VersionFromTag(tag, nil)
			releaselake.VersionFromTag(tag, pattern)
			releaselake.IsPrerelease(tag)
		}
		ab, ba := releaselake.CompareVersions(a, b), releaselake.CompareVersions(b, a)
		if ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if releaselake.CompareVersions(a, a) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", a)
		}
	})
}
