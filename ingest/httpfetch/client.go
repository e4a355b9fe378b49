// Package httpfetch is how the registry, feed and page sources talk HTTP: a
// User-Agent naming the project, conditional requests from the crawl state,
// timeouts, bounded retries with backoff that honour Retry-After on 429 and 5xx,
// and a cap on the size of an answer.
package httpfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
)

// Defaults of a Client.
const (
	UserAgent   = "releaselake/1 (+https://github.com/releaselake/releaselake)"
	MaxBytes    = 64 << 20 // the full npm document of a busy package runs to tens of MB
	Attempts    = 4
	Timeout     = 60 * time.Second // one attempt, body included
	BaseBackoff = time.Second
	MaxWait     = 2 * time.Minute // the longest Retry-After (or backoff) waited for
)

// Client sends requests with the manners above. The zero Client is ready to use;
// its fields override the defaults.
type Client struct {
	HTTP      *http.Client // its Timeout bounds one attempt; a client with Timeout defaults is used if nil
	UserAgent string
	MaxBytes  int64         // answers larger than this fail
	Attempts  int           // tries per request, the first included
	Backoff   time.Duration // wait before the second try, doubled for each later one (with jitter)
	MaxWait   time.Duration // a Retry-After longer than this fails the request at once
	// Sleep waits d or until ctx is done; tests replace it to see the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// Sent, if set, counts the requests sent, retries included: what a run cost upstream.
	Sent *atomic.Int64
	// Auth, if set, is sent as basic authentication to AuthHost (and no other
	// host): the user info of a configured URL, which never appears in one.
	Auth     *url.Userinfo
	AuthHost string
}

// Request is one request. If carries the validators of the last answer: when
// set, the request is conditional and a 304 answer means nothing changed.
type Request struct {
	Method string // GET if empty
	URL    string
	Accept string
	If     Validators
}

// Response is an answer with its whole body (nil for HEAD and 304).
type Response struct {
	Method    string
	URL       string
	Status    int
	Header    http.Header
	Body      []byte
	FetchedAt time.Time
}

// NotModified reports whether upstream said nothing changed since the validators sent.
func (r *Response) NotModified() bool { return r.Status == http.StatusNotModified }

// StatusError is an answer with a status the request cannot use.
// Errors from Do say "METHOD URL: " before it.
type StatusError struct {
	Status   int
	Attempts int
	Wait     time.Duration // Retry-After asked for, when it was too long to wait
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	switch {
	case e.Wait > 0:
		msg += fmt.Sprintf(" asking to retry after %s, longer than we wait", e.Wait)
	case e.Attempts > 1:
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return msg
}

// Do sends req, retrying transport errors, truncated bodies, 429 and 5xx answers,
// and returns a 2xx or 304 answer. A 404 is a NotFound error; other answers and
// an answer over the size cap are Unavailable errors, never retried.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = Attempts
	}
	for n := 1; ; n++ {
		resp, wait, err := c.once(ctx, req)
		if err == nil {
			return resp, nil
		}
		var se *StatusError
		isStatus := errors.As(err, &se)
		if isStatus {
			se.Attempts = n
		}
		what := req.Method + " " + releaselake.Redact(req.URL)
		switch {
		case ctx.Err() != nil:
			return nil, releaselake.Wrap(releaselake.Unavailable, ctx.Err(), what)
		case isStatus && se.Status == http.StatusNotFound:
			return nil, releaselake.Wrap(releaselake.NotFound, err, what)
		case wait < 0 || n >= attempts: // not retryable, or out of tries
			if !isStatus && n > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, n)
			}
			return nil, releaselake.Wrap(releaselake.Unavailable, err, what)
		}
		if wait == 0 {
			wait = c.backoff(n)
		}
		if wait > c.maxWait() {
			if isStatus {
				se.Wait = wait
			}
			return nil, releaselake.Wrap(releaselake.Unavailable, err, what)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, releaselake.Wrap(releaselake.Unavailable, err, what)
		}
	}
}

// once makes one attempt. wait says whether and how to retry after an error: -1
// not at all, 0 after the usual backoff, else after that long (Retry-After).
func (c *Client) once(ctx context.Context, req Request) (_ *Response, wait time.Duration, _ error) {
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, nil)
	if err != nil {
		return nil, -1, err
	}
	ua := c.UserAgent
	if ua == "" {
		ua = UserAgent
	}
	hr.Header.Set("User-Agent", ua)
	if hr.URL.User != nil { // a URL from the catalog: net/http would send it, and name it in errors
		pw, _ := hr.URL.User.Password()
		hr.SetBasicAuth(hr.URL.User.Username(), pw)
		hr.URL.User = nil
	} else if c.Auth != nil && hr.URL.Host == c.AuthHost {
		pw, _ := c.Auth.Password()
		hr.SetBasicAuth(c.Auth.Username(), pw)
	}
	if req.Accept != "" {
		hr.Header.Set("Accept", req.Accept)
	}
	if req.If.ETag != "" {
		hr.Header.Set("If-None-Match", req.If.ETag)
	}
	if req.If.LastModified != "" {
		hr.Header.Set("If-Modified-Since", req.If.LastModified)
	}
	at := c.now()
	if c.Sent != nil {
		c.Sent.Add(1)
	}
	hresp, err := c.client().Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the caller names the request
		}
		return nil, 0, err
	}
	defer hresp.Body.Close()
	resp := &Response{Method: req.Method, URL: releaselake.Redact(req.URL), Status: hresp.StatusCode, Header: hresp.Header, FetchedAt: at.UTC()}
	switch s := hresp.StatusCode; {
	case s == http.StatusNotModified:
		return resp, 0, nil
	case s == http.StatusTooManyRequests || s >= 500:
		io.Copy(io.Discard, io.LimitReader(hresp.Body, 64<<10)) // lets the connection be reused
		return nil, retryAfter(hresp.Header.Get("Retry-After"), at), &StatusError{Status: s}
	case s < 200 || s > 299:
		return nil, -1, &StatusError{Status: s}
	}
	if req.Method == http.MethodHead {
		return resp, 0, nil
	}
	limit := c.MaxBytes
	if limit <= 0 {
		limit = MaxBytes
	}
	if hresp.ContentLength > limit {
		return nil, -1, fmt.Errorf("answer of %d bytes is over the %d-byte cap", hresp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(hresp.Body, limit+1))
	if err != nil { // a connection cut mid-body: worth another try
		return nil, 0, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, -1, fmt.Errorf("answer is over the %d-byte cap", limit)
	}
	resp.Body = body
	return resp, 0, nil
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date. 0 if absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// backoff is the wait before try n+1: Backoff doubled n-1 times, between half
// and all of it, so that many clients do not come back at once.
func (c *Client) backoff(n int) time.Duration {
	base := c.Backoff
	if base <= 0 {
		base = BaseBackoff
	}
	d := base << (n - 1)
	return d/2 + rand.N(d/2+1)
}

func (c *Client) maxWait() time.Duration {
	if c.MaxWait > 0 {
		return c.MaxWait
	}
	return MaxWait
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
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

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultClient
}

var defaultClient = &http.Client{Timeout: Timeout}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
