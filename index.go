package releaselake

import (
	"sort"
	"time"
)

// Index is an immutable in-memory view of one snapshot, built once and then read
// by many requests at once: releases ordered newest published first, per product,
// and each product's latest stable release.
type Index struct {
	Version     int64
	CommittedAt time.Time

	all       []Release            // every row, in Less order
	byProduct map[string][]Release // each product's rows, in Less order
	latest    map[string]Release   // greatest stable version per product
}

// Less is the order releases are listed in: newest published first, then by
// product key, then greatest version first, then by tag.
func Less(a, b *Release) bool {
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.After(b.PublishedAt)
	}
	if a.Product != b.Product {
		return a.Product < b.Product
	}
	if c := CompareVersions(a.Version, b.Version); c != 0 {
		return c > 0
	}
	return a.Tag < b.Tag
}

// NewIndex builds the index of a snapshot. It takes ownership of snap.Releases.
func NewIndex(snap Snapshot) *Index {
	rows := snap.Releases
	sort.Slice(rows, func(i, j int) bool { return Less(&rows[i], &rows[j]) })
	ix := &Index{
		Version:     snap.Version,
		CommittedAt: snap.CommittedAt,
		all:         rows,
		byProduct:   map[string][]Release{},
		latest:      map[string]Release{},
	}
	counts := map[string]int{}
	for i := range rows {
		counts[rows[i].Product]++
	}
	for p, n := range counts {
		ix.byProduct[p] = make([]Release, 0, n)
	}
	for _, r := range rows {
		ix.byProduct[r.Product] = append(ix.byProduct[r.Product], r)
		if r.Prerelease || r.Yanked {
			continue
		}
		if cur, ok := ix.latest[r.Product]; !ok || CompareVersions(r.Version, cur.Version) > 0 {
			ix.latest[r.Product] = r
		}
	}
	return ix
}

// Rows returns the number of releases in the index.
func (ix *Index) Rows() int { return len(ix.all) }

// Latest returns the greatest stable release of a product by version order.
func (ix *Index) Latest(product string) (Release, bool) {
	r, ok := ix.latest[product]
	return r, ok
}

// Filter selects releases.
type Filter struct {
	Products   []string   // catalog keys; nil means all products
	Since      *time.Time // publishedAt >= Since
	Until      *time.Time // publishedAt < Until
	Prerelease *bool      // only prereleases (true) or only stable ones (false)
}

// Releases returns the releases that match f, in Less order. The slice may be
// shared with the index: do not modify it.
func (ix *Index) Releases(f Filter) []Release {
	var base []Release
	switch {
	case f.Products == nil:
		base = ix.all
	case len(f.Products) == 1:
		base = ix.byProduct[f.Products[0]]
	default:
		seen := map[string]bool{}
		for _, p := range f.Products {
			if !seen[p] {
				seen[p] = true
				base = append(base, ix.byProduct[p]...)
			}
		}
		sort.Slice(base, func(i, j int) bool { return Less(&base[i], &base[j]) })
	}
	// base is newest first: Until cuts the front, Since the back.
	lo, hi := 0, len(base)
	if f.Until != nil {
		lo = sort.Search(len(base), func(i int) bool { return base[i].PublishedAt.Before(*f.Until) })
	}
	if f.Since != nil {
		hi = sort.Search(len(base), func(i int) bool { return base[i].PublishedAt.Before(*f.Since) })
	}
	if hi < lo {
		hi = lo
	}
	base = base[lo:hi]
	if f.Prerelease == nil {
		return base
	}
	out := make([]Release, 0, len(base))
	for _, r := range base {
		if r.Prerelease == *f.Prerelease {
			out = append(out, r)
		}
	}
	return out
}

// After returns the position in rows (in Less order) just past the release with
// the given key fields, so pagination by cursor stays stable when rows change.
func After(rows []Release, cursor Release) int {
	return sort.Search(len(rows), func(i int) bool { return Less(&cursor, &rows[i]) })
}
