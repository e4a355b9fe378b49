package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Locks live under _locks/: a claim is one file, created exclusively; a lease is
// a directory of generations <gen>.json, the highest being the current holder's.
// Taking a lease publishes the next generation exclusively, so of two processes
// that find the same expired lease only one takes it over; no rename (which on
// HDFS overwrites) decides who holds it.
const locksDir = "_locks"

var _ releaselake.Lease = (*lease)(nil)

// Claim implements releaselake.Lake.
func (s *Store) Claim(ctx context.Context, name string) (bool, error) {
	if err := validID("claim", name); err != nil {
		return false, boundary(err, "claim")
	}
	body := fmt.Sprintf("{\"at\":%q}\n", s.now().UTC().Format(time.RFC3339))
	err := s.fs.Publish(ctx, locksDir+"/"+name, []byte(body))
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, boundary(err, "claim %s", name)
	}
	return true, nil
}

type leaseRecord struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

type lease struct {
	s          *Store
	dir, owner string
	gen        int64
	ttl        time.Duration
}

// AcquireLease implements releaselake.Lake.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (releaselake.Lease, error) {
	if err := validID("lease", name); err != nil {
		return nil, boundary(err, "acquire lease")
	}
	dir := locksDir + "/" + name
	gen, cur, err := s.topLease(ctx, dir)
	if err != nil {
		return nil, boundary(err, "acquire lease %s", name)
	}
	now := s.now()
	if cur != nil && cur.Owner != owner && now.Before(cur.Expires) {
		return nil, releaselake.Errorf(releaselake.Conflict, "lease %s is held by %s until %s", name, cur.Owner, cur.Expires.UTC().Format(time.RFC3339))
	}
	l := &lease{s: s, dir: dir, owner: owner, gen: gen + 1, ttl: ttl}
	data, _ := json.Marshal(leaseRecord{Owner: owner, Expires: now.Add(ttl)})
	if err := s.fs.Publish(ctx, l.path(), data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, releaselake.Errorf(releaselake.Conflict, "lease %s was taken by another process first", name)
		}
		return nil, boundary(err, "acquire lease %s", name)
	}
	// A process that read the directory before an older generation was cleaned
	// away may have published that generation again: only the highest holds.
	if top, _, err := s.topLease(ctx, dir); err != nil || top != l.gen {
		s.fs.Remove(context.WithoutCancel(ctx), l.path())
		if err != nil {
			return nil, boundary(err, "acquire lease %s", name)
		}
		return nil, releaselake.Errorf(releaselake.Conflict, "lease %s was taken by another process first", name)
	}
	// Older generations are history now.
	if infos, err := s.fs.ReadDir(ctx, dir); err == nil {
		for _, fi := range infos {
			if g, ok := leaseGen(fi.Name()); ok && g < l.gen {
				s.fs.Remove(ctx, dir+"/"+fi.Name())
			}
		}
	}
	return l, nil
}

func (l *lease) path() string { return fmt.Sprintf("%s/%010d.json", l.dir, l.gen) }

// Renew implements releaselake.Lease.
func (l *lease) Renew(ctx context.Context) error {
	gen, cur, err := l.s.topLease(ctx, l.dir)
	if err != nil {
		return boundary(err, "renew lease %s", l.dir)
	}
	if gen != l.gen || cur == nil || cur.Owner != l.owner {
		return releaselake.Errorf(releaselake.Conflict, "lease %s was lost: it expired and another process took it", l.dir)
	}
	data, _ := json.Marshal(leaseRecord{Owner: l.owner, Expires: l.s.now().Add(l.ttl)})
	return boundary(l.s.replace(ctx, l.dir, fmt.Sprintf("%010d.json", l.gen), data), "renew lease %s", l.dir)
}

// Release implements releaselake.Lease.
func (l *lease) Release(ctx context.Context) error {
	gen, _, err := l.s.topLease(ctx, l.dir)
	if err != nil || gen != l.gen {
		return boundary(err, "release lease %s", l.dir)
	}
	return boundary(l.s.fs.Remove(ctx, l.path()), "release lease %s", l.dir)
}

// writingTTL is how long a lease generation that cannot be read yet holds
// the lease, from its file's modification time: on HDFS, Publish claims the
// name and then fills it, so a reader may find the file of a process that is
// still writing it. Taken as free (as it once was), a second process could
// take the next generation while the first, once its write completed, found
// itself on top and went on: both held the lease (two replicas ran the first
// ingest between them). Past writingTTL its writer is taken for dead.
const writingTTL = time.Minute

// topLease returns the highest generation in dir and its record: nil when
// there is none; when it cannot be read, one held by a process still writing
// it until writingTTL after the file was last modified.
func (s *Store) topLease(ctx context.Context, dir string) (int64, *leaseRecord, error) {
	infos, err := s.fs.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	top, gen := fs.FileInfo(nil), int64(-1)
	for _, fi := range infos {
		if g, ok := leaseGen(fi.Name()); ok && g > gen {
			top, gen = fi, g
		}
	}
	if top == nil {
		return -1, nil, nil
	}
	writing := &leaseRecord{Owner: "a process still writing its lease file", Expires: top.ModTime().Add(writingTTL)}
	f, err := s.fs.Open(ctx, fmt.Sprintf("%s/%010d.json", dir, gen))
	if errors.Is(err, fs.ErrNotExist) {
		return gen, nil, nil // released since the listing
	}
	if err != nil {
		return gen, writing, nil
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	var rec leaseRecord
	if err != nil || json.Unmarshal(data, &rec) != nil {
		return gen, writing, nil
	}
	return gen, &rec, nil
}

func leaseGen(name string) (int64, bool) {
	base, ok := strings.CutSuffix(name, ".json")
	if !ok || strings.HasPrefix(base, ".") {
		return 0, false
	}
	g, err := strconv.ParseInt(base, 10, 64)
	return g, err == nil
}
