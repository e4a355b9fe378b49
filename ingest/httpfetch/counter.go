package httpfetch

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
)

// Counter is a source's own copy of a Client, counting the requests it sends so
// that the source can say what its last Fetch cost (releaselake.Reporter). A
// source embeds it for Kind and LastStats.
type Counter struct {
	Client
	kind string
	sent atomic.Int64

	mu    sync.Mutex
	notes []string
}

// NewCounter returns a copy of client that counts into the Counter for the
// source of kind, whatever client.Sent was.
func NewCounter(kind string, client *Client) *Counter {
	c := &Counter{Client: *client, kind: kind}
	c.Sent = &c.sent
	return c
}

// Kind returns the kind of the source the Counter counts for.
func (c *Counter) Kind() string { return c.kind }

// LastStats returns the requests sent since the last Fetch began, and its notes.
func (c *Counter) LastStats() releaselake.SourceStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return releaselake.SourceStats{Kind: c.kind, Requests: int(c.sent.Load()), Notes: slices.Clone(c.notes)}
}

// Note adds a sentence to the stats of this Fetch, for the run record.
func (c *Counter) Note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// Fetch starts a new count and fetches each crawl in turn with fetch, setting
// the product of each result. Once ctx is done the crawls left fail with its
// error, unasked.
func (c *Counter) Fetch(ctx context.Context, crawls []releaselake.Crawl,
	fetch func(context.Context, releaselake.Crawl) releaselake.Fetched) []releaselake.Fetched {
	c.sent.Store(0)
	c.mu.Lock()
	c.notes = nil
	c.mu.Unlock()
	out := make([]releaselake.Fetched, len(crawls))
	for i, cr := range crawls {
		if err := ctx.Err(); err != nil {
			out[i].Err = err
		} else {
			out[i] = fetchShare(ctx, cr, len(crawls)-i, fetch)
		}
		out[i].Product = cr.Product.Key
	}
	return out
}

// ShareFactor and minShare make a product's share of a Fetch whose ctx has a
// deadline (the run's): at most ShareFactor times its even part of the time
// left, and at least minShare, so that one product that never answers leaves
// time for the products after it.
const ShareFactor = 4

var minShare = time.Minute // a variable for the tests

// fetchShare fetches one crawl of the left still to fetch within its share of
// ctx's deadline; a product cut off at its share fails saying so.
func fetchShare(ctx context.Context, cr releaselake.Crawl, left int,
	fetch func(context.Context, releaselake.Crawl) releaselake.Fetched) releaselake.Fetched {
	end, ok := ctx.Deadline()
	if !ok {
		return fetch(ctx, cr)
	}
	share := max(time.Until(end)/time.Duration(left)*ShareFactor, minShare)
	pctx, cancel := context.WithTimeout(ctx, share)
	defer cancel()
	f := fetch(pctx, cr)
	if f.Err != nil && pctx.Err() != nil && ctx.Err() == nil {
		f.Err = fmt.Errorf("not answered within its share (%s) of the run's deadline: %w", share.Round(share/100), f.Err)
	}
	return f
}

// Document fetches a product that is one document upstream: req, made
// conditional on the validators crawl saved under key when it has rows to keep.
// A 304 leaves the product unchanged; any other answer is its one raw line (a
// JSON body kept as JSON if asJSON) with its validators as the state to save.
// The error is Do's or Line's, for the caller to name the product in.
func (c *Client) Document(ctx context.Context, crawl releaselake.Crawl, req Request, key string, asJSON bool) (releaselake.Fetched, error) {
	var f releaselake.Fetched
	req.If = Conditional(crawl.State, key, len(crawl.Prev) > 0)
	resp, err := c.Do(ctx, req)
	if err != nil {
		return f, err
	}
	if resp.NotModified() {
		f.Unchanged = true
		return f, nil
	}
	line, err := resp.Line(asJSON)
	if err != nil {
		return f, err
	}
	f.Raw, f.State = [][]byte{line}, resp.State(key)
	return f, nil
}
