package lake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"

	"github.com/releaselake/releaselake"
)

// Commit implements releaselake.Lake. It writes the rows, sorted by (product,
// tag), to one new data file under a name no log entry mentions yet, closes it,
// and then publishes log entry base+1 (without overwriting) holding a remove
// for every file of base, an add for the new one (none if rows is empty) and
// commitInfo. Version 0 also carries protocol and metaData.
//
// Errors: class Conflict if base is not the head or another writer publishes
// base+1 first (the data file is then removed); class Invalid if a row has no
// product or tag or two rows share (product, tag). On any error the table stays
// at base; a data file left by a failure is never read (vacuum removes it).
func (s *Store) Commit(ctx context.Context, base int64, rows []releaselake.Release, info releaselake.CommitInfo) (int64, error) {
	if err := s.commit(ctx, base, rows, info); err != nil {
		return base, boundary(err, "commit yellow v%d", base+1)
	}
	return base + 1, nil
}

func (s *Store) commit(ctx context.Context, base int64, rels []releaselake.Release, info releaselake.CommitInfo) error {
	rows, err := validRows(rels)
	if err != nil {
		return err
	}
	head, err := s.head(ctx)
	if err != nil {
		return err
	}
	if head != base {
		return releaselake.Errorf(releaselake.Conflict, "base v%d is not the head v%d", base, head)
	}
	prev := &tableState{version: releaselake.NoVersion, files: map[string]*addFile{}}
	if base != releaselake.NoVersion {
		if prev, err = s.replay(ctx, base); err != nil {
			return err
		}
	}

	now := s.now()
	at := info.At
	if at.IsZero() {
		at = now
	}
	var actions []action
	if base == releaselake.NoVersion {
		actions = append(actions,
			action{Protocol: &protocol{MinReaderVersion: readerVersion, MinWriterVersion: writerVersion}},
			action{MetaData: &metaData{
				ID:               uuid.NewString(),
				Format:           format{Provider: "parquet", Options: map[string]string{}},
				SchemaString:     schemaString,
				PartitionColumns: []string{},
				Configuration:    map[string]string{},
				CreatedTime:      millis(now),
			}})
	}
	for _, name := range sortedKeys(prev.files) {
		f := prev.files[name]
		actions = append(actions, action{Remove: &removeFile{
			Path: f.Path, DeletionTimestamp: millis(now), DataChange: true,
			PartitionValues: map[string]string{}, Size: f.Size,
		}})
	}
	var data string // the new data file's lake name, "" if none
	if len(rows) > 0 {
		add, err := s.writeDataFile(ctx, rows, now)
		if err != nil {
			return err
		}
		data = yellowDir + "/" + add.Path
		actions = append(actions, action{Add: add})
	}
	ci := &commitInfo{
		Timestamp:           millis(at),
		Operation:           cmp.Or(info.Operation, "WRITE"),
		OperationParameters: map[string]string{"mode": "Overwrite", "runId": info.RunID},
		IsolationLevel:      "Serializable",
		EngineInfo:          engineInfo,
		TxnID:               uuid.NewString(),
		RunID:               info.RunID,
	}
	if base != releaselake.NoVersion {
		ci.ReadVersion = &base
	}
	actions = append(actions, action{CommitInfo: ci}) // last: it marks the entry complete
	entry, err := encodeEntry(actions)
	if err != nil {
		return err
	}
	return s.publishEntry(ctx, base+1, entry, ci.TxnID, data)
}

// publishEntry publishes log entry v. When that fails it settles what
// happened, so the caller's error means "still at v-1": the entry already there
// may be ours after all (published, then a later step failed), another
// writer's (Conflict), or absent.
func (s *Store) publishEntry(ctx context.Context, v int64, entry []byte, txnID, data string) error {
	err := s.fs.Publish(ctx, entryName(v), entry)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		_, got, rerr := s.readEntry(context.WithoutCancel(ctx), v)
		switch {
		case rerr == nil && got.TxnID == txnID:
			return nil // ours landed: committed
		case rerr == nil:
			err = fs.ErrExist // another writer's
		case errors.Is(rerr, fs.ErrNotExist):
			s.removeOrphan(ctx, data)
			return fmt.Errorf("publish log entry: %w", err)
		default:
			// Unknown: keep the data file, which an entry of ours may name.
			return fmt.Errorf("publish log entry: %w (then reading it back: %v)", err, rerr)
		}
	}
	s.removeOrphan(ctx, data)
	return releaselake.Wrap(releaselake.Conflict, err, fmt.Sprintf("v%d was committed by another writer", v))
}

// removeOrphan removes a data file no log entry names. Failure is harmless:
// readers never see it and vacuum removes it later.
func (s *Store) removeOrphan(ctx context.Context, name string) {
	if name != "" {
		_ = s.fs.Remove(context.WithoutCancel(ctx), name)
	}
}

// writeDataFile writes rows as a new Parquet file under yellow/ and returns its
// add action. The file is closed (durable) before it returns; on failure it is
// removed.
func (s *Store) writeDataFile(ctx context.Context, rows []row, now time.Time) (_ *addFile, err error) {
	base := fmt.Sprintf("part-00000-%s-c000.snappy.parquet", uuid.NewString())
	name := yellowDir + "/" + base
	st, err := statsOf(rows)
	if err != nil {
		return nil, err
	}
	w, err := s.fs.Create(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			s.removeOrphan(ctx, name)
		}
	}()
	size, err := writeParquet(w, rows)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", name, err)
	}
	return &addFile{
		Path: base, PartitionValues: map[string]string{}, Size: size,
		ModificationTime: millis(now), DataChange: true, Stats: st,
	}, nil
}

// validRows converts releases to rows sorted by (product, tag), refusing rows
// without a product or tag and duplicate (product, tag) pairs.
func validRows(rels []releaselake.Release) ([]row, error) {
	rows := make([]row, len(rels))
	for i, r := range rels {
		if r.Product == "" || r.Tag == "" {
			return nil, releaselake.Errorf(releaselake.Invalid, "row %d: product and tag are required", i)
		}
		rows[i] = toRow(r)
	}
	sortRows(rows)
	for i := 1; i < len(rows); i++ {
		if rows[i].Product == rows[i-1].Product && rows[i].Tag == rows[i-1].Tag {
			return nil, releaselake.Errorf(releaselake.Invalid, "two rows for product %q tag %q",
				rows[i].Product, rows[i].Tag)
		}
	}
	return rows, nil
}
