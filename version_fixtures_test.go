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
