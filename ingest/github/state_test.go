package github

import (
	"fmt"
	"testing"
	"time"
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
