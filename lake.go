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

// CommitInfo describes a commit in the Delta log's commitInfo action, and
// what the caller knows of the version it commits on.
type CommitInfo struct {
	RunID     string
	Operation string // e.g. "INGEST"
	At        time.Time
	// Base is optional: the rows of version base as the caller read them
	// (Snapshot.Releases). A lake that writes only what changed may use them,
	// once checked against what it stored, instead of reading base again to
	// tell what changed; wrong or partial rows cost it that read, never a
	// wrong commit. It is only read.
	Base []Release
}

// Lake is the release lake: the red table of raw upstream answers, the yellow Delta
// table of release rows, and the run records.
type Lake interface {
	// AppendRed stores raw upstream answers (one JSON document per line) of one run
	// and source under red/dt=<day of at>/run=<runID>/<source>.jsonl. Never edits an
	// existing file.
	AppendRed(ctx context.Context, runID string, at time.Time, source string, lines [][]byte) error
	// RedRuns lists the runs in the red table, oldest first (run ids sort by time),
	// with the sources each kept answers of.
	RedRuns(ctx context.Context) ([]RedRun, error)
	// ReadRed returns the lines of one run's red file for source.
	ReadRed(ctx context.Context, run RedRun, source string) ([][]byte, error)
	// Head returns the newest committed version, NoVersion if there is none. It is
	// cheap enough to poll.
	Head(ctx context.Context) (int64, error)
	// Snapshot reads the newest committed version in full.
	Snapshot(ctx context.Context) (Snapshot, error)
	// SnapshotAt reads committed version v in full, as it was when committed
	// (time travel); v = NoVersion gives the empty snapshot. Class NotFound if v
	// is not committed, or can no longer be read because vacuum removed its
	// files (after the retention period, 7 days by default). Committed versions
	// never change, so callers may cache what it returns by version.
	SnapshotAt(ctx context.Context, v int64) (Snapshot, error)
	// VersionAsOf returns the newest version committed at or before t (by its
	// commit time, as Snapshot.CommittedAt gives it), NoVersion if none was:
	// "what did the lake know at t". Pass the result to SnapshotAt.
	VersionAsOf(ctx context.Context, t time.Time) (int64, error)
	// Commit writes rows as the complete new state on top of version base and
	// returns the new version. It returns an error of class Conflict if another
	// writer committed base+1 first. On an error the table stays at base, except
	// when the file system failed so that the outcome could not be read back (the
	// error says so): then base+1 with these rows may still appear, so callers
	// read the head again before their next commit.
	Commit(ctx context.Context, base int64, rows []Release, info CommitInfo) (int64, error)
	// ReadState returns the crawl state saved under name (e.g. "github/react"),
	// nil and no error if there is none.
	ReadState(ctx context.Context, name string) ([]byte, error)
	// Claim creates the marker _locks/<name> if nobody has; true if this call did.
	// Replicas claim a schedule tick so that one of them runs it.
	Claim(ctx context.Context, name string) (bool, error)
	// AcquireLease takes the lease name for owner for ttl, unless another owner
	// holds it unexpired: then it returns an error of class Conflict saying who
	// and until when. A lease left by a dead process is taken over once expired.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (Lease, error)
	// WriteState replaces the crawl state saved under name, atomically. The ingest
	// writes it only after the commit that holds the rows it describes.
	WriteState(ctx context.Context, name string, data []byte) error
	// SaveRun writes (or overwrites) the record of a run under _runs/<id>.json.
	SaveRun(ctx context.Context, run Run) error
	// Runs returns up to last run records, newest first.
	Runs(ctx context.Context, last int) ([]Run, error)
}

// Lease is a held lease (see Lake.AcquireLease).
type Lease interface {
	// Renew extends the lease by its ttl from now; it fails if the lease was lost
	// (it expired and another owner took it over).
	Renew(ctx context.Context) error
	// Release gives the lease up.
	Release(ctx context.Context) error
}

// RedRun is one run's part of the red table.
type RedRun struct {
	ID      string
	Day     string   // the dt= partition, YYYY-MM-DD
	Sources []string // sources with a file in the run, sorted
}
