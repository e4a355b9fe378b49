package github

import (
	"encoding/json"
	"hash/fnv"
	"time"
)

// Listing modes: which connection of a repository holds its versions.
const (
	modeReleases = "releases"
	modeTags     = "tags"
)

// repoState is what the source keeps of a repository between runs, in the lake's
// _state/github/<product>.json (written only after the commit of the rows it
// describes). It holds every item upstream listed, not only the versions, so that
// totalCount can be checked against it.
type repoState struct {
	V        int              `json:"v"`                  // format, 1
	Repo     string           `json:"repo"`               // nameWithOwner as GitHub last said it
	Mode     string           `json:"mode"`               // modeReleases or modeTags
	Total    int              `json:"total"`              // totalCount of the mode's connection
	Known    map[string]int64 `json:"known"`              // item key -> order key (unix seconds)
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
	if json.Unmarshal(b, &st) != nil || st.V != 1 || st.Known == nil || (st.Mode != modeReleases && st.Mode != modeTags) {
		return nil // unreadable or old: list the repository in full
	}
	return &st
}

// resyncDue reports whether the repository's staggered full listing is due: each
// repository gets its own period between 0.5 and 1.5 times every, so the full
// listings of a catalog spread over the days instead of coming all at once.
func (st *repoState) resyncDue(now time.Time, every time.Duration, repo string) bool {
	h := fnv.New32a()
	h.Write([]byte(repo))
	period := every/2 + time.Duration(float64(every)*float64(h.Sum32()%1000)/1000)
	return now.Sub(st.LastFull) >= period
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
