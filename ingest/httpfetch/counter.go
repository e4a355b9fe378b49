package httpfetch

import (
	"context"
	"sync/atomic"

	"github.com/releaselake/releaselake"
)

// Counter is a source's own copy of a Client, counting the requests it sends so
// that the source can say what its last Fetch cost (releaselake.Reporter). A
// source embeds it for Kind and LastStats.
type Counter struct {
	Client
	kind string
	sent atomic.Int64
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

// LastStats returns the requests sent since the last Fetch began.
func (c *Counter) LastStats() releaselake.SourceStats {
	return releaselake.SourceStats{Kind: c.kind, Requests: int(c.sent.Load())}
}

// Fetch starts a new count and fetches each crawl in turn with fetch, setting
// the product of each result. Once ctx is done the crawls left fail with its
// error, unasked.
func (c *Counter) Fetch(ctx context.Context, crawls []releaselake.Crawl,
	fetch func(context.Context, releaselake.Crawl) releaselake.Fetched) []releaselake.Fetched {
	c.sent.Store(0)
	out := make([]releaselake.Fetched, len(crawls))
	for i, cr := range crawls {
		if err := ctx.Err(); err != nil {
			out[i].Err = err
		} else {
			out[i] = fetch(ctx, cr)
		}
		out[i].Product = cr.Product.Key
	}
	return out
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
