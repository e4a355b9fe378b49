package github

import (
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// The scale benchmark (issue 9): a fake GitHub with thousands of repositories whose
// histories are the fixtures' real tag histories, cycled and renamed, and what the
// crawl costs there. TestScale runs it at 10,000 repositories when RELEASELAKE_SCALE=1
// (scripts/bench-scale.d/40-github); TestScale_small runs the same checks at 500 in
// every `go test`.

// scaleConfig shapes the catalog and the days simulated.
type scaleConfig struct {
	repos     int // repositories
	days      int // daily runs after the first crawl, each with a few new releases
	newPerDay int
}

// scaleRepo is one generated repository and the product that crawls it.
type scaleRepo struct {
	p     releaselake.Product
	items int // items of the connection the crawl lists (releases or tags)
	huge  bool
}

// scaleCatalog fills srv with c.repos repositories made from the fixtures: repository
// i takes fixture i mod 12, renamed; 1 in 5 gets the fixture's whole history, the
// others its newest 10 to 79 tags; 1 in 7 is crawled from tags even if it publishes
// releases; one in 2,000 (at least one) is very large: the fixture's history repeated
// (renamed, a week apart per copy) to 2 x repos items, at most 20,000.
func scaleCatalog(t testing.TB, srv *githubtest.Server, c scaleConfig) []scaleRepo {
	fx, err := githubtest.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(fx, func(a, b githubtest.Repo) int { return strings.Compare(a.NameWithOwner(), b.NameWithOwner()) })
	hugeEvery := max(1, c.repos/max(1, c.repos/2000))
	hugeSize := min(20000, 2*c.repos)
	out := make([]scaleRepo, c.repos)
	for i := range c.repos {
		f := fx[i%len(fx)]
		h := fnv.New32a()
		h.Write([]byte(strconv.Itoa(i)))
		x := h.Sum32()
		name := fmt.Sprintf("org%03d/%s-%d", i/100, f.Name, i)
		var tags []githubtest.Tag
		huge := i%hugeEvery == hugeEvery/2
		switch {
		case huge:
			for g := 0; len(tags) < hugeSize; g++ {
				for _, tg := range f.Tags {
					if len(tags) == hugeSize {
						break
					}
					tg.Date = tg.Date.Add(-time.Duration(g) * 7 * 24 * time.Hour)
					if g > 0 {
						tg.Name = fmt.Sprintf("%s-g%d", tg.Name, g)
					}
					tags = append(tags, tg)
				}
			}
		case x%5 == 0:
			tags = f.Tags
		default:
			n := min(len(f.Tags), 10+int(x/5%70))
			tags = f.Tags[len(f.Tags)-n:]
		}
		srv.AddHistory(name, f.PublishesReleases, slices.Clone(tags))
		p := releaselake.Product{Key: fmt.Sprintf("p%05d", i), Kind: "github", Ref: name, Options: releaselake.Options{OptionTags: x%7 == 3}}
		r, _ := srv.Repo(name)
		items := len(r.Tags)
		if r.PublishesReleases && !p.Options.Bool(OptionTags) {
			items = len(r.Releases)
		}
		out[i] = scaleRepo{p: p, items: items, huge: huge}
	}
	return out
}

// scaleRun is what one run cost.
type scaleRun struct {
	name               string
	requests, points   int
	resyncs            int // repositories whose staggered full listing was due
	listedToEnd        int // repositories listed to their end (resyncs, and small ones whose first page is all)
	wall               time.Duration
	heapBase, heapPeak uint64 // heap in use before the run and at most during it
	stateBytes         int    // all repositories' state after the run
	redBytes           int    // raw answers Fetch returned (the red table's lines)
}

type scaleReport struct {
	scaleConfig
	repos, items, huge, hugeItems, tagsMode int
	runs                                    []scaleRun // first, quiet, handful, then the days
	days                                    []scaleRun
	stateMax                                int // the largest state of one repository, last run
	stateMaxRepo                            string
	checked                                 int  // products compared with a fresh crawl
	fullHistoryState                        int  // bytes a state naming every item would take
	ok                                      bool // no check failed: rows, state bounds, the fake's and the source's counts
}

// heapPeak samples the heap in use every 10 ms until stop is called.
func heapPeak() (stop func() (base, peak uint64)) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	peak.Store(base)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return base, peak.Load()
	}
}

func measureScale(t *testing.T, c scaleConfig) scaleReport {
	clock := now
	srv := githubtest.NewServer(t, githubtest.WithoutRequestLog(), githubtest.WithClock(func() time.Time { return clock }))
	repos := scaleCatalog(t, srv, c)
	rep := scaleReport{scaleConfig: c}
	ps := make([]releaselake.Product, len(repos))
	for i, r := range repos {
		ps[i] = r.p
		rep.items += r.items
		if r.huge {
			rep.huge++
			rep.hugeItems = max(rep.hugeItems, r.items)
		}
		if r.p.Options.Bool(OptionTags) {
			rep.tagsMode++
		}
	}
	rep.repos = len(repos)
	// What a state naming every item would take (the format before issue 9):
	// "key":unix, per item.
	for _, r := range repos {
		gr, _ := srv.Repo(r.p.Ref)
		if gr.PublishesReleases && !r.p.Options.Bool(OptionTags) {
			for _, rel := range gr.Releases {
				rep.fullHistoryState += len(strconv.FormatInt(rel.DatabaseID, 10)) + 15
			}
		} else {
			for _, tg := range gr.Tags {
				rep.fullHistoryState += len(tg.Name) + 15
			}
		}
	}
	t.Logf("scale: %d repositories, %d items (%d very large, the largest %d items)", rep.repos, rep.items, rep.huge, rep.hugeItems)

	s := newSource(srv, Config{})
	s.cfg.Now = func() time.Time { return clock }
	l := &lake{}
	run := func(name string) scaleRun {
		before := srv.Usage()
		lastFull := map[string]time.Time{}
		resyncs := 0
		for i, p := range ps {
			if st := readState(l.state[p.Key]); st != nil {
				lastFull[p.Key] = st.LastFull
				if st.resyncDue(clock.UTC(), s.cfg.ResyncEvery, repos[i].p.Ref) {
					resyncs++
				}
			}
		}
		stop := heapPeak()
		start := time.Now()
		red := 0
		for _, f := range l.crawl(t, s, ps) {
			if f.Err != nil {
				t.Fatalf("%s: %s: %v", name, f.Product, f.Err)
			}
			for _, b := range f.Raw {
				red += len(b)
			}
		}
		r := scaleRun{name: name, wall: time.Since(start), resyncs: resyncs, redBytes: red}
		r.heapBase, r.heapPeak = stop()
		u := srv.Usage()
		r.requests, r.points = u.Requests-before.Requests, u.Points-before.Points
		if st := s.LastStats(); st.Requests != r.requests || st.Points != r.points {
			t.Errorf("%s: the source counted %d requests, %d points; the fake %d, %d", name, st.Requests, st.Points, r.requests, r.points)
		}
		rep.stateMax = 0
		for key, b := range l.state {
			r.stateBytes += len(b)
			if len(b) > rep.stateMax {
				rep.stateMax, rep.stateMaxRepo = len(b), key
			}
			st := readState(b)
			if st == nil {
				t.Fatalf("%s: %s: unreadable state", name, key)
			}
			if !st.LastFull.Equal(lastFull[key]) {
				r.listedToEnd++
			}
			// The bound: the state names the items at or after its edge, and
			// at most the anchors before it.
			before := 0
			for _, at := range st.Known {
				if at < st.Edge {
					before++
				}
			}
			if before > anchors || len(st.Known)+st.Older != st.Total {
				t.Errorf("%s: %s: state names %d items before its edge (at most %d), %d named + %d counted for totalCount %d", name, key, before, anchors, len(st.Known), st.Older, st.Total)
			}
		}
		if u.Rejected > 0 {
			t.Fatalf("%s: %d queries GitHub would reject", name, u.Rejected)
		}
		t.Logf("scale: %-20s %5d requests %5d points %5d resyncs due %5d listed to the end  %8v  heap %4d -> %4d MB  state %d KB  red %d KB", name, r.requests, r.points, r.resyncs, r.listedToEnd, r.wall.Round(time.Millisecond), r.heapBase>>20, r.heapPeak>>20, r.stateBytes>>10, r.redBytes>>10)
		return r
	}
	rep.runs = append(rep.runs, run("first crawl"))
	rep.runs = append(rep.runs, run("nothing new"))

	// A handful of new releases, in both modes, published yesterday.
	release := func(r scaleRepo, tag string) {
		at := clock.Add(-24 * time.Hour)
		srv.AddTag(r.p.Ref, githubtest.Tag{Name: tag, Date: at, Annotated: true})
		if gr, _ := srv.Repo(r.p.Ref); gr.PublishesReleases {
			srv.AddRelease(r.p.Ref, githubtest.Release{TagName: tag, Name: tag, PublishedAt: at, CreatedAt: at})
		}
	}
	for i := range 5 {
		release(repos[(i*7919)%len(repos)], "v99.0."+strconv.Itoa(i))
	}
	rep.runs = append(rep.runs, run("five new releases"))

	// Days: the clock moves a day; a few repositories publish; the resyncs that
	// fall due are listed in full.
	for d := 1; d <= c.days; d++ {
		clock = clock.Add(24 * time.Hour)
		for i := range c.newPerDay {
			release(repos[(d*104729+i*7919)%len(repos)], fmt.Sprintf("v100.%d.%d", d, i))
		}
		rep.days = append(rep.days, run(fmt.Sprintf("day %d", d)))
	}

	// The incremental rows must be what a fresh full crawl gives: every huge
	// repository, every one that got a new release, and a sample of the rest.
	var check []releaselake.Product
	for i, r := range repos {
		if r.huge || i%53 == 0 {
			check = append(check, r.p)
		}
	}
	for d := 0; d <= c.days; d++ {
		for i := range max(5, c.newPerDay) {
			check = append(check, repos[(d*104729+i*7919)%len(repos)].p)
		}
	}
	slices.SortFunc(check, func(a, b releaselake.Product) int { return strings.Compare(a.Key, b.Key) })
	check = slices.CompactFunc(check, func(a, b releaselake.Product) bool { return a.Key == b.Key })
	sameRows(t, l, fresh(t, srv, check), check)
	rep.checked, rep.ok = len(check), !t.Failed()
	return rep
}

// targets are issue 9's: a run with nothing new costs at most 1 point per 50
// repositories, and the state does not grow with the history.
func (r scaleReport) quietTarget() int { return (r.repos + 49) / 50 }

// dayStats are the mean and the dearest of the daily runs.
func (r scaleReport) dayStats() (meanPoints, meanRequests, meanResyncs float64, dearest scaleRun) {
	for _, d := range r.days {
		if d.points > dearest.points {
			dearest = d
		}
		meanPoints += float64(d.points)
		meanRequests += float64(d.requests)
		meanResyncs += float64(d.resyncs)
	}
	n := float64(max(1, len(r.days)))
	return meanPoints / n, meanRequests / n, meanResyncs / n, dearest
}

func (r scaleReport) last() scaleRun {
	if len(r.days) > 0 {
		return r.days[len(r.days)-1]
	}
	return r.runs[len(r.runs)-1]
}

func (r scaleReport) markdown() string {
	var b strings.Builder
	quiet := r.runs[1]
	pass := func(ok bool) string {
		if ok {
			return "pass"
		}
		return "miss"
	}
	fmt.Fprintf(&b, "Fake GitHub (`githubtest`: every query checked against GitHub's schema and priced by GitHub's formula) holding %d repositories made from the fixtures' real tag histories, cycled and renamed: %d items in all; %d repositories crawled from tags by the catalog's choice (and the kafka-like ones that publish no releases); %d very large of %d items. Clock injected; the fake runs in the test's process, so wall time and heap include it.\n\n",
		r.repos, r.items, r.tagsMode, r.huge, r.hugeItems)
	b.WriteString("| run | requests | points | resyncs due | listed to the end | wall | heap before → peak | state, all repositories | red (raw answers) |\n|---|---:|---:|---:|---:|---:|---|---:|---:|\n")
	for _, run := range r.runs {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.1f s | %d → %d MB | %d KB | %d KB |\n", run.name, run.requests, run.points, run.resyncs, run.listedToEnd, run.wall.Seconds(), run.heapBase>>20, run.heapPeak>>20, run.stateBytes>>10, run.redBytes>>10)
	}
	if len(r.days) > 0 {
		points, requests, resyncs, dear := r.dayStats()
		least := r.days[0]
		red := 0
		for _, d := range r.days {
			if d.points < least.points {
				least = d
			}
			red += d.redBytes
		}
		fmt.Fprintf(&b, "| %d days, a day each, %d new releases a day: mean | %.0f | %.0f | %.0f | | | | %d KB (last day) | %d KB |\n", len(r.days), r.newPerDay, requests, points, resyncs, r.last().stateBytes>>10, red/len(r.days)>>10)
		fmt.Fprintf(&b, "| … the dearest day (%s) | %d | %d | %d | %d | %.1f s | %d → %d MB | | %d KB |\n", dear.name, dear.requests, dear.points, dear.resyncs, dear.listedToEnd, dear.wall.Seconds(), dear.heapBase>>20, dear.heapPeak>>20, dear.redBytes>>10)
		fmt.Fprintf(&b, "| … the cheapest day (%s) | %d | %d | %d | %d | %.1f s | %d → %d MB | | %d KB |\n", least.name, least.requests, least.points, least.resyncs, least.listedToEnd, least.wall.Seconds(), least.heapBase>>20, least.heapPeak>>20, least.redBytes>>10)
	}
	b.WriteString("\n| target | measured | |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| nothing new: ≤ 1 point per 50 repositories (≤ %d of 5,000 an hour) | %d points, %d requests | %s |\n", r.quietTarget(), quiet.points, quiet.requests, pass(quiet.points <= r.quietTarget()))
	if len(r.days) > 0 {
		_, _, _, dear := r.dayStats()
		fmt.Fprintf(&b, "| a day with its resyncs within one hour's budget (5,000) | dearest day %d points | %s |\n", dear.points, pass(dear.points <= 5000))
	}
	grown := r.last().stateBytes - r.runs[0].stateBytes
	fmt.Fprintf(&b, "| state bounded: names the items of the fresh window and %d anchors, counts the rest | %d KB after the first crawl, %d KB after the last run (naming every item: ≈ %d KB); largest repository %d bytes | %s |\n", anchors, r.runs[0].stateBytes>>10, r.last().stateBytes>>10, r.fullHistoryState>>10, r.stateMax, pass(r.ok && grown <= r.stateGrowthBound()))
	fmt.Fprintf(&b, "| incremental rows = a fresh full crawl's; every state within its bound | %d products compared (every very large one, every one that got a release, 1 in 53 of the rest) | %s |\n", r.checked, pass(r.ok))
	return b.String()
}

// stateGrowthBound is how much the states may grow over the runs: the new
// releases, a generous 200 bytes each (a key, its date, and the first page of a
// repository whose state names few items).
func (r scaleReport) stateGrowthBound() int { return 200 * (5 + r.newPerDay*len(r.days)) }

func checkScale(t *testing.T, r scaleReport) {
	quiet := r.runs[1]
	if quiet.points > r.quietTarget() {
		t.Errorf("nothing new: %d points for %d repositories, want <= %d", quiet.points, r.repos, r.quietTarget())
	}
	if handful := r.runs[2]; handful.points > quiet.points+2 {
		t.Errorf("five new releases: %d points, nothing new %d", handful.points, quiet.points)
	}
	// Each day names a few new items; none of the history.
	if grown := r.last().stateBytes - r.runs[0].stateBytes; grown > r.stateGrowthBound() {
		t.Errorf("state grew by %d bytes over %d days with %d new releases", grown, len(r.days), 5+r.newPerDay*len(r.days))
	}
}

func TestScale_small(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	r := measureScale(t, scaleConfig{repos: 300, days: 11, newPerDay: 3})
	checkScale(t, r)
}

// TestScale is the scale benchmark: RELEASELAKE_SCALE=1, with RELEASELAKE_SCALE_REPOS
// (10,000), RELEASELAKE_SCALE_DAYS (14) and RELEASELAKE_SCALE_OUT (a file the markdown
// table is written to).
func TestScale(t *testing.T) {
	if os.Getenv("RELEASELAKE_SCALE") != "1" {
		t.Skip("RELEASELAKE_SCALE=1 runs it")
	}
	c := scaleConfig{repos: 10000, days: 14, newPerDay: 10}
	if n, err := strconv.Atoi(os.Getenv("RELEASELAKE_SCALE_REPOS")); err == nil && n > 0 {
		c.repos = n
	}
	if n, err := strconv.Atoi(os.Getenv("RELEASELAKE_SCALE_DAYS")); err == nil && n >= 0 {
		c.days = n
	}
	r := measureScale(t, c)
	md := r.markdown()
	t.Log("\n" + md)
	if out := os.Getenv("RELEASELAKE_SCALE_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkScale(t, r)
}
