package serving

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/internal/fixturerows"
)

// fixtureAt is when the fixture lake's data is of: after the newest fixture
// tag (spring-boot, vue: August 2026); kafka's history ends in October 2024.
var fixtureAt = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

func fixtureIndex(t testing.TB) (*Index, []releaselake.Release) {
	t.Helper()
	rows, err := fixturerows.Rows()
	if err != nil {
		t.Fatal(err)
	}
	return NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: fixtureAt, Releases: rows}), rows
}

// The lines of every fixture product, at both depths, are what simpler
// logic makes of its rows: grouped by the version's leading numbers, the
// greatest and least stable version, the count, the newest date, and
// whether a stable release came in the year before the data's time; and
// they come greatest first, each once.
func TestLines_fixtureHistories(t *testing.T) {
	ix, rows := fixtureIndex(t)
	lead := regexp.MustCompile(`^(\d+)(?:\.(\d+))?`)
	type want struct {
		latest, first     string // versions
		releases          int
		last              time.Time
		active, anyStable bool
	}
	for _, depth := range []int{releaselake.LineMajor, releaselake.LineMinor} {
		expect := map[string]map[string]*want{} // product -> line -> want
		for _, r := range rows {
			m := lead.FindStringSubmatch(r.Version)
			name := fmt.Sprint(number(m[1]))
			if depth == releaselake.LineMinor {
				name += "." + fmt.Sprint(number(m[2])) // a missing minor ("") is 0
			}
			if expect[r.Product] == nil {
				expect[r.Product] = map[string]*want{}
			}
			w := expect[r.Product][name]
			if w == nil {
				w = &want{latest: r.Version, first: r.Version}
				expect[r.Product][name] = w
			}
			stable := !r.Prerelease && !r.Yanked
			switch {
			case stable && !w.anyStable:
				w.latest, w.first, w.anyStable = r.Version, r.Version, true
			case stable == w.anyStable:
				if releaselake.CompareVersions(r.Version, w.latest) > 0 {
					w.latest = r.Version
				}
				if releaselake.CompareVersions(r.Version, w.first) < 0 {
					w.first = r.Version
				}
			}
			w.releases++
			if r.PublishedAt.After(w.last) {
				w.last = r.PublishedAt
			}
			if stable && !r.PublishedAt.Before(fixtureAt.AddDate(0, 0, -365)) {
				w.active = true
			}
		}
		for product, lines := range expect {
			got := ix.Lines(product, depth, 1000)
			if len(got) != len(lines) {
				t.Errorf("%s depth %d: %d lines, want %d", product, depth, len(got), len(lines))
			}
			for k, l := range got {
				w := lines[l.Line]
				if w == nil {
					t.Errorf("%s depth %d: line %q, which no version has", product, depth, l.Line)
					continue
				}
				g := want{l.Latest.Version, l.First.Version, l.Releases, l.LastReleasedAt, l.Active, w.anyStable}
				if g != *w {
					t.Errorf("%s line %s:\n got %+v\nwant %+v", product, l.Line, g, *w)
				}
				if k > 0 && releaselake.CompareVersions(got[k-1].First.Version, l.Latest.Version) <= 0 {
					t.Errorf("%s: line %s (from %s) listed before line %s (up to %s)", product, got[k-1].Line, got[k-1].First.Version, l.Line, l.Latest.Version)
				}
			}
		}
	}
}

func number(digits string) uint64 {
	n, _ := strconv.ParseUint(digits, 10, 64)
	return n
}

// Facts of the real histories, as a release page would state them.
func TestLines_fixtureFacts(t *testing.T) {
	ix, _ := fixtureIndex(t)
	line := func(product string, depth int, name string) releaselake.ReleaseLine {
		t.Helper()
		for _, l := range ix.Lines(product, depth, 1000) {
			if l.Line == name {
				return l
			}
		}
		t.Fatalf("%s has no line %s", product, name)
		return releaselake.ReleaseLine{}
	}
	// spring-boot: a line's first release is its GA, not its milestones; .RELEASE is stable.
	if l := line("springboot", releaselake.LineMinor, "3.0"); l.First.Version != "3.0.0" || l.Active {
		t.Errorf("spring-boot 3.0: first %s, active %v; want 3.0.0, inactive", l.First.Version, l.Active)
	}
	if l := line("springboot", releaselake.LineMinor, "2.3"); l.First.Version != "2.3.0.RELEASE" {
		t.Errorf("spring-boot 2.3: first %s, want 2.3.0.RELEASE", l.First.Version)
	}
	// kafka: four-component versions group by their leading ones; its
	// history ends in October 2024, so no line is active in September 2026.
	if l := line("kafka", releaselake.LineMinor, "0.8"); l.Latest.Version != "0.8.2.2" || l.First.Version != "0.8.0" {
		t.Errorf("kafka 0.8: %s .. %s, want 0.8.0 .. 0.8.2.2", l.First.Version, l.Latest.Version)
	}
	for _, l := range ix.Lines("kafka", releaselake.LineMajor, 1000) {
		if l.Active {
			t.Errorf("kafka %s is active as of %s, its last release %s", l.Line, fixtureAt, l.LastReleasedAt)
		}
	}
	// redash: calendar versions (23.09.0-dev) have lines, zero padding
	// dropped; a line of -dev prereleases only is listed, not active.
	if l := line("redash", releaselake.LineMinor, "23.9"); l.Latest.Version != "23.09.0-dev" || l.Active || !l.Latest.Prerelease {
		t.Errorf("redash 23.9: latest %s (prerelease %v), active %v; want the prerelease 23.09.0-dev, inactive", l.Latest.Version, l.Latest.Prerelease, l.Active)
	}
	if l := line("redash", releaselake.LineMajor, "25"); !slices.Contains([]string{"25.1.0", "25.8.0"}, l.Latest.Version) {
		t.Errorf("redash 25: latest %s, want a stable 25.x", l.Latest.Version)
	}
}

func TestLines_firstNUnknownProductAndDepth(t *testing.T) {
	ix, _ := fixtureIndex(t)
	if ls := ix.Lines("no-such-product", releaselake.LineMinor, 1000); ls != nil {
		t.Errorf("lines of an unknown product: %v", ls)
	}
	if all, two := ix.Lines("rails", releaselake.LineMinor, 1000), ix.Lines("rails", releaselake.LineMinor, 2); len(two) != 2 || two[0] != all[0] || two[1] != all[1] {
		t.Errorf("the first 2 lines of rails: %v", two)
	}
	if ls := ix.Lines("rails", releaselake.LineMinor, 0); len(ls) != 0 {
		t.Errorf("the first 0 lines: %d of them", len(ls))
	}
	for _, d := range []int{0, 3, -1} {
		if ls := ix.Lines("kafka", d, 1000); ls != nil {
			t.Errorf("lines at depth %d: %d of them", d, len(ls))
		}
	}
}

// Concurrent first asks (go test -race) all get the answer a later one does.
func TestLines_concurrentFirstAsk(t *testing.T) {
	ix, _ := fixtureIndex(t)
	var wg sync.WaitGroup
	answers := make([][]releaselake.ReleaseLine, 8)
	for i := range answers {
		wg.Go(func() { answers[i] = ix.Lines("springboot", releaselake.LineMinor, 1000) })
	}
	wg.Wait()
	again := ix.Lines("springboot", releaselake.LineMinor, 1000)
	for i, a := range answers {
		if !slices.EqualFunc(a, again, func(x, y releaselake.ReleaseLine) bool { return x == y }) {
			t.Errorf("answer %d differs from a later one", i)
		}
	}
}

// The edge of the active window, written out rather than read from
// LineActiveWindow so that changing the rule fails here: a stable release
// published exactly 365 days before the commit keeps its line active, one
// published a second earlier does not.
func TestLines_activeWindowEdge(t *testing.T) {
	at := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	year := 365 * 24 * time.Hour
	ix := NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: at, Releases: []releaselake.Release{
		{Product: "p", Tag: "v1.0.0", Version: "1.0.0", PublishedAt: at.Add(-year)},
		{Product: "p", Tag: "v2.0.0", Version: "2.0.0", PublishedAt: at.Add(-year - time.Second)},
		{Product: "p", Tag: "v3.0.0", Version: "3.0.0", PublishedAt: at.Add(-year - time.Nanosecond)},
	}})
	want := map[string]bool{"3.0": false, "2.0": false, "1.0": true}
	ls := ix.Lines("p", releaselake.LineMinor, 10)
	if len(ls) != len(want) {
		t.Fatalf("%d lines, want %d", len(ls), len(want))
	}
	for _, l := range ls {
		if l.Active != want[l.Line] {
			t.Errorf("line %s, released %s before the commit: active %v, want %v", l.Line, at.Sub(l.LastReleasedAt), l.Active, want[l.Line])
		}
	}
}
