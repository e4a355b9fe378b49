// Package laketest holds the conformance suite every lake.FS must pass, so that
// the lake behaves the same on local disk and on HDFS, and Store scenarios
// (store.go) that both run.
package laketest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/releaselake/releaselake/lake"
)

// TestFS runs the conformance suite against file systems made by newFS. Each
// subtest gets a fresh, empty FS of its own.
func TestFS(t *testing.T, newFS func(t *testing.T) lake.FS) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, fsys lake.FS)
	}{
		{"CreateThenRead", testCreateThenRead},
		{"CreateRefusesExistingName", testCreateRefusesExisting},
		{"MissingIsErrNotExist", testMissing},
		{"ReadDirListsSortedEntries", testReadDir},
		{"StatDescribesFilesAndDirs", testStat},
		{"RemoveDeletes", testRemove},
		{"RenameMovesAndReplaces", testRename},
		{"PublishWritesNewName", testPublish},
		{"PublishRefusesExistingNameAndLeavesIt", testPublishNoOverwrite},
		{"PublishConcurrentExactlyOneWins", testPublishConcurrent},
		{"MkdirAllIsIdempotent", testMkdirAll},
		{"InvalidNamesRefused", testInvalidNames},
		{"CanceledContextRefused", testCanceled},
		{"ClosedAndPublishedFilesAreSealed", testSealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, context.Background(), newFS(t))
		})
	}
}

func testCreateThenRead(t *testing.T, ctx context.Context, fsys lake.FS) {
	want := []byte("hello, lake\n")
	write(t, ctx, fsys, "a/b/c.txt", want)
	if got := read(t, ctx, fsys, "a/b/c.txt"); !bytes.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	f, err := fsys.Open(ctx, "a/b/c.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != int64(len(want)) {
		t.Errorf("Size = %d, want %d", f.Size(), len(want))
	}
	buf := make([]byte, 4)
	if _, err := f.ReadAt(buf, 7); err != nil || string(buf) != "lake" {
		t.Errorf("ReadAt(7) = %q, %v; want %q", buf, err, "lake")
	}
}

func testCreateRefusesExisting(t *testing.T, ctx context.Context, fsys lake.FS) {
	write(t, ctx, fsys, "x", []byte("first"))
	w, err := fsys.Create(ctx, "x")
	if err == nil {
		w.Close()
		t.Fatal("Create of an existing name succeeded")
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create of an existing name: %v, want fs.ErrExist", err)
	}
	if got := read(t, ctx, fsys, "x"); string(got) != "first" {
		t.Errorf("existing file now holds %q", got)
	}
}

func testMissing(t *testing.T, ctx context.Context, fsys lake.FS) {
	if _, err := fsys.Open(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open: %v, want fs.ErrNotExist", err)
	}
	if _, err := fsys.Stat(ctx, "nope/deeper"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat: %v, want fs.ErrNotExist", err)
	}
	if _, err := fsys.ReadDir(ctx, "nodir"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir: %v, want fs.ErrNotExist", err)
	}
	if err := fsys.Remove(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove: %v, want fs.ErrNotExist", err)
	}
	if err := fsys.Rename(ctx, "nope", "other"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename: %v, want fs.ErrNotExist", err)
	}
}

func testReadDir(t *testing.T, ctx context.Context, fsys lake.FS) {
	write(t, ctx, fsys, "d/b.txt", []byte("bb"))
	write(t, ctx, fsys, "d/a.txt", []byte("a"))
	write(t, ctx, fsys, "d/sub/c.txt", []byte("ccc"))
	infos, err := fsys.ReadDir(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fi := range infos {
		got = append(got, fmt.Sprintf("%s dir=%v", fi.Name(), fi.IsDir()))
		if fi.Name() == "b.txt" && fi.Size() != 2 {
			t.Errorf("b.txt size = %d, want 2", fi.Size())
		}
	}
	want := []string{"a.txt dir=false", "b.txt dir=false", "sub dir=true"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("ReadDir = %q, want %q", got, want)
	}
	if !sort.SliceIsSorted(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() }) {
		t.Error("ReadDir not sorted by name")
	}
	root, err := fsys.ReadDir(ctx, ".")
	if err != nil || len(root) != 1 || root[0].Name() != "d" {
		t.Errorf("ReadDir(.) = %v, %v; want [d]", names(root), err)
	}
}

func testStat(t *testing.T, ctx context.Context, fsys lake.FS) {
	write(t, ctx, fsys, "s/f", []byte("12345"))
	fi, err := fsys.Stat(ctx, "s/f")
	if err != nil {
		t.Fatal(err)
	}
	if fi.IsDir() || fi.Size() != 5 || fi.Name() != "f" {
		t.Errorf("Stat(s/f) = name %q dir %v size %d; want f, false, 5", fi.Name(), fi.IsDir(), fi.Size())
	}
	di, err := fsys.Stat(ctx, "s")
	if err != nil || !di.IsDir() {
		t.Errorf("Stat(s) = %v, %v; want a directory", di, err)
	}
}

func testRemove(t *testing.T, ctx context.Context, fsys lake.FS) {
	write(t, ctx, fsys, "r/f", []byte("x"))
	if err := fsys.Remove(ctx, "r/f"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat(ctx, "r/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Remove, Stat: %v, want fs.ErrNotExist", err)
	}
	if err := fsys.Remove(ctx, "r"); err != nil {
		t.Errorf("Remove of an empty directory: %v", err)
	}
}

func testRename(t *testing.T, ctx context.Context, fsys lake.FS) {
	write(t, ctx, fsys, "m/old", []byte("new content"))
	write(t, ctx, fsys, "m/target", []byte("old content"))
	if err := fsys.Rename(ctx, "m/old", "m/fresh"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat(ctx, "m/old"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Rename, old name: %v, want fs.ErrNotExist", err)
	}
	if got := read(t, ctx, fsys, "m/fresh"); string(got) != "new content" {
		t.Errorf("renamed file holds %q", got)
	}
	if err := fsys.Rename(ctx, "m/fresh", "m/target"); err != nil {
		t.Fatalf("Rename onto an existing name: %v", err)
	}
	if got := read(t, ctx, fsys, "m/target"); string(got) != "new content" {
		t.Errorf("replaced file holds %q, want the renamed content", got)
	}
}

func testPublish(t *testing.T, ctx context.Context, fsys lake.FS) {
	if err := fsys.Publish(ctx, "p/q/entry.json", []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, ctx, fsys, "p/q/entry.json"); string(got) != "{}\n" {
		t.Errorf("published file holds %q", got)
	}
	assertOnly(t, ctx, fsys, "p/q", "entry.json")
}

func testPublishNoOverwrite(t *testing.T, ctx context.Context, fsys lake.FS) {
	if err := fsys.Publish(ctx, "p/entry", []byte("winner")); err != nil {
		t.Fatal(err)
	}
	err := fsys.Publish(ctx, "p/entry", []byte("loser"))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Publish: %v, want fs.ErrExist", err)
	}
	if got := read(t, ctx, fsys, "p/entry"); string(got) != "winner" {
		t.Errorf("existing file now holds %q, want %q", got, "winner")
	}
	write(t, ctx, fsys, "p/created", []byte("by Create"))
	if err := fsys.Publish(ctx, "p/created", []byte("x")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Publish over a created file: %v, want fs.ErrExist", err)
	}
	assertOnly(t, ctx, fsys, "p", "created", "entry")
}

func testPublishConcurrent(t *testing.T, ctx context.Context, fsys lake.FS) {
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fsys.Publish(ctx, "race/00001.json", []byte(fmt.Sprintf("writer %d\n", i)))
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both published", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("writer %d: %v, want nil or fs.ErrExist", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer published")
	}
	if got, want := string(read(t, ctx, fsys, "race/00001.json")), fmt.Sprintf("writer %d\n", winner); got != want {
		t.Errorf("file holds %q, want the winner's %q", got, want)
	}
	assertOnly(t, ctx, fsys, "race", "00001.json")
}

func testMkdirAll(t *testing.T, ctx context.Context, fsys lake.FS) {
	for range 2 {
		if err := fsys.MkdirAll(ctx, "k/l/m"); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := fsys.Stat(ctx, "k/l/m")
	if err != nil || !fi.IsDir() {
		t.Errorf("Stat after MkdirAll = %v, %v; want a directory", fi, err)
	}
}

func testInvalidNames(t *testing.T, ctx context.Context, fsys lake.FS) {
	for _, name := range []string{"../escape", "/abs", "a/../b", "a//b", ""} {
		if _, err := fsys.Open(ctx, name); err == nil {
			t.Errorf("Open(%q) succeeded", name)
		}
		if err := fsys.Publish(ctx, name, []byte("x")); err == nil {
			t.Errorf("Publish(%q) succeeded", name)
		}
	}
}

func testCanceled(t *testing.T, ctx context.Context, fsys lake.FS) {
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := fsys.Publish(ctx, "c", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish: %v, want context.Canceled", err)
	}
	if _, err := fsys.Create(ctx, "c"); !errors.Is(err, context.Canceled) {
		t.Errorf("Create: %v, want context.Canceled", err)
	}
	if _, err := fsys.Stat(context.Background(), "c"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a canceled call left a file: Stat: %v", err)
	}
}

func testSealed(t *testing.T, ctx context.Context, fsys lake.FS) {
	write(t, ctx, fsys, "z/created", []byte("closed"))
	if err := fsys.Publish(ctx, "z/published", []byte("published")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"z/created", "z/published"} {
		if ok, err := fsys.Sealed(ctx, name); !ok || err != nil {
			t.Errorf("Sealed(%s) = %v, %v; want true", name, ok, err)
		}
		if got := read(t, ctx, fsys, name); len(got) == 0 {
			t.Errorf("Sealed changed %s: now empty", name)
		}
	}
	if _, err := fsys.Sealed(ctx, "z/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Sealed(missing): %v, want fs.ErrNotExist", err)
	}
}

func write(t *testing.T, ctx context.Context, fsys lake.FS, name string, data []byte) {
	t.Helper()
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

func read(t *testing.T, ctx context.Context, fsys lake.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(ctx, name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// assertOnly checks that dir holds exactly the given names: no temporary file
// was left behind.
func assertOnly(t *testing.T, ctx context.Context, fsys lake.FS, dir string, want ...string) {
	t.Helper()
	infos, err := fsys.ReadDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(infos); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

func names(infos []fs.FileInfo) []string {
	var s []string
	for _, fi := range infos {
		s = append(s, fi.Name())
	}
	return s
}
