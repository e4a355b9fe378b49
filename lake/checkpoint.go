package lake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
)

// Checkpoints: a classic (single-file, V1 spec) checkpoint of version v is a
// Parquet file holding the table's state at v as one action per row (protocol,
// metaData, an add per live file, a remove per tombstone younger than
// tombstoneRetention), under the column layout of the Delta protocol's
// "Checkpoint Schema". _last_checkpoint names the newest one. Readers (this
// one, delta-rs, Spark) start from it instead of replaying every entry.

// cpRow is one row of a checkpoint: exactly one field is set.
type cpRow struct {
	Txn      *cpTxn      `parquet:"txn,optional"`
	Add      *cpAdd      `parquet:"add,optional"`
	Remove   *cpRemove   `parquet:"remove,optional"`
	MetaData *cpMetaData `parquet:"metaData,optional"`
	Protocol *cpProtocol `parquet:"protocol,optional"`
}

type cpTxn struct {
	AppID       *string `parquet:"appId,optional"`
	Version     *int64  `parquet:"version,optional"`
	LastUpdated *int64  `parquet:"lastUpdated,optional"`
}

type cpAdd struct {
	Path             string            `parquet:"path"`
	PartitionValues  map[string]string `parquet:"partitionValues"`
	Size             int64             `parquet:"size"`
	ModificationTime int64             `parquet:"modificationTime"`
	DataChange       bool              `parquet:"dataChange"`
	Stats            *string           `parquet:"stats,optional"`
	Tags             map[string]string `parquet:"tags,optional"`
}

type cpRemove struct {
	Path                 string            `parquet:"path"`
	DeletionTimestamp    *int64            `parquet:"deletionTimestamp,optional"`
	DataChange           bool              `parquet:"dataChange"`
	ExtendedFileMetadata *bool             `parquet:"extendedFileMetadata,optional"`
	PartitionValues      map[string]string `parquet:"partitionValues,optional"`
	Size                 *int64            `parquet:"size,optional"`
}

type cpMetaData struct {
	ID               string            `parquet:"id"`
	Name             *string           `parquet:"name,optional"`
	Description      *string           `parquet:"description,optional"`
	Format           cpFormat          `parquet:"format"`
	SchemaString     string            `parquet:"schemaString"`
	PartitionColumns []string          `parquet:"partitionColumns,list"`
	Configuration    map[string]string `parquet:"configuration"`
	CreatedTime      *int64            `parquet:"createdTime,optional"`
}

type cpFormat struct {
	Provider string            `parquet:"provider"`
	Options  map[string]string `parquet:"options"`
}

type cpProtocol struct {
	MinReaderVersion int32 `parquet:"minReaderVersion"`
	MinWriterVersion int32 `parquet:"minWriterVersion"`
}

// encodeCheckpoint renders st as a checkpoint, keeping tombstones deleted at
// or after keepSince (milliseconds). It returns the file and _last_checkpoint.
func encodeCheckpoint(st *tableState, keepSince int64) ([]byte, lastCheckpoint, error) {
	md := st.metaData
	createdTime := md.CreatedTime
	rows := []cpRow{
		{Protocol: &cpProtocol{MinReaderVersion: int32(st.protocol.MinReaderVersion), MinWriterVersion: int32(st.protocol.MinWriterVersion)}},
		{MetaData: &cpMetaData{
			ID: md.ID, Name: md.Name,
			Format:       cpFormat{Provider: md.Format.Provider, Options: nonNil(md.Format.Options)},
			SchemaString: md.SchemaString, PartitionColumns: nonNilSlice(md.PartitionColumns),
			Configuration: nonNil(md.Configuration), CreatedTime: &createdTime,
		}},
	}
	for _, name := range sortedKeys(st.files) {
		a := st.files[name]
		add := &cpAdd{Path: a.Path, PartitionValues: nonNil(a.PartitionValues), Size: a.Size,
			ModificationTime: a.ModificationTime, DataChange: false, Tags: a.Tags}
		if a.Stats != "" {
			stats := a.Stats
			add.Stats = &stats
		}
		rows = append(rows, cpRow{Add: add})
	}
	for _, name := range sortedKeys(st.tombstones) {
		r := st.tombstones[name]
		if r.DeletionTimestamp < keepSince {
			continue
		}
		ts, size, ext := r.DeletionTimestamp, r.Size, true
		rows = append(rows, cpRow{Remove: &cpRemove{Path: r.Path, DeletionTimestamp: &ts, DataChange: false,
			ExtendedFileMetadata: &ext, PartitionValues: nonNil(r.PartitionValues), Size: &size}})
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[cpRow](&buf, parquet.Compression(&parquet.Snappy), parquet.DataPageVersion(1))
	if _, err := w.Write(rows); err != nil {
		return nil, lastCheckpoint{}, err
	}
	if err := w.Close(); err != nil {
		return nil, lastCheckpoint{}, err
	}
	return buf.Bytes(), lastCheckpoint{Version: st.version, Size: int64(len(rows)),
		SizeInBytes: int64(buf.Len()), NumOfAddFiles: int64(len(st.files))}, nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// readCheckpoint reads the checkpoint of version v into a table state.
func (s *Store) readCheckpoint(ctx context.Context, v int64) (*tableState, error) {
	f, err := s.fs.Open(ctx, checkpointName(v))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := noPanic(func() ([]cpRow, error) { return parquet.Read[cpRow](f, f.Size()) })
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %d: %w", v, err)
	}
	st := emptyState()
	var actions []action
	for _, r := range rows {
		switch {
		case r.Protocol != nil:
			actions = append(actions, action{Protocol: &protocol{MinReaderVersion: int(r.Protocol.MinReaderVersion), MinWriterVersion: int(r.Protocol.MinWriterVersion)}})
		case r.MetaData != nil:
			m := r.MetaData
			md := &metaData{ID: m.ID, Name: m.Name, Format: format{Provider: m.Format.Provider, Options: nonNil(m.Format.Options)},
				SchemaString: m.SchemaString, PartitionColumns: nonNilSlice(m.PartitionColumns), Configuration: nonNil(m.Configuration)}
			if m.CreatedTime != nil {
				md.CreatedTime = *m.CreatedTime
			}
			actions = append(actions, action{MetaData: md})
		case r.Add != nil:
			a := r.Add
			add := &addFile{Path: a.Path, PartitionValues: nonNil(a.PartitionValues), Size: a.Size,
				ModificationTime: a.ModificationTime, DataChange: a.DataChange, Tags: a.Tags}
			if a.Stats != nil {
				add.Stats = *a.Stats
			}
			actions = append(actions, action{Add: add})
		case r.Remove != nil:
			rm := &removeFile{Path: r.Remove.Path, DataChange: r.Remove.DataChange, PartitionValues: r.Remove.PartitionValues}
			if r.Remove.DeletionTimestamp != nil {
				rm.DeletionTimestamp = *r.Remove.DeletionTimestamp
			}
			if r.Remove.Size != nil {
				rm.Size = *r.Remove.Size
			}
			actions = append(actions, action{Remove: rm})
		}
	}
	// Removes first would be undone by nothing; the order of a checkpoint's rows
	// does not matter as a path is either live or a tombstone.
	if err := st.apply(v, actions, nil); err != nil {
		return nil, fmt.Errorf("checkpoint %d: %w", v, err)
	}
	if st.protocol == nil || st.metaData == nil {
		return nil, fmt.Errorf("checkpoint %d: no protocol or metaData", v)
	}
	// The checkpoint has no commitInfo: the version's time comes from its entry
	// when there is one.
	if _, info, err := s.readEntry(ctx, v); err == nil {
		st.committedAt = time.UnixMilli(info.Timestamp).UTC()
	}
	return st, nil
}

// writeCheckpoint writes the checkpoint of version v (complete state st) and
// points _last_checkpoint at it unless it names a newer one
// (pointLastCheckpoint). The file goes to a temporary name first and is
// renamed into place, so a reader never sees part of it; two processes
// checkpointing the same version write the same table state.
func (s *Store) writeCheckpoint(ctx context.Context, st *tableState) error {
	v := st.version
	data, last, err := encodeCheckpoint(st, millis(s.now().Add(-tombstoneRetention)))
	if err != nil {
		return fmt.Errorf("encode checkpoint %d: %w", v, err)
	}
	tmp := fmt.Sprintf(".%020d.checkpoint.parquet.tmp-%s", v, uuid.NewString())
	if err := s.writeAndRename(ctx, logDir, tmp, checkpointName(v), data); err != nil {
		return fmt.Errorf("write checkpoint %d: %w", v, err)
	}
	if err := s.pointLastCheckpoint(ctx, last); err != nil {
		return fmt.Errorf("write %s: %w", lastCheckpointName, err)
	}
	return nil
}

// lastCheckpointAttempts bounds how often pointLastCheckpoint points
// _last_checkpoint forward again after other writers moved it back.
const lastCheckpointAttempts = 5

// pointLastCheckpoint makes _last_checkpoint name the checkpoint want
// describes unless it names a newer one. With no compare-and-swap, a slower
// writer may rename an older pointer over a newer one; so after its rename
// each writer lists the log and points at the newest checkpoint again if its
// own is older (docs/lake.md, "_last_checkpoint").
func (s *Store) pointLastCheckpoint(ctx context.Context, want lastCheckpoint) error {
	for range lastCheckpointAttempts {
		cur, err := s.readFile(ctx, lastCheckpointName)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		var lc lastCheckpoint
		if err == nil && json.Unmarshal(cur, &lc) == nil && lc.Version >= want.Version {
			return nil
		}
		data, err := json.Marshal(want)
		if err != nil {
			return err
		}
		if err := s.replace(ctx, logDir, "_last_checkpoint", data); err != nil {
			return err
		}
		lst, err := s.listLog(ctx)
		if err != nil {
			return err
		}
		if len(lst.checkpoints) == 0 || lst.checkpoints[len(lst.checkpoints)-1] <= want.Version {
			return nil
		}
		newest := lst.checkpoints[len(lst.checkpoints)-1]
		if want, err = s.describeCheckpoint(ctx, newest); err != nil {
			return err
		}
	}
	return fmt.Errorf("other writers kept moving it back (%d attempts)", lastCheckpointAttempts)
}

// describeCheckpoint returns the _last_checkpoint content for checkpoint v,
// as encodeCheckpoint made it.
func (s *Store) describeCheckpoint(ctx context.Context, v int64) (lastCheckpoint, error) {
	f, err := s.fs.Open(ctx, checkpointName(v))
	if err != nil {
		return lastCheckpoint{}, err
	}
	defer f.Close()
	rows, err := noPanic(func() ([]cpRow, error) { return parquet.Read[cpRow](f, f.Size()) })
	if err != nil {
		return lastCheckpoint{}, fmt.Errorf("read checkpoint %d: %w", v, err)
	}
	lc := lastCheckpoint{Version: v, Size: int64(len(rows)), SizeInBytes: f.Size()}
	for _, r := range rows {
		if r.Add != nil {
			lc.NumOfAddFiles++
		}
	}
	return lc, nil
}
