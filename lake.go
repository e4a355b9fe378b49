package releaselake

import (
	"context"
	"time"
)

// NoVersion is the Snapshot.Version of a lake that has never committed.
const NoVersion int64 = -1

// Snapshot is one committed version of the yellow table: the complete state.
type Snapshot struct {
	Version     int64     // Delta table version; NoVersion when nothing is committed yet
	CommittedAt time.Time // commit time (UTC); zero when Version is NoVersion
	Releases    []Release // exactly one row per (Product, Tag), in no promised order
}

// CommitInfo describes a commit in the Delta log's commitInfo action.
type CommitInfo struct {
	RunID     string
	Operation string // e.g. "INGEST"
	At        time.Time
}

// Lake is the release lake: the red table of raw upstream answers, the yellow Delta
// table of release rows, and the run records.
type Lake interface {
	// AppendRed stores raw upstream answers (one JSON document per line) of one run
	// and source under red/dt=<day of at>/run=<runID>/<source>.jsonl. Never edits an
	// existing file.
	AppendRed(ctx context.Context, runID string, at time.Time, source string, lines [][]byte) error
	// Head returns the newest committed version, NoVersion if there is none. It is
	// cheap enough to poll.
	Head(ctx context.Context) (int64, error)
	// Snapshot reads the newest committed version in full.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Commit writes rows as the complete new state on top of version base and
	// returns the new version. It returns an error of class Conflict if another
	// writer committed base+1 first; on any error the table stays at base.
	Commit(ctx context.Context, base int64, rows []Release, info CommitInfo) (int64, error)
	// ReadState returns the crawl state saved under name (e.g. "github/react"),
	// nil and no error if there is none.
	ReadState(ctx context.Context, name string) ([]byte, error)
	// WriteState replaces the crawl state saved under name, atomically. The ingest
	// writes it only after the commit that holds the rows it describes.
	WriteState(ctx context.Context, name string, data []byte) error
	// SaveRun writes (or overwrites) the record of a run under _runs/<id>.json.
	SaveRun(ctx context.Context, run Run) error
	// Runs returns up to last run records, newest first.
	Runs(ctx context.Context, last int) ([]Run, error)
}
