package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

type app struct {
	t    *testing.T
	lake string
	env  map[string]string
}

func (a *app) getenv(k string) string { return a.env[k] }

// run runs the command line like main does and returns the exit code and output.
func (a *app) run(args ...string) (int, string) {
	var out bytes.Buffer
	code := Run(context.Background(), args, a.getenv, &out, &out)
	return code, out.String()
}

// openMain is a Main for cmd with args, its environment from getenv, logging
// to out, opened (not yet serving).
func openMain(t *testing.T, out io.Writer, getenv func(string) string, cmd string, args ...string) *Main {
	t.Helper()
	m := NewMain(out)
	if err := m.Config.ParseFlags(cmd, args, getenv, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	return m
}

// serve starts serve on 127.0.0.1:0 and waits until /readyz says ready.
func (a *app) serve() string {
	t := a.t
	m := openMain(t, io.Discard, a.getenv, "serve", "-addr", "127.0.0.1:0", "-schedule", "off", "-poll", "100ms")
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	base := "http://" + m.Addr()
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 20s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func query(t *testing.T, base, q string, vars map[string]any, into any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decode response (HTTP %d): %v", resp.StatusCode, err)
	}
	if into != nil {
		if len(r.Errors) > 0 {
			t.Fatalf("query errors: %+v", r.Errors)
		}
		if err := json.Unmarshal(r.Data, into); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

type release struct {
	Product     struct{ Key string }
	Version     string
	Tag         string
	PublishedAt time.Time
	FirstSeenAt time.Time
	Prerelease  bool
	DateSource  string
	Source      string
	URL         string
}

type releasesPage struct {
	Releases struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Nodes []release
	}
}

const releasesQuery = `query ($p: [String!], $s: DateTime, $after: String) {
  releases(products: $p, since: $s, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { product { key } version tag publishedAt firstSeenAt prerelease dateSource source url }
  }
}`

// allReleases pages through releases(products: [product], since: since).
func allReleases(t *testing.T, base, product string, since *time.Time) ([]release, int) {
	t.Helper()
	vars := map[string]any{"p": []string{product}}
	if since != nil {
		vars["s"] = since.Format(time.RFC3339)
	}
	var all []release
	total := -1
	for page := 0; ; page++ {
		var r releasesPage
		query(t, base, releasesQuery, vars, &r)
		if total >= 0 && r.Releases.TotalCount != total {
			t.Fatalf("totalCount changed between pages: %d then %d", total, r.Releases.TotalCount)
		}
		total = r.Releases.TotalCount
		all = append(all, r.Releases.Nodes...)
		if !r.Releases.PageInfo.HasNextPage {
			return all, total
		}
		if page > 100 {
			t.Fatal("too many pages")
		}
		vars["after"] = *r.Releases.PageInfo.EndCursor
	}
}
