package page

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// changeFeed is a ChangeFeed over change sets held in memory, one per version
// up to head, keeping the interface's contract on ranges and maxRows; err, if
// set, answers ranges reaching below failBelow.
type changeFeed struct {
	sets      map[int64]releaselake.ChangeSet
	head      int64
	failBelow int64
	calls     [][2]int64
}

func (f *changeFeed) Changes(_ context.Context, from, to int64, maxRows int) ([]releaselake.ChangeSet, error) {
	f.calls = append(f.calls, [2]int64{from, to})
	if from < 0 || from > to || maxRows < 1 || to > f.head {
		return nil, releaselake.Errorf(releaselake.Invalid, "bad range %d..%d", from, to)
	}
	if from < f.failBelow {
		return nil, releaselake.Errorf(releaselake.NotFound, "version %d was vacuumed", from)
	}
	var out []releaselake.ChangeSet
	for v := from; v <= to; v++ {
		set := f.sets[v]
		set.Version, set.CommittedAt = v, time.Date(2026, 3, 1, int(v), 0, 0, 0, time.UTC)
		n := 0
		for _, c := range set.Changes {
			n++
			if c.Changed() {
				n++
			}
		}
		if n > maxRows {
			if len(out) == 0 {
				out = append(out, releaselake.ChangeSet{Version: v, CommittedAt: set.CommittedAt, TooLarge: true})
			}
			return out, nil
		}
		maxRows -= n
		out = append(out, set)
	}
	return out, nil
}

// changesSnapshot is the snapshot of version 120 of vue's and react's releases,
// and a change feed in which: vue 3.6.0 was added as a prerelease at v110
// and made GA at v115; vue 3.5.0 was re-dated at v118 from March 4 to 1; react
// 19.0.0 was added at v119 and its notes edited at v120; vue 3.4.9 was added at
// v119 and nothing since; an unshown release changed at v117.
func changesSnapshot(t *testing.T) (*Snapshot, *changeFeed) {
	t.Helper()
	rs := []releaselake.Release{
		{Product: "vue", Tag: "v3.6.0", Version: "3.6.0", PublishedAt: day(5)},
		{Product: "vue", Tag: "v3.5.0", Version: "3.5.0", PublishedAt: day(1)},
		{Product: "vue", Tag: "v3.4.9", Version: "3.4.9", PublishedAt: day(6)},
		{Product: "react", Tag: "v19.0.0", Version: "19.0.0", PublishedAt: day(2), Notes: "Fixed."},
	}
	snap := NewSnapshot(testCatalog(t), serving.NewIndex(releaselake.Snapshot{Version: 120, CommittedAt: day(9), Releases: rs}))
	with := func(r releaselake.Release, edit func(*releaselake.Release)) *releaselake.Release {
		edit(&r)
		return &r
	}
	same := func(*releaselake.Release) {}
	feed := &changeFeed{head: 120, sets: map[int64]releaselake.ChangeSet{
		110: {Changes: []releaselake.Change{{After: with(rs[0], func(r *releaselake.Release) { r.Prerelease = true })}}},
		115: {Changes: []releaselake.Change{{Before: with(rs[0], func(r *releaselake.Release) { r.Prerelease = true }), After: &rs[0]}}},
		117: {Changes: []releaselake.Change{{Before: &releaselake.Release{Product: "vue", Tag: "v1"}, After: &releaselake.Release{Product: "vue", Tag: "v1", Yanked: true}}}},
		118: {Changes: []releaselake.Change{{Before: with(rs[1], func(r *releaselake.Release) { r.PublishedAt = day(4) }), After: &rs[1]}}},
		119: {Changes: []releaselake.Change{{After: with(rs[2], same)}, {After: with(rs[3], func(r *releaselake.Release) { r.Notes = "" })}}},
		120: {Changes: []releaselake.Change{{Before: with(rs[3], func(r *releaselake.Release) { r.Notes = "" }), After: &rs[3]}}},
	}}
	return snap, feed
}

func TestChanges_lastChangeOfEachShownRelease(t *testing.T) {
	snap, feed := changesSnapshot(t)
	var log bytes.Buffer
	got := Changes{Feed: feed, Log: slog.New(slog.NewTextHandler(&log, nil))}.apply(context.Background(), snap)
	at := func(v int) time.Time { return time.Date(2026, 3, 1, v, 0, 0, 0, time.UTC) }
	want := []Change{
		{Product: "react", Tag: "v19.0.0", Kind: ChangeUpdated, Version: 120, At: at(120), Fields: []string{"notes"}},
		{Product: "vue", Tag: "v3.4.9", Kind: ChangeNew, Version: 119, At: at(119)},
		{Product: "vue", Tag: "v3.5.0", Kind: ChangeRedated, Version: 118, At: at(118), Was: day(4), Fields: []string{"publishedAt"}},
		{Product: "vue", Tag: "v3.6.0", Kind: ChangeGA, Version: 115, At: at(115), Fields: []string{"prerelease"}},
	}
	if g, w := mustJSON(t, got.Changes), mustJSON(t, want); g != w {
		t.Errorf("changes\n got  %s\n want %s", g, w)
	}
	if snap.Changes != nil {
		t.Error("apply changed the snapshot it was given")
	}
	if err := got.Validate(); err != nil {
		t.Errorf("the snapshot with changes is invalid: %v", err)
	}
	if log.Len() != 0 {
		t.Errorf("logged %q", log.String())
	}
	for _, c := range feed.calls {
		if c[0] < 120-ChangeVersions+1 || c[1]-c[0] >= ChangeChunk {
			t.Errorf("read versions %d..%d: want at most %d at a time, none before %d", c[0], c[1], ChangeChunk, 120-ChangeVersions+1)
		}
	}
}

// A change feed that cannot be read (vacuumed, or the lake from before it
// recorded changes) leaves the snapshot as it was, logged; the newer
// versions read before the error still count.
func TestChanges_unreadableFeedDegradesWithALogLine(t *testing.T) {
	snap, feed := changesSnapshot(t)
	for _, c := range []struct {
		failBelow int64
		want      int
	}{{121, 0}, {101, 4}} { // everything refused; only versions before 101
		feed.failBelow = c.failBelow
		var log bytes.Buffer
		got := Changes{Feed: feed, Log: slog.New(slog.NewTextHandler(&log, nil))}.apply(context.Background(), snap)
		if len(got.Changes) != c.want || !strings.Contains(log.String(), "change feed unreadable") || !strings.Contains(log.String(), "vacuumed") {
			t.Errorf("feed refused below v%d: %d changes (want %d), log %q", c.failBelow, len(got.Changes), c.want, log.String())
		}
	}
}

func TestChanges_rowBudgetSkipsTooLargeVersions(t *testing.T) {
	snap, feed := changesSnapshot(t)
	huge := make([]releaselake.Change, ChangeRows+1)
	for i := range huge {
		huge[i] = releaselake.Change{After: &releaselake.Release{Product: "vue", Tag: "x"}}
	}
	feed.sets[116] = releaselake.ChangeSet{Changes: huge}
	got := Changes{Feed: feed}.apply(context.Background(), snap)
	if len(got.Changes) != 4 {
		t.Errorf("a version past the row budget: %d changes, want the 4 of the other versions", len(got.Changes))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The feed's entries say the change, and move their updated time to it; an
// older snapshot (no changes) renders as it did.
func TestFeed_entriesSayTheChangeFeedsChange(t *testing.T) {
	snap, feed := changesSnapshot(t)
	older, err := Decode(encode(t, snap))
	if err != nil {
		t.Fatal(err)
	}
	before, err := RenderFeed(older, nil, &url.URL{Scheme: "http", Host: "page.test", Path: "/feed.atom"})
	if err != nil {
		t.Fatal(err)
	}
	// The pushed JSON carries the changes; a field this server does not know
	// (as an older server does not know "changes") is ignored.
	body := bytes.Replace(encode(t, Changes{Feed: feed}.apply(context.Background(), snap)), []byte(`{`), []byte(`{"fromTheFuture":[1],`), 1)
	withChanges, err := Decode(body)
	if err != nil || len(withChanges.Changes) != 4 {
		t.Fatalf("decode a snapshot with changes: %v, %d changes", err, len(withChanges.Changes))
	}
	after, err := RenderFeed(withChanges, nil, &url.URL{Scheme: "http", Host: "page.test", Path: "/feed.atom"})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ title, text, updated, id string }
	entries := func(body []byte) map[string]entry {
		out := map[string]entry{}
		for _, e := range checkAtom(t, body).Entries {
			out[e.ID] = entry{e.Title, e.Content.Value, e.Updated, e.ID}
		}
		return out
	}
	old, now := entries(before), entries(after)
	id := func(p, tag string) string { return "urn:releaselake:release:" + p + ":" + tag }
	for _, w := range []entry{
		{"Vue 3.6.0 (now generally available)", "Vue 3.6.0 became generally available on 2026-03-05 (published 2026-03-05 as a prerelease).", "2026-03-05T19:00:00Z", id("vue", "v3.6.0")},
		{"Vue 3.5.0 (re-dated)", "Vue 3.5.0 was re-dated: published 2026-03-01 (was 2026-03-04).", "2026-03-05T22:00:00Z", id("vue", "v3.5.0")},
		{"React 19.0.0 (updated)", "React 19.0.0 was updated on 2026-03-06 (notes).\n\nFixed.", "2026-03-06T00:00:00Z", id("react", "v19.0.0")},
		{"Vue 3.4.9", "New release: Vue 3.4.9, published 2026-03-06.", "2026-03-06T00:00:00Z", id("vue", "v3.4.9")},
	} {
		if g := now[w.id]; g != w {
			t.Errorf("with changes:\n got  %q\n want %q", g, w)
		}
	}
	if g := old[id("vue", "v3.5.0")]; g.title != "Vue 3.5.0" || g.text != "New release: Vue 3.5.0, published 2026-03-01." || g.updated != "2026-03-01T00:00:00Z" {
		t.Errorf("without changes, as before: %q", g)
	}
	if len(old) != len(now) {
		t.Errorf("%d entries without changes, %d with: the same releases, the same ids", len(old), len(now))
	}
}

func TestSnapshot_Validate_changes(t *testing.T) {
	snap, feed := changesSnapshot(t)
	good := Changes{Feed: feed}.apply(context.Background(), snap)
	for _, c := range []struct {
		name string
		edit func(*Snapshot)
		want string
	}{
		{"unshown release", func(s *Snapshot) { s.Changes[0].Tag = "v0" }, "not a release the snapshot shows"},
		{"twice", func(s *Snapshot) { s.Changes = append(s.Changes, s.Changes[0]) }, "not a release the snapshot shows"},
		{"kind", func(s *Snapshot) { s.Changes[0].Kind = "exploded" }, "kind"},
		{"negative version", func(s *Snapshot) { s.Changes[0].Version = -1 }, "version -1"},
		{"no commit time", func(s *Snapshot) { s.Changes[0].At = time.Time{} }, "commit time"},
		{"unknown field", func(s *Snapshot) { s.Changes[0].Fields = []string{"notes", "<script>"} }, "fields"},
	} {
		s := *good
		s.Changes = append([]Change(nil), good.Changes...)
		c.edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

// A pushed snapshot carrying more changes than it shows releases is refused
// by the page server, unstored.
func TestServer_refusesAPushWithUnboundedChanges(t *testing.T) {
	ps := newPageServer(t, t.TempDir())
	snap, _ := changesSnapshot(t)
	for range 10000 {
		snap.Changes = append(snap.Changes, Change{Product: "vue", Tag: "v3.5.0", Kind: ChangeNew, Version: 1, At: day(1)})
	}
	if code, r := ps.do(signed(encode(t, snap), ps.now, secret)); code != 400 || !strings.Contains(r.Error, "not a release the snapshot shows") {
		t.Errorf("push of 10,000 changes: %d %+v", code, r)
	}
	if html := ps.page(); !strings.Contains(html, "No release data has been published here yet.") {
		t.Error("the refused snapshot is served")
	}
}

// Requests that find the snapshot stale after a new index share one build:
// the change feed is read once, not once per request in flight.
func TestFromIndex_concurrentRequestsShareOneBuild(t *testing.T) {
	_, feed := changesSnapshot(t)
	ix := serving.NewIndex(releaselake.Snapshot{Version: 120, CommittedAt: day(9), Releases: []releaselake.Release{
		{Product: "vue", Tag: "v3.6.0", Version: "3.6.0", PublishedAt: day(5)}}})
	get := FromIndex(testCatalog(t), func() *serving.Index { return ix }, Health{Changes: Changes{Feed: &lockedFeed{f: feed}}})
	var wg sync.WaitGroup
	snaps := make([]*Snapshot, 16)
	for i := range snaps {
		wg.Go(func() { snaps[i] = get() })
	}
	wg.Wait()
	for _, s := range snaps[1:] {
		if s != snaps[0] {
			t.Fatal("concurrent requests got different snapshots of one index")
		}
	}
	first := len(feed.calls)
	if get(); first == 0 || len(feed.calls) != first {
		t.Fatalf("the change feed was read in %d calls, then %d more: want one build", first, len(feed.calls)-first)
	}
	if first > 5 { // one build reads at most 100 versions in chunks of 20
		t.Errorf("%d reads of the change feed for 16 requests: each built its own snapshot", first)
	}
}

// lockedFeed serialises a changeFeed, which keeps no lock of its own, and
// takes a lake's time to answer, so that requests overlap.
type lockedFeed struct {
	mu sync.Mutex
	f  *changeFeed
}

func (l *lockedFeed) Changes(ctx context.Context, from, to int64, maxRows int) ([]releaselake.ChangeSet, error) {
	time.Sleep(20 * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Changes(ctx, from, to, maxRows)
}
