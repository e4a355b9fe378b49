package githubtest_test

import (
	"context"
	"testing"

	"github.com/shurcooL/githubv4"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// The way other packages' tests use the fake: githubv4 pointed at srv.URL with srv.Client().
func TestServer_githubv4Client(t *testing.T) {
	srv := githubtest.NewServer(t)
	client := githubv4.NewEnterpriseClient(srv.URL, srv.Client())
	var q struct {
		RateLimit  struct{ Cost, Remaining int }
		Repository struct {
			NameWithOwner string
			Releases      struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   githubv4.String
				}
				Nodes []struct {
					DatabaseID   int64
					TagName      string
					PublishedAt  *githubv4.DateTime
					IsPrerelease bool
				}
			} `graphql:"releases(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC})"`
		} `graphql:"repository(owner: $owner, name: $name)"`
	}
	vars := map[string]any{
		"owner": githubv4.String("pallets"),
		"name":  githubv4.String("flask"),
		"first": githubv4.Int(25),
		"after": (*githubv4.String)(nil),
	}
	seen := map[int64]bool{}
	for {
		if err := client.Query(context.Background(), &q, vars); err != nil {
			t.Fatal(err)
		}
		for _, n := range q.Repository.Releases.Nodes {
			if seen[n.DatabaseID] || n.PublishedAt == nil {
				t.Errorf("release %+v repeated or unpublished", n)
			}
			seen[n.DatabaseID] = true
		}
		if !q.Repository.Releases.PageInfo.HasNextPage {
			break
		}
		vars["after"] = githubv4.NewString(q.Repository.Releases.PageInfo.EndCursor)
	}
	repo, _ := srv.Repo("pallets/flask")
	if len(seen) != len(repo.Releases) || q.Repository.Releases.TotalCount != len(repo.Releases) {
		t.Errorf("paged %d releases, totalCount %d, server holds %d", len(seen), q.Repository.Releases.TotalCount, len(repo.Releases))
	}
	if reqs := srv.Requests(); q.RateLimit.Remaining != 5000-len(reqs) {
		t.Errorf("remaining %d after %d requests", q.RateLimit.Remaining, len(reqs))
	}
}
