package lake

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"
)

// Writing files. On HDFS a write through a DataNode that died fails and the
// file cannot be finished; the NameNode stops choosing that DataNode only
// after a while. So every file the lake writes is written whole to a name of
// its own and closed; a failed write is removed and redone into a new name,
// backing off in between; only then is the file renamed where readers look.

// writeAttempts bounds how often a failed write is redone. With the back-off
// (0.5, 1, 2, 4, 8, 16 s, from Store.retryWait) it outlasts the time a
// NameNode that avoids stale DataNodes for writes
// (dfs.namenode.avoid.write.stale.datanode) takes to notice one died: the
// stale interval plus up to 5 s between its checks. A NameNode that does not
// avoid them keeps choosing a dead DataNode until it declares it dead
// (10.5 min by default): the write fails, cleanly.
const writeAttempts = 7

// writeRetrying writes data to a new file named name(attempt) and closes it,
// redoing a failed write into the next name. It returns the name written.
func (s *Store) writeRetrying(ctx context.Context, name func(attempt int) string, data []byte) (string, error) {
	return s.streamRetrying(ctx, name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// streamRetrying is writeRetrying for content made by write, which is called
// once per attempt and must write the same bytes each time.
func (s *Store) streamRetrying(ctx context.Context, name func(attempt int) string, write func(io.Writer) error) (string, error) {
	wait := s.retryWait
	for attempt := 0; ; attempt++ {
		n := name(attempt)
		err := s.streamFile(ctx, n, write)
		if err == nil {
			return n, nil
		}
		if attempt+1 >= writeAttempts || ctx.Err() != nil {
			return "", fmt.Errorf("%d attempts: %w", attempt+1, err)
		}
		s.log.Warn("lake: a write failed; writing a new file", "file", n, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return "", err
		}
		wait *= 2
	}
}

// streamFile writes what write writes to a new file and closes it; on failure
// the file is removed.
func (s *Store) streamFile(ctx context.Context, name string, write func(io.Writer) error) (err error) {
	w, err := s.fs.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			s.removeOrphan(ctx, name)
		}
	}()
	if err := write(w); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return nil
}

// writeAndRename writes data to a temporary file dir/tmp-<attempt> and renames
// it over target, replacing whatever is there.
func (s *Store) writeAndRename(ctx context.Context, dir, tmp, target string, data []byte) error {
	name, err := s.writeRetrying(ctx, func(attempt int) string { return fmt.Sprintf("%s/%s-%d", dir, tmp, attempt) }, data)
	if err != nil {
		return err
	}
	if err := s.fs.Rename(ctx, name, target); err != nil {
		s.removeOrphan(ctx, name)
		return err
	}
	return nil
}

// replace writes data to dir/name atomically: to a temporary name starting with
// "." (which readers ignore), then renamed over the final name, so a reader sees
// the old content or the new, never a part.
func (s *Store) replace(ctx context.Context, dir, name string, data []byte) error {
	return s.writeAndRename(ctx, dir, fmt.Sprintf(".%s.tmp-%s", name, uuid.NewString()), dir+"/"+name, data)
}
