package github

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// now is the test clock: after every fixture date, so the fixtures are old news
// and releases added "yesterday" are inside the fresh window.
var now = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// crawls makes first crawls (nothing known yet) of products.
func crawls(ps ...releaselake.Product) []releaselake.Crawl {
	out := make([]releaselake.Crawl, len(ps))
	for i, p := range ps {
		out[i] = releaselake.Crawl{Product: p}
	}
	return out
}

var (
	kafka = releaselake.Product{Key: "kafka", Kind: "github", Ref: "apache/kafka", Options: releaselake.Options{OptionTags: true,
		OptionTagPattern: regexp.MustCompile(`^(\d+\.\d+\.\d+(?:\.\d+)?(?:-beta\d*)?)$`)}}
	flask      = releaselake.Product{Key: "flask", Kind: "github", Ref: "pallets/flask"}
	mybatis    = releaselake.Product{Key: "mybatis", Kind: "github", Ref: "mybatis/mybatis-3", Options: releaselake.Options{OptionTagPattern: regexp.MustCompile(`^mybatis-(\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.]+)?)$`)}}
	seaborn    = releaselake.Product{Key: "seaborn", Kind: "github", Ref: "mwaskom/seaborn"}
	prometheus = releaselake.Product{Key: "prometheus", Kind: "github", Ref: "prometheus/prometheus"}
	fixtures   = []releaselake.Product{kafka, flask, mybatis, seaborn, prometheus}
)

// lake is what the run keeps between fetches: rows and crawl state per product.
type lake struct {
	rows  map[string][]releaselake.Release
	state map[string][]byte
}

// crawl fetches products with what l knows, parses, and keeps the result in l
// (state only for products that succeeded, as the run does after a commit).
// It returns the fetch results.
func (l *lake) crawl(t *testing.T, s *Source, ps []releaselake.Product) []releaselake.Fetched {
	t.Helper()
	if l.rows == nil {
		l.rows, l.state = map[string][]releaselake.Release{}, map[string][]byte{}
	}
	cs := make([]releaselake.Crawl, len(ps))
	for i, p := range ps {
		cs[i] = releaselake.Crawl{Product: p, Prev: l.rows[p.Key], State: l.state[p.Key]}
	}
	got := s.Fetch(context.Background(), cs)
	for i, f := range got {
		if f.Err != nil {
			continue
		}
		if f.Unchanged { // as the run does: the rows stay, the state is kept
			if len(f.Raw) > 0 {
				t.Fatalf("%s: unchanged with %d red lines", ps[i].Key, len(f.Raw))
			}
			l.state[ps[i].Key] = f.State
			continue
		}
		parsed, err := s.Parse(ps[i], f.Raw, l.rows[ps[i].Key])
		if err != nil {
			t.Fatalf("parse %s: %v", ps[i].Key, err)
		}
		l.rows[ps[i].Key], l.state[ps[i].Key] = parsed.Releases, f.State
	}
	return got
}

// summary is a product's rows as sorted text, for comparing two lakes.
func summary(rows []releaselake.Release) string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v", r.Tag, r.Version, r.Name, r.Repo, r.DateSource, r.PublishedAt.Format(time.RFC3339), r.Prerelease))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func newSource(srv *githubtest.Server, cfg Config) *Source {
	cfg.URL, cfg.Token, cfg.Now = srv.URL, srv.Token, func() time.Time { return now }
	if cfg.Sleep == nil {
		cfg.Sleep = func(context.Context, time.Duration) error { return nil }
	}
	return New(cfg)
}

// fresh crawls ps from scratch with a new source: the oracle incremental runs must match.
func fresh(t *testing.T, srv *githubtest.Server, ps []releaselake.Product) *lake {
	l := &lake{}
	for _, f := range l.crawl(t, newSource(srv, Config{}), ps) {
		if f.Err != nil {
			t.Fatalf("fresh crawl of %s: %v", f.Product, f.Err)
		}
	}
	return l
}

func sameRows(t *testing.T, got, want *lake, ps []releaselake.Product) {
	t.Helper()
	for _, p := range ps {
		if g, w := summary(got.rows[p.Key]), summary(want.rows[p.Key]); g != w {
			t.Errorf("%s: rows differ from a fresh full crawl:\n got %d rows\nwant %d rows", p.Key, len(got.rows[p.Key]), len(want.rows[p.Key]))
		}
	}
}

func TestSource_Fetch_firstCrawlBatchesEveryRepository(t *testing.T) {
	srv := githubtest.NewServer(t)
	l := &lake{}
	for _, f := range l.crawl(t, newSource(srv, Config{}), fixtures) {
		if f.Err != nil {
			t.Fatalf("%s: %v", f.Product, f.Err)
		}
	}
	// The fewest requests GitHub allows: every repository's pages go in parallel,
	// 100 items a page, so the longest listing sets the count.
	most := 0
	for _, p := range fixtures {
		r, _ := srv.Repo(p.Ref)
		n := len(r.Tags)
		if r.PublishesReleases && !p.Options.Bool(OptionTags) {
			n = len(r.Releases)
		}
		most = max(most, (n+99)/100)
	}
	if got := len(srv.Requests()); got != most {
		t.Errorf("first crawl took %d requests, want %d (the longest listing's pages)", got, most)
	}
	// kafka from tags: every fixture tag the pattern makes a version.
	r, _ := srv.Repo("apache/kafka")
	want := 0
	for _, tag := range r.Tags {
		if kafka.Options.Regexp(OptionTagPattern).MatchString(tag.Name) {
			want++
		}
	}
	if got := len(l.rows["kafka"]); got != want || want == 0 {
		t.Errorf("kafka: %d rows, want %d", got, want)
	}
	for _, row := range l.rows["flask"] {
		if row.Source != releaselake.SourceGitHubRelease {
			t.Fatalf("flask row from %s", row.Source)
		}
	}
	// Notes: a release's description as GitHub holds it, none for a tag.
	flaskRepo, _ := srv.Repo("pallets/flask")
	descriptions := map[string]string{}
	for _, rel := range flaskRepo.Releases {
		descriptions[rel.TagName] = rel.Description
	}
	withNotes := 0
	for _, row := range l.rows["flask"] {
		if row.Notes != descriptions[row.Tag] {
			t.Fatalf("flask %s notes %q, want the description %q", row.Tag, row.Notes, descriptions[row.Tag])
		}
		if row.Notes != "" {
			withNotes++
		}
	}
	if withNotes == 0 || withNotes == len(l.rows["flask"]) {
		t.Errorf("flask: %d of %d rows with notes; the fixtures give some, not all, a description", withNotes, len(l.rows["flask"]))
	}
	for _, row := range l.rows["kafka"] {
		if row.Notes != "" {
			t.Fatalf("kafka tag %s has notes %q", row.Tag, row.Notes)
		}
	}
}

func TestSource_Fetch_nothingNewCostsOneRequest(t *testing.T) {
	srv := githubtest.NewServer(t)
	l := &lake{}
	s := newSource(srv, Config{})
	l.crawl(t, s, fixtures)
	before := len(srv.Requests())
	for run := 0; run < 3; run++ {
		// Nothing changed: no red lines, the rows stay, the state moves on.
		for _, f := range l.crawl(t, s, fixtures) {
			if !f.Unchanged || len(f.Raw) > 0 || f.State == nil {
				t.Errorf("run %d: %s: unchanged %v, %d red lines, state %d bytes", run, f.Product, f.Unchanged, len(f.Raw), len(f.State))
			}
		}
	}
	if got := len(srv.Requests()) - before; got != 3 {
		t.Errorf("three runs with nothing new took %d requests, want 3", got)
	}
	if st := s.LastStats(); st.Requests != 1 || st.Points < 1 || st.RateRemaining <= 0 {
		t.Errorf("stats %+v", st)
	}
	sameRows(t, l, fresh(t, srv, fixtures), fixtures)
}

func TestSource_Fetch_catchesEditsAndDeletions(t *testing.T) {
	srv := githubtest.NewServer(t)
	l := &lake{}
	s := newSource(srv, Config{})
	l.crawl(t, s, fixtures)
	yesterday := now.Add(-24 * time.Hour)
	steps := []struct {
		name     string
		change   func()
		requests int // 0: more than one is fine (a full listing)
	}{
		{"three new releases", func() {
			srv.AddRelease("pallets/flask", githubtest.Release{TagName: "3.9.0rc1", PublishedAt: yesterday, CreatedAt: yesterday})
			srv.AddRelease("mwaskom/seaborn", githubtest.Release{TagName: "v0.99.0", Name: "v0.99.0", PublishedAt: yesterday, CreatedAt: yesterday, IsPrerelease: true})
			srv.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.0", Date: yesterday, Annotated: true})
		}, 1},
		{"prerelease edited to GA and retitled", func() {
			srv.EditRelease("mwaskom/seaborn", "v0.99.0", func(r *githubtest.Release) { r.IsPrerelease, r.Name = false, "Seaborn 0.99" })
		}, 1},
		{"a new release turned into a draft", func() { srv.SetDraft("pallets/flask", "3.9.0rc1", true) }, 1},
		{"a fresh release deleted", func() { srv.DeleteRelease("mwaskom/seaborn", "v0.99.0") }, 0},
		{"an old release deleted", func() { srv.DeleteRelease("pallets/flask", "2.0.0") }, 0},
		{"an old tag backfilled", func() {
			srv.AddTag("apache/kafka", githubtest.Tag{Name: "0.0.1", Date: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)})
		}, 0},
	}
	for _, st := range steps {
		before := len(srv.Requests())
		st.change()
		for _, f := range l.crawl(t, s, fixtures) {
			if f.Err != nil {
				t.Fatalf("%s: %s: %v", st.name, f.Product, f.Err)
			}
		}
		got := len(srv.Requests()) - before
		if st.requests > 0 && got != st.requests {
			t.Errorf("%s: %d requests, want %d", st.name, got, st.requests)
		}
		sameRows(t, l, fresh(t, srv, fixtures), fixtures)
	}
	has := func(p, tag string) bool {
		return slices.ContainsFunc(l.rows[p], func(r releaselake.Release) bool { return r.Tag == tag })
	}
	if has("flask", "2.0.0") || has("flask", "3.9.0rc1") || has("seaborn", "v0.99.0") || !has("kafka", "9.9.0") || !has("kafka", "0.0.1") {
		t.Errorf("final rows miss a change")
	}
}

func TestSource_Fetch_resyncsInFullWhenDue(t *testing.T) {
	srv := githubtest.NewServer(t)
	l := &lake{}
	clock := now
	s := New(Config{URL: srv.URL, Token: srv.Token, Now: func() time.Time { return clock }})
	l.crawl(t, s, fixtures)
	before := len(srv.Requests())
	clock = clock.Add(8 * 24 * time.Hour) // past every repository's turn in a 7-day period
	l.crawl(t, s, fixtures)
	if got := len(srv.Requests()) - before; got < 2 {
		t.Errorf("resync took %d requests; a full listing of prometheus needs several", got)
	}
	before = len(srv.Requests())
	l.crawl(t, s, fixtures)
	if got := len(srv.Requests()) - before; got != 1 {
		t.Errorf("run after the resync took %d requests, want 1", got)
	}
}

// The state names what the incremental check reads (the fresh window and a few
// anchors) and counts the rest: over months of daily runs with new releases
// every day, it stops growing once the window is full, and the rows stay those
// of a fresh full crawl.
func TestSource_Fetch_stateStaysBoundedOverManyRuns(t *testing.T) {
	clock := now
	srv := githubtest.NewServer(t, githubtest.WithClock(func() time.Time { return clock }))
	s := New(Config{URL: srv.URL, Token: srv.Token, Now: func() time.Time { return clock }})
	l := &lake{}
	l.crawl(t, s, fixtures)
	size := func(key string) int { return len(l.state[key]) }
	first := size("prometheus")
	var atDay60 int
	for day := 1; day <= 120; day++ {
		clock = clock.Add(24 * time.Hour)
		at := clock.Add(-time.Hour)
		for i := range 2 { // two releases a day: 60 in any 30-day window
			tag := fmt.Sprintf("v9.%d.%d", day, i)
			srv.AddTag("prometheus/prometheus", githubtest.Tag{Name: tag, Date: at, Annotated: true})
			srv.AddRelease("prometheus/prometheus", githubtest.Release{TagName: tag, Name: tag, PublishedAt: at, CreatedAt: at})
			srv.AddTag("apache/kafka", githubtest.Tag{Name: fmt.Sprintf("9.%d.%d", day, i), Date: at})
		}
		for _, f := range l.crawl(t, s, fixtures) {
			if f.Err != nil {
				t.Fatalf("day %d: %s: %v", day, f.Product, f.Err)
			}
		}
		if day == 60 {
			atDay60 = size("prometheus")
		}
	}
	st := readState(l.state["prometheus"])
	if st == nil {
		t.Fatal("no state")
	}
	r, _ := srv.Repo("prometheus/prometheus")
	if len(st.Known)+st.Older != len(r.Releases) || len(st.Known) > 61+anchors {
		t.Errorf("state names %d releases and counts %d; GitHub has %d, %d of them in the window", len(st.Known), st.Older, len(r.Releases), 60)
	}
	// 240 releases later the state is no larger than with a full window.
	if end := size("prometheus"); end > atDay60+100 {
		t.Errorf("state grew from %d bytes (day 60) to %d (day 120); %d after the first crawl", atDay60, end, first)
	}
	sameRows(t, l, fresh(t, srv, fixtures), fixtures)
}

// A repository that publishes no releases is read from its tags: the first
// request asks for a page of releases and a single tag, and the tags go on from
// that tag's cursor. The rows are those of a crawl told to use tags.
func TestSource_Fetch_noReleasesFallsBackToTagsFromTheFirstTag(t *testing.T) {
	srv := githubtest.NewServer(t)
	guess := kafka
	guess.Key, guess.Options = "kafka-guess", releaselake.Options{OptionTagPattern: kafka.Options.Regexp(OptionTagPattern)}
	l := &lake{}
	for _, f := range l.crawl(t, newSource(srv, Config{}), []releaselake.Product{kafka, guess}) {
		if f.Err != nil {
			t.Fatalf("%s: %v", f.Product, f.Err)
		}
	}
	if st := readState(l.state["kafka-guess"]); st == nil || st.Mode != modeTags {
		t.Fatalf("state %+v", st)
	}
	r, _ := srv.Repo("apache/kafka")
	if got, want := summary(l.rows["kafka-guess"]), summary(l.rows["kafka"]); got != want || len(l.rows["kafka"]) == 0 || len(r.Tags) <= 100 {
		t.Errorf("tags after a one-tag probe: %d rows, tags mode from the start: %d", len(l.rows["kafka-guess"]), len(l.rows["kafka"]))
	}
	// The first request asked kafka-guess for releases and one tag.
	probed := false
	for k, v := range srv.Requests()[0].Variables {
		if i, ok := strings.CutPrefix(k, "rf"); ok && srv.Requests()[0].Variables["tf"+i] == 1.0 && v == 100.0 {
			probed = true
		}
	}
	if !probed {
		t.Errorf("first request %v: no repository asked for 100 releases and 1 tag", srv.Requests()[0].Variables)
	}
}
