package github

import (
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/shurcooL/githubv4"
)

// A batch asks about many repositories in one GraphQL request. githubv4 builds
// queries from Go struct types and a map cannot drive it, so the query type is
// made with reflect.StructOf: one field per repository, aliased r0, r1, …, each
// with its own variables, so every repository pages on its own cursor. The
// @include directives let one type serve repositories that need releases, tags
// or both; rateLimit rides along on every request.
//
//	query($o0: String!, $n0: String!, $rf0: Int!, $ra0: String, $ir0: Boolean!, $tf0: Int!, $ta0: String, $it0: Boolean!, …) {
//	  r0: repository(owner: $o0, name: $n0) {
//	    nameWithOwner url
//	    releases(first: $rf0, after: $ra0, orderBy: {field: CREATED_AT, direction: DESC}) @include(if: $ir0) { … }
//	    refs(refPrefix: "refs/tags/", first: $tf0, after: $ta0, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) @include(if: $it0) { … }
//	  }
//	  …
//	  rateLimit { cost limit remaining resetAt nodeCount }
//	}

type releaseConn struct {
	TotalCount int
	PageInfo   pageInfo
	Nodes      []struct {
		DatabaseID   *int64 `graphql:"databaseId"`
		TagName      string
		Name         *string
		URL          string
		PublishedAt  *time.Time
		CreatedAt    time.Time
		IsPrerelease bool
		IsDraft      bool
	}
}

type refConn struct {
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
}

type rateLimit struct {
	Cost      int
	Limit     int
	Remaining int
	ResetAt   time.Time
	NodeCount int
}

var batchTypes sync.Map // int -> reflect.Type

// batchType returns the query type for n repositories.
func batchType(n int) reflect.Type {
	if t, ok := batchTypes.Load(n); ok {
		return t.(reflect.Type)
	}
	fields := make([]reflect.StructField, 0, n+1)
	for i := range n {
		repoType := reflect.StructOf([]reflect.StructField{
			{Name: "NameWithOwner", Type: reflect.TypeOf("")},
			{Name: "URL", Type: reflect.TypeOf("")},
			{Name: "Releases", Type: reflect.TypeOf(&releaseConn{}), Tag: reflect.StructTag(fmt.Sprintf(
				`graphql:"releases(first: $rf%d, after: $ra%d, orderBy: {field: CREATED_AT, direction: DESC}) @include(if: $ir%d)"`, i, i, i))},
			{Name: "Refs", Type: reflect.TypeOf(&refConn{}), Tag: reflect.StructTag(fmt.Sprintf(
				`graphql:"refs(refPrefix: \"refs/tags/\", first: $tf%d, after: $ta%d, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) @include(if: $it%d)"`, i, i, i))},
		})
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("R%d", i),
			Type: reflect.PointerTo(repoType),
			Tag:  reflect.StructTag(fmt.Sprintf(`graphql:"%s: repository(owner: $o%d, name: $n%d)"`, alias(i), i, i)),
		})
	}
	fields = append(fields, reflect.StructField{Name: "RateLimit", Type: reflect.TypeOf(rateLimit{})})
	t := reflect.StructOf(fields)
	batchTypes.Store(n, t)
	return t
}

func alias(i int) string { return fmt.Sprintf("r%d", i) }

// ask is what one request asks of one repository: a page of releases, of tags, or both.
type ask struct {
	repo                  repo
	releases, tags        bool
	first                 int
	releasesAt, tagsAfter *string
}

// batchVars returns the variables of a request for asks, in alias order.
func batchVars(asks []ask) map[string]any {
	v := make(map[string]any, len(asks)*8)
	cursor := func(c *string) *githubv4.String {
		if c == nil {
			return nil
		}
		return githubv4.NewString(githubv4.String(*c))
	}
	for i, a := range asks {
		v[fmt.Sprintf("o%d", i)] = githubv4.String(a.repo.owner)
		v[fmt.Sprintf("n%d", i)] = githubv4.String(a.repo.name)
		v[fmt.Sprintf("rf%d", i)] = githubv4.Int(a.first)
		v[fmt.Sprintf("ra%d", i)] = cursor(a.releasesAt)
		v[fmt.Sprintf("ir%d", i)] = githubv4.Boolean(a.releases)
		v[fmt.Sprintf("tf%d", i)] = githubv4.Int(a.first)
		v[fmt.Sprintf("ta%d", i)] = cursor(a.tagsAfter)
		v[fmt.Sprintf("it%d", i)] = githubv4.Boolean(a.tags)
	}
	return v
}
