package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Head implements releaselake.Lake: one listing of the log and one read of its
// newest entry.
//
// A version is committed when its log entry is complete (see decodeEntry).
// On local disk an entry appears whole, but on a backend whose Publish shows a
// file while it is being written (HDFS), or after a writer died there, the
// newest entry may be cut short: Head then reports the version below it. Only
// the newest entry may be incomplete (a writer claims version v+1 only after
// reading v as the head); an incomplete one below it is a corrupt log. A
// version left incomplete for good also blocks the next commit (its name is
// taken, so Commit answers Conflict) until someone repairs the log.
func (s *Store) Head(ctx context.Context) (int64, error) {
	v, err := s.head(ctx)
	if err != nil {
		return releaselake.NoVersion, boundary(err, "read yellow head")
	}
	return v, nil
}

func (s *Store) head(ctx context.Context) (int64, error) {
	infos, err := s.fs.ReadDir(ctx, logDir)
	if errors.Is(err, fs.ErrNotExist) {
		return releaselake.NoVersion, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", logDir, err)
	}
	var versions []int64
	for _, fi := range infos {
		if v, ok := parseEntryName(fi.Name()); ok && !fi.IsDir() {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	for i := len(versions) - 1; i >= 0 && i >= len(versions)-2; i-- {
		_, _, err := s.readEntry(ctx, versions[i])
		if errors.Is(err, errIncomplete) && i == len(versions)-1 {
			continue // being written, or abandoned: not committed
		}
		if err != nil {
			return 0, err
		}
		return versions[i], nil
	}
	return releaselake.NoVersion, nil
}

// readEntry reads and decodes the log entry of version v. An incomplete entry
// gives an error matching errIncomplete and classed Internal (callers that
// tolerate one test for errIncomplete first).
func (s *Store) readEntry(ctx context.Context, v int64) ([]action, *commitInfo, error) {
	name := entryName(v)
	f, err := s.fs.Open(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	actions, info, err := decodeEntry(data)
	if err != nil {
		return nil, nil, releaselake.Wrap(releaselake.Internal, err, "corrupt log entry "+name)
	}
	return actions, info, nil
}

// tableState is the table at one version, as replayed from the log.
type tableState struct {
	version     int64
	committedAt time.Time
	protocol    *protocol
	metaData    *metaData
	files       map[string]*addFile // live data files by (decoded) path
}

// replay rebuilds the table at version v by applying log entries in order.
// Today it starts from an empty table at entry 0; checkpoints will seed the
// state from the newest checkpoint at or below v and set from to the entry
// after it, the loop staying as it is.
func (s *Store) replay(ctx context.Context, v int64) (*tableState, error) {
	st := &tableState{version: releaselake.NoVersion, files: map[string]*addFile{}}
	from := int64(0)
	for i := from; i <= v; i++ {
		actions, info, err := s.readEntry(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("replay log to v%d: %w", v, err)
		}
		if err := st.apply(i, actions, info); err != nil {
			return nil, releaselake.Wrap(releaselake.Internal, err, fmt.Sprintf("replay log entry %d", i))
		}
	}
	if st.protocol == nil || st.metaData == nil {
		return nil, releaselake.Errorf(releaselake.Internal, "replay log to v%d: no protocol or metaData", v)
	}
	return st, nil
}

// apply applies the actions of entry v.
func (st *tableState) apply(v int64, actions []action, info *commitInfo) error {
	for _, a := range actions {
		switch {
		case a.Protocol != nil:
			if a.Protocol.MinReaderVersion > readerVersion {
				return fmt.Errorf("table needs Delta reader version %d; this reader has %d",
					a.Protocol.MinReaderVersion, readerVersion)
			}
			st.protocol = a.Protocol
		case a.MetaData != nil:
			if len(a.MetaData.PartitionColumns) > 0 {
				return fmt.Errorf("table is partitioned by %v; this reader reads unpartitioned tables", a.MetaData.PartitionColumns)
			}
			if p := a.MetaData.Format.Provider; p != "parquet" {
				return fmt.Errorf("table format %q; want parquet", p)
			}
			st.metaData = a.MetaData
		case a.Add != nil:
			if len(a.Add.DeletionVector) > 0 && string(a.Add.DeletionVector) != "null" {
				return fmt.Errorf("add %s has a deletion vector", a.Add.Path)
			}
			p, err := dataPath(a.Add.Path)
			if err != nil {
				return err
			}
			st.files[p] = a.Add
		case a.Remove != nil:
			p, err := dataPath(a.Remove.Path)
			if err != nil {
				return err
			}
			delete(st.files, p)
		}
	}
	st.version = v
	st.committedAt = time.UnixMilli(info.Timestamp).UTC()
	return nil
}

// dataPath decodes an add or remove path (a URI relative to the table root)
// to a lake name under yellow/.
func dataPath(uri string) (string, error) {
	p, err := url.PathUnescape(uri)
	if err != nil {
		return "", fmt.Errorf("data file path %q: %w", uri, err)
	}
	name := yellowDir + "/" + p
	if strings.Contains(uri, ":") || !fs.ValidPath(name) {
		return "", fmt.Errorf("data file path %q: only paths relative to the table are supported", uri)
	}
	return name, nil
}

// Snapshot implements releaselake.Lake: it replays the log to the head and
// reads every live data file. CommittedAt is the head's commitInfo timestamp
// (Delta keeps milliseconds). Releases is empty, not nil, for an empty lake.
func (s *Store) Snapshot(ctx context.Context) (releaselake.Snapshot, error) {
	snap, err := s.snapshot(ctx)
	if err != nil {
		return releaselake.Snapshot{Version: releaselake.NoVersion}, boundary(err, "read yellow snapshot")
	}
	return snap, nil
}

func (s *Store) snapshot(ctx context.Context) (releaselake.Snapshot, error) {
	none := releaselake.Snapshot{Version: releaselake.NoVersion, Releases: []releaselake.Release{}}
	head, err := s.head(ctx)
	if err != nil || head == releaselake.NoVersion {
		return none, err
	}
	st, err := s.replay(ctx, head)
	if err != nil {
		return none, err
	}
	rels := []releaselake.Release{}
	for _, name := range sortedKeys(st.files) {
		rows, err := s.readDataFile(ctx, name)
		if err != nil {
			return none, fmt.Errorf("v%d: %w", head, err)
		}
		for _, r := range rows {
			rels = append(rels, fromRow(r))
		}
	}
	return releaselake.Snapshot{Version: head, CommittedAt: st.committedAt, Releases: rels}, nil
}

func (s *Store) readDataFile(ctx context.Context, name string) ([]row, error) {
	f, err := s.fs.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := readParquet(f, f.Size())
	if err != nil {
		return nil, releaselake.Wrap(releaselake.Internal, err, "read data file "+name)
	}
	return rows, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
