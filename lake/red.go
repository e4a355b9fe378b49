package lake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/releaselake/releaselake"
)

// RedPath returns where AppendRed keeps the answers of one run and source:
// red/dt=<UTC day of at>/run=<runID>/<source>.jsonl.
func RedPath(runID string, at time.Time, source string) string {
	return fmt.Sprintf("%s/dt=%s/run=%s/%s.jsonl", redDir, at.UTC().Format(time.DateOnly), runID, source)
}

// AppendRed implements releaselake.Lake. The file is published whole and never
// replaced: a second call for the same run, day and source fails with class
// Conflict and leaves the first file as it was. runID and source must match
// [0-9A-Za-z_-]+ (class Invalid otherwise). A line holding line breaks (pretty-
// printed JSON) is compacted onto one line; one that is not JSON then is
// refused as Invalid.
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
	err = s.fs.Publish(ctx, name, data)
	if errors.Is(err, fs.ErrExist) {
		err = releaselake.Wrap(releaselake.Conflict, err, "red file exists")
	}
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
