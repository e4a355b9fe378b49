package github

import (
	"cmp"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// Listing modes: which connection of a repository holds its versions.
const (
	modeReleases = "releases"
	modeTags     = "tags"
)

// repoState is what the source keeps of a repository between runs, in the lake's
// _state/github/<product>.json (written only after the commit of the rows it
// describes). It counts every item upstream listed, not only the versions, so that
// totalCount can be checked against it, but names only the items the incremental
// check reads: those at or after Edge (the fresh window's start when it was
// written) and the anchors, the newest few before it; Older counts the rest. So
// its size follows how many releases a repository makes in a window, not its
// history (a state from before Edge and Older names every item and works as is).
type repoState struct {
	V        int              `json:"v"`                  // format, 1
	Repo     string           `json:"repo"`               // nameWithOwner as GitHub last said it
	Mode     string           `json:"mode"`               // modeReleases or modeTags
	Total    int              `json:"total"`              // totalCount of the mode's connection
	Known    map[string]int64 `json:"known"`              // item key -> order key (unix seconds)
	Edge     int64            `json:"edge,omitempty"`     // Known holds every item whose order key is >= Edge
	Older    int              `json:"older,omitempty"`    // items before Edge that Known does not name
	LastFull time.Time        `json:"lastFull"`           // when the repository was last listed in full
	PageSize int              `json:"pageSize,omitempty"` // < 100 once GitHub timed out on it
	// Rows is how many rows the answers gave: a crawl whose previous rows are not
	// as many (yellow rebuilt, restored or edited) lists the repository in full.
	Rows int `json:"rows"`
}

func readState(b []byte) *repoState {
	if len(b) == 0 {
		return nil
	}
	var st repoState
	if json.Unmarshal(b, &st) != nil || st.V != 1 || st.Known == nil || st.Older < 0 || (st.Mode != modeReleases && st.Mode != modeTags) {
		return nil // unreadable or old: list the repository in full
	}
	return &st
}

// resyncDue reports whether the repository's full listing is due. Time is cut
// into periods of every, each repository's offset by a hash of its name, and a
// repository is listed in full once a period: when its last full listing is
// older than the start of the current one. So a catalog's full listings spread
// evenly over the days of a period, whenever its repositories were first crawled
// (a period per repository, counted from its last full listing, lines them up:
// with daily runs, periods between 3.5 and 10.5 days came due together on every
// day with many divisors).
func (st *repoState) resyncDue(now time.Time, every time.Duration, repo string) bool {
	h := fnv.New32a()
	h.Write([]byte(repo))
	offset := time.Duration(float64(every) * float64(h.Sum32()%1000) / 1000)
	start := now.Add(-offset).Truncate(every).Add(offset)
	return st.LastFull.Before(start)
}

// fresh counts the known items inside the fresh window.
func (st *repoState) fresh(since int64) int {
	n := 0
	for _, at := range st.Known {
		if at >= since {
			n++
		}
	}
	return n
}

// anchors is how many of the newest items before the edge the state names: an
// incremental run stops after a page holding a known item older than the fresh
// window, and these are the known items it meets first when nothing was
// published between the edge and the window (the smallest page is 10 items).
const anchors = 10

// compact keeps the items at or after edge and the anchors newest before it, and
// says how many it dropped.
func compact(items map[string]int64, edge int64) (kept map[string]int64, dropped int) {
	type item struct {
		key string
		at  int64
	}
	kept = make(map[string]int64)
	var below []item
	for k, at := range items {
		if at >= edge {
			kept[k] = at
		} else {
			below = append(below, item{k, at})
		}
	}
	slices.SortFunc(below, func(a, b item) int {
		if c := cmp.Compare(b.at, a.at); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for i, it := range below {
		if i == anchors {
			return kept, len(below) - anchors
		}
		kept[it.key] = it.at
	}
	return kept, 0
}
