package lake

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"
)

// advisoryGarbage adds to remove what vacuum may remove of yellow_advisories,
// as for yellow: data files a later version removed longer than retention ago
// (by the remove's deletionTimestamp), data files of versions up to the head
// that no entry names (their commit lost or crashed), staged files of those
// versions, and temporaries older than retention. Never the head's file, nor
// one of a version above the head (it may be being committed).
func (s *Store) advisoryGarbage(ctx context.Context, old func(time.Time) bool, remove map[string]int64) error {
	vs, err := s.advVersions(ctx)
	if err != nil {
		return err
	}
	head := int64(-1)
	named := map[string]bool{}
	removedAt := map[string]int64{}
	live := ""
	for _, v := range vs {
		actions, err := s.advActions(ctx, v)
		if err != nil {
			return err
		}
		live = ""
		for _, a := range actions {
			switch {
			case a.Add != nil:
				named[a.Add.Path], live = true, a.Add.Path
			case a.Remove != nil:
				removedAt[a.Remove.Path] = max(removedAt[a.Remove.Path], a.Remove.DeletionTimestamp)
			}
		}
		head = v
	}
	for _, dir := range []string{advisoriesDir, advStagingDir} {
		infos, err := s.fs.ReadDir(ctx, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, fi := range infos {
			base, name := fi.Name(), dir+"/"+fi.Name()
			v, _, ours := parseDataFileName(base)
			switch {
			case fi.IsDir() || strings.HasPrefix(base, "."):
				continue // the log, staging; temporaries: oldTemps
			case dir == advisoriesDir && base == live:
			case dir == advisoriesDir && named[base]:
				if ts, gone := removedAt[base]; gone && old(time.UnixMilli(ts)) {
					remove[name] = fi.Size()
				}
			case ours && v <= head:
				remove[name] = fi.Size() // its version was decided without it
			case !ours && strings.HasSuffix(base, ".parquet") && old(fi.ModTime()):
				remove[name] = fi.Size()
			}
		}
	}
	return s.oldTemps(ctx, advisoriesDir, old, remove)
}
