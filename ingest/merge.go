package ingest

import (
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Diff counts how a new state differs from the previous one.
type Diff struct{ Added, Changed, Removed int }

// Merge returns the complete new state: the old rows of every product not in
// crawled, and the crawled rows of the others, one row per (product, tag) (the
// first wins). A crawled row keeps the FirstSeenAt of its old row, else gets now.
// Times are cut to microseconds, the lake's precision, and a URL SafeURL
// refuses is dropped (NoteUnsafeURLs says so in the run record).
func Merge(old []releaselake.Release, crawled map[string][]releaselake.Release, now time.Time) ([]releaselake.Release, Diff) {
	if !ownRows(crawled) {
		return mergeAny(old, crawled, now)
	}
	// Every crawled row is its product's (as Source.Parse promises): merge
	// product by product, with maps as small as one product.
	byProduct := map[string][]releaselake.Release{}
	n := 0
	for _, rows := range crawled {
		n += len(rows)
	}
	for _, r := range old {
		if _, recrawled := crawled[r.Product]; recrawled {
			byProduct[r.Product] = append(byProduct[r.Product], r)
		} else {
			n++
		}
	}
	out := make([]releaselake.Release, 0, n)
	for _, r := range old {
		if _, recrawled := crawled[r.Product]; !recrawled {
			out = append(out, r)
		}
	}
	var d Diff
	for key, rows := range crawled {
		var pd Diff
		out, pd = mergeProduct(out, byProduct[key], rows, now)
		d.Added, d.Changed, d.Removed = d.Added+pd.Added, d.Changed+pd.Changed, d.Removed+pd.Removed
	}
	return out, d
}

// ownRows reports whether every row of crawled[p] has product p.
func ownRows(crawled map[string][]releaselake.Release) bool {
	for key, rows := range crawled {
		for i := range rows {
			if rows[i].Product != key {
				return false
			}
		}
	}
	return true
}

// mergeProduct appends to dst one product's new rows, crawled, merged with its
// old ones as Merge does. dst may be crawled[:0]: it writes no row before
// reading it. A product that did not change appends its old rows as they
// were (in the lake's (product, tag) order, as a snapshot gives them); one
// that changed, its rows sorted by tag: a commit then finds every product's
// rows in order and need not sort them (lake's sortReleases).
func mergeProduct(dst, old, crawled []releaselake.Release, now time.Time) ([]releaselake.Release, Diff) {
	now = now.UTC().Truncate(time.Microsecond)
	start := len(dst)
	prev := make(map[string]int, len(old)) // tag -> index in old
	for i, r := range old {
		prev[r.Tag] = i
	}
	seen := make(map[string]struct{}, len(crawled))
	var d Diff
	matched := 0
	for _, r := range crawled {
		if _, dup := seen[r.Tag]; dup {
			continue
		}
		seen[r.Tag] = struct{}{}
		r.URL, _ = releaselake.SafeURL(r.URL)
		r.PublishedAt = r.PublishedAt.UTC().Truncate(time.Microsecond)
		if i, ok := prev[r.Tag]; ok {
			matched++
			r.FirstSeenAt = old[i].FirstSeenAt
			if !sameRow(r, old[i]) {
				d.Changed++
			}
		} else {
			r.FirstSeenAt = now
			d.Added++
		}
		dst = append(dst, r)
	}
	d.Removed = len(prev) - matched
	if d == (Diff{}) {
		return append(dst[:start], old...), d
	}
	if mine := dst[start:]; !slices.IsSortedFunc(mine, byTag) {
		slices.SortFunc(mine, byTag)
	}
	return dst, d
}

func byTag(a, b releaselake.Release) int { return strings.Compare(a.Tag, b.Tag) }

// mergeAny is Merge for crawled rows filed under another product's key.
func mergeAny(old []releaselake.Release, crawled map[string][]releaselake.Release, now time.Time) ([]releaselake.Release, Diff) {
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
			r.URL, _ = releaselake.SafeURL(r.URL)
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

// sameRow reports whether two rows of one (product, tag) say the same thing:
// every column but firstSeenAt, which is the lake's, not the source's.
func sameRow(a, b releaselake.Release) bool {
	for c := range releaselake.StrCol(releaselake.NumStr) {
		if *a.Str(c) != *b.Str(c) {
			return false
		}
	}
	for c := range releaselake.TimeCol(releaselake.NumTime) {
		if c != releaselake.ColFirstSeenAt && !a.Time(c).Equal(*b.Time(c)) {
			return false
		}
	}
	for c := range releaselake.BoolCol(releaselake.NumBool) {
		if *a.Bool(c) != *b.Bool(c) {
			return false
		}
	}
	return true
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
