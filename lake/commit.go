package lake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"time"

	"github.com/google/uuid"

	"github.com/releaselake/releaselake"
)

// Commit implements releaselake.Lake. It lays the rows out as files.go says:
// cut at the files of base, it writes each part that changed as new data
// files (sorted by (product, tag)) under _staging, closes them, renames them
// into yellow/, writes the change set of those parts (cdf.go), and then
// publishes log entry base+1 (without overwriting) holding a remove for each
// file replaced, an add for each new one, a cdc action for the change set and
// commitInfo. Version 0 also carries protocol and metaData, as
// does the first commit after the table's columns changed (which rewrites
// every file). After a commit it writes the checkpoint if one is due and
// removes what failed and crashed commits left behind (clean.go); neither
// fails the commit.
//
// docs/lake.md says what it does when each step fails or the process dies.
//
// Errors: class Conflict if base is not the head (repair entries above base
// do not count: they change nothing); class Invalid if a row has no product or
// tag or two rows share (product, tag). A process killed at any moment leaves
// the table at base or at base+1 with exactly these rows, readable either way.
func (s *Store) Commit(ctx context.Context, base int64, rows []releaselake.Release, info releaselake.CommitInfo) (int64, error) {
	v, err := s.commit(ctx, base, rows, info)
	if err != nil {
		return base, boundary(err, "commit yellow v%d", base+1)
	}
	s.asOf.sawHead(v)
	return v, nil
}

// maxRebases bounds how many repair entries one commit steps over.
const maxRebases = 8

func (s *Store) commit(ctx context.Context, base int64, rels []releaselake.Release, info releaselake.CommitInfo) (int64, error) {
	rows, err := keyedRows(rels)
	if err != nil {
		return 0, err
	}
	head, lst, err := s.head(ctx)
	if err != nil {
		return 0, err
	}
	if head != base {
		if base > head || !s.onlyRepairs(ctx, lst, base, head) {
			return 0, releaselake.Errorf(releaselake.Conflict, "base v%d is not the head v%d", base, head)
		}
		base = head // only repair entries since base: the table is as it was
	}
	prev := emptyState()
	if base != releaselake.NoVersion {
		if prev, err = s.state(ctx, lst, base); err != nil {
			return 0, err
		}
	}

	now := s.now()
	at := cmp.Or(info.At, now)
	txn := uuid.NewString()
	c := &pending{base: base, prev: prev, now: now, info: info, at: at, txn: txn}
	if err := s.writeParts(ctx, c, rows, info.Base); err != nil {
		s.removeOrphans(ctx, c.files())
		return 0, s.lostRace(ctx, base, err)
	}
	return s.publish(ctx, c)
}

// publish publishes c as log entry c.base+1, stepping over repair entries;
// on failure it removes the files c wrote unless an entry may yet name them.
func (s *Store) publish(ctx context.Context, c *pending) (int64, error) {
	txn := c.txn
	for rebases, tries := 0, 0; ; tries++ {
		if tries > 2*maxRebases {
			s.removeOrphans(ctx, c.files())
			return 0, releaselake.Errorf(releaselake.Conflict, "could not publish log entry v%d: it keeps changing", c.base+1)
		}
		v := c.base + 1
		entry, err := c.entry()
		if err != nil {
			return 0, err
		}
		perr := s.fs.Publish(ctx, entryName(v), entry)
		if perr == nil {
			s.afterCommit(ctx, v)
			return v, nil
		}
		switch got, rerr := s.settle(ctx, v, txn); got {
		case entryOurs:
			s.afterCommit(ctx, v)
			return v, nil
		case entryRepair:
			if rebases++; rebases > maxRebases {
				s.removeOrphans(ctx, c.files())
				return 0, fmt.Errorf("publish log entry: stepped over %d repair entries: %w", maxRebases, perr)
			}
			c.base = v // it changed nothing: commit on top of it
			// but a repair of version 0 made the table: its protocol and
			// metaData are base's now (entry upgrades them to the change feed).
			if actions, info, err := s.readEntry(ctx, v); err == nil {
				_ = c.prev.apply(v, actions, info)
			}
		case entryOther:
			s.removeOrphans(ctx, c.files())
			return 0, releaselake.Wrap(releaselake.Conflict, perr, fmt.Sprintf("v%d was committed by another writer", v))
		case entryIncomplete:
			if err := s.repair(ctx, v); err != nil {
				// Unless another writer holds the name, the claim may be ours,
				// and may yet complete (on HDFS, when the lease is recovered):
				// keep the data file it names. If it is repaired instead, the
				// next commit removes the file as an orphan.
				if errors.Is(perr, fs.ErrExist) {
					s.removeOrphans(ctx, c.files())
				}
				return 0, err
			}
		case entryAbsent:
			s.removeOrphans(ctx, c.files())
			return 0, fmt.Errorf("publish log entry: %w", perr)
		default:
			// Unknown: keep the data file, which an entry of ours may name.
			return 0, fmt.Errorf("publish log entry: %w (then reading it back: %v; the commit may yet show up)", perr, rerr)
		}
	}
}

// lostRace returns err, as a Conflict if a staged file of ours is gone
// because another writer committed version base+1 and removed it as the
// orphan it then is.
func (s *Store) lostRace(ctx context.Context, base int64, err error) error {
	if h, _, herr := s.head(ctx); errors.Is(err, fs.ErrNotExist) && herr == nil && h > base {
		return releaselake.Wrap(releaselake.Conflict, err, fmt.Sprintf("v%d was committed by another writer", base+1))
	}
	return err
}

// pending is a commit being published.
type pending struct {
	base int64 // the version it goes on top of
	prev *tableState
	now  time.Time
	info releaselake.CommitInfo
	at   time.Time
	txn  string

	removes []*addFile // base's files it replaces, in path order
	adds    []*addFile // its new files, in product order
	cdc     *cdcFile   // the change set (cdf.go); nil when there is none to write
	// dataChange is false when the new rows equal base's: the adds and
	// removes then only rewrite the table (cdf.go, optimize.go).
	dataChange bool
	// params are commitInfo's operationParameters besides the run id;
	// {"mode": "Overwrite"} when nil.
	params map[string]string
}

// files returns the files the commit wrote, as lake names.
func (c *pending) files() []string {
	var out []string
	for _, a := range c.adds {
		out = append(out, yellowDir+"/"+a.Path)
	}
	if c.cdc != nil {
		out = append(out, yellowDir+"/"+c.cdc.Path)
	}
	return out
}

// entry renders the log entry of the commit on top of c.base.
func (c *pending) entry() ([]byte, error) {
	var actions []action
	if c.base == releaselake.NoVersion {
		actions = append(actions,
			action{Protocol: cdfProtocol(nil)},
			action{MetaData: &metaData{
				ID:               uuid.NewString(),
				Format:           format{Provider: "parquet", Options: map[string]string{}},
				SchemaString:     schemaString,
				PartitionColumns: []string{},
				Configuration:    withCDF(nil),
				CreatedTime:      millis(c.now),
			}})
	} else {
		// A table written before the change feed gets it with its next
		// commit: the protocol that declares it and the table property.
		if p := cdfProtocol(c.prev.protocol); p != nil {
			actions = append(actions, action{Protocol: p})
		}
		if md := c.prev.metaData; md != nil && (md.SchemaString != schemaString || !cdfEnabled(md)) {
			// The table's columns changed (a column was added): the new schema
			// goes with the commit that first writes it. Such a commit
			// rewrites every file of base (writeParts), so the table never
			// holds a file without a column its schema calls required.
			evolved := *md
			evolved.SchemaString = schemaString
			evolved.Configuration = withCDF(md.Configuration)
			actions = append(actions, action{MetaData: &evolved})
		}
	}
	for _, f := range c.removes {
		actions = append(actions, action{Remove: &removeFile{
			Path: f.Path, DeletionTimestamp: millis(c.now), DataChange: c.dataChange,
			PartitionValues: map[string]string{}, Size: f.Size,
		}})
	}
	for _, a := range c.adds {
		add := *a
		add.DataChange = c.dataChange
		actions = append(actions, action{Add: &add})
	}
	if c.cdc != nil {
		actions = append(actions, action{CDC: c.cdc})
	}
	params := map[string]string{"mode": "Overwrite"}
	if c.params != nil {
		params = maps.Clone(c.params)
	}
	params["runId"] = c.info.RunID
	ci := &commitInfo{
		Timestamp:           millis(c.at),
		Operation:           cmp.Or(c.info.Operation, "WRITE"),
		OperationParameters: params,
		IsolationLevel:      "Serializable",
		EngineInfo:          engineInfo,
		TxnID:               c.txn,
		RunID:               c.info.RunID,
	}
	if c.base != releaselake.NoVersion {
		ci.ReadVersion = &c.base
	}
	actions = append(actions, action{CommitInfo: ci}) // last: it marks the entry complete
	return encodeEntry(actions)
}

// onlyRepairs reports whether every version in (base, head] is a repair entry.
func (s *Store) onlyRepairs(ctx context.Context, lst *logListing, base, head int64) bool {
	for v := base + 1; v <= head; v++ {
		actions, info, err := s.entry(ctx, lst, v)
		if err != nil || !isRepair(actions, info) {
			return false
		}
	}
	return true
}

// What a failed publish of log entry v left at its name.
type entryState int

const (
	entryUnknown    entryState = iota // it could not be read
	entryOurs                         // complete, with our commit: committed after all
	entryRepair                       // complete, a repair entry
	entryOther                        // complete, another writer's commit
	entryIncomplete                   // claimed but not (yet) complete
	entryAbsent                       // nothing
)

// settle reads entry v after a failed publish, so that the caller's error
// tells the truth about the table.
func (s *Store) settle(ctx context.Context, v int64, txn string) (entryState, error) {
	actions, info, err := s.readEntry(context.WithoutCancel(ctx), v)
	switch {
	case err == nil && info.TxnID == txn:
		return entryOurs, nil
	case err == nil && isRepair(actions, info):
		return entryRepair, nil
	case err == nil:
		return entryOther, nil
	case errors.Is(err, errIncomplete):
		return entryIncomplete, nil
	case errors.Is(err, fs.ErrNotExist):
		return entryAbsent, nil
	default:
		return entryUnknown, err
	}
}

// removeOrphans removes files no log entry names, as removeOrphan does.
func (s *Store) removeOrphans(ctx context.Context, names []string) {
	for _, name := range names {
		s.removeOrphan(ctx, name)
	}
}

// removeOrphan removes a data file no log entry names. Failure is harmless:
// readers never see it and the next commit or vacuum removes it.
func (s *Store) removeOrphan(ctx context.Context, name string) {
	if name != "" {
		_ = s.fs.Remove(context.WithoutCancel(ctx), name)
	}
}

// writeDataFile writes rows as data file k of version v of commit txn:
// under _staging first, closed (durable), then renamed into yellow/. A write
// that fails is removed and redone into a new file (writeRetrying). It returns
// the add action, with the file's stats and fingerprint (files.go).
func (s *Store) writeDataFile(ctx context.Context, rows sorted, v int64, txn string, k int, now time.Time) (*addFile, error) {
	st, err := statsOf(rows)
	if err != nil {
		return nil, err
	}
	// Encoded straight into the file: a buffer of the whole file grown by
	// doubling cost a seventh of a commit's CPU in zeroing and copying. A
	// write redone after a failure encodes again (the same bytes).
	var size int64
	staged, err := s.streamRetrying(ctx, func(attempt int) string {
		return stagingDir + "/" + partFileName(v, txn, k, attempt)
	}, func(w io.Writer) (err error) {
		if size, err = writeParquet(w, rows); err != nil {
			return fmt.Errorf("encode data file: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("write data file: %w", err)
	}
	base := path.Base(staged)
	if err := s.fs.Rename(ctx, staged, yellowDir+"/"+base); err != nil {
		s.removeOrphan(ctx, staged)
		return nil, fmt.Errorf("move %s into the table: %w", staged, err)
	}
	return &addFile{
		Path: base, PartitionValues: map[string]string{}, Size: size,
		ModificationTime: millis(now), DataChange: true, Stats: st,
		Tags: map[string]string{fingerprintTag: fingerprint(rows)},
	}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// validRows returns the releases in file order, (product, tag), refusing rows
// without a product or tag and duplicate (product, tag) pairs.
func validRows(rels []releaselake.Release) (sorted, error) {
	rows, err := keyedRows(rels)
	if err != nil {
		return sorted{}, err
	}
	rows.sortRuns()
	return rows, rows.unique()
}

// keyedRows refuses rows without a product or tag, and returns the releases
// grouped by product (groupReleases): a commit sorts by tag, and checks for
// duplicates, only the parts it writes (commitparts.go).
func keyedRows(rels []releaselake.Release) (sorted, error) {
	for i := range rels {
		if rels[i].Product == "" || rels[i].Tag == "" {
			return sorted{}, releaselake.Errorf(releaselake.Invalid, "row %d: product and tag are required", i)
		}
	}
	return groupReleases(rels), nil
}
