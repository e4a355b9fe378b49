package github

import (
	"time"

	"github.com/shurcooL/githubv4"
)

// The queries, as githubv4 structs. githubv4 builds the query text from them and
// decodes the answer into them; Fetch reads only what paging needs (the repository,
// page info). Parse reads the raw answer with the types in raw.go, so these
// and those must select the same fields: the end-to-end test holds them together.

// releasesQuery asks for one page of a repository's releases, newest first.
// GitHub cannot order by publishedAt; CREATED_AT is the closest.
type releasesQuery struct {
	Repository *struct {
		NameWithOwner string
		URL           string
		Releases      struct {
			TotalCount int
			PageInfo   pageInfo
			Nodes      []struct {
				DatabaseID   *int64 `graphql:"databaseId"`
				TagName      string
				Name         *string
				URL          string
				PublishedAt  *time.Time
				IsPrerelease bool
				IsDraft      bool
			}
		} `graphql:"releases(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC})"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

// tagsQuery asks for one page of a repository's tags, newest commit first. An
// annotated tag's target is a Tag (tagger date, then the commit it points to); a
// lightweight tag's target is the Commit itself. githubv4 decodes a field present
// in several fragments into all of them, so readers branch on __typename.
type tagsQuery struct {
	Repository *struct {
		NameWithOwner string
		URL           string
		Refs          *struct {
			TotalCount int
			PageInfo   pageInfo
			Nodes      []struct {
				Name   string
				Target *struct {
					Typename string       `graphql:"__typename"`
					Commit   commitDate   `graphql:"... on Commit"`
					Tag      annotatedTag `graphql:"... on Tag"`
				}
			}
		} `graphql:"refs(refPrefix: \"refs/tags/\", first: $first, after: $after, orderBy: {field: TAG_COMMIT_DATE, direction: DESC})"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

type annotatedTag struct {
	Tagger *struct{ Date *time.Time }
	Target *struct {
		Typename string     `graphql:"__typename"`
		Commit   commitDate `graphql:"... on Commit"`
	}
}

type commitDate struct{ CommittedDate *time.Time }

type pageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

// page returns the repository's page info, or false when the repository is null.
func (q *releasesQuery) page() (pageInfo, bool) {
	if q.Repository == nil {
		return pageInfo{}, false
	}
	return q.Repository.Releases.PageInfo, true
}

func (q *tagsQuery) page() (pageInfo, bool) {
	if q.Repository == nil {
		return pageInfo{}, false
	}
	if q.Repository.Refs == nil {
		return pageInfo{}, true
	}
	return q.Repository.Refs.PageInfo, true
}

// vars are the variables of one page request.
func vars(r repo, first int, after *string) map[string]any {
	var a *githubv4.String
	if after != nil {
		a = githubv4.NewString(githubv4.String(*after))
	}
	return map[string]any{
		"owner": githubv4.String(r.owner),
		"name":  githubv4.String(r.name),
		"first": githubv4.Int(first),
		"after": a,
	}
}
