package lake

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// asOfMemoTTL is how long VersionAsOf may answer from one listing of the log
// when nothing this Store did (a Head, which serving's poll calls, or a
// commit) has seen a newer version: an attacker sending one distinct asOf a
// request would otherwise list the log (a NameNode call on HDFS) each time.
const asOfMemoTTL = 10 * time.Second

// asOfMemo keeps the commit times of one listing of the log for VersionAsOf.
// Committed versions never change their time, so only versions newer than
// the listing can be missing from it: they are looked for when a Head or a
// commit has seen one, or after asOfMemoTTL.
type asOfMemo struct {
	seen atomic.Int64 // the newest head a listing or commit of this Store found

	mu     sync.Mutex // held while listing, so concurrent askers list once
	head   int64
	times  []commitTime
	listed time.Time // zero: nothing listed yet
}

// sawHead notes a head version a listing or commit found.
func (m *asOfMemo) sawHead(v int64) {
	for {
		old := m.seen.Load()
		if v <= old || m.seen.CompareAndSwap(old, v) {
			return
		}
	}
}

// memoCommitTimes returns the commit times of every version up to the head, from
// the memo when it is current.
func (s *Store) memoCommitTimes(ctx context.Context) ([]commitTime, error) {
	m := &s.asOf
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.listed.IsZero() && m.head >= m.seen.Load() && time.Since(m.listed) < asOfMemoTTL {
		return m.times, nil
	}
	head, lst, err := s.head(ctx)
	if err != nil || head < 0 {
		return nil, err
	}
	times, err := s.commitTimes(ctx, lst, head)
	if err != nil {
		return nil, err
	}
	m.head, m.times, m.listed = head, times, time.Now()
	return times, nil
}
