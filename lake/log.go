package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
)

// logListing is one listing of the log directory.
type logListing struct {
	entries     map[int64]fs.FileInfo // log entries by version
	versions    []int64               // versions with an entry, ascending
	checkpoints []int64               // versions with a checkpoint, ascending
	temps       []fs.FileInfo         // names starting with "." (temporary files)
}

func (s *Store) listLog(ctx context.Context) (*logListing, error) {
	lst := &logListing{entries: map[int64]fs.FileInfo{}}
	infos, err := s.fs.ReadDir(ctx, logDir)
	if errors.Is(err, fs.ErrNotExist) {
		return lst, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", logDir, err)
	}
	for _, fi := range infos {
		if fi.IsDir() {
			continue
		}
		if v, ok := parseEntryName(fi.Name()); ok {
			lst.entries[v] = fi
			lst.versions = append(lst.versions, v)
		} else if m := checkpointPattern.FindStringSubmatch(fi.Name()); m != nil {
			v, _ := parseEntryName(m[1] + ".json")
			lst.checkpoints = append(lst.checkpoints, v)
		} else if strings.HasPrefix(fi.Name(), ".") {
			lst.temps = append(lst.temps, fi)
		}
	}
	slices.Sort(lst.versions)
	slices.Sort(lst.checkpoints)
	return lst, nil
}

// Head implements releaselake.Lake: one listing of the log and, the first
// time a version is seen, one read of its entry.
//
// A version is committed when its log entry is complete (see decodeEntry).
// On local disk an entry appears whole, but on a backend whose Publish shows a
// file while it is being written (HDFS), or after a writer died there, the
// newest entry may be incomplete: Head then reports the version below it. Only
// the newest entry may be incomplete (a writer claims version v+1 only after
// reading v as the head); an incomplete one below it is a corrupt log. The
// next commit repairs an entry its writer abandoned (repair.go).
func (s *Store) Head(ctx context.Context) (int64, error) {
	v, _, err := s.head(ctx)
	if err != nil {
		return releaselake.NoVersion, boundary(err, "read yellow head")
	}
	return v, nil
}

func (s *Store) head(ctx context.Context) (int64, *logListing, error) {
	lst, err := s.listLog(ctx)
	if err != nil {
		return 0, nil, err
	}
	v, err := s.headOf(ctx, lst)
	if err == nil {
		s.asOf.sawHead(v)
	}
	return v, lst, err
}

// headOf returns the newest committed version of a listing.
func (s *Store) headOf(ctx context.Context, lst *logListing) (int64, error) {
	vs := lst.versions
	for i := len(vs) - 1; i >= 0 && i >= len(vs)-2; i-- {
		_, _, err := s.entry(ctx, lst, vs[i])
		if errors.Is(err, errIncomplete) && i == len(vs)-1 {
			continue // being written, or abandoned: not committed
		}
		if err != nil {
			return 0, err
		}
		return vs[i], nil
	}
	return releaselake.NoVersion, nil
}

// entry returns the decoded log entry of version v, from the cache when the
// listing shows the same file that was decoded before. An incomplete entry
// gives an error matching errIncomplete and classed Internal (callers that
// tolerate one test for errIncomplete first).
func (s *Store) entry(ctx context.Context, lst *logListing, v int64) ([]action, *commitInfo, error) {
	fi, ok := lst.entries[v]
	if !ok {
		return nil, nil, fmt.Errorf("log entry %d: %w", v, fs.ErrNotExist)
	}
	if e, ok := s.entries.get(v, fi); ok {
		return e.actions, e.info, nil
	}
	actions, info, err := s.readEntry(ctx, v)
	if err == nil {
		s.entries.put(v, fi, actions, info)
	}
	return actions, info, err
}

// readEntry reads and decodes the log entry of version v, bypassing the cache.
func (s *Store) readEntry(ctx context.Context, v int64) ([]action, *commitInfo, error) {
	data, err := s.readFile(ctx, entryName(v))
	if err != nil {
		return nil, nil, err
	}
	actions, info, err := decodeEntry(data)
	if err != nil {
		return nil, nil, releaselake.Wrap(releaselake.Internal, err, "corrupt log entry "+entryName(v))
	}
	return actions, info, nil
}

func (s *Store) readFile(ctx context.Context, name string) ([]byte, error) {
	f, err := s.fs.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

// entryCache keeps decoded complete log entries. A complete entry never
// changes, but a table can be deleted and made again under the same name, so
// an entry is only taken from the cache when its file's size and modification
// time are the ones it was decoded from.
type entryCache struct {
	mu sync.Mutex
	m  map[int64]cachedEntry
}

type cachedEntry struct {
	size    int64
	mod     time.Time
	actions []action
	info    *commitInfo
}

func (c *entryCache) get(v int64, fi fs.FileInfo) (cachedEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[v]
	if !ok || e.size != fi.Size() || !e.mod.Equal(fi.ModTime()) {
		return cachedEntry{}, false
	}
	return e, true
}

func (c *entryCache) put(v int64, fi fs.FileInfo, actions []action, info *commitInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]cachedEntry{}
	}
	c.m[v] = cachedEntry{size: fi.Size(), mod: fi.ModTime(), actions: actions, info: info}
}
