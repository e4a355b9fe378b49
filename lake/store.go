// Package lake keeps the release lake on a file system (FS): the red table of
// raw upstream answers, the yellow table of release rows as a Delta Lake table
// of Parquet files, and the run records. Store implements releaselake.Lake.
//
// Layout under the lake root:
//
//	red/dt=YYYY-MM-DD/run=<run-id>/<source>.jsonl         raw answers, never overwritten
//	yellow/_delta_log/%020d.json                          Delta log (reader 1 / writer 4: change data feed)
//	yellow/_delta_log/%020d.checkpoint.parquet            checkpoint every 10 versions
//	yellow/_delta_log/_last_checkpoint                    the newest checkpoint
//	yellow/part-%020d-<txn>-%05d-c%03d.snappy.parquet    data files (version, commit, file, attempt): files.go
//	yellow/_change_data/cdc-%020d-<txn>-c%03d.snappy.parquet  each commit's changed rows (cdf.go)
//	yellow/_staging/                                      data files being written
//	_runs/<run-id>.json                                   run records
//	_state/                                               crawl state
//
// A commit writes its data file under _staging (where no reader looks), closes
// it, renames it into yellow/ and then publishes the next log entry, which no
// two writers can both publish. See commit.go for what happens when any of
// these steps fails or the process dies, repair.go for log entries abandoned
// half-written, clean.go and vacuum.go for what removes leftovers.
package lake

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"github.com/releaselake/releaselake"
)

// Directories of the lake, relative to its root.
const (
	redDir    = "red"
	yellowDir = "yellow"
	runsDir   = "_runs"
)

var _ releaselake.Lake = (*Store)(nil)

// Store is the release lake on an FS. It holds no state of its own besides its
// options: every call reads what it needs, so several Stores (processes) may
// share a lake, and concurrent commits are settled by the log (one wins, the
// others get Conflict).
type Store struct {
	fs         FS
	now        func() time.Time
	log        *slog.Logger
	repairWait time.Duration
	retryWait  time.Duration // first back-off before redoing a failed write
	fileRows   int           // the most rows a data file holds, unless one product has more (files.go)

	entries entryCache // decoded complete log entries: they never change
	asOf    asOfMemo   // VersionAsOf's listing of the log
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the Store take the time from now (for file modification
// times, deletion timestamps, the table's creation time, and commits whose
// CommitInfo.At is zero). The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLogger makes the Store log what it does besides its answers: repairs
// of abandoned log entries, checkpoints and orphan cleanup that failed (they
// never fail a commit). The default discards them.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithRepairWait bounds how long a commit waits for a log entry that another
// writer claimed but has not finished: on HDFS a writer that died holds its
// file until the NameNode's lease soft limit (60 s by default) has passed.
// The default is 2 minutes; after it the commit fails with class Conflict.
func WithRepairWait(d time.Duration) Option { return func(s *Store) { s.repairWait = d } }

// WithFileRows sets the most rows a data file of yellow holds, unless one
// product alone has more (files.go); the default is 128Ki. Tests and
// benchmarks set it to lay a small table out in many files.
func WithFileRows(n int) Option { return func(s *Store) { s.fileRows = max(1, n) } }

// Open returns a Store over the lake at the root of fsys. It touches nothing:
// missing directories are created by the first write.
func Open(fsys FS, opts ...Option) *Store {
	s := &Store{fs: fsys, now: time.Now, log: slog.New(slog.DiscardHandler), repairWait: 2 * time.Minute,
		retryWait: 500 * time.Millisecond, fileRows: targetFileRows}
	for _, o := range opts {
		o(s)
	}
	return s
}

// FS returns the file system the Store works on.
func (s *Store) FS() FS { return s.fs }

// Close closes the file system if it holds connections (HDFS).
func (s *Store) Close() error {
	if c, ok := s.fs.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[0-9A-Za-z_-]+$`)

// validID checks a run id or source name used in a path: HDFS refuses ':' and
// the lake refuses anything that could leave its directory.
func validID(kind, id string) error {
	if !idPattern.MatchString(id) {
		return releaselake.Errorf(releaselake.Invalid, "%s %q: want only [0-9A-Za-z_-]", kind, id)
	}
	return nil
}

// boundary wraps err once at a Store method's edge: errors already classified
// (Conflict, Invalid, a corrupt log) keep their class, and anything else, an
// FS failure, is Unavailable.
func boundary(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	var e *releaselake.Error
	if errors.As(err, &e) {
		return fmt.Errorf("%s: %w", msg, err)
	}
	return releaselake.Wrap(releaselake.Unavailable, err, msg)
}

// millis is the Delta log's time format: milliseconds since the epoch.
func millis(t time.Time) int64 { return t.UnixMilli() }
