// Package github is the GitHub source: it reads the releases of repositories, or
// their tags, through GitHub's GraphQL API v4 (githubv4), many repositories per
// request and incrementally, keeps each repository's part of each answer as a raw
// red line, and turns those lines into release rows.
//
// Costs and limits (see docs/github.md): requests go one at a time; rateLimit
// rides along on every request; a daily run with nothing new upstream costs one
// request, and 1 point, per 100 repositories, and writes no red lines.
package github

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/releaselake/releaselake"
)

// DefaultURL is GitHub's GraphQL endpoint.
const DefaultURL = "https://api.github.com/graphql"

// MaxAnswerBytes caps one answer, decompressed, as httpfetch.MaxBytes caps a
// registry's.
const MaxAnswerBytes = 64 << 20

// Config configures a Source. Zero values take the defaults in brackets.
type Config struct {
	URL        string       // GraphQL endpoint [DefaultURL]
	Token      string       // sent as "Authorization: bearer <token>"
	HTTPClient *http.Client // [http.DefaultClient]; its transport is wrapped, not changed
	PageSize   int          // nodes per page of a full listing, 1..100 [100]
	MaxBatch   int          // repositories per request [100]
	NodeBudget int          // first-level nodes per request, summed over repositories [5000]
	// ConnectionBudget is how many connections (releases, refs) a request may hold:
	// GitHub charges 1 point per 100 [100].
	ConnectionBudget int
	// Window is the fresh window: items this new are re-read every run, so edits
	// and deletions show [30 days].
	Window time.Duration
	// ResyncEvery is how often a repository is listed in full: once in each
	// period this long, at an offset set by its name, so that a catalog's full
	// listings spread evenly over the period [7 days].
	ResyncEvery time.Duration
	// MaxAnswerBytes caps an answer, decompressed; a larger one fails the
	// request's products, not retried [MaxAnswerBytes].
	MaxAnswerBytes int64
	// Timeout bounds one request, answer included, when HTTPClient has no
	// Timeout of its own (http.DefaultClient has none) [60 s].
	Timeout time.Duration
	// MaxWait is the longest the source waits for the primary rate limit to reset;
	// past it the run ends with what it has [2 minutes].
	MaxWait time.Duration
	// Backoff is the first wait after a secondary rate limit without
	// Retry-After; it doubles on each retry [60 s]. A 502, a lost connection or
	// a timeout waits less (retry.go).
	Backoff time.Duration
	Now     func() time.Time                                 // [time.Now]
	Sleep   func(ctx context.Context, d time.Duration) error // [a timer that ctx cancels]
	Jitter  func() float64                                   // in [0, 1), spreads retries [math/rand/v2.Float64]
	Log     *slog.Logger                                     // [discard]
}

// Source reads GitHub repositories. It sends one request at a time.
type Source struct {
	cfg    Config
	client *githubv4.Client

	mu    sync.Mutex
	stats releaselake.SourceStats
	// Advisory crawls PrepareAdvisories made: by product, and those still
	// waiting to ride along the release crawl's first request.
	prepared map[string]*advJob
	riders   []*advJob
}

var (
	_ releaselake.Source       = (*Source)(nil)
	_ releaselake.Reporter     = (*Source)(nil)
	_ releaselake.Unconfigured = (*Source)(nil)
)

// New returns a Source for cfg.
func New(cfg Config) *Source {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	// User info in the URL (a proxy's) authenticates requests to its host and
	// appears in no error or log.
	var user *url.Userinfo
	cfg.URL, user = releaselake.SplitUserInfo(cfg.URL)
	if cfg.PageSize <= 0 || cfg.PageSize > 100 {
		cfg.PageSize = 100
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 100
	}
	if cfg.ConnectionBudget <= 0 {
		cfg.ConnectionBudget = 100
	}
	if cfg.NodeBudget <= 0 {
		cfg.NodeBudget = 5000
	}
	if cfg.Window <= 0 {
		cfg.Window = 30 * 24 * time.Hour
	}
	if cfg.ResyncEvery <= 0 {
		cfg.ResyncEvery = 7 * 24 * time.Hour
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxAnswerBytes <= 0 {
		cfg.MaxAnswerBytes = MaxAnswerBytes
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 2 * time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 60 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	hc := http.DefaultClient
	if cfg.HTTPClient != nil {
		hc = cfg.HTTPClient
	}
	client := *hc
	if client.Timeout <= 0 {
		client.Timeout = cfg.Timeout
	}
	t := &transport{base: client.Transport, token: cfg.Token, user: user, max: cfg.MaxAnswerBytes}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if u, err := url.Parse(cfg.URL); err == nil {
		t.host = u.Host
	}
	client.Transport = t
	return &Source{cfg: cfg, client: githubv4.NewEnterpriseClient(cfg.URL, &client)}
}

// Kind returns releaselake.KindGitHub.
func (s *Source) Kind() string { return releaselake.KindGitHub }

// LastStats returns what the last Fetch cost: requests, points, the rate limit left.
func (s *Source) LastStats() releaselake.SourceStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// repo is a repository's owner and name.
type repo struct{ owner, name string }

func (r repo) String() string { return r.owner + "/" + r.name }

func parseRepo(s string) (repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return repo{}, releaselake.Errorf(releaselake.Invalid, "github repository must be owner/name, got %q", s)
	}
	return repo{owner, name}, nil
}
