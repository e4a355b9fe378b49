package releaselake

import (
	"context"
	"time"
)

// ChangeType is what a commit did to a row, as Delta's Change Data Feed names
// it in the _change_type column of a change data file.
type ChangeType string

// The change types of the Delta protocol. An update is a pair: the row as it
// was (preimage) and as it is (postimage).
const (
	ChangeInsert    ChangeType = "insert"
	ChangePreimage  ChangeType = "update_preimage"
	ChangePostimage ChangeType = "update_postimage"
	ChangeDelete    ChangeType = "delete"
)

// Change is what one commit did to one (Product, Tag): Before is the row as
// it was (nil: added), After the row as it is (nil: removed); both set: the
// row changed in at least one column (firstSeenAt included: the feed is
// exact, so applying it to the version before gives the version after).
type Change struct {
	Before *Release
	After  *Release
}

// Release returns the row the change is about: After, or Before when removed.
func (c Change) Release() *Release {
	if c.After != nil {
		return c.After
	}
	return c.Before
}

// Added, Removed and Changed tell the three kinds of change apart.
func (c Change) Added() bool   { return c.Before == nil }
func (c Change) Removed() bool { return c.After == nil }
func (c Change) Changed() bool { return c.Before != nil && c.After != nil }

// ChangedFields returns the columns (ReleaseColumns) whose values differ
// between Before and After, by the Release field names GraphQL uses
// (Column.Field), in table order; none unless the change is an update. Times compare to the microsecond, the lake's precision.
func (c Change) ChangedFields() []string {
	if !c.Changed() {
		return nil
	}
	var out []string
	for _, col := range ReleaseColumns {
		var same bool
		switch col.Type {
		case StringColumn:
			same = *c.Before.Str(StrCol(col.ID)) == *c.After.Str(StrCol(col.ID))
		case TimeColumn:
			same = c.Before.Time(TimeCol(col.ID)).UnixMicro() == c.After.Time(TimeCol(col.ID)).UnixMicro()
		case BoolColumn:
			same = *c.Before.Bool(BoolCol(col.ID)) == *c.After.Bool(BoolCol(col.ID))
		}
		if !same {
			out = append(out, col.Field)
		}
	}
	return out
}

// ChangeSet is what one committed version changed.
type ChangeSet struct {
	Version     int64
	CommittedAt time.Time // the commit's time (UTC), as Snapshot.CommittedAt
	Changes     []Change  // sorted by (Product, Tag); empty for a version that changed no row
	// TooLarge says the version changed more rows than the reader was allowed
	// to read (ChangeFeed.Changes's maxRows; e.g. version 0, a first load):
	// Changes is then empty. Read the version itself (Lake.SnapshotAt).
	TooLarge bool
}

// ChangeFeed reads the change sets the lake recorded with each commit (the
// Delta table's Change Data Feed).
type ChangeFeed interface {
	// Changes returns the change sets of versions from to to (both included,
	// to at most the head), oldest first, one per version, reading at most
	// maxRows change rows (an update counts two): it stops before the first
	// version that would pass maxRows, so it may return fewer versions
	// (callers go on after the last one), and returns that version with
	// TooLarge if it is the first. Class Invalid if from > to, from < 0 or
	// maxRows < 1; NotFound if to is not committed, if a version in the range
	// was committed before the table recorded changes, or if vacuum removed a
	// file the range needs.
	Changes(ctx context.Context, from, to int64, maxRows int) ([]ChangeSet, error)
}
