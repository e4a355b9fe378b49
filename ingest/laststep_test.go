package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// Compact is the run's last step, only after a run that committed: its error
// is recorded in the "compact" step and never fails the run, and it sees the
// version the run committed as the lake's head.
func TestRunner_Run_compactsAfterACommitOnlyAndNeverFailsTheRun(t *testing.T) {
	cat, _ := releaselake.NewCatalog([]releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}})
	store := lake.Open(localfs.New(t.TempDir()))
	ctx := context.Background()
	tags := `{"tags":["1.0"]}`
	src := &fakeSource{kind: releaselake.KindGitHub,
		fetch: func(releaselake.Product) ([][]byte, error) { return [][]byte{[]byte(tags)}, nil }}
	var heads []int64
	compactErr := errors.New("disk full")
	r := &Runner{Lake: store, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sources: map[string]releaselake.Source{releaselake.KindGitHub: src},
		Compact: func(ctx context.Context) error {
			head, err := store.Head(ctx)
			if err != nil {
				return err
			}
			heads = append(heads, head)
			return compactErr
		}}
	stepNames := func(run releaselake.Run) (names []string, compact string) {
		for _, s := range run.Steps {
			names = append(names, s.Name)
			if s.Name == "compact" {
				compact = s.Error
			}
		}
		return names, compact
	}

	run, err := r.Run(ctx, "test", nil) // commits v0
	names, compact := stepNames(run)
	if err != nil || run.Status != releaselake.RunSucceeded || run.Version != 0 || compact != "disk full" {
		t.Fatalf("run %s v%d, steps %v (compact: %q), err %v; want succeeded v0 with the compact step's error", run.Status, run.Version, names, compact, err)
	}
	if names[len(names)-1] != "compact" {
		t.Errorf("steps %v: compact is not the last", names)
	}
	if saved, _ := store.Runs(ctx, 1); len(saved) != 1 || len(saved[0].Steps) != len(run.Steps) {
		t.Errorf("the saved record's steps %+v, want the run's %v", saved, names)
	}

	run, _ = r.Run(ctx, "test", nil) // nothing new: no commit, no compaction
	if names, _ := stepNames(run); run.Version != releaselake.NoVersion || slices.Contains(names, "compact") {
		t.Errorf("a run that committed nothing: v%d, steps %v; want no compact step", run.Version, names)
	}

	tags, compactErr = `{"tags":["1.0","2.0"]}`, nil
	run, _ = r.Run(ctx, "test", nil) // commits v1
	if names, compact := stepNames(run); run.Version != 1 || !slices.Contains(names, "compact") || compact != "" {
		t.Errorf("run v%d, steps %v (compact error %q); want v1 compacted without error", run.Version, names, compact)
	}
	if fmt.Sprint(heads) != "[0 1]" {
		t.Errorf("compact saw heads %v, want [0 1]: once after each commit, after it", heads)
	}
}
