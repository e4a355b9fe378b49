package lake

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// SaveRun implements releaselake.Lake: the record is written to a temporary
// name (starting with ".", which Runs ignores), then renamed over
// _runs/<id>.json, so a reader sees the old record or the new one, never a part.
// The id must match [0-9A-Za-z_-]+ (class Invalid otherwise).
func (s *Store) SaveRun(ctx context.Context, run releaselake.Run) error {
	if err := validID("run id", run.ID); err != nil {
		return boundary(err, "save run")
	}
	return boundary(s.saveRun(ctx, run), "save run %s", run.ID)
}

func (s *Store) saveRun(ctx context.Context, run releaselake.Run) error {
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	return s.replace(ctx, runsDir, run.ID+".json", append(data, '\n'))
}

func runPath(id string) string { return runsDir + "/" + id + ".json" }

// Runs implements releaselake.Lake: up to last records (all when last <= 0),
// newest first by StartedAt, then by id (descending) among equal start times.
// Run ids begin with their run's start second (ingest.NewRunID), so it reads
// the newest ids first and stops once no id left can have started later than
// the last-th newest record read; if some id does not begin with a time it
// reads every record.
func (s *Store) Runs(ctx context.Context, last int) ([]releaselake.Run, error) {
	runs, err := s.runs(ctx, last)
	if err != nil {
		return nil, boundary(err, "list runs")
	}
	slices.SortFunc(runs, newestRunFirst)
	if last > 0 && len(runs) > last {
		runs = runs[:last]
	}
	return runs, nil
}

func newestRunFirst(a, b releaselake.Run) int {
	if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// runIDTimeLayout is how a run id made by ingest.NewRunID begins.
const runIDTimeLayout = "20060102T150405Z"

// runIDTime returns the start second a run id begins with.
func runIDTime(id string) (time.Time, bool) {
	if len(id) < len(runIDTimeLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(runIDTimeLayout, id[:len(runIDTimeLayout)])
	return t, err == nil
}

// runs reads the records Runs needs for last (every one when last <= 0).
func (s *Store) runs(ctx context.Context, last int) ([]releaselake.Run, error) {
	infos, err := s.fs.ReadDir(ctx, runsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return []releaselake.Run{}, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	bounded := last > 0
	for _, fi := range infos {
		id, ok := strings.CutSuffix(fi.Name(), ".json")
		if fi.IsDir() || !ok || !idPattern.MatchString(id) {
			continue // temporary files and strangers
		}
		ids = append(ids, id)
		_, timed := runIDTime(id)
		bounded = bounded && timed
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	runs := []releaselake.Run{}
	for _, id := range ids {
		if bounded && len(runs) >= last {
			// A run started before the end of the second its id names.
			t, _ := runIDTime(id)
			if !t.Add(time.Second).After(lastNewest(runs, last)) {
				break
			}
		}
		run, err := s.readRun(ctx, runPath(id))
		if errors.Is(err, fs.ErrNotExist) {
			continue // replaced or removed since the listing
		}
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// lastNewest returns the start time of the last-th newest of runs.
func lastNewest(runs []releaselake.Run, last int) time.Time {
	starts := make([]time.Time, len(runs))
	for i, r := range runs {
		starts[i] = r.StartedAt
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return b.Compare(a) })
	return starts[last-1]
}

func (s *Store) readRun(ctx context.Context, name string) (releaselake.Run, error) {
	var run releaselake.Run
	f, err := s.fs.Open(ctx, name)
	if err != nil {
		return run, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return run, fmt.Errorf("read %s: %w", name, err)
	}
	if err := json.Unmarshal(data, &run); err != nil {
		return run, releaselake.Wrap(releaselake.Internal, err, "corrupt run record "+name)
	}
	return run, nil
}
