package lake

import (
	"context"
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
)

// Cleaning up after failed and crashed commits, without clocks.
//
// A data file is named for the version v it was written to commit and for its
// commit's txnId (dataFileName). Its fate is decided by the first log entry at
// or above v that is not a repair entry (a commit may step over repair
// entries, repair.go): if that entry's txnId is the file's, the file belongs
// to the table; if it is another commit's, the file's commit lost, crashed or
// failed, and the file is an orphan nobody will ever name. While no such entry
// exists the file may still be committed, and is left alone. So the next
// commit removes what earlier ones left, even a moment after the crash, and
// never a file a live writer is about to commit.

// afterCommit runs after this Store committed version v: it writes the
// checkpoint if one is due and removes orphans. Failures are logged, never
// returned: the commit stands, and the next commit or vacuum tries again.
func (s *Store) afterCommit(ctx context.Context, v int64) {
	head, lst, err := s.head(ctx)
	if err != nil {
		s.log.Warn("lake: after commit: list the log", "version", v, "err", err)
		return
	}
	if c := v - v%checkpointInterval; c > 0 && c <= head && !slices.Contains(lst.checkpoints, c) {
		st, err := s.state(ctx, lst, c)
		if err == nil {
			err = s.writeCheckpoint(ctx, st)
		}
		if err != nil {
			s.log.Warn("lake: checkpoint failed; readers replay more of the log until the next one", "version", c, "err", err)
		}
	}
	if n, err := s.cleanOrphans(ctx, lst, head); err != nil {
		s.log.Warn("lake: removing leftovers of failed commits", "removed", n, "err", err)
	} else if n > 0 {
		s.log.Info("lake: removed leftovers of failed or crashed commits", "files", n)
	}
}

// fates decides data files by their name against the log of one listing.
type fates struct {
	s    *Store
	ctx  context.Context
	lst  *logListing
	head int64
	memo map[int64]string // version -> txnId of the first non-repair entry at or above it ("" if none yet)
}

// fate returns whether the data file named base is an orphan, and whether
// that is decided yet; ok is false for names this lake does not make.
func (f *fates) fate(base string) (orphan, decided, ok bool) {
	v, txn, ok := parseDataFileName(base)
	if !ok {
		return false, false, false
	}
	winner, found := f.memo[v]
	if !found {
		for w := v; w <= f.head; w++ {
			actions, info, err := f.s.entry(f.ctx, f.lst, w)
			if err != nil {
				break // unreadable or gone: do not decide on it
			}
			if !isRepair(actions, info) {
				winner = info.TxnID
				break
			}
		}
		f.memo[v] = winner
	}
	if winner == "" {
		return false, false, true
	}
	return winner != txn, true, true
}

func (s *Store) fates(ctx context.Context, lst *logListing, head int64) *fates {
	return &fates{s: s, ctx: ctx, lst: lst, head: head, memo: map[int64]string{}}
}

// entryTempPattern matches temporary files made while publishing or repairing
// log entry %020d (local disk's Publish, repair): once that version is
// committed, by anyone, they are of no use.
var entryTempPattern = regexp.MustCompile(`^\.([0-9]{20})\.json\.`)

// cleanOrphans removes data files whose commit is decided against them, in
// yellow/, _change_data/ and _staging/, and temporary files of committed log entries. It
// returns how many files it removed.
func (s *Store) cleanOrphans(ctx context.Context, lst *logListing, head int64) (int, error) {
	f := s.fates(ctx, lst, head)
	n := 0
	var errs []error
	for _, dir := range []string{yellowDir, changeDir, stagingDir} {
		infos, err := s.fs.ReadDir(ctx, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, fi := range infos {
			orphan, decided, ok := f.fate(fi.Name())
			// A staged file is never named by the log: once its version is
			// decided, either it lost or its copy in yellow/ is the one committed.
			if fi.IsDir() || !ok || !decided || (dir != stagingDir && !orphan) {
				continue
			}
			if err := s.fs.Remove(ctx, dir+"/"+fi.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	for _, fi := range lst.temps {
		m := entryTempPattern.FindStringSubmatch(fi.Name())
		if m == nil {
			continue
		}
		if v, err := strconv.ParseInt(m[1], 10, 64); err != nil || v > head {
			continue
		}
		if err := s.fs.Remove(ctx, logDir+"/"+fi.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
