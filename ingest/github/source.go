// Package github is the GitHub source: it reads the releases of repositories, or
// their tags, through GitHub's GraphQL API v4 (githubv4), keeps each answer page as
// a raw red line, and turns those pages into release rows.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/releaselake/releaselake"
)

// DefaultURL is GitHub's GraphQL endpoint.
const DefaultURL = "https://api.github.com/graphql"

// Config configures a Source.
type Config struct {
	URL        string       // GraphQL endpoint; DefaultURL if empty
	Token      string       // sent as "Authorization: bearer <token>"
	HTTPClient *http.Client // http.DefaultClient if nil; its transport is wrapped, not changed
	PageSize   int          // nodes per page, 1..100; 100 if zero
	Now        func() time.Time
}

// Source reads GitHub repositories. It sends one request at a time.
type Source struct {
	client   *githubv4.Client
	pageSize int
	now      func() time.Time
}

var _ releaselake.Source = (*Source)(nil)

// New returns a Source for cfg.
func New(cfg Config) *Source {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 100 {
		cfg.PageSize = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := http.DefaultClient
	if cfg.HTTPClient != nil {
		hc = cfg.HTTPClient
	}
	client := *hc
	t := &transport{base: client.Transport, token: cfg.Token}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if u, err := url.Parse(cfg.URL); err == nil {
		t.host = u.Host
	}
	client.Transport = t
	return &Source{
		client:   githubv4.NewEnterpriseClient(cfg.URL, &client),
		pageSize: cfg.PageSize,
		now:      cfg.Now,
	}
}

// Kind returns releaselake.KindGitHub.
func (s *Source) Kind() string { return releaselake.KindGitHub }

// Fetch reads each product's repository in turn: all its releases, newest first,
// then all its tags when the product asks for tags or the repository publishes no
// release that is not a draft. One product's failure does not stop the others; once
// ctx is done the remaining products fail with ctx's error.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	out := make([]releaselake.Fetched, len(crawls))
	for i, c := range crawls {
		p := c.Product
		out[i].Product = p.Key
		if err := ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		out[i].Raw, out[i].Err = s.fetch(ctx, p)
	}
	return out
}

func (s *Source) fetch(ctx context.Context, p releaselake.Product) ([][]byte, error) {
	r, err := parseRepo(p.GitHub)
	if err != nil {
		return nil, err
	}
	var raw [][]byte
	if !p.Tags {
		lines, err := s.pages(ctx, r, kindReleases, func() pager { return &releasesQuery{} })
		if err != nil {
			return nil, err
		}
		// Decide from the red lines with Parse's own rule, so the two always agree.
		releases, _, err := readPages(lines)
		if err != nil {
			return nil, fmt.Errorf("github %s: %w", r, err)
		}
		if publishes(releases) {
			return lines, nil
		}
		raw = lines
	}
	lines, err := s.pages(ctx, r, kindTags, func() pager { return &tagsQuery{} })
	if err != nil {
		return nil, err
	}
	return append(raw, lines...), nil
}

// pager is a query for one page of one connection of a repository.
type pager interface {
	// page returns the connection's page info, or false if the repository is null.
	page() (pageInfo, bool)
}

// pages asks for every page of one connection of r, in order, and returns them as
// red lines. newQuery makes the struct for one page.
func (s *Source) pages(ctx context.Context, r repo, kind string, newQuery func() pager) ([][]byte, error) {
	var lines [][]byte
	var after *string
	for n := 1; ; n++ {
		q := newQuery()
		at := s.now().UTC()
		resp, err := s.query(ctx, q, vars(r, s.pageSize, after))
		if err != nil {
			return nil, fail(ctx, r, kind, n, err)
		}
		info, ok := q.page()
		if !ok {
			return nil, releaselake.Errorf(releaselake.Unavailable, "github %s: %s page %d: no repository in the answer", r, kind, n)
		}
		var body struct{ Data json.RawMessage }
		if err := json.Unmarshal(resp.body, &body); err != nil {
			return nil, fail(ctx, r, kind, n, err)
		}
		line, err := rawPage{Repo: r.String(), Kind: kind, Page: n, FetchedAt: at, Data: body.Data}.marshal()
		if err != nil {
			return nil, fail(ctx, r, kind, n, err)
		}
		lines = append(lines, line)
		if !info.HasNextPage {
			return lines, nil
		}
		if info.EndCursor == nil || (after != nil && *info.EndCursor == *after) {
			return nil, releaselake.Errorf(releaselake.Unavailable, "github %s: %s page %d: next page without a new cursor", r, kind, n)
		}
		after = info.EndCursor
	}
}

// query sends one request and returns its answer as it came. Errors in the answer
// are returned as *graphQLError, with their type.
func (s *Source) query(ctx context.Context, q any, v map[string]any) (response, error) {
	var resp response
	err := s.client.Query(withCapture(ctx, &resp), q, v)
	if resp.status == 0 {
		return resp, err // no answer: transport error or ctx done
	}
	if resp.status != http.StatusOK {
		return resp, &statusError{status: resp.status}
	}
	var body struct{ Errors []graphQLError }
	if json.Unmarshal(resp.body, &body) == nil && len(body.Errors) > 0 {
		return resp, &body.Errors[0]
	}
	return resp, err
}

// fail says what err stopped (page n of kind of r) and classifies it.
func fail(ctx context.Context, r repo, kind string, n int, err error) error {
	msg := fmt.Sprintf("github %s: %s page %d", r, kind, n)
	if ctx.Err() != nil {
		return releaselake.Wrap(releaselake.Unavailable, ctx.Err(), msg)
	}
	var ge *graphQLError
	var se *statusError
	switch {
	case errors.As(err, &ge) && ge.Type == "NOT_FOUND":
		// The query asks for one repository, so it is what was not found.
		return releaselake.Wrap(releaselake.NotFound, err, fmt.Sprintf("github repository %s not found", r))
	case errors.As(err, &se) && se.status == http.StatusUnauthorized:
		return releaselake.Wrap(releaselake.Unauthorized, err, msg+": token refused")
	}
	return releaselake.Wrap(releaselake.Unavailable, err, msg)
}

// graphQLError is an entry of a GraphQL answer's errors, with GitHub's type.
type graphQLError struct {
	Type    string `json:"type"` // NOT_FOUND, RATE_LIMITED, FORBIDDEN …
	Message string `json:"message"`
}

func (e *graphQLError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// statusError is an HTTP answer other than 200.
type statusError struct{ status int }

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.status, http.StatusText(e.status))
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
