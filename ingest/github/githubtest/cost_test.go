package githubtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// The fake's rate-limit cost against GitHub's documented calculation ("Rate limits and
// node limits for the GraphQL API"): add up the requests needed to fulfil each
// connection, assuming every one reaches its first/last (a connection under a
// connection of first: N needs N requests), divide by 100, round, at least 1. Nodes are
// the first/last of each connection times those of the connections above it.
func TestServer_costFollowsGitHubsCalculation(t *testing.T) {
	// The crawler's batch shapes: n repositories, each with some of releases and refs.
	batch := func(n int, releases, refs bool, first int) string {
		var b strings.Builder
		b.WriteString("query {")
		for i := range n {
			fmt.Fprintf(&b, " r%d: repository(owner: \"pallets\", name: \"flask\") { nameWithOwner", i)
			if releases {
				fmt.Fprintf(&b, " releases(first: %d, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor } nodes { databaseId tagName publishedAt createdAt isDraft isPrerelease } }", first)
			}
			if refs {
				fmt.Fprintf(&b, ` refs(refPrefix: "refs/tags/", first: %d, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor } nodes { name target { __typename ... on Commit { committedDate } ... on Tag { tagger { date } target { __typename ... on Commit { committedDate } } } } } }`, first)
			}
			b.WriteString(" }")
		}
		b.WriteString(" rateLimit { cost nodeCount } }")
		return b.String()
	}
	// GitHub's own example: 1 + 100 + 100 x 50 = 5,101 requests -> 51 points.
	docs := `query { viewer { login repositories(first: 100) { edges { node { id issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } rateLimit { cost nodeCount } }`
	for _, tc := range []struct {
		name         string
		query        string
		points       int
		nodes        int
		connRequests int // for the reader: the sum before dividing by 100
	}{
		{"GitHub's example", docs, 51, 100 + 100*50 + 100*50*60, 5101},
		{"1 repository, releases and refs", batch(1, true, true, 100), 1, 200, 2},
		{"first crawl: 25 repositories, releases and refs, 100 each", batch(25, true, true, 100), 1, 5000, 50},
		{"50 repositories, releases and refs", batch(50, true, true, 100), 1, 10000, 100},
		{"100 repositories, releases and refs", batch(100, true, true, 10), 2, 2000, 200},
		{"no-change check: 100 repositories, one connection of 10", batch(100, true, false, 10), 1, 1000, 100},
		{"full listings: 50 repositories, one connection of 100", batch(50, false, true, 100), 1, 5000, 50},
		{"150 repositories, one connection", batch(150, false, true, 10), 2, 1500, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := githubtest.NewServer(t)
			status, out, _ := post(t, srv.URL, srv.Token, tc.query, nil)
			if status != 200 || len(out.Errors) > 0 {
				t.Fatalf("status %d errors %+v", status, out.Errors)
			}
			if got := get(out.Data, "rateLimit", "cost"); got != float64(tc.points) {
				t.Errorf("cost %v, GitHub's calculation: %d requests -> %d points", got, tc.connRequests, tc.points)
			}
			if got := get(out.Data, "rateLimit", "nodeCount"); got != float64(tc.nodes) {
				t.Errorf("nodeCount %v, want %d", got, tc.nodes)
			}
			if u := srv.Usage(); u.Requests != 1 || u.Points != tc.points || u.Nodes != tc.nodes {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestServer_withoutRequestLogStillCounts(t *testing.T) {
	srv := githubtest.NewServer(t, githubtest.WithoutRequestLog())
	for range 3 {
		post(t, srv.URL, srv.Token, `query { rateLimit { cost } }`, nil)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests kept", n)
	}
	if u := srv.Usage(); u.Requests != 3 || u.Points != 3 {
		t.Errorf("usage %+v", u)
	}
}
