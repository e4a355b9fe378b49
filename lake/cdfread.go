package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
)

var _ releaselake.ChangeFeed = (*Store)(nil)

// Changes implements releaselake.ChangeFeed, reading the change feed as the
// protocol tells change data readers to: a version's cdc files if it has any,
// else its add and remove actions that change data, as inserts and deletes.
// A version committed while the table's change feed was off is refused, as
// Spark does: its add and remove would read as every row deleted and
// inserted again.
func (s *Store) Changes(ctx context.Context, from, to int64, maxRows int) ([]releaselake.ChangeSet, error) {
	sets, err := s.changes(ctx, from, to, maxRows)
	return sets, boundary(err, "read the yellow change feed v%d..v%d", from, to)
}

func (s *Store) changes(ctx context.Context, from, to int64, maxRows int) ([]releaselake.ChangeSet, error) {
	if from < 0 || from > to || maxRows < 1 {
		return nil, releaselake.Errorf(releaselake.Invalid, "versions %d to %d, at most %d rows: want 0 <= from <= to, maxRows >= 1", from, to, maxRows)
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
		if !cdfEnabled(md) { // a repair entry at v0 too: delta-rs refuses it as well
			return nil, releaselake.Errorf(releaselake.NotFound,
				"version %d was committed before the table recorded its changes (%s)", v, cdfProperty)
		}
		set := releaselake.ChangeSet{Version: v, CommittedAt: time.UnixMilli(info.Timestamp).UTC()}
		files, err := changeFiles(v, actions)
		if err != nil {
			return nil, err
		}
		n, err := s.countRows(ctx, v, files)
		if err != nil {
			return nil, err
		}
		if maxRows -= n; maxRows < 0 {
			if len(out) == 0 {
				set.TooLarge = true
				out = append(out, set)
			}
			break
		}
		rows, err := s.readChanges(ctx, v, files)
		if err != nil {
			return nil, err
		}
		set.Changes = pairChanges(rows)
		out = append(out, set)
	}
	return out, nil
}

// versionFiles are the files a version's changes are read from: its cdc
// files if it has any, else its add and remove files that change data.
type versionFiles struct {
	cdc, adds, removes []string
}

// changeFiles finds the files of version v's changes in its actions.
func changeFiles(v int64, actions []action) (versionFiles, error) {
	var f versionFiles
	for _, a := range actions {
		var (
			uri  string
			list *[]string
		)
		switch {
		case a.CDC != nil:
			uri, list = a.CDC.Path, &f.cdc
		case a.Add != nil && a.Add.DataChange:
			uri, list = a.Add.Path, &f.adds
		case a.Remove != nil && a.Remove.DataChange:
			uri, list = a.Remove.Path, &f.removes
		default:
			continue
		}
		name, err := dataPath(uri)
		if err != nil {
			return f, releaselake.Wrap(releaselake.Internal, err, fmt.Sprintf("log entry %d", v))
		}
		*list = append(*list, name)
	}
	if len(f.cdc) > 0 {
		f.adds, f.removes = nil, nil
	}
	return f, nil
}

// countRows returns the rows in a version's change files, from their footers.
func (s *Store) countRows(ctx context.Context, v int64, f versionFiles) (int, error) {
	n := 0
	for _, name := range slices.Concat(f.cdc, f.adds, f.removes) {
		file, err := s.fs.Open(ctx, name)
		if err != nil {
			return 0, goneAfterVacuum(v, err)
		}
		pf, err := noPanic(func() (*parquet.File, error) {
			return parquet.OpenFile(file, file.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		})
		file.Close()
		if err != nil {
			return 0, releaselake.Wrap(releaselake.Internal, err, "read the footer of "+name)
		}
		n += int(pf.NumRows())
	}
	return n, nil
}

// readChanges reads the change rows of version v from its files.
func (s *Store) readChanges(ctx context.Context, v int64, f versionFiles) ([]changeRow, error) {
	var rows []changeRow
	if len(f.cdc) > 0 {
		for _, name := range f.cdc {
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
	}{{f.removes, releaselake.ChangeDelete}, {f.adds, releaselake.ChangeInsert}} {
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
