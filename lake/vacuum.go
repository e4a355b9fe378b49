package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// DefaultRetention is how long vacuum keeps files the table no longer needs,
// as Delta's VACUUM does: time travel to a version works until the files it
// needs are this old.
const DefaultRetention = 7 * 24 * time.Hour

// ParseRetention reads a retention: a Go duration, or a whole number of days ("7d").
func ParseRetention(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("retention %q: want a number of days (7d) or a duration (36h)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("retention %q: want a number of days (7d) or a duration (36h)", s)
	}
	return d, nil
}

// VacuumResult is what Vacuum removed, or would remove.
type VacuumResult struct {
	Removed []string // lake names, sorted
	Bytes   int64    // their total size
	Kept    int      // data files kept: live, or removed from the table less than retention ago
	// OldestReadable is the oldest version that time travel can still read
	// after the vacuum (every version from it to the head is readable);
	// NoVersion when the lake has none.
	OldestReadable int64
}

// Vacuum removes what the lake keeps only for time travel or never needed,
// once it is older than retention:
//   - data files removed from the table (by a later version) more than
//     retention ago, by the remove action's deletionTimestamp, and change
//     data files (_change_data/) whose version was committed more than
//     retention ago (as Delta's VACUUM, by their time): the change feed
//     reads back over the versions committed within retention;
//   - data files of commits that lost or crashed (decided by the log, at any
//     age, see clean.go), and data files no log entry names and whose
//     modification time is before the cutoff;
//   - temporary files (names starting with ".") of the table, its log, the
//     red table, run records, crawl state and locks, older than the cutoff.
//
// With retention 0 every such file goes, whatever its time (see expired).
//
// It never removes log entries or checkpoints, nor a data file of the head
// version, nor anything a writer may still be committing. A change data file
// goes once its version is older than retention, the head's too (as Delta's
// own vacuum does): the change feed reads back over the retention only. With dryRun it
// removes nothing and reports what it would remove.
func (s *Store) Vacuum(ctx context.Context, retention time.Duration, dryRun bool) (VacuumResult, error) {
	res, err := s.vacuum(ctx, retention, dryRun)
	return res, boundary(err, "vacuum")
}

func (s *Store) vacuum(ctx context.Context, retention time.Duration, dryRun bool) (VacuumResult, error) {
	res := VacuumResult{OldestReadable: releaselake.NoVersion}
	if retention < 0 {
		return res, releaselake.Errorf(releaselake.Invalid, "retention %s is negative", retention)
	}
	old := expired(s.now(), retention)
	head, lst, err := s.head(ctx)
	if err != nil {
		return res, err
	}
	h, err := s.history(ctx, lst, head)
	if err != nil {
		return res, err
	}
	fates := s.fates(ctx, lst, head)

	remove := map[string]int64{} // name -> size
	for _, dir := range []string{yellowDir, changeDir, stagingDir} {
		infos, err := s.fs.ReadDir(ctx, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return res, err
		}
		for _, fi := range infos {
			name := dir + "/" + fi.Name()
			if fi.IsDir() {
				continue
			}
			if strings.HasPrefix(fi.Name(), ".") {
				if old(fi.ModTime()) {
					remove[name] = fi.Size()
				}
				continue
			}
			if _, live := h.live[name]; live {
				res.Kept++
				continue
			}
			if ts, gone := h.removedAt[name]; gone {
				if old(time.UnixMilli(ts)) {
					remove[name] = fi.Size()
				} else {
					res.Kept++
				}
				continue
			}
			orphan, decided, ours := fates.fate(fi.Name())
			switch {
			case ours && decided && (orphan || dir == stagingDir):
				remove[name] = fi.Size()
			case ours && !decided:
				res.Kept++ // may be being committed
			case dir == changeDir && old(fi.ModTime()):
				remove[name] = fi.Size() // committed, but its log entry is gone
			case !ours && strings.HasSuffix(fi.Name(), ".parquet") && old(fi.ModTime()):
				remove[name] = fi.Size()
			case !ours && strings.HasSuffix(fi.Name(), ".parquet"):
				res.Kept++
			}
		}
	}
	for _, fi := range lst.temps {
		committedEntryTemp := false
		if m := entryTempPattern.FindStringSubmatch(fi.Name()); m != nil {
			var v int64
			fmt.Sscan(m[1], &v)
			committedEntryTemp = v <= head
		}
		if committedEntryTemp || old(fi.ModTime()) {
			remove[logDir+"/"+fi.Name()] = fi.Size()
		}
	}
	for _, dir := range []string{redDir, runsDir, stateDir, locksDir} {
		if err := s.oldTemps(ctx, dir, old, remove); err != nil {
			return res, err
		}
	}

	if err := s.advisoryGarbage(ctx, old, remove); err != nil { // advisories_vacuum.go
		return res, err
	}
	res.Removed = sortedKeys(remove)
	for _, name := range res.Removed {
		res.Bytes += remove[name]
	}
	res.OldestReadable = h.oldestReadable(remove)
	if dryRun {
		return res, nil
	}
	var errs []error
	for _, name := range res.Removed {
		if err := s.fs.Remove(ctx, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// expired returns whether a file last modified (or removed from the table) at
// a time is past retention at now. With retention 0 every file is, whatever
// its time: on HDFS the NameNode sets an abandoned file's modification time
// to when it recovers the dead writer's lease, which may be after the vacuum
// began (or ahead of this machine's clock), and "0" means all.
func expired(now time.Time, retention time.Duration) func(time.Time) bool {
	cutoff := now.Add(-retention)
	return func(t time.Time) bool { return retention == 0 || t.Before(cutoff) }
}

// oldTemps adds the temporary files under dir (at any depth) that are old to
// remove.
func (s *Store) oldTemps(ctx context.Context, dir string, old func(time.Time) bool, remove map[string]int64) error {
	infos, err := s.fs.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, fi := range infos {
		name := dir + "/" + fi.Name()
		switch {
		case fi.IsDir():
			if err := s.oldTemps(ctx, name, old, remove); err != nil {
				return err
			}
		case strings.HasPrefix(fi.Name(), ".") && old(fi.ModTime()):
			remove[name] = fi.Size()
		}
	}
	return nil
}

// history is what the whole log says about data files.
type history struct {
	live      map[string]bool  // files of the head
	removedAt map[string]int64 // files removed from the table -> latest deletionTimestamp
	versions  []map[string]bool
	first     int64 // version of versions[0]
}

// history replays the log from its first entry (or the oldest checkpoint, if
// entries were cleaned up) to head, keeping every version's files.
func (s *Store) history(ctx context.Context, lst *logListing, head int64) (*history, error) {
	h := &history{live: map[string]bool{}, removedAt: map[string]int64{}, first: releaselake.NoVersion}
	if head == releaselake.NoVersion {
		return h, nil
	}
	st, from := emptyState(), int64(0)
	if _, ok := lst.entries[0]; !ok && len(lst.checkpoints) > 0 {
		var err error
		if st, err = s.readCheckpoint(ctx, lst.checkpoints[0]); err != nil {
			return nil, err
		}
		from = lst.checkpoints[0] + 1
		for name, r := range st.tombstones {
			h.removedAt[name] = r.DeletionTimestamp
		}
		h.first = lst.checkpoints[0]
		h.versions = append(h.versions, copyKeys(st.files))
	}
	for v := from; v <= head; v++ {
		actions, info, err := s.entry(ctx, lst, v)
		if err != nil {
			return nil, fmt.Errorf("read the log for vacuum: entry %d: %w", v, err)
		}
		if err := st.apply(v, actions, info); err != nil {
			return nil, err
		}
		for _, a := range actions {
			if a.Remove != nil {
				if p, err := dataPath(a.Remove.Path); err == nil {
					h.removedAt[p] = max(h.removedAt[p], a.Remove.DeletionTimestamp)
				}
			}
			// A change data file is never part of a version's data: it
			// counts as removed when its version was committed.
			if a.CDC != nil && info != nil {
				if p, err := dataPath(a.CDC.Path); err == nil {
					h.removedAt[p] = max(h.removedAt[p], info.Timestamp)
				}
			}
		}
		if h.first == releaselake.NoVersion {
			h.first = v
		}
		h.versions = append(h.versions, copyKeys(st.files))
	}
	h.live = copyKeys(st.files)
	for name := range h.live {
		delete(h.removedAt, name) // added again later
	}
	return h, nil
}

func copyKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// oldestReadable returns the oldest version from which every version to the
// head keeps all its files once removed are gone.
func (h *history) oldestReadable(removed map[string]int64) int64 {
	oldest := releaselake.NoVersion
	for i := len(h.versions) - 1; i >= 0; i-- {
		for name := range h.versions[i] {
			if _, gone := removed[name]; gone {
				return oldest
			}
		}
		oldest = h.first + int64(i)
	}
	return oldest
}
