package github

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// With daily runs, every repository is listed in full once every 7 days, and
// each day about a seventh of a catalog is, however its repositories line up:
// here all were first crawled on the same day.
func TestRepoState_resyncDue_spreadsEvenlyOverThePeriod(t *testing.T) {
	const n, every = 7000, 7 * 24 * time.Hour
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	states := make([]repoState, n)
	last := make([]int, n)
	for i := range states {
		states[i].LastFull = start
	}
	for day := 1; day <= 70; day++ {
		now := start.Add(time.Duration(day) * 24 * time.Hour)
		due := 0
		for i := range states {
			repo := fmt.Sprintf("org%d/repo-%d", i%97, i)
			if !states[i].resyncDue(now, every, repo) {
				continue
			}
			due++
			if last[i] > 0 && day-last[i] != 7 {
				t.Fatalf("%s: listed in full on days %d and %d", repo, last[i], day)
			}
			states[i].LastFull, last[i] = now, day
		}
		if due < n/7*8/10 || due > n/7*12/10 {
			t.Errorf("day %d: %d of %d due, want about %d", day, due, n, n/7)
		}
	}
}

// A state written before the state was bounded names every item and has no
// edge: it reads as one whose edge is 0, costs no full listing, and the next
// state is bounded.
func TestSource_Fetch_readsAStateThatNamesEveryItem(t *testing.T) {
	srv := githubtest.NewServer(t)
	l := &lake{}
	// A window reaching back before every fixture keeps every item named.
	l.crawl(t, newSource(srv, Config{Window: 100 * 365 * 24 * time.Hour}), fixtures)
	for _, p := range fixtures {
		st := readState(l.state[p.Key])
		if st == nil || st.Older != 0 {
			t.Fatalf("%s: %+v", p.Key, st)
		}
		var old map[string]any
		if err := json.Unmarshal(l.state[p.Key], &old); err != nil {
			t.Fatal(err)
		}
		delete(old, "edge") // the old format had neither edge nor older
		l.state[p.Key], _ = json.Marshal(old)
	}
	before := len(srv.Requests())
	l.crawl(t, newSource(srv, Config{}), fixtures)
	if n := len(srv.Requests()) - before; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	for _, p := range fixtures {
		st := readState(l.state[p.Key])
		if st == nil || st.Edge == 0 || len(st.Known) > anchors || len(st.Known)+st.Older != st.Total {
			t.Errorf("%s: next state not bounded: edge %d, %d named, %d counted, total %d", p.Key, st.Edge, len(st.Known), st.Older, st.Total)
		}
	}
	sameRows(t, l, fresh(t, srv, fixtures), fixtures)
}
