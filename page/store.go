package page

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultKeep is how many snapshots a Store keeps.
const DefaultKeep = 5

// Store keeps the snapshots a page server received in one directory, as
// snapshot-<sequence>.json (the newest has the greatest sequence), each written
// atomically: a temporary file, fsynced, renamed into place, and the directory
// fsynced. It keeps the last few; a crash at any moment leaves the previous
// newest readable. replay.json holds the signatures seen recently, so a replay
// is refused after a restart too.
type Store struct {
	dir  string
	keep int
	seq  int64 // greatest sequence on disk
}

const (
	snapshotPrefix = "snapshot-"
	tmpPrefix      = ".tmp-"
	replayFile     = "replay.json"
)

// OpenStore opens (creating it if needed) the store in dir, keeping the last
// keep snapshots (DefaultKeep if keep < 1). It removes temporary files a crash
// left behind.
func OpenStore(dir string, keep int) (*Store, error) {
	if keep < 1 {
		keep = DefaultKeep
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("page store %s: %w", dir, err)
	}
	s := &Store{dir: dir, keep: keep}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("page store %s: %w", dir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	seqs, err := s.sequences()
	if err != nil {
		return nil, err
	}
	if len(seqs) > 0 {
		s.seq = seqs[len(seqs)-1]
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// sequences lists the sequences of the snapshot files, ascending.
func (s *Store) sequences() ([]int64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("page store %s: %w", s.dir, err)
	}
	var seqs []int64
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), snapshotPrefix)
		rest, ok2 := strings.CutSuffix(rest, ".json")
		if !ok || !ok2 {
			continue
		}
		if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n > 0 {
			seqs = append(seqs, n)
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

func (s *Store) path(seq int64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%s%012d.json", snapshotPrefix, seq))
}

// Latest returns the newest snapshot that reads and validates, nil if there is
// none. A file that does not (damaged by hand, say) is skipped with an error
// saying so, the next older one taking its place.
func (s *Store) Latest() (*Snapshot, error) {
	seqs, err := s.sequences()
	if err != nil {
		return nil, err
	}
	var bad []error
	for i := len(seqs) - 1; i >= 0; i-- {
		b, err := os.ReadFile(s.path(seqs[i]))
		if err == nil {
			var snap *Snapshot
			if snap, err = Decode(b); err == nil {
				return snap, errors.Join(bad...)
			}
		}
		bad = append(bad, fmt.Errorf("skipped %s: %w", filepath.Base(s.path(seqs[i])), err))
	}
	return nil, errors.Join(bad...)
}

// Save stores body, a validated snapshot's JSON, as the newest snapshot and
// removes all but the last keep.
func (s *Store) Save(body []byte) error {
	next := s.seq + 1
	if err := writeAtomic(s.dir, filepath.Base(s.path(next)), body); err != nil {
		return err
	}
	s.seq = next
	seqs, err := s.sequences()
	if err != nil {
		return nil // stored; pruning waits for the next save
	}
	for len(seqs) > s.keep {
		os.Remove(s.path(seqs[0]))
		seqs = seqs[1:]
	}
	return nil
}

// LoadSeen returns the recently seen signatures with their Unix timestamps.
func (s *Store) LoadSeen() (map[string]int64, error) {
	seen := map[string]int64{}
	b, err := os.ReadFile(filepath.Join(s.dir, replayFile))
	if errors.Is(err, os.ErrNotExist) {
		return seen, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &seen)
	}
	if err != nil {
		return map[string]int64{}, fmt.Errorf("page store: read %s: %w", replayFile, err)
	}
	return seen, nil
}

// SaveSeen replaces the recently seen signatures.
func (s *Store) SaveSeen(seen map[string]int64) error {
	b, err := json.Marshal(seen)
	if err != nil {
		return err
	}
	return writeAtomic(s.dir, replayFile, b)
}

// writeAtomic writes data to dir/name through a temporary file that is synced
// and renamed into place, then syncs the directory so the rename is durable.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tmpPrefix+name+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil // the file is in place; only the durability of the rename is unknown
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir of %s: %w", name, err)
	}
	return nil
}
