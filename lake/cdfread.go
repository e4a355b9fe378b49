package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/releaselake/releaselake"
)

var _ releaselake.ChangeFeed = (*Store)(nil)

// Changes implements releaselake.ChangeFeed, reading the change feed as the
// protocol tells change data readers to: a version's cdc files if it has any,
// else its add and remove actions that change data, as inserts and deletes.
// A version committed while the table's change feed was off is refused, as
// Spark does: its add and remove would read as every row deleted and
// inserted again.
func (s *Store) Changes(ctx context.Context, from, to int64) ([]releaselake.ChangeSet, error) {
	sets, err := s.changes(ctx, from, to)
	return sets, boundary(err, "read the yellow change feed v%d..v%d", from, to)
}

func (s *Store) changes(ctx context.Context, from, to int64) ([]releaselake.ChangeSet, error) {
	if from < 0 || from > to {
		return nil, releaselake.Errorf(releaselake.Invalid, "versions %d to %d: want 0 <= from <= to", from, to)
	}
	lst, err := s.committed(ctx, to)
	if err != nil {
		return nil, err
	}
	md := (*metaData)(nil)
	if from > 0 {
		st, err := s.state(ctx, lst, from-1)
		if err != nil {
			return nil, err
		}
		md = st.metaData
	}
	var out []releaselake.ChangeSet
	for v := from; v <= to; v++ {
		actions, info, err := s.entry(ctx, lst, v)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, releaselake.Wrap(releaselake.NotFound, err, fmt.Sprintf("log entry %d is gone", v))
		}
		if err != nil {
			return nil, err
		}
		for _, a := range actions {
			if a.MetaData != nil {
				md = a.MetaData
			}
		}
		if !cdfEnabled(md) && !isRepair(actions, info) {
			return nil, releaselake.Errorf(releaselake.NotFound,
				"version %d was committed before the table recorded its changes (%s)", v, cdfProperty)
		}
		rows, err := s.versionChanges(ctx, v, actions)
		if err != nil {
			return nil, err
		}
		out = append(out, releaselake.ChangeSet{Version: v, CommittedAt: time.UnixMilli(info.Timestamp).UTC(), Changes: pairChanges(rows)})
	}
	return out, nil
}

// versionChanges reads the change rows of version v from its actions.
func (s *Store) versionChanges(ctx context.Context, v int64, actions []action) ([]changeRow, error) {
	var cdc, adds, removes []string
	for _, a := range actions {
		var (
			uri  string
			list *[]string
		)
		switch {
		case a.CDC != nil:
			uri, list = a.CDC.Path, &cdc
		case a.Add != nil && a.Add.DataChange:
			uri, list = a.Add.Path, &adds
		case a.Remove != nil && a.Remove.DataChange:
			uri, list = a.Remove.Path, &removes
		default:
			continue
		}
		name, err := dataPath(uri)
		if err != nil {
			return nil, releaselake.Wrap(releaselake.Internal, err, fmt.Sprintf("log entry %d", v))
		}
		*list = append(*list, name)
	}
	var rows []changeRow
	if len(cdc) > 0 {
		for _, name := range cdc {
			got, err := s.readChangeFile(ctx, v, name)
			if err != nil {
				return nil, err
			}
			rows = append(rows, got...)
		}
		return rows, nil
	}
	for _, f := range []struct {
		names []string
		typ   releaselake.ChangeType
	}{{removes, releaselake.ChangeDelete}, {adds, releaselake.ChangeInsert}} {
		for _, name := range f.names {
			rels, err := s.readDataFile(ctx, v, name)
			if err != nil {
				return nil, err
			}
			for i := range rels {
				rows = append(rows, changeRow{typ: f.typ, rel: &rels[i]})
			}
		}
	}
	return rows, nil
}

// readChangeFile reads a change data file of version v.
func (s *Store) readChangeFile(ctx context.Context, v int64, name string) ([]changeRow, error) {
	f, err := s.fs.Open(ctx, name)
	if err != nil {
		return nil, goneAfterVacuum(v, err)
	}
	defer f.Close()
	rows, err := readChangeParquet(f, f.Size())
	if err != nil {
		return nil, releaselake.Wrap(releaselake.Internal, err, "read change data file "+name)
	}
	return rows, nil
}

// readDataFile reads every row of a data file of version v.
func (s *Store) readDataFile(ctx context.Context, v int64, name string) ([]releaselake.Release, error) {
	df, err := s.openDataFile(ctx, name)
	if err != nil {
		return nil, goneAfterVacuum(v, err)
	}
	defer df.f.Close()
	return readReleases(ctx, []*dataFile{df})
}

// goneAfterVacuum classes a file of version v that is gone as NotFound.
func goneAfterVacuum(v int64, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return releaselake.Wrap(releaselake.NotFound, err,
			fmt.Sprintf("the changes of version %d can no longer be read: a file of them is gone (vacuum removes them after the retention period)", v))
	}
	return fmt.Errorf("v%d: %w", v, err)
}

// pairChanges turns change rows into changes sorted by (product, tag): an
// update's preimage and postimage become one change, and so do a delete and
// an insert of one row (another engine's rewrite), or none if they are equal.
func pairChanges(rows []changeRow) []releaselake.Change {
	byKey := map[releaselake.ReleaseKey]*releaselake.Change{}
	for _, r := range rows {
		k := r.rel.Key()
		c := byKey[k]
		if c == nil {
			c = &releaselake.Change{}
			byKey[k] = c
		}
		switch r.typ {
		case releaselake.ChangeDelete, releaselake.ChangePreimage:
			c.Before = r.rel
		default:
			c.After = r.rel
		}
	}
	out := make([]releaselake.Change, 0, len(byKey))
	for _, c := range byKey {
		if !c.Changed() || !sameColumns(c.Before, c.After) {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b releaselake.Change) int { return compareReleases(a.Release(), b.Release()) })
	return out
}
