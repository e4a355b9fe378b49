package ingest

import (
	"time"

	"github.com/releaselake/releaselake"
)

// Diff counts how a new state differs from the previous one.
type Diff struct{ Added, Changed, Removed int }

// Merge returns the complete new state: the old rows of every product not in
// crawled, and the crawled rows of the others, one row per (product, tag) (the
// first wins). A crawled row keeps the FirstSeenAt of its old row, else gets now.
// Times are cut to microseconds, the lake's precision.
func Merge(old []releaselake.Release, crawled map[string][]releaselake.Release, now time.Time) ([]releaselake.Release, Diff) {
	now = now.UTC().Truncate(time.Microsecond)
	prev := make(map[releaselake.ReleaseKey]releaselake.Release, len(old))
	var out []releaselake.Release
	var d Diff
	for _, r := range old {
		if _, recrawled := crawled[r.Product]; recrawled {
			prev[r.Key()] = r
		} else {
			out = append(out, r)
		}
	}
	seen := map[releaselake.ReleaseKey]bool{}
	for _, rows := range crawled {
		for _, r := range rows {
			k := r.Key()
			if seen[k] {
				continue
			}
			seen[k] = true
			r.PublishedAt = r.PublishedAt.UTC().Truncate(time.Microsecond)
			if p, ok := prev[k]; ok {
				r.FirstSeenAt = p.FirstSeenAt
				if !sameRow(r, p) {
					d.Changed++
				}
			} else {
				r.FirstSeenAt = now
				d.Added++
			}
			out = append(out, r)
		}
	}
	for k := range prev {
		if !seen[k] {
			d.Removed++
		}
	}
	return out, d
}

// sameRow reports whether two rows of one (product, tag) say the same thing.
func sameRow(a, b releaselake.Release) bool {
	return a.Version == b.Version && a.Name == b.Name && a.URL == b.URL && a.Source == b.Source &&
		a.Repo == b.Repo && a.DateSource == b.DateSource && a.PublishedAt.Equal(b.PublishedAt) &&
		a.Prerelease == b.Prerelease && a.Yanked == b.Yanked
}

// Compare counts how rows differ from old, firstSeenAt included.
func Compare(old, rows []releaselake.Release) Diff {
	prev := make(map[releaselake.ReleaseKey]releaselake.Release, len(old))
	for _, r := range old {
		prev[r.Key()] = r
	}
	var d Diff
	for _, r := range rows {
		p, ok := prev[r.Key()]
		switch {
		case !ok:
			d.Added++
		case !sameRow(r, p) || !r.FirstSeenAt.Equal(p.FirstSeenAt):
			d.Changed++
		}
		delete(prev, r.Key())
	}
	d.Removed = len(prev)
	return d
}
