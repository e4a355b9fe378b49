package releaselake_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
)

func TestVersionFromTag_defaultRules(t *testing.T) {
	cases := []struct {
		tag, want string // want "" means not a version
	}{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"V2.0", "2.0"},
		{"0.1", "0.1"}, // flask's first release
		{"rel/release-3.1.0", "3.1.0"},
		{"release-1.2.3", "1.2.3"},
		{"release-3.1.0-RC1", "3.1.0-RC1"},
		{"v5.3.0.RELEASE", "5.3.0.RELEASE"},
		{"v4.2.0-M1", "4.2.0-M1"},
		{"26.3.0", "26.3.0"},
		{"23.09.0-dev", "23.09.0-dev"},
		{"3.13.0rc2", "3.13.0rc2"},
		{"v0.13.2rc1", "0.13.2rc1"},
		{"v0.9.1+b1234", "0.9.1+b1234"},
		{"v4.2.11.1", "4.2.11.1"},
		{"v5.0.0.rc1", "5.0.0.rc1"},
		{"v5.0.0.beta1", "5.0.0.beta1"},
		{"v1.1.0_RC1", "1.1.0_RC1"},
		{"v0.5.0.M1", "0.5.0.M1"},
		{"v1.0.0.RC1", "1.0.0.RC1"},
		{"v2.51.0+dedupelabels", "2.51.0+dedupelabels"},
		{"rabbitmq_v3_6_1", "3.6.1"},
		{"rabbitmq_v3_6_0_milestone1", "3.6.0-milestone1"},
		{"0.10.2.0-KAFKA-5526", "0.10.2.0-KAFKA-5526"},

		{"nightly", ""},
		{"show", ""},
		{"all-tests-pass", ""},
		{"dbr-20260723-abc", ""},
		{"dropped/feature-x", ""},
		{"kafka-0.7.0-incubating-candidate-9", ""},
		{"tags/v2.54.0+dedupelabels", ""},
		{"tags/0.8.1", ""},
		{"mybatis-3.5.19", ""},         // needs the catalog's pattern
		{"mobx@6.13.0", ""},            // likewise
		{"@emotion/react@11.14.0", ""}, // likewise
		{"liquibase-parent-4.1.0", ""},
		{"providers-amazon/8.0.0", ""},
		{"helm-chart/1.0.0", ""},
		{"main", ""},
		{"3", ""},
		{"3.x", ""},
		{"0.12.x", ""},
		{"1.0.x-dev", ""},
		{"v4.0.4-x1", "4.0.4-x1"},
		{"20260723", ""},
		{"v", ""},
		{"", ""},
		{"1.2.3-", ""},
		{"1.2.3 ", ""},
		{"1.2..3", ""},
		{"1.2.3+", ""},
		{"release-", ""},
		{"joss_paper", ""},
		{"not_used", ""},
	}
	for _, tc := range cases {
		got, ok := releaselake.VersionFromTag(tc.tag, nil)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("VersionFromTag(%q, nil) = %q, %v; want %q, %v", tc.tag, got, ok, tc.want, tc.want != "")
		}
	}
}

func TestVersionFromTag_pattern(t *testing.T) {
	mobx := `^(?:mobx@)?(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)$|^v(?P<version>[4-9]\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)$`
	cases := []struct {
		pattern, tag, want string // want "" means not a version
	}{
		{`^mybatis-(\d.*)$`, "mybatis-3.5.19", "3.5.19"},
		{`^mybatis-(\d.*)$`, "mybatis-3.2.4-SNAPSHOT", "3.2.4-SNAPSHOT"},
		{`^mybatis-(\d.*)$`, "v3.5.19", ""},
		{`^mobx@(\d.*)$`, "mobx@6.13.0", "6.13.0"},
		{`^mobx@(\d.*)$`, "mobx-react@7.0.1", ""},
		{`^@emotion/react@(?P<version>\d.*)$`, "@emotion/react@11.14.0", "11.14.0"},
		{`^@emotion/react@(?P<version>\d.*)$`, "@emotion/styled@11.14.0", ""},
		// the named group wins over group 1
		{`^(v)?(?P<version>\d+\.\d+\.\d+)$`, "v1.2.3", "1.2.3"},
		// several alternatives may name their group "version": the one that matched counts
		{mobx, "mobx@6.13.0", "6.13.0"},
		{mobx, "5.15.7", "5.15.7"},
		{mobx, "v6.0.2", "6.0.2"},
		{mobx, "v1.0.1", ""},
		{mobx, "mobx-react-lite@3.1.1", ""},
		// the pattern matched but what it captured is not a version
		{`^(.*)$`, "nightly", ""},
		{`^release-(.*)$`, "release-x", ""},
		{`^(\d.*)$`, "2.3.x", ""},
		{`^(?:v(\d.*)|latest)$`, "latest", ""},
		// what the pattern gives is still normalised like a tag
		{`^rabbitmq_v(.*)$`, "rabbitmq_v3_6_1", "3.6.1"},
		{`^kafka-(\d.*)$`, "kafka-0.7.0-incubating-candidate-9", "0.7.0-incubating-candidate-9"},
	}
	for _, tc := range cases {
		re := regexp.MustCompile(tc.pattern)
		got, ok := releaselake.VersionFromTag(tc.tag, re)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("VersionFromTag(%q, %s) = %q, %v; want %q, %v", tc.tag, tc.pattern, got, ok, tc.want, tc.want != "")
		}
	}
}

func TestIsPrerelease(t *testing.T) {
	stable := []string{"1.2.3", "1.2", "26.3.0", "4.2.11.1", "5.3.0.RELEASE", "1.0.0.Final", "2.0.GA",
		"1.0.post1", "2.0.0.post12", "2.51.0+dedupelabels", "0.9.0+b1234", "0.3.6+b359+b359", "10.0.0+security-01"}
	pre := []string{"2.0.0-rc.1", "3.13.0rc2", "1.0b1", "1.0a1", "1.0.dev0", "4.2.0-M1", "0.5.0.M1", "4.2.0.M1",
		"1.0.0.RC1", "1.0.0-RC1", "1.0.0-alpha", "1.0.0-beta.2", "1.0.0-preview-rc1", "15.0.0-canary.3",
		"17.0.0-next.1", "1.60.0-pre1", "1.1.0_RC1", "3.6.0-milestone1", "5.0.0.rc1", "5.0.0.beta1",
		"5.0.0.beta1.1", "3.2.4-SNAPSHOT", "23.09.0-dev", "1.0.post1.dev0", "2.0.0-rc.1+build.5", "2.3.9.pre",
		"0.8.2.0-cp", "2.0.0-compat"}
	for _, v := range stable {
		if releaselake.IsPrerelease(v) {
			t.Errorf("IsPrerelease(%q) = true, want false", v)
		}
	}
	for _, v := range pre {
		if !releaselake.IsPrerelease(v) {
			t.Errorf("IsPrerelease(%q) = false, want true", v)
		}
	}
	if releaselake.IsPrerelease("nightly") {
		t.Error(`IsPrerelease("nightly") = true for a string that is not a version`)
	}
}

func TestCompareVersions_order(t *testing.T) {
	chains := [][]string{ // each ascending
		{"1.9.3", "1.13.5"},
		{"2.0.0-alpha.1", "2.0.0-beta.2", "2.0.0-rc.1", "2.0.0"},
		{"1.0.dev0", "1.0a1", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.post2", "1.0.1"},
		{"3.13.0a1", "3.13.0b1", "3.13.0rc2", "3.13.0"},
		{"1.2.3", "1.2.3.4", "1.2.4"},
		{"0.5.0.M1", "0.5.0.M7", "1.0.0.RC1", "1.0.0.RC5", "1.0.0.RELEASE", "1.0.1.RELEASE", "1.5.22.RELEASE",
			"2.4.0-M1", "2.4.0-M4", "2.4.0-RC1", "2.4.0", "2.4.1"},
		{"4.2.11", "4.2.11.1", "4.2.11.3", "5.0.0.beta1", "5.0.0.beta1.1", "5.0.0.beta4", "5.0.0.rc1", "5.0.0", "5.0.0.1"},
		{"1.1.0_RC1", "1.1.0"},
		{"1.0.0-beta.9", "1.0.0-beta.10", "1.0.0"},
		{"15.0.0-canary.9", "15.0.0-canary.10", "15.0.0-rc.0", "15.0.0"},
		{"3.3.0-alpha.13", "3.3.0-beta.1", "3.3.0"},
		{"0.3.1+b85", "0.3.1+b91", "0.3.1+b101", "0.3.2+b101"},
		{"23.09.0-dev", "23.10.0-dev", "25.1.0", "26.3.0", "26.04.0-dev"},
		{"2.51.0-rc.0", "2.51.0-rc.0+dedupelabels", "2.51.0", "2.51.0+dedupelabels", "2.51.1"},
		{"0.8.2-beta", "0.8.2.0-cp", "0.8.2", "0.8.2.1", "0.10.0.0-rc1", "0.10.0.0-rc6", "0.10.0.0", "1.0.0"},
		{"1.0.0-canary.99999999999999999999", "1.0.0-canary.100000000000000000000", "1.0.0"},
		{"1.0.0-1", "1.0.0-alpha", "1.0.0"}, // semver: numeric identifiers before words
		{"", "nightly", "show", "0.0.1"},    // strings that are not versions sort first
	}
	for _, c := range chains {
		for i := range c {
			for j := range c {
				want := 0
				switch {
				case i < j:
					want = -1
				case i > j:
					want = 1
				}
				if got := releaselake.CompareVersions(c[i], c[j]); got != want {
					t.Errorf("CompareVersions(%q, %q) = %d, want %d", c[i], c[j], got, want)
				}
			}
		}
	}
}

func TestCompareVersions_equalByVersionBreaksTiesByString(t *testing.T) {
	cases := []struct{ lo, a, b, hi string }{
		{"1.1.9", "1.2", "1.2.0", "1.2.0.1"},
		{"1.0.0.RC1", "1.0.0", "1.0.0.RELEASE", "1.0.0.1"},
		{"2.0.0-beta.9", "2.0.0-RC1", "2.0.0-rc1", "2.0.0"},
		{"2.0.0-beta.9", "2.0.0-rc.1", "2.0.0rc1", "2.0.0-rc.2"},
		{"1.0.0", "1.0.0.Final", "1.0.0.GA", "1.0.0.post1"},
	}
	for _, tc := range cases {
		for _, v := range []string{tc.a, tc.b} {
			if releaselake.CompareVersions(tc.lo, v) != -1 || releaselake.CompareVersions(v, tc.hi) != -1 {
				t.Errorf("%q is not between %q and %q", v, tc.lo, tc.hi)
			}
		}
		want := strings.Compare(tc.a, tc.b)
		if got := releaselake.CompareVersions(tc.a, tc.b); got != want || releaselake.CompareVersions(tc.b, tc.a) != -want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d (by string)", tc.a, tc.b, got, want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, s := range []string{"1", "1.2.3", "3.13.0rc2", "5.3.0.RELEASE", "0.3.6+b359+b359", "1.0.0-x.7.z.92"} {
		v, err := releaselake.ParseVersion(s)
		if err != nil || v.String() != s {
			t.Errorf("ParseVersion(%q) = %q, %v", s, v, err)
		}
	}
	for _, s := range []string{"", "v1.2.3", "nightly", "1.2.3-", "1.2.3--rc1", "1.2.3 rc1", "1.2.3+", "1.2.3/4", ".1.2"} {
		if _, err := releaselake.ParseVersion(s); releaselake.ClassOf(err) != releaselake.Invalid {
			t.Errorf("ParseVersion(%q) error = %v, want an Invalid error", s, err)
		}
	}
	a, _ := releaselake.ParseVersion("2.0.0-rc.1")
	b, _ := releaselake.ParseVersion("2.0.0")
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.IsPrerelease() == b.IsPrerelease() {
		t.Errorf("Version methods disagree with CompareVersions/IsPrerelease for %v, %v", a, b)
	}
	var zero releaselake.Version
	if zero.Compare(a) != -1 || zero.IsPrerelease() {
		t.Error("the zero Version must sort first and not be a prerelease")
	}
}

func TestCompareVersions_doesNotAllocate(t *testing.T) {
	pairs := [][2]string{{"1.0.0.RC1", "1.0.0.RELEASE"}, {"3.13.0rc2", "3.13.0"}, {"0.3.1+b85", "0.3.1+b101"}, {"1.2", "1.2.0"}}
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range pairs {
			releaselake.CompareVersions(p[0], p[1])
		}
	})
	if allocs != 0 {
		t.Errorf("CompareVersions allocates %v times per run, want 0", allocs)
	}
}

func BenchmarkCompareVersions(b *testing.B) {
	vs := []string{"1.0.0.RC1", "1.0.0.RELEASE", "3.13.0rc2", "3.13.0", "0.3.1+b85", "0.3.1+b101", "2.0.0-beta.2",
		"2.0.0-rc.1", "1.13.5", "1.9.3", "26.3.0", "4.2.11.1"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		releaselake.CompareVersions(vs[i%len(vs)], vs[(i+5)%len(vs)])
	}
}
