package github

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/releaselake/releaselake"
)

// job is the crawl of one repository within one Fetch.
type job struct {
	out      int // index in Fetch's crawls and answer
	p        releaselake.Product
	r        repo
	prev     *repoState // nil: never crawled (or state unreadable)
	prevRows []releaselake.Release
	known    map[string]int64 // the items the state names
	edge     int64            // known holds every item at or after edge
	older    int              // items before edge that known does not name

	mode     string // "" until the first answer says
	full     bool   // listing the mode's connection from its start to its end
	first    int    // page size of the next request
	after    *string
	round    int
	lines    []rawLine
	reps     []*repository    // the lines' answers, decoded: result counts the rows from them
	seen     map[string]int64 // items of the mode's connection seen in this run
	total    int
	name     string // nameWithOwner in the answers
	complete bool
	heavy    bool    // GitHub timed out on it: alone in its batch, pages of size
	size     int     // the largest page it asks for: shrinks on timeouts, grows back (retry.go)
	good     int     // the largest page at its limit it got since its pages last shrank
	ceil     int     // if > 0, its pages grow no larger in this run: a larger one timed out
	cap      int     // if > 0, the most repositories it may share a request with (after a timeout)
	retries  int     // times its pages were made smaller in this run
	spent    float64 // its retry budget spent: failed requests less pages read (retry.go)
	done     bool    // needs no more requests
	err      error
	window   time.Duration
}

// newJob plans the crawl of one repository: a full listing the first time, when
// the state is unreadable, or when its staggered resync is due; otherwise the
// newest items, enough to cover the fresh window on the first page.
func (s *Source) newJob(i int, c releaselake.Crawl, now time.Time) (*job, error) {
	r, err := parseRepo(c.Product.Ref)
	if err != nil {
		return nil, err
	}
	j := &job{out: i, p: c.Product, r: r, prev: readState(c.State), seen: map[string]int64{}, first: s.cfg.PageSize, size: s.cfg.PageSize, window: s.cfg.Window}
	if j.prev != nil && j.prev.PageSize > 0 && j.prev.PageSize < j.first {
		j.first, j.size, j.heavy = j.prev.PageSize, j.prev.PageSize, true
	}
	j.prevRows = c.Prev
	if j.prev == nil || len(c.Prev) != j.prev.Rows || j.prev.resyncDue(now, s.cfg.ResyncEvery, r.String()) {
		j.full = true // also rediscovers the mode: the repository may have started publishing releases
		if j.prev != nil {
			j.known = j.prev.Known
		}
		return j, nil
	}
	j.mode, j.known, j.edge, j.older = j.prev.Mode, j.prev.Known, j.prev.Edge, j.prev.Older
	j.first = min(j.first, max(10, j.prev.fresh(now.Add(-s.cfg.Window).Unix())+5))
	return j, nil
}

// pages is how many requests the job expects to need: a full listing of a
// repository known to hold many items needs many; anything else, one.
func (j *job) pages() int {
	if j.full && j.prev != nil && j.first > 0 {
		return max(1, (j.prev.Total+j.first-1)/j.first)
	}
	return 1
}

// ask is the next request for the job.
func (j *job) ask() ask {
	a := ask{repo: j.r, first: j.first, tagsFirst: j.first}
	switch j.mode {
	case "":
		a.releases, a.tags = !j.p.Options.Bool(OptionTags), true
		if a.releases {
			// Most repositories publish releases: their first tag is enough to
			// start the tags from (after its cursor) if they turn out not to, and
			// the request holds twice as many repositories as with a page of each.
			a.tagsFirst = 1
		}
	case modeReleases:
		a.releases, a.releasesAt = true, j.after
	case modeTags:
		a.tags, a.tagsAfter = true, j.after
	}
	return a
}

// nodes is how many first-level nodes the next request of the job may return.
func (j *job) nodes() int {
	if j.mode == "" && !j.p.Options.Bool(OptionTags) {
		return j.first + 1
	}
	return j.first
}

// take reads the job's part of an answer and says whether it needs another
// request. It is the crawl's one place of decision.
func (s *Source) take(j *job, rep *repository, line rawLine, now time.Time, log *slog.Logger) (more bool) {
	s.answered(j)
	j.lines = append(j.lines, line)
	j.reps = append(j.reps, rep)
	j.name = rep.NameWithOwner
	if j.mode == "" {
		j.mode = modeTags
		if !j.p.Options.Bool(OptionTags) && rep.Releases != nil && publishes(rep.Releases.Nodes) {
			j.mode = modeReleases
		}
	}
	var info pageInfo
	var page map[string]int64 // items of this page: key -> order key
	switch j.mode {
	case modeReleases:
		if rep.Releases == nil {
			j.err = releaselake.Errorf(releaselake.Unavailable, "github %s: answer without releases", j.r)
			return false
		}
		info, j.total = rep.Releases.PageInfo, rep.Releases.TotalCount
		page = make(map[string]int64, len(rep.Releases.Nodes))
		for _, n := range rep.Releases.Nodes {
			page[n.key()] = n.CreatedAt.Unix()
		}
	case modeTags:
		if rep.Refs == nil {
			j.err = releaselake.Errorf(releaselake.Unavailable, "github %s: answer without tags", j.r)
			return false
		}
		info, j.total = rep.Refs.PageInfo, rep.Refs.TotalCount
		page = make(map[string]int64, len(rep.Refs.Nodes))
		for _, n := range rep.Refs.Nodes {
			page[n.Name] = n.orderKey()
		}
	}
	maps.Copy(j.seen, page)
	if !info.HasNextPage {
		j.complete = true // listed from its start (every job starts at the newest) to its end
		return false
	}
	if info.EndCursor == nil || (j.after != nil && *info.EndCursor == *j.after) {
		j.err = releaselake.Errorf(releaselake.Unavailable, "github %s: next page without a new cursor", j.r)
		return false
	}
	j.after = info.EndCursor
	if j.full {
		j.first = s.pageSize(j)
		return true
	}
	// Incremental: stop after a page that holds a known item older than the
	// fresh window; then the listing must agree with what is known.
	edge := now.Add(-s.cfg.Window).Unix()
	stop := false
	for key, at := range page {
		if _, ok := j.known[key]; ok && at < edge {
			stop = true
			break
		}
	}
	if !stop {
		j.first = s.pageSize(j)
		return true
	}
	if why := j.inconsistent(); why != "" {
		log.Info("github: listing in full", "repo", j.r.String(), "why", why)
		j.full, j.after, j.first = true, nil, s.pageSize(j)
		return true
	}
	return false
}

// inconsistent says why the newest items seen do not account for the whole
// listing (a deletion, or an item added below the window), or "" if they do. An
// item seen before the edge that the state does not name may be one it only
// counts, or one added there: it is not counted, and if it was added, totalCount
// disagrees and the repository is listed in full.
func (j *job) inconsistent() string {
	oldest := int64(1<<63 - 1)
	for _, at := range j.seen {
		oldest = min(oldest, at)
	}
	union := len(j.known) + j.older
	for key, at := range j.seen {
		if _, ok := j.known[key]; !ok && at >= j.edge {
			union++
		}
	}
	if union != j.total {
		return fmt.Sprintf("totalCount %d, known and new items %d", j.total, union)
	}
	for key, at := range j.known {
		if _, ok := j.seen[key]; !ok && at > oldest {
			return "a known item newer than the page's end is gone"
		}
	}
	return ""
}

// pageSize is the size of the job's next page: the configured one, or less
// after timeouts (retry.go).
func (s *Source) pageSize(j *job) int { return min(j.size, s.cfg.PageSize) }

// result is the job's answer for Fetch: red lines marked with the mode and
// completeness, or Unchanged when they would leave the rows as they are, and
// the state to keep once the rows are committed.
func (j *job) result(now time.Time) (releaselake.Fetched, error) {
	f := releaselake.Fetched{Product: j.p.Key}
	f.Unchanged = j.prev != nil && unchanged(j.p, j.mode, j.complete, j.reps, j.prevRows)
	for _, l := range j.lines {
		if f.Unchanged {
			break
		}
		l.Mode, l.Complete = j.mode, j.complete
		b, err := l.marshal()
		if err != nil {
			return f, fmt.Errorf("github %s: %w", j.r, err)
		}
		f.Raw = append(f.Raw, b)
	}
	st := repoState{V: 1, Repo: j.name, Mode: j.mode, Total: j.total}
	if j.prev != nil {
		st.LastFull = j.prev.LastFull
	}
	edge := now.Add(-j.window).Unix()
	if j.complete {
		st.LastFull = now
		st.Known, st.Older = compact(j.seen, edge)
		st.Edge = edge
	} else {
		// The known items, and those seen that are new or already named (one
		// seen before the edge and not named is among the counted ones).
		items := maps.Clone(j.known)
		for k, at := range j.seen {
			if _, ok := items[k]; ok || at >= j.edge {
				items[k] = at
			}
		}
		st.Edge = max(edge, j.edge)
		var dropped int
		st.Known, dropped = compact(items, st.Edge)
		st.Older = j.older + dropped
	}
	if j.heavy {
		// Remembered for the next run; a run without a timeout earns larger pages back.
		st.PageSize = j.size
		if j.retries == 0 {
			st.PageSize = min(maxPage, 2*j.size)
		}
	}
	st.Rows = len(j.prevRows)
	if !f.Unchanged {
		st.Rows = countRows(j.p, j.mode, j.complete, j.reps, j.prevRows)
	}
	j.reps = nil
	b, err := json.Marshal(st)
	if err != nil {
		return f, err
	}
	f.State = b
	return f, nil
}

// publishes reports whether nodes hold a release that is not a draft.
func publishes(nodes []release) bool {
	for _, rel := range nodes {
		if !rel.IsDraft {
			return true
		}
	}
	return false
}
