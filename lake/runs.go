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
// It reads every record; there are few (one a day).
func (s *Store) Runs(ctx context.Context, last int) ([]releaselake.Run, error) {
	runs, err := s.runs(ctx)
	if err != nil {
		return nil, boundary(err, "list runs")
	}
	slices.SortFunc(runs, func(a, b releaselake.Run) int {
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if last > 0 && len(runs) > last {
		runs = runs[:last]
	}
	return runs, nil
}

func (s *Store) runs(ctx context.Context) ([]releaselake.Run, error) {
	infos, err := s.fs.ReadDir(ctx, runsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return []releaselake.Run{}, nil
	}
	if err != nil {
		return nil, err
	}
	runs := []releaselake.Run{}
	for _, fi := range infos {
		id, ok := strings.CutSuffix(fi.Name(), ".json")
		if fi.IsDir() || !ok || !idPattern.MatchString(id) {
			continue // temporary files and strangers
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
