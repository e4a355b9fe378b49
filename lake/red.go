package lake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/google/uuid"

	"github.com/releaselake/releaselake"
)

// RedPath returns where AppendRed keeps the answers of one run and source:
// red/dt=<UTC day of at>/run=<runID>/<source>.jsonl.
func RedPath(runID string, at time.Time, source string) string {
	return fmt.Sprintf("%s/dt=%s/run=%s/%s.jsonl", redDir, at.UTC().Format(time.DateOnly), runID, source)
}

// AppendRed implements releaselake.Lake. The file appears whole or not at all
// (it is written to a temporary name starting with ".", which readers skip,
// and renamed into place; on HDFS a failed write is redone into a new
// temporary file), so a run killed while writing leaves no partial answers.
// It is never replaced: a second call for the same run, day and source fails
// with class Conflict and leaves the first file as it was (two calls racing
// for one name are not told apart: run ids are unique to a run, and a run
// writes each source once). runID and source must match [0-9A-Za-z_-]+
// (class Invalid otherwise). A line holding line breaks (pretty-printed JSON)
// is compacted onto one line; one that is not JSON then is refused as Invalid.
func (s *Store) AppendRed(ctx context.Context, runID string, at time.Time, source string, lines [][]byte) error {
	name := RedPath(runID, at, source)
	if err := validID("run id", runID); err != nil {
		return boundary(err, "append red")
	}
	if err := validID("source", source); err != nil {
		return boundary(err, "append red")
	}
	data, err := jsonLines(lines)
	if err != nil {
		return boundary(err, "append red %s", name)
	}
	if _, err := s.fs.Stat(ctx, name); err == nil {
		return boundary(releaselake.Wrap(releaselake.Conflict, fs.ErrExist, "red file exists"), "append red %s", name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return boundary(err, "append red %s", name)
	}
	dir := path.Dir(name)
	err = s.writeAndRename(ctx, dir, "."+path.Base(name)+".tmp-"+uuid.NewString(), name, data)
	return boundary(err, "append red %s", name)
}

// jsonLines joins documents into JSON lines.
func jsonLines(lines [][]byte) ([]byte, error) {
	var buf bytes.Buffer
	for i, line := range lines {
		if bytes.ContainsAny(line, "\r\n") {
			// JSON strings cannot hold raw line breaks, so compacting removes them all.
			if err := json.Compact(&buf, line); err != nil {
				return nil, releaselake.Wrap(releaselake.Invalid, err, fmt.Sprintf("line %d spans lines and is not JSON", i+1))
			}
		} else {
			buf.Write(line)
		}
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// WriteRed is AppendRed for a source's answers too many to hold in memory:
// write streams the lines (one JSON document a line, each ending in a line
// break) into the file. It may be called more than once, when a failed write
// is redone into a new file, and must write the same lines each time. The
// file appears whole or not at all, and never replaces one, as with AppendRed.
func (s *Store) WriteRed(ctx context.Context, runID string, at time.Time, source string, write func(io.Writer) error) error {
	name := RedPath(runID, at, source)
	if err := validID("run id", runID); err != nil {
		return boundary(err, "write red")
	}
	if err := validID("source", source); err != nil {
		return boundary(err, "write red")
	}
	if _, err := s.fs.Stat(ctx, name); err == nil {
		return boundary(releaselake.Wrap(releaselake.Conflict, fs.ErrExist, "red file exists"), "write red %s", name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return boundary(err, "write red %s", name)
	}
	dir, tmp := path.Dir(name), "."+path.Base(name)+".tmp-"+uuid.NewString()
	staged, err := s.streamRetrying(ctx, func(attempt int) string { return fmt.Sprintf("%s/%s-%d", dir, tmp, attempt) },
		func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<20)
			if err := write(bw); err != nil {
				return err
			}
			return bw.Flush()
		})
	if err != nil {
		return boundary(err, "write red %s", name)
	}
	if err := s.fs.Rename(ctx, staged, name); err != nil {
		s.removeOrphan(ctx, staged)
		return boundary(err, "write red %s", name)
	}
	return nil
}
