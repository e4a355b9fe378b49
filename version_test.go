package releaselake_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/sources"
)

var update = flag.Bool("update", false, "rewrite testdata/versions.golden from the fixtures")

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

// fixtureTag is one line of a fixtures/github/<owner>__<repo>.jsonl file.
type fixtureTag struct {
	Owner, Repo, Tag string
}

func (f fixtureTag) repo() string { return f.Owner + "/" + f.Repo }

// loadFixtures reads every tag of every fixture repository, files in name order
// and tags in file order (oldest first). The fixtures live in shared/ beside the
// repository (../shared/fixtures relative to its root, here and in CI); a missing
// fixture directory fails the test.
func loadFixtures(t *testing.T) []fixtureTag {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory: cannot find the repository root")
		}
		dir = parent
	}
	fixtures := filepath.Join(dir, "..", "shared", "fixtures", "github")
	files, err := filepath.Glob(filepath.Join(fixtures, "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s (they belong in shared/ beside the repository): %v", fixtures, err)
	}
	sort.Strings(files)
	var tags []fixtureTag
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for line := 1; sc.Scan(); line++ {
			var f fixtureTag
			if err := json.Unmarshal(sc.Bytes(), &f); err != nil || f.Owner == "" || f.Repo == "" || f.Tag == "" {
				t.Fatalf("%s:%d: not a fixture tag: %v", name, line, err)
			}
			tags = append(tags, f)
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return tags
}

// tagPatterns returns the default catalog's tag_pattern for each GitHub
// repository ("owner/name", lower-cased); nil where the catalog gives none.
func tagPatterns(t *testing.T) map[string]*regexp.Regexp {
	t.Helper()
	c, err := catalog.Default(sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*regexp.Regexp{}
	for _, p := range c.Products() {
		if p.Kind == releaselake.KindGitHub {
			m[strings.ToLower(p.Ref)] = p.Options.Regexp("tag_pattern")
		}
	}
	return m
}

func patternFor(t *testing.T, patterns map[string]*regexp.Regexp, repo string) *regexp.Regexp {
	t.Helper()
	re, ok := patterns[strings.ToLower(repo)]
	if !ok {
		t.Fatalf("fixture repository %s is not in the default catalog", repo)
	}
	return re
}

// TestVersionFromTag_fixturesGolden records what every real tag of every fixture
// repository becomes under the catalog's tag_pattern for that repository.
func TestVersionFromTag_fixturesGolden(t *testing.T) {
	tags := loadFixtures(t)
	patterns := tagPatterns(t)
	type count struct{ stable, pre, ignored int }
	counts := map[string]*count{}
	var repos []string
	var out strings.Builder
	for _, f := range tags {
		repo := f.repo()
		c := counts[repo]
		if c == nil {
			c = &count{}
			counts[repo] = c
			repos = append(repos, repo)
		}
		version, kind := "IGNORED", "-"
		if v, ok := releaselake.VersionFromTag(f.Tag, patternFor(t, patterns, repo)); ok {
			version, kind = v, "stable"
			if releaselake.IsPrerelease(v) {
				kind = "prerelease"
				c.pre++
			} else {
				c.stable++
			}
		} else {
			c.ignored++
		}
		fmt.Fprintf(&out, "%s\t%s\t%s\t%s\n", repo, f.Tag, version, kind)
	}

	golden := filepath.Join("testdata", "versions.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestVersionFromTag_fixturesGolden -update to write it)", err)
	}
	gotLines, wantLines := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
	shown := 0
	for i := 0; i < len(gotLines) || i < len(wantLines); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w && shown < 20 {
			t.Errorf("%s line %d:\n got  %q\n want %q", golden, i+1, g, w)
			shown++
		}
	}
	if shown > 0 {
		t.Log("if the change is intended, rerun with -update and review the diff")
	}
	for _, repo := range repos {
		c := counts[repo]
		t.Logf("%-32s versions %4d (stable %4d, prerelease %4d)  ignored %4d", repo, c.stable+c.pre, c.stable, c.pre, c.ignored)
	}
}

// TestCompareVersions_totalOverFixtures sorts every version the fixtures give
// (with the catalog's patterns and with the default rules) and checks every pair:
// a comparison that is not antisymmetric or not transitive cannot pass.
func TestCompareVersions_totalOverFixtures(t *testing.T) {
	tags := loadFixtures(t)
	patterns := tagPatterns(t)
	seen := map[string]bool{}
	var vs []string
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			vs = append(vs, v)
		}
	}
	for _, f := range tags {
		if v, ok := releaselake.VersionFromTag(f.Tag, patternFor(t, patterns, f.repo())); ok {
			add(v)
		}
		if v, ok := releaselake.VersionFromTag(f.Tag, nil); ok {
			add(v)
		}
	}
	for _, v := range []string{"1.2", "1.2.0", "1.2.0.0", "1.0.0.Final", "1.0.0.GA", "1.0.dev0", "1.0.post1", "", "nightly", "show"} {
		add(v)
	}
	sort.Slice(vs, func(i, j int) bool { return releaselake.CompareVersions(vs[i], vs[j]) < 0 })
	bad := 0
	for i := range vs {
		if c := releaselake.CompareVersions(vs[i], vs[i]); c != 0 {
			t.Errorf("CompareVersions(%q, itself) = %d", vs[i], c)
		}
		for j := i + 1; j < len(vs) && bad < 20; j++ {
			if ab, ba := releaselake.CompareVersions(vs[i], vs[j]), releaselake.CompareVersions(vs[j], vs[i]); ab != -1 || ba != 1 {
				t.Errorf("sorted %q before %q, yet CompareVersions gives %d and %d", vs[i], vs[j], ab, ba)
				bad++
			}
		}
	}
	t.Logf("%d distinct versions, every pair consistent", len(vs))
}

// TestVersionFromTag_fixtureFacts checks facts about the real tags, each worked
// out here by simpler logic than the package's.
func TestVersionFromTag_fixtureFacts(t *testing.T) {
	tags := loadFixtures(t)
	patterns := tagPatterns(t)
	byRepo := map[string][]string{}
	for _, f := range tags {
		byRepo[f.repo()] = append(byRepo[f.repo()], f.Tag)
	}
	versionOf := func(repo, tag string) (string, bool) {
		return releaselake.VersionFromTag(tag, patternFor(t, patterns, repo))
	}

	// Every repository's greatest stable version is the numeric maximum over the
	// versions made only of digits and dots.
	for repo, ts := range byRepo {
		var latest, numericMax string
		for _, tag := range ts {
			v, ok := versionOf(repo, tag)
			if !ok {
				continue
			}
			if !releaselake.IsPrerelease(v) && (latest == "" || releaselake.CompareVersions(v, latest) > 0) {
				latest = v
			}
			if digitsAndDots(v) && (numericMax == "" || numericLess(numericMax, v)) {
				numericMax = v
			}
		}
		if latest == "" || numericLess(latest, numericMax) || numericLess(numericMax, latest) {
			t.Errorf("%s: greatest stable version %q, want %q", repo, latest, numericMax)
		}
	}

	// flask: the greatest stable version, from the tags alone.
	var flask string
	for _, tag := range byRepo["pallets/flask"] {
		if digitsAndDots(tag) && (flask == "" || numericLess(flask, tag)) {
			flask = tag
		}
	}
	if got := latestStable(t, byRepo["pallets/flask"], versionOf, "pallets/flask"); flask == "" || got != flask {
		t.Errorf("flask: greatest stable version %q, want %q", got, flask)
	}

	// prometheus: the Go-module twins (v0.35.0 beside v2.35.0, v0.300.0 beside
	// v3.0.0) are not versions, the real 0.x releases (0.1.0 … 0.20.0, untagged v) are,
	// and the greatest stable version is the greatest vX.Y.Z with X >= 1.
	twin := regexp.MustCompile(`^v0\.\d+\.`)
	plain := regexp.MustCompile(`^v([1-9]\d*\.\d+\.\d+)$`)
	var prom string
	for _, tag := range byRepo["prometheus/prometheus"] {
		v, ok := versionOf("prometheus/prometheus", tag)
		if twin.MatchString(tag) && ok {
			t.Errorf("prometheus: module twin %q gives version %q", tag, v)
		}
		if strings.HasPrefix(tag, "0.") && digitsAndDots(tag) && (!ok || v != tag) {
			t.Errorf("prometheus: %q gives %q, %v; want the 0.x release %q", tag, v, ok, tag)
		}
		if m := plain.FindStringSubmatch(tag); m != nil && m[1] != "1.99.0" && (prom == "" || numericLess(prom, m[1])) {
			prom = m[1]
		}
	}
	if got := latestStable(t, byRepo["prometheus/prometheus"], versionOf, "prometheus/prometheus"); prom == "" || got != prom {
		t.Errorf("prometheus: greatest stable version %q, want %q", got, prom)
	}
	if _, ok := releaselake.VersionFromTag("tags/v2.54.0+dedupelabels", nil); ok {
		t.Error("prometheus: tags/v2.54.0+dedupelabels is a version by the default rules")
	}

	// kafka: X.Y.Z tags are their own versions; the incubator's vote candidates,
	// 'show', 'fetch' and 'tags/…' are not versions, with or without the pattern.
	xyz := regexp.MustCompile(`^\d+\.\d+\.\d+$`)
	for _, tag := range byRepo["apache/kafka"] {
		v, ok := versionOf("apache/kafka", tag)
		switch {
		case xyz.MatchString(tag):
			if !ok || v != tag {
				t.Errorf("kafka: %q gives %q, %v; want %q", tag, v, ok, tag)
			}
		case strings.HasPrefix(tag, "kafka-") || tag == "show" || tag == "fetch" || strings.HasPrefix(tag, "tags/"):
			if ok {
				t.Errorf("kafka: %q gives version %q", tag, v)
			}
			if v, ok := releaselake.VersionFromTag(tag, nil); ok {
				t.Errorf("kafka: %q gives version %q by the default rules", tag, v)
			}
		}
	}

	// mobx: the monorepo's other packages never give mobx versions.
	for _, tag := range byRepo["mobxjs/mobx"] {
		if i := strings.IndexByte(tag, '@'); i > 0 && tag[:i] != "mobx" {
			if v, ok := versionOf("mobxjs/mobx", tag); ok {
				t.Errorf("mobx: %q (another package) gives version %q", tag, v)
			}
		}
	}
}

func latestStable(t *testing.T, tags []string, versionOf func(repo, tag string) (string, bool), repo string) string {
	t.Helper()
	var latest string
	for _, tag := range tags {
		if v, ok := versionOf(repo, tag); ok && !releaselake.IsPrerelease(v) {
			if latest == "" || releaselake.CompareVersions(v, latest) > 0 {
				latest = v
			}
		}
	}
	return latest
}

func digitsAndDots(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.") == "" && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
}

// numericLess compares the leading digits-and-dots part of two versions as
// numbers, a missing component counting as 0: the test's own, simpler order.
func numericLess(a, b string) bool {
	nums := func(s string) []int {
		end := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
		if end >= 0 {
			s = s[:end]
		}
		var n []int
		for _, f := range strings.Split(strings.Trim(s, "."), ".") {
			x, _ := strconv.Atoi(f)
			n = append(n, x)
		}
		return n
	}
	x, y := nums(a), nums(b)
	for i := 0; i < len(x) || i < len(y); i++ {
		var p, q int
		if i < len(x) {
			p = x[i]
		}
		if i < len(y) {
			q = y[i]
		}
		if p != q {
			return p < q
		}
	}
	return false
}

func BenchmarkCompareVersions(b *testing.B) {
	vs := []string{"1.0.0.RC1", "1.0.0.RELEASE", "3.13.0rc2", "3.13.0", "0.3.1+b85", "0.3.1+b101", "2.0.0-beta.2",
		"2.0.0-rc.1", "1.13.5", "1.9.3", "26.3.0", "4.2.11.1"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		releaselake.CompareVersions(vs[i%len(vs)], vs[(i+5)%len(vs)])
	}
}
