package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// tableState is the table at one version, as replayed from the log.
type tableState struct {
	version     int64
	committedAt time.Time
	protocol    *protocol
	metaData    *metaData
	files       map[string]*addFile    // live data files by lake name
	tombstones  map[string]*removeFile // removed data files by lake name
}

func emptyState() *tableState {
	return &tableState{version: releaselake.NoVersion, files: map[string]*addFile{}, tombstones: map[string]*removeFile{}}
}

// state rebuilds the table at version v: from the newest checkpoint at or
// below v, then the log entries after it. If that checkpoint cannot be read,
// an older one (or the whole log) is used instead.
func (s *Store) state(ctx context.Context, lst *logListing, v int64) (*tableState, error) {
	var cpErr error
	for i := len(lst.checkpoints) - 1; i >= -1; i-- {
		st, from := emptyState(), int64(0)
		if i >= 0 {
			c := lst.checkpoints[i]
			if c > v {
				continue
			}
			var err error
			if st, err = s.readCheckpoint(ctx, c); err != nil {
				cpErr = err
				s.log.Warn("lake: unreadable checkpoint; using an older one", "version", c, "err", err)
				continue
			}
			from = c + 1
		}
		err := s.replay(ctx, lst, st, from, v)
		if errors.Is(err, fs.ErrNotExist) && cpErr != nil {
			return nil, fmt.Errorf("%w (and %v)", err, cpErr)
		}
		return st, err
	}
	panic("unreachable")
}

// replay applies log entries from..to to st.
func (s *Store) replay(ctx context.Context, lst *logListing, st *tableState, from, to int64) error {
	for i := from; i <= to; i++ {
		actions, info, err := s.entry(ctx, lst, i)
		if errors.Is(err, fs.ErrNotExist) {
			return releaselake.Wrap(releaselake.NotFound, err,
				fmt.Sprintf("version %d cannot be rebuilt: log entry %d is gone and no checkpoint covers it", to, i))
		}
		if err != nil {
			return fmt.Errorf("replay log to v%d: %w", to, err)
		}
		if err := st.apply(i, actions, info); err != nil {
			return releaselake.Wrap(releaselake.Internal, err, fmt.Sprintf("replay log entry %d", i))
		}
	}
	if st.protocol == nil || st.metaData == nil {
		return releaselake.Errorf(releaselake.Internal, "replay log to v%d: no protocol or metaData", to)
	}
	return nil
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
			delete(st.tombstones, p)
		case a.Remove != nil:
			p, err := dataPath(a.Remove.Path)
			if err != nil {
				return err
			}
			delete(st.files, p)
			st.tombstones[p] = a.Remove
		}
	}
	st.version = v
	if info != nil {
		st.committedAt = time.UnixMilli(info.Timestamp).UTC()
	}
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

// Snapshot implements releaselake.Lake: it rebuilds the head's state from the
// newest checkpoint and the entries after it, and reads every live data file.
// CommittedAt is the head's commitInfo timestamp (Delta keeps milliseconds).
// Releases is empty, not nil, for an empty lake.
func (s *Store) Snapshot(ctx context.Context) (releaselake.Snapshot, error) {
	head, lst, err := s.head(ctx)
	if err != nil {
		return noSnapshot(), boundary(err, "read yellow snapshot")
	}
	snap, err := s.snapshotAt(ctx, lst, head)
	return snap, boundary(err, "read yellow snapshot")
}

// SnapshotAt implements releaselake.Lake: the table as committed at version,
// read the same way as Snapshot. Class NotFound if version was never
// committed, or can no longer be read because vacuum removed its data files.
func (s *Store) SnapshotAt(ctx context.Context, version int64) (releaselake.Snapshot, error) {
	lst, err := s.committed(ctx, version)
	if err != nil {
		return noSnapshot(), err
	}
	snap, err := s.snapshotAt(ctx, lst, version)
	return snap, boundary(err, "read yellow v%d", version)
}

// committed returns a listing of the log in which version is committed, or
// SnapshotAt's errors for a version that is not.
func (s *Store) committed(ctx context.Context, version int64) (*logListing, error) {
	if version < releaselake.NoVersion {
		return nil, releaselake.Errorf(releaselake.Invalid, "version %d: versions start at 0", version)
	}
	head, lst, err := s.head(ctx)
	if err != nil {
		return nil, boundary(err, "read yellow v%d", version)
	}
	if version > head {
		return nil, releaselake.Errorf(releaselake.NotFound, "version %d is not committed (the newest is %d)", version, head)
	}
	return lst, nil
}

func noSnapshot() releaselake.Snapshot {
	return releaselake.Snapshot{Version: releaselake.NoVersion, Releases: []releaselake.Release{}}
}

func (s *Store) snapshotAt(ctx context.Context, lst *logListing, v int64) (releaselake.Snapshot, error) {
	if v == releaselake.NoVersion {
		return noSnapshot(), nil
	}
	var snap releaselake.Snapshot
	err := s.readVersion(ctx, lst, v, func(files []*dataFile, committedAt time.Time) error {
		rels, err := readReleases(ctx, files)
		snap = releaselake.Snapshot{Version: v, CommittedAt: committedAt, Releases: rels}
		return err
	})
	if err != nil {
		return noSnapshot(), err
	}
	return snap, nil
}

// ReadColumns hands the newest version to sink (NoVersion and no rows if
// nothing was committed): what Snapshot gives, without making a Release per
// row, which a server loading a large table would only pack into its index
// and drop.
func (s *Store) ReadColumns(ctx context.Context, sink releaselake.ColumnSink) error {
	head, lst, err := s.head(ctx)
	if err != nil {
		return boundary(err, "read yellow snapshot")
	}
	return boundary(s.readColumnsAt(ctx, lst, head, sink), "read yellow snapshot")
}

// ReadColumnsAt is to SnapshotAt what ReadColumns is to Snapshot: version v
// as committed (time travel on a large table), with SnapshotAt's errors.
func (s *Store) ReadColumnsAt(ctx context.Context, version int64, sink releaselake.ColumnSink) error {
	lst, err := s.committed(ctx, version)
	if err != nil {
		return err
	}
	return boundary(s.readColumnsAt(ctx, lst, version, sink), "read yellow v%d", version)
}

func (s *Store) readColumnsAt(ctx context.Context, lst *logListing, v int64, sink releaselake.ColumnSink) error {
	if v == releaselake.NoVersion {
		return sink.Begin(releaselake.NoVersion, time.Time{}, 0)
	}
	return s.readVersion(ctx, lst, v, func(files []*dataFile, committedAt time.Time) error {
		return readBlocks(ctx, files, v, committedAt, sink)
	})
}

// readVersion opens the data files of version v and hands them to read.
func (s *Store) readVersion(ctx context.Context, lst *logListing, v int64, read func(files []*dataFile, committedAt time.Time) error) error {
	st, err := s.state(ctx, lst, v)
	if err != nil {
		return err
	}
	files := make([]*dataFile, 0, len(st.files))
	defer func() {
		for _, df := range files {
			df.f.Close()
		}
	}()
	live, _ := liveFiles(st)
	for _, name := range fileNames(live) { // in product order (files.go)
		df, err := s.openDataFile(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			return releaselake.Wrap(releaselake.NotFound, err,
				fmt.Sprintf("version %d can no longer be read: a data file of it is gone (vacuum removes them after the retention period)", v))
		}
		if err != nil {
			return fmt.Errorf("v%d: %w", v, err)
		}
		files = append(files, df)
	}
	if err := read(files, st.committedAt); err != nil {
		return fmt.Errorf("v%d: %w", v, err)
	}
	return nil
}

// VersionAsOf implements releaselake.Lake: the newest version committed at or
// before t, NoVersion if none was. A version's time is its commitInfo
// timestamp (milliseconds), made strictly increasing as Delta does: a version
// stamped no later than the one before it counts as 1 ms after it.
func (s *Store) VersionAsOf(ctx context.Context, t time.Time) (int64, error) {
	v, err := s.versionAsOf(ctx, t)
	return v, boundary(err, "find the yellow version as of %s", t.UTC().Format(time.RFC3339Nano))
}

func (s *Store) versionAsOf(ctx context.Context, t time.Time) (int64, error) {
	times, err := s.memoCommitTimes(ctx)
	if err != nil || len(times) == 0 {
		return releaselake.NoVersion, err
	}
	// times is increasing: find the last version at or before t.
	i, _ := slices.BinarySearchFunc(times, t, func(ct commitTime, t time.Time) int {
		if ct.at.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		if times[0].version > 0 {
			return releaselake.NoVersion, releaselake.Errorf(releaselake.NotFound,
				"the log no longer holds versions before %d (committed %s)", times[0].version, times[0].at.Format(time.RFC3339))
		}
		return releaselake.NoVersion, nil
	}
	return times[i-1].version, nil
}

type commitTime struct {
	version int64
	at      time.Time
}

// commitTimes returns the adjusted commit times of every version in the log
// up to head, oldest first.
func (s *Store) commitTimes(ctx context.Context, lst *logListing, head int64) ([]commitTime, error) {
	var out []commitTime
	var last int64
	for _, v := range lst.versions {
		if v > head {
			break
		}
		_, info, err := s.entry(ctx, lst, v)
		if err != nil {
			return nil, err
		}
		ms := info.Timestamp
		if len(out) > 0 && ms <= last {
			ms = last + 1
		}
		last = ms
		out = append(out, commitTime{version: v, at: time.UnixMilli(ms).UTC()})
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
