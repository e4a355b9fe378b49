package lake

import (
	"context"
	"io"
	"io/fs"
)

// FS is the file system a lake lives on: local disk (lake/localfs) or HDFS
// (lake/hdfs). It holds only what the lake needs, and each promise below is one
// both backends can keep; lake/laketest checks them.
//
// Names are slash-separated paths relative to the lake's root, as accepted by
// io/fs.ValidPath ("yellow/_delta_log/00000000000000000000.json"); "." is the
// root. Other names are refused with an error. A missing file or directory is
// reported with an error for which errors.Is(err, fs.ErrNotExist) holds, an
// existing one where none may exist with errors.Is(err, fs.ErrExist).
//
// Every method returns ctx.Err() if ctx is done before it starts; backends whose
// client takes no context (HDFS) may not stop an operation already under way.
// An FS is safe for concurrent use.
type FS interface {
	// Open opens a file for reading.
	Open(ctx context.Context, name string) (File, error)

	// Create creates a new file for writing, with any missing parent
	// directories. It fails with fs.ErrExist if name exists, so two writers
	// never share a file. What is written may be visible to readers before
	// Close (it is on HDFS), so Create suits names nobody reads yet; use Publish
	// for a name that must appear complete. If writing or closing fails the
	// file is left behind and the caller removes it.
	Create(ctx context.Context, name string) (Writer, error)

	// Publish makes a file holding exactly data appear under name, only if no
	// file has that name: it fails with fs.ErrExist if one does, leaving it
	// untouched. Of several concurrent publishers of one name exactly one
	// succeeds. Missing parent directories are created. It returns once data is
	// durable.
	//
	// The name appears at once with its whole content (local disk: a synced
	// temporary file linked to name), or, where the backend cannot do that,
	// the name is claimed exclusively and filled (HDFS Create), so that a
	// reader may see a prefix of data and must treat an incomplete file as not
	// there yet. Publish removes its temporary files whether it succeeds or
	// fails. An error other than fs.ErrExist may leave name published
	// (the link was made but syncing its directory failed), or, on a backend
	// that claims and fills, claimed by an incomplete file that may still
	// complete once the backend settles it (see Sealed): a caller that must
	// know reads name back.
	Publish(ctx context.Context, name string, data []byte) error

	// Rename moves oldname to newname in one atomic step, replacing newname if
	// it exists (HDFS's Rename always replaces, so local disk does too). The
	// parent of newname must exist.
	Rename(ctx context.Context, oldname, newname string) error

	// Remove removes a file or an empty directory.
	Remove(ctx context.Context, name string) error

	// ReadDir lists a directory's entries (files and directories, the
	// backend's own temporary files included), sorted by name.
	ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error)

	// Stat describes a file or directory.
	Stat(ctx context.Context, name string) (fs.FileInfo, error)

	// MkdirAll creates a directory and any missing parents; an existing
	// directory is not an error.
	MkdirAll(ctx context.Context, name string) error

	// Sealed reports whether a file's content is final: nobody can write to
	// it any more. A file made by Publish or by a closed Writer is sealed. On
	// local disk every file is; on HDFS a file is not while its writer holds
	// it open, which after the writer died lasts until the NameNode recovers
	// the writer's lease (asking starts that once the lease's soft limit has
	// passed). The lake uses it to tell a log entry being written from one
	// abandoned half-written, which may then be replaced.
	Sealed(ctx context.Context, name string) (bool, error)
}

// File is a file open for reading. ReadAt may be used concurrently with itself.
type File interface {
	io.Reader
	io.ReaderAt
	io.Closer
	// Size is the file's length in bytes when it was opened.
	Size() int64
}

// Writer is a new file being written. Close returns nil only once everything
// written is durable (local disk: fsync; HDFS: Close, retried while the
// NameNode answers ErrReplicating).
type Writer interface {
	io.Writer
	io.Closer
}
