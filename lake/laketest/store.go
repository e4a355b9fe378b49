package laketest

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

// LastCheckpointNeverMovesBack races two writers on fsys, a new lake: a slow
// one has written checkpoint 10 and is about to point _last_checkpoint at it
// when a fast one commits up to version 20, checkpoints it and points
// _last_checkpoint at 20; then the slow one's rename lands. _last_checkpoint
// must end naming 20, as the fast writer wrote it.
func LastCheckpointNeverMovesBack(t *testing.T, fsys lake.FS) {
	t.Helper()
	ctx := context.Background()
	const pointer = "yellow/_delta_log/_last_checkpoint"
	var once sync.Once
	paused, resume := make(chan struct{}), make(chan struct{})
	slow := lake.Open(&FaultFS{FS: fsys, RenameFunc: func(ctx context.Context, oldname, newname string) error {
		if newname == pointer {
			once.Do(func() { close(paused); <-resume })
		}
		return fsys.Rename(ctx, oldname, newname)
	}})
	fast := lake.Open(fsys)
	commit := func(s *lake.Store, v int64) error {
		_, err := s.Commit(ctx, v-1, Rows(int(v)+1), releaselake.CommitInfo{RunID: "race"})
		return err
	}
	for v := range int64(10) {
		if err := commit(fast, v); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- commit(slow, 10) }()
	select {
	case <-paused:
	case err := <-done:
		t.Fatalf("the slow writer committed v10 (%v) without pointing _last_checkpoint at it", err)
	}
	for v := int64(11); v <= 20; v++ {
		if err := commit(fast, v); err != nil {
			close(resume)
			t.Fatal(err)
		}
	}
	want := read(t, ctx, fsys, pointer)
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var lc struct{ Version int64 }
	if err := json.Unmarshal(want, &lc); err != nil || lc.Version != 20 {
		t.Fatalf("the fast writer's _last_checkpoint = %s (%v), want version 20", want, err)
	}
	if got := read(t, ctx, fsys, pointer); !bytes.Equal(got, want) {
		t.Errorf("_last_checkpoint after the slow writer = %s, want %s", got, want)
	}
}
