package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/page"
)

// Bounds of one Deliver.
const (
	// MaxVersions is the most versions one run reads for a target; the rest
	// wait for the next run.
	MaxVersions = 50
	// MaxRows is the most change rows one read of the change feed holds; a
	// version that changed more (a rebuild, a large catalog's first ingest)
	// is skipped, logged.
	MaxRows = 10_000
	// PostTimeout bounds one POST, its answer included.
	PostTimeout = 10 * time.Second
	// RunTimeout bounds a run's deliveries to every target.
	RunTimeout = 2 * time.Minute
	// maxAnswer is how much of a receiver's answer is read, for the error.
	maxAnswer = 1024
)

// HeaderDelivery names a delivery, "<target id>-<version>": the same on a
// redelivery, so that a receiver can drop a duplicate.
const HeaderDelivery = "X-Releaselake-Delivery"

// Lake is what the Notifier needs of the lake: its head, its change feed,
// and state to remember deliveries in.
type Lake interface {
	releaselake.ChangeFeed
	Head(ctx context.Context) (int64, error)
	ReadState(ctx context.Context, name string) ([]byte, error)
	WriteState(ctx context.Context, name string, data []byte) error
}

// Observer is told of each delivery's outcome (metrics.Metrics is one).
type Observer interface {
	// WebhookTarget is told of each target at start.
	WebhookTarget(target string)
	// WebhookDelivery counts a POST: outcome delivered, refused (4xx) or failed.
	WebhookDelivery(target, outcome string)
	// WebhookUndelivered says how many versions target is behind the head.
	WebhookUndelivered(target string, versions int64)
}

// Notifier delivers the lake's new releases to its targets.
type Notifier struct {
	Targets  []Target
	Lake     Lake
	Client   *http.Client     // defaults to one that follows no redirect
	Timeout  time.Duration    // of one POST, its answer included; 0: PostTimeout
	Now      func() time.Time // defaults to time.Now
	Log      *slog.Logger     // nil discards
	Observer Observer         // nil: none
}

// State is what the lake remembers of a target: _state/webhooks/<id>.json.
// It holds neither the URL nor the secret.
type State struct {
	Delivered    int64     `json:"delivered"`             // every version up to this one is delivered (or had nothing to deliver)
	Failures     int       `json:"failures"`              // POSTs failed in a row
	FailingSince time.Time `json:"failingSince,omitzero"` // the first of them
	LastError    string    `json:"lastError,omitempty"`   // the last one's
	DeliveredAt  time.Time `json:"deliveredAt,omitzero"`  // the last 2xx
}

// StateName is the state name of target id (under _state/).
func StateName(id string) string { return "webhooks/" + id }

// Deliver sends every target the versions after the last it was delivered,
// oldest first, one POST per version with matching releases. committed is
// the version the run committed (releaselake.NoVersion if none): a target
// without state starts just before it (or at the head), never with the
// lake's first version, which adds every release ever published. The error
// names the targets that failed (the run logs and records it); the next
// run tries them again.
func (n *Notifier) Deliver(ctx context.Context, committed int64) error {
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	head, err := n.Lake.Head(ctx)
	if err != nil {
		return fmt.Errorf("read the lake's head: %w", err)
	}
	if head == releaselake.NoVersion {
		return nil
	}
	// Targets at once: one that never answers must not use up the others' time.
	failed := make([]string, len(n.Targets))
	var wg sync.WaitGroup
	for i, t := range n.Targets {
		wg.Go(func() {
			if err := n.target(ctx, t, head, committed); err != nil {
				failed[i] = fmt.Sprintf("webhook %s (%s): %v", t.ID, t.Host(), err)
			}
		})
	}
	wg.Wait()
	if failed = slices.DeleteFunc(failed, func(s string) bool { return s == "" }); len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

func (n *Notifier) target(ctx context.Context, t Target, head, committed int64) error {
	st, err := n.readState(ctx, t, head, committed)
	if err != nil {
		return err
	}
	defer func() {
		if n.Observer != nil {
			n.Observer.WebhookUndelivered(t.ID, max(head-st.Delivered, 0))
		}
	}()
	to := min(head, st.Delivered+MaxVersions)
	for st.Delivered < to {
		sets, err := n.changes(ctx, t, st.Delivered+1, to)
		if err != nil {
			return fmt.Errorf("read the change feed: %w", err)
		}
		for _, set := range sets {
			if err := n.version(ctx, t, &st, set); err != nil {
				return err
			}
		}
	}
	return n.writeState(ctx, t, st)
}

// stateTimeout bounds one write of a target's state.
const stateTimeout = 10 * time.Second

// version delivers one change set to t, if anything in it matches, and
// advances st past it.
func (n *Notifier) version(ctx context.Context, t Target, st *State, set releaselake.ChangeSet) error {
	if set.TooLarge {
		n.log().Warn("webhook skips a version that changed more rows than a read may hold", "target", t.ID, "version", set.Version, "max_rows", MaxRows)
	}
	body, ok := bodyOf(t, set)
	if !ok {
		st.Delivered = set.Version
		return nil
	}
	if err := n.post(ctx, t, body); err != nil {
		if st.Failures == 0 {
			st.FailingSince = n.now()
		}
		st.Failures++
		st.LastError = err.Error()
		if serr := n.writeState(ctx, t, *st); serr != nil {
			n.log().Warn("webhook failure not recorded", "target", t.ID, "err", serr)
		}
		return fmt.Errorf("version %d: %w (%d failures since %s)", set.Version, err, st.Failures, st.FailingSince.Format(time.RFC3339))
	}
	n.log().Info("webhook delivered", "target", t.ID, "host", t.Host(), "version", set.Version, "releases", len(body.Releases)+body.Omitted)
	st.Failures, st.FailingSince, st.LastError, st.DeliveredAt = 0, time.Time{}, "", n.now()
	st.Delivered = set.Version
	// Written after each 2xx: a crash now resends at most this version.
	return n.writeState(ctx, t, *st)
}

// changes returns change sets from from on, as many as one read of MaxRows
// rows gives (at least one). A version the feed cannot give (vacuumed, or
// committed before the change feed) is an empty set, logged.
func (n *Notifier) changes(ctx context.Context, t Target, from, to int64) ([]releaselake.ChangeSet, error) {
	sets, err := n.Lake.Changes(ctx, from, to, MaxRows)
	if releaselake.ClassOf(err) == releaselake.NotFound {
		// Read alone, the first version says whether it is the one missing.
		if sets, err = n.Lake.Changes(ctx, from, from, MaxRows); releaselake.ClassOf(err) == releaselake.NotFound {
			n.log().Warn("webhook skips a version the change feed cannot give", "target", t.ID, "version", from, "err", err)
			return []releaselake.ChangeSet{{Version: from}}, nil
		}
	}
	if err == nil && len(sets) == 0 {
		err = fmt.Errorf("no change set from version %d", from)
	}
	return sets, err
}

func (n *Notifier) readState(ctx context.Context, t Target, head, committed int64) (State, error) {
	b, err := n.Lake.ReadState(ctx, StateName(t.ID))
	if err != nil {
		return State{}, fmt.Errorf("read its state: %w", err)
	}
	if b == nil {
		start := head
		if committed != releaselake.NoVersion {
			start = committed - 1
		}
		return State{Delivered: max(start, 0)}, nil
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("read its state: %w", err)
	}
	return st, nil
}

func (n *Notifier) writeState(ctx context.Context, t Target, st State) error {
	// What was delivered is saved even when the run's time has just run out:
	// not saving it would send the version again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateTimeout)
	defer cancel()
	b, err := json.Marshal(st)
	if err == nil {
		err = n.Lake.WriteState(ctx, StateName(t.ID), b)
	}
	if err != nil {
		return fmt.Errorf("save its state: %w", err)
	}
	return nil
}

// post makes one POST of b to t; a network error, a 5xx, 408 or 429 is tried
// once more after a second.
func (n *Notifier) post(ctx context.Context, t Target, b Body) error {
	data, err := encode(t, b)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		status, err := n.attempt(ctx, t, b.Version, data)
		outcome := "delivered"
		switch {
		case err == nil:
		case status >= 300 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
			outcome = "refused" // sending it again now would be refused again
		default:
			outcome = "failed"
		}
		if n.Observer != nil {
			n.Observer.WebhookDelivery(t.ID, outcome)
		}
		if outcome != "failed" || attempt == 2 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// attempt makes one POST; its error says why it was not a 2xx, never the URL.
func (n *Notifier) attempt(ctx context.Context, t Target, version int64, data []byte) (int, error) {
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = PostTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(data))
	if err != nil {
		return 0, errors.New("cannot make the request")
	}
	ts := n.now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "releaselake-webhook")
	req.Header.Set(HeaderDelivery, fmt.Sprintf("%s-%d", t.ID, version))
	if len(t.Secret) > 0 {
		req.Header.Set(page.HeaderTimestamp, page.Stamp(ts))
		req.Header.Set(page.HeaderSignature, page.Sign(t.Secret, ts, data))
	}
	resp, err := n.client().Do(req)
	if err != nil {
		// *url.Error names the URL: say only what went wrong.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return 0, fmt.Errorf("not reached: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	msg := strings.ToValidUTF8(strings.TrimSpace(string(answer)), "?")
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg = "a redirect, not followed"
	}
	return resp.StatusCode, fmt.Errorf("%s: %s", resp.Status, truncate(msg, 200))
}

var defaultClient = &http.Client{
	// A receiver's redirect is not followed: the body is signed for this
	// target, and a redirect could take it somewhere else.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (n *Notifier) client() *http.Client {
	if n.Client != nil {
		return n.Client
	}
	return defaultClient
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now().UTC()
	}
	return time.Now().UTC()
}

func (n *Notifier) log() *slog.Logger {
	if n.Log != nil {
		return n.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Open returns the Deliver of the webhooks file at path, for
// ingest.Runner.Deliver; nil if path is empty (no webhooks).
func Open(path string, catalog *releaselake.Catalog, lake Lake, obs Observer, log *slog.Logger) (func(context.Context, int64) error, error) {
	if path == "" {
		return nil, nil
	}
	targets, err := Load(path, catalog)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if obs != nil {
			obs.WebhookTarget(t.ID)
		}
	}
	n := &Notifier{Targets: targets, Lake: lake, Observer: obs, Log: log}
	return n.Deliver, nil
}
