package page

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
)

// Pusher POSTs snapshots to a page server's /api/snapshot, signed, retrying a
// push that did not reach the server or met a server error (5xx, 408, 429) a
// bounded number of times with doubling waits. A refusal (any other 4xx) is not
// retried: sending the same thing again would be refused again.
type Pusher struct {
	URL      string       // page server base URL, e.g. https://releases.example.org
	Secret   []byte       // shared HMAC secret
	Client   *http.Client // defaults to one with a 30 s timeout per attempt
	Attempts int          // defaults to 4
	Backoff  time.Duration
	Now      func() time.Time                                 // defaults to time.Now
	Sleep    func(ctx context.Context, d time.Duration) error // defaults to a timer; tests make it instant
	// Observe, if set, is told of every push's outcome (for metrics).
	Observe func(releaselake.PushResult)
}

// Defaults of Pusher.
const (
	DefaultAttempts = 4
	DefaultBackoff  = 500 * time.Millisecond // then 1 s, 2 s
)

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// Push sends s and reports the outcome; it does not return an error because
// every outcome, a failure included, is a PushResult.
func (p *Pusher) Push(ctx context.Context, s *Snapshot) releaselake.PushResult {
	res := p.push(ctx, s)
	if p.Observe != nil {
		p.Observe(res)
	}
	return res
}

func (p *Pusher) push(ctx context.Context, s *Snapshot) releaselake.PushResult {
	res := releaselake.PushResult{Version: s.Version}
	body, err := s.Encode()
	if err != nil {
		res.Message, res.At = "encode snapshot: "+err.Error(), p.now()
		return res
	}
	attempts, wait := p.Attempts, p.Backoff
	if attempts < 1 {
		attempts = DefaultAttempts
	}
	if wait <= 0 {
		wait = DefaultBackoff
	}
	var last string
	for i := 1; ; i++ {
		status, msg, retry := p.attempt(ctx, body)
		res.Status = status
		if status == http.StatusOK {
			res.Pushed, res.Message, res.At = true, msg, p.now()
			return res
		}
		last = msg
		if !retry || i == attempts || ctx.Err() != nil {
			break
		}
		if err := p.sleep(ctx, wait); err != nil {
			break
		}
		wait *= 2
	}
	switch {
	case res.Status == 0:
		res.Message = fmt.Sprintf("page server not reached (%d attempts): %s", attempts, last)
	case res.Status >= 500 || res.Status == http.StatusTooManyRequests || res.Status == http.StatusRequestTimeout:
		res.Message = fmt.Sprintf("page server failed (%d attempts): %s", attempts, last)
	default:
		res.Message = "page server refused the push: " + last
	}
	res.At = p.now()
	return res
}

// attempt makes one signed POST. It returns the HTTP status (0 if there was no
// answer), what happened, and whether trying again may help.
func (p *Pusher) attempt(ctx context.Context, body []byte) (int, string, bool) {
	// User info authenticates the push and is named in no error.
	bare, user := releaselake.SplitUserInfo(p.URL)
	url := strings.TrimSuffix(bare, "/") + "/api/snapshot"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error(), false
	}
	if user != nil {
		pw, _ := user.Password()
		req.SetBasicAuth(user.Username(), pw)
	}
	ts := p.stamp()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, Stamp(ts))
	req.Header.Set(HeaderSignature, Sign(p.Secret, ts, body))
	client := p.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error(), true
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var r PushReply
	json.Unmarshal(raw, &r)
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp.StatusCode, fmt.Sprintf("page server has version %d (%s)", r.Version, r.Status), false
	case r.Error != "":
		return resp.StatusCode, fmt.Sprintf("%s: %s", resp.Status, r.Error), retryable(resp.StatusCode)
	default:
		return resp.StatusCode, fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(raw))), retryable(resp.StatusCode)
	}
}

func retryable(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

func (p *Pusher) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// lastStamp is the last push timestamp of this process, in Unix milliseconds.
var lastStamp atomic.Int64

// stamp returns the time to sign a push with: now, but never a millisecond used
// before by this process, so no two pushes share a signature.
func (p *Pusher) stamp() time.Time {
	for {
		now := p.now()
		last := lastStamp.Load()
		ms := max(now.UnixMilli(), last+1)
		if lastStamp.CompareAndSwap(last, ms) {
			return time.UnixMilli(ms).UTC()
		}
	}
}

func (p *Pusher) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StateStore is where the Sender remembers what it pushed; the lake's crawl
// state (releaselake.Lake) meets it.
type StateStore interface {
	ReadState(ctx context.Context, name string) ([]byte, error)
	WriteState(ctx context.Context, name string, data []byte) error
}

var _ StateStore = releaselake.Lake(nil)

// StateName is the name of the Sender's state in the StateStore.
const StateName = "page/push"

// PushState is what the Sender remembers of its last push.
type PushState struct {
	Version int64     `json:"version"`
	Hash    string    `json:"hash"` // Snapshot.Hash of what was pushed (or attempted)
	Pushed  bool      `json:"pushed"`
	Status  int       `json:"status"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// Sender is the send step: it pushes the current snapshot when the page server
// does not have it yet, and remembers in its StateStore what it pushed, so that
// a push that failed is made again by the next run.
type Sender struct {
	Pusher   *Pusher
	State    StateStore
	Snapshot func(ctx context.Context) (*Snapshot, error) // the current one; nil before the first commit

	mu sync.Mutex // one push at a time
}

// ErrNothingToPush is returned by Push when the lake has no committed version.
var ErrNothingToPush = releaselake.Errorf(releaselake.Unavailable, "nothing to push: the lake has no committed version yet")

// Send is the ingest's send step (ingest.Runner.Send): it pushes the current
// snapshot unless the last push, as remembered, delivered that same content. The
// error says why a needed push failed; the next Send tries again.
func (s *Sender) Send(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("read snapshot to push: %w", err)
	}
	if snap == nil {
		return nil
	}
	hash := snap.Hash()
	if st, err := s.state(ctx); err == nil && st.Pushed && st.Version == snap.Version && st.Hash == hash {
		return nil
	}
	res := s.push(ctx, snap, hash)
	if !res.Pushed {
		return errors.New(res.Message)
	}
	return nil
}

// Push pushes the current snapshot now, whether or not it was pushed before.
// The error is ErrNothingToPush or a failure to read the snapshot; a push that
// failed is a result with Pushed false.
func (s *Sender) Push(ctx context.Context) (releaselake.PushResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return releaselake.PushResult{}, fmt.Errorf("read snapshot to push: %w", err)
	}
	if snap == nil {
		return releaselake.PushResult{Version: releaselake.NoVersion}, ErrNothingToPush
	}
	return s.push(ctx, snap, snap.Hash()), nil
}

// LastPush returns what the Sender remembers of its last push; zero if none.
func (s *Sender) LastPush(ctx context.Context) (PushState, error) { return s.state(ctx) }

func (s *Sender) push(ctx context.Context, snap *Snapshot, hash string) releaselake.PushResult {
	res := s.Pusher.Push(ctx, snap)
	st := PushState{Version: snap.Version, Hash: hash, Pushed: res.Pushed, Status: res.Status, Message: res.Message, At: res.At}
	b, _ := json.Marshal(st)
	if err := s.State.WriteState(ctx, StateName, b); err != nil {
		// Not fatal: without the record the next run pushes again, which the page
		// server answers "unchanged".
		res.Message += fmt.Sprintf(" (could not remember it: %v)", err)
	}
	return res
}

func (s *Sender) state(ctx context.Context) (PushState, error) {
	var st PushState
	b, err := s.State.ReadState(ctx, StateName)
	if err != nil || b == nil {
		return st, err
	}
	err = json.Unmarshal(b, &st)
	return st, err
}
