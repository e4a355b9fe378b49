package hdfs_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
)

type timedFS struct {
	lake.FS
	t *testing.T
}

func (f timedFS) log(op, name string, start time.Time, err error) {
	f.t.Logf("%s %s %s %v", op, name, time.Since(start).Round(time.Millisecond), err)
}
func (f timedFS) Open(ctx context.Context, name string) (lake.File, error) {
	s := time.Now()
	r, err := f.FS.Open(ctx, name)
	f.log("open", name, s, err)
	return r, err
}
func (f timedFS) Create(ctx context.Context, name string) (lake.Writer, error) {
	s := time.Now()
	r, err := f.FS.Create(ctx, name)
	f.log("create", name, s, err)
	return timedW{r, f, name}, err
}
func (f timedFS) Publish(ctx context.Context, name string, d []byte) error {
	s := time.Now()
	err := f.FS.Publish(ctx, name, d)
	f.log("publish", name, s, err)
	return err
}
func (f timedFS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	s := time.Now()
	r, err := f.FS.ReadDir(ctx, name)
	f.log("readdir", name, s, err)
	return r, err
}
func (f timedFS) Rename(ctx context.Context, a, b string) error {
	s := time.Now()
	err := f.FS.Rename(ctx, a, b)
	f.log("rename", a, s, err)
	return err
}
func (f timedFS) Remove(ctx context.Context, a string) error {
	s := time.Now()
	err := f.FS.Remove(ctx, a)
	f.log("remove", a, s, err)
	return err
}

type timedW struct {
	lake.Writer
	f    timedFS
	name string
}

func (w timedW) Write(p []byte) (int, error) {
	s := time.Now()
	n, err := w.Writer.Write(p)
	w.f.log("write", w.name, s, err)
	return n, err
}
func (w timedW) Close() error {
	s := time.Now()
	err := w.Writer.Close()
	w.f.log("close", w.name, s, err)
	return err
}

func TestDebugDeadDN(t *testing.T) {
	cluster := hdfstest.Control(t)
	lakeURL := hdfstest.Lake(t)
	ctx := context.Background()
	s := lake.Open(timedFS{open(t, lakeURL), t})
	if _, err := s.Commit(ctx, releaselake.NoVersion, rows(3, "v0"), releaselake.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	cluster.StopDataNode(1)
	t.Log("stopped")
	_, err := s.Commit(ctx, 0, rows(4, "v1"), releaselake.CommitInfo{})
	t.Log(err)
	cluster.StartDataNode(1)
}
