package lake

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// Observer is told of every file-system operation: its name, how long it took,
// and whether it failed (a missing file, or an existing one for Publish, is an
// answer, not a failure).
type Observer func(op string, d time.Duration, failed bool)

// Instrument returns fsys with every call reported to observe (for metrics).
func Instrument(fsys FS, observe Observer) FS { return &instrumented{fsys, observe} }

type instrumented struct {
	fs      FS
	observe Observer
}

func (i *instrumented) done(op string, start time.Time, err error) {
	failed := err != nil && !errors.Is(err, fs.ErrNotExist) && !(op == "publish" && errors.Is(err, fs.ErrExist))
	i.observe(op, time.Since(start), failed)
}

func (i *instrumented) Open(ctx context.Context, name string) (f File, err error) {
	defer func(start time.Time) { i.done("open", start, err) }(time.Now())
	return i.fs.Open(ctx, name)
}

func (i *instrumented) Create(ctx context.Context, name string) (w Writer, err error) {
	defer func(start time.Time) { i.done("create", start, err) }(time.Now())
	return i.fs.Create(ctx, name)
}

func (i *instrumented) Publish(ctx context.Context, name string, data []byte) (err error) {
	defer func(start time.Time) { i.done("publish", start, err) }(time.Now())
	return i.fs.Publish(ctx, name, data)
}

func (i *instrumented) Rename(ctx context.Context, oldname, newname string) (err error) {
	defer func(start time.Time) { i.done("rename", start, err) }(time.Now())
	return i.fs.Rename(ctx, oldname, newname)
}

func (i *instrumented) Remove(ctx context.Context, name string) (err error) {
	defer func(start time.Time) { i.done("remove", start, err) }(time.Now())
	return i.fs.Remove(ctx, name)
}

func (i *instrumented) ReadDir(ctx context.Context, name string) (infos []fs.FileInfo, err error) {
	defer func(start time.Time) { i.done("readdir", start, err) }(time.Now())
	return i.fs.ReadDir(ctx, name)
}

func (i *instrumented) Stat(ctx context.Context, name string) (info fs.FileInfo, err error) {
	defer func(start time.Time) { i.done("stat", start, err) }(time.Now())
	return i.fs.Stat(ctx, name)
}

func (i *instrumented) MkdirAll(ctx context.Context, name string) (err error) {
	defer func(start time.Time) { i.done("mkdirall", start, err) }(time.Now())
	return i.fs.MkdirAll(ctx, name)
}

func (i *instrumented) Sealed(ctx context.Context, name string) (ok bool, err error) {
	defer func(start time.Time) { i.done("sealed", start, err) }(time.Now())
	return i.fs.Sealed(ctx, name)
}

// Close closes the wrapped file system if it holds connections (HDFS).
func (i *instrumented) Close() error {
	if c, ok := i.fs.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
