package graph

import (
	"context"
	"time"

	"github.com/releaselake/releaselake"
)

// Bounds of one changes answer: it reads at most MaxChangeVersions versions
// (each a log entry and a change data file read from the lake, rows or not)
// and at most MaxChangeRowsRead change rows into memory (before the
// products filter and the rows budget, first).
const (
	MaxChangeVersions = 100
	MaxChangeRowsRead = 10_000
	// ChangeReadCost is the price of one changes field before its rows: what
	// it may read (100 versions, 10,000 rows: tens of ms and ~100 MB of
	// allocation on local disk) does not depend on first, so an operation
	// holds at most three of them.
	ChangeReadCost = ComplexityLimit / 4
	// MaxChangeReads change feed reads run at once in the process; others
	// wait for a place (or their request's end).
	MaxChangeReads = 2
)

// changeReads holds the places of the change feed reads in flight.
var changeReads = make(chan struct{}, MaxChangeReads)

// changes answers Query.changes from the change feed: the versions after
// since (or after the one committed at or before sinceTime) up to the
// version being served, at most MaxChangeVersions of them, holding at most
// first rows of the asked products.
func (r *Resolver) changes(ctx context.Context, since *int, sinceTime *time.Time, products []string, first *int) (*Changes, error) {
	if r.ChangeFeed == nil || r.VersionAsOf == nil {
		return nil, releaselake.Errorf(releaselake.Unavailable, "this server reads no change feed")
	}
	if (since == nil) == (sinceTime == nil) {
		return nil, releaselake.Errorf(releaselake.Invalid, "pass exactly one of since and sinceTime")
	}
	budget := MaxFirst
	if first != nil {
		if *first < 1 || *first > MaxFirst {
			return nil, releaselake.Errorf(releaselake.Invalid, "first must be between 1 and %d, got %d", MaxFirst, *first)
		}
		budget = *first
	}
	var keep map[string]bool // nil: every product
	if len(products) > 0 {
		ks, err := r.selectKeys(products)
		if err != nil {
			return nil, err
		}
		keep = map[string]bool{}
		for _, k := range ks {
			keep[k] = true
		}
	}
	ix, err := r.index(ctx)
	if err != nil {
		return nil, err
	}
	var from int64
	if since != nil {
		if *since < int(releaselake.NoVersion) {
			return nil, releaselake.Errorf(releaselake.Invalid, "since must be a lake version, or -1 for all, got %d", *since)
		}
		from = int64(*since)
	} else if from, err = r.VersionAsOf(ctx, *sinceTime); err != nil {
		return nil, err
	}
	head := ix.Version
	out := &Changes{Versions: []LakeChange{}, Through: int(from)}
	if from >= head {
		return out, nil
	}
	select {
	case changeReads <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	sets, err := r.ChangeFeed.Changes(ctx, from+1, min(head, from+MaxChangeVersions), MaxChangeRowsRead)
	<-changeReads
	if err != nil {
		return nil, err
	}
	rows := 0
	for _, set := range sets {
		if set.TooLarge { // always the first: more rows than one answer reads
			out.Through = int(set.Version)
			lc := changeOf(set, nil)
			lc.Truncated = true
			out.Versions = append(out.Versions, lc)
			break
		}
		var picked []releaselake.Change
		for _, c := range set.Changes {
			if keep == nil || keep[c.Release().Product] {
				picked = append(picked, c)
			}
		}
		if len(picked) > 0 && rows+len(picked) > budget && rows > 0 {
			break // the next page starts at this version
		}
		out.Through = int(set.Version)
		if len(picked) == 0 {
			continue
		}
		lc := changeOf(set, picked[:min(len(picked), budget-rows)])
		lc.Truncated = len(picked) > budget-rows
		rows += len(picked)
		out.Versions = append(out.Versions, lc)
		if lc.Truncated {
			break
		}
	}
	out.HasMore = int64(out.Through) < head
	return out, nil
}

// changeOf is the GraphQL LakeChange of a change set's changes.
func changeOf(set releaselake.ChangeSet, changes []releaselake.Change) LakeChange {
	lc := LakeChange{Version: int(set.Version), CommittedAt: set.CommittedAt,
		Added: []releaselake.Release{}, Changed: []ChangedRelease{}, Removed: []releaselake.Release{}}
	for _, c := range changes {
		switch {
		case c.Added():
			lc.Added = append(lc.Added, *c.After)
		case c.Removed():
			lc.Removed = append(lc.Removed, *c.Before)
		default:
			lc.Changed = append(lc.Changed, ChangedRelease{Release: c.After, Before: c.Before, Fields: c.ChangedFields()})
		}
	}
	return lc
}
