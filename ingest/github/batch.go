package github

import (
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/shurcooL/githubv4"
)

// A batch asks about many repositories in one GraphQL request: the query type
// is made with reflect.StructOf, one aliased field (r0, r1, …) per repository
// with its own variables, and one field type per shape (both connections,
// releases only, tags only), since GitHub charges for every connection in the
// query text. docs/github.md, "Many repositories per request", shows a query.

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
		Description  *string // the release notes, Markdown; null when empty
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

// shape counts the repositories of a batch by what they ask for, in alias
// order, and the packages whose advisories ride along (advisories.go).
type shape struct{ both, releases, tags, adv int }

func (sh shape) kind(i int) (releases, tags bool) {
	switch {
	case i < sh.both:
		return true, true
	case i < sh.both+sh.releases:
		return true, false
	}
	return false, true
}

// batchTypes caches query types by shape; a crawl uses a few dozen shapes, and the
// cache stops growing at maxBatchTypes.
var (
	batchTypesMu sync.Mutex
	batchTypes   = map[shape]reflect.Type{}
)

const maxBatchTypes = 512

// batchType returns the query type for a batch of shape sh.
func batchType(sh shape) reflect.Type {
	batchTypesMu.Lock()
	t, ok := batchTypes[sh]
	batchTypesMu.Unlock()
	if ok {
		return t
	}
	n := sh.both + sh.releases + sh.tags
	fields := make([]reflect.StructField, 0, n+1)
	for i := range n {
		repoFields := []reflect.StructField{
			{Name: "NameWithOwner", Type: reflect.TypeOf("")},
			{Name: "URL", Type: reflect.TypeOf("")},
			// The repository's facts, for Product.description and homepage
			// where the catalog gives none (facts.go): free, as scalars are.
			{Name: "Description", Type: reflect.TypeOf((*string)(nil))},
			{Name: "HomepageURL", Type: reflect.TypeOf((*string)(nil)), Tag: `graphql:"homepageUrl"`},
		}
		releases, tags := sh.kind(i)
		if releases {
			repoFields = append(repoFields, reflect.StructField{Name: "Releases", Type: reflect.TypeOf(&releaseConn{}), Tag: reflect.StructTag(fmt.Sprintf(
				`graphql:"releases(first: $rf%d, after: $ra%d, orderBy: {field: CREATED_AT, direction: DESC})"`, i, i))})
		}
		if tags {
			repoFields = append(repoFields, reflect.StructField{Name: "Refs", Type: reflect.TypeOf(&refConn{}), Tag: reflect.StructTag(fmt.Sprintf(
				`graphql:"refs(refPrefix: \"refs/tags/\", first: $tf%d, after: $ta%d, orderBy: {field: TAG_COMMIT_DATE, direction: DESC})"`, i, i))})
		}
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("R%d", i),
			Type: reflect.PointerTo(reflect.StructOf(repoFields)),
			Tag:  reflect.StructTag(fmt.Sprintf(`graphql:"%s: repository(owner: $o%d, name: $n%d)"`, alias(i), i, i)),
		})
	}
	fields = append(fields, advFields(sh.adv)...)
	fields = append(fields, reflect.StructField{Name: "RateLimit", Type: reflect.TypeOf(rateLimit{})})
	t = reflect.StructOf(fields)
	batchTypesMu.Lock()
	if len(batchTypes) < maxBatchTypes {
		batchTypes[sh] = t
	}
	batchTypesMu.Unlock()
	return t
}

func alias(i int) string { return fmt.Sprintf("r%d", i) }

// ask is what one request asks of one repository: a page of releases, of tags, or both.
type ask struct {
	repo                  repo
	releases, tags        bool
	first, tagsFirst      int // page sizes of releases and of tags
	releasesAt, tagsAfter *string
}

// rank orders asks by shape: both, releases, tags.
func (a ask) rank() int {
	switch {
	case a.releases && a.tags:
		return 0
	case a.releases:
		return 1
	}
	return 2
}

// connections is how many connections the ask puts in the query.
func (a ask) connections() int {
	if a.releases && a.tags {
		return 2
	}
	return 1
}

// shapeOf counts asks, which must be in rank order, by shape.
func shapeOf(asks []ask) shape {
	var sh shape
	for _, a := range asks {
		switch a.rank() {
		case 0:
			sh.both++
		case 1:
			sh.releases++
		default:
			sh.tags++
		}
	}
	return sh
}

// batchVars returns the variables of a request for asks, in alias order: exactly
// those the query of their shape declares.
func batchVars(asks []ask) map[string]any {
	v := make(map[string]any, len(asks)*6)
	cursor := func(c *string) *githubv4.String {
		if c == nil {
			return nil
		}
		return githubv4.NewString(githubv4.String(*c))
	}
	for i, a := range asks {
		v[fmt.Sprintf("o%d", i)] = githubv4.String(a.repo.owner)
		v[fmt.Sprintf("n%d", i)] = githubv4.String(a.repo.name)
		if a.releases {
			v[fmt.Sprintf("rf%d", i)] = githubv4.Int(a.first)
			v[fmt.Sprintf("ra%d", i)] = cursor(a.releasesAt)
		}
		if a.tags {
			v[fmt.Sprintf("tf%d", i)] = githubv4.Int(a.tagsFirst)
			v[fmt.Sprintf("ta%d", i)] = cursor(a.tagsAfter)
		}
	}
	return v
}
