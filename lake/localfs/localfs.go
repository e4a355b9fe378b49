// Package localfs implements lake.FS over a directory on the local disk, the
// default home of the lake.
package localfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/releaselake/releaselake/lake"
)

var _ lake.FS = (*FS)(nil)

// FS is a lake.FS rooted at a directory of the local disk.
type FS struct {
	root string
}

// New returns an FS rooted at dir. The directory is created on the first write
// if it does not exist.
func New(dir string) *FS { return &FS{root: dir} }

// Root returns the directory the FS is rooted at.
func (f *FS) Root() string { return f.root }

// path maps a lake name to a local path, refusing names outside the root.
func (f *FS) path(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(f.root, filepath.FromSlash(name)), nil
}

// Open implements lake.FS.
func (f *FS) Open(ctx context.Context, name string) (lake.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := f.path("open", name)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if info.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
	}
	return &readFile{File: file, size: info.Size()}, nil
}

type readFile struct {
	*os.File
	size int64
}

func (r *readFile) Size() int64 { return r.size }

// Create implements lake.FS.
func (f *FS) Create(ctx context.Context, name string) (lake.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := f.path("create", name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(p)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if statErr != nil { // made now: its entry in its parent must survive a power loss too
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return nil, err
		}
	}
	file, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &writeFile{File: file, dir: dir}, nil
}

// writeFile syncs the file and then its directory before closing is done, so
// that Close means durable: a file written straight to its final name (a
// change data file, named by a log entry published after Close) is there
// after a power loss, not only its bytes.
type writeFile struct {
	*os.File
	dir string
}

func (w *writeFile) Close() error {
	serr := w.File.Sync()
	cerr := w.File.Close()
	if serr != nil {
		return serr
	}
	if cerr != nil {
		return cerr
	}
	return syncDir(w.dir)
}

// Publish implements lake.FS: it writes data to a temporary file beside name,
// syncs it, and hard-links it to name (link(2) fails if name exists, unlike
// rename(2)), then removes the temporary name.
func (f *FS) Publish(ctx context.Context, name string, data []byte) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := f.path("publish", name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // the temporary name goes, whether linked or not
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		return err // *LinkError; errors.Is(err, fs.ErrExist) when name exists
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("published %s but could not sync its directory: %w", name, err)
	}
	return nil
}

// Rename implements lake.FS.
func (f *FS) Rename(ctx context.Context, oldname, newname string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op, err := f.path("rename", oldname)
	if err != nil {
		return err
	}
	np, err := f.path("rename", newname)
	if err != nil {
		return err
	}
	if err := os.Rename(op, np); err != nil {
		return err
	}
	return syncDir(filepath.Dir(np))
}

// Remove implements lake.FS.
func (f *FS) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := f.path("remove", name)
	if err != nil {
		return err
	}
	if name == "." {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrInvalid}
	}
	return os.Remove(p)
}

// ReadDir implements lake.FS.
func (f *FS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := f.path("readdir", name)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing: not there
		}
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, nil
}

// Stat implements lake.FS.
func (f *FS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := f.path("stat", name)
	if err != nil {
		return nil, err
	}
	return os.Stat(p)
}

// MkdirAll implements lake.FS.
func (f *FS) MkdirAll(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := f.path("mkdir", name)
	if err != nil {
		return err
	}
	return os.MkdirAll(p, 0o755)
}

// syncDir makes a directory's entries (a new link, a rename) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Sealed implements lake.FS: a file on local disk is final once it exists,
// since Publish links complete files and Writers are not shared.
func (f *FS) Sealed(ctx context.Context, name string) (bool, error) {
	fi, err := f.Stat(ctx, name)
	if err != nil {
		return false, err
	}
	if fi.IsDir() {
		return false, &fs.PathError{Op: "sealed", Path: name, Err: errors.New("is a directory")}
	}
	return true, nil
}
