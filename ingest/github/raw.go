package github

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Kinds of raw page (rawPage.Kind).
const (
	kindReleases = "releases"
	kindTags     = "tags"
)

// rawPage is one line of the red table: one page of one repository's releases or
// tags, as GitHub answered it, with what is needed to read it alone.
//
//	{"repo":"pallets/flask","kind":"releases","page":1,"fetchedAt":"2026-11-25T00:00:00Z",
//	 "data":{"repository":{"nameWithOwner":"pallets/flask","url":"https://github.com/pallets/flask",
//	   "releases":{"totalCount":…,"pageInfo":{…},"nodes":[…]}}}}
//
// data is the GraphQL answer's data member, byte for byte but compacted.
type rawPage struct {
	Repo      string          `json:"repo"` // owner/name as the catalog says it
	Kind      string          `json:"kind"` // kindReleases or kindTags
	Page      int             `json:"page"` // 1, 2, … in the order fetched
	FetchedAt time.Time       `json:"fetchedAt"`
	Data      json.RawMessage `json:"data"`
}

// marshal returns the page as one line of JSON.
func (p rawPage) marshal() ([]byte, error) {
	var data bytes.Buffer
	if err := json.Compact(&data, p.Data); err != nil {
		return nil, fmt.Errorf("compact data: %w", err)
	}
	p.Data = data.Bytes()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep GitHub's text as it came
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// The answer as Parse reads it: plain JSON, the shape the queries in query.go ask for.

type answer struct {
	Repository *repository `json:"repository"`
}

type repository struct {
	NameWithOwner string `json:"nameWithOwner"`
	URL           string `json:"url"`
	Releases      *struct {
		TotalCount int       `json:"totalCount"`
		Nodes      []release `json:"nodes"`
	} `json:"releases"`
	Refs *struct {
		TotalCount int   `json:"totalCount"`
		Nodes      []ref `json:"nodes"`
	} `json:"refs"`
}

type release struct {
	DatabaseID   *int64     `json:"databaseId"`
	TagName      string     `json:"tagName"`
	Name         *string    `json:"name"`
	URL          string     `json:"url"`
	PublishedAt  *time.Time `json:"publishedAt"`
	IsPrerelease bool       `json:"isPrerelease"`
	IsDraft      bool       `json:"isDraft"`
}

type ref struct {
	Name   string     `json:"name"`
	Target *gitObject `json:"target"`
}

// gitObject is a ref's target: a Commit (lightweight tag) or a Tag (annotated),
// whose own target is usually a Commit.
type gitObject struct {
	Typename      string     `json:"__typename"`
	CommittedDate *time.Time `json:"committedDate"` // Commit
	Tagger        *struct {
		Date *time.Time `json:"date"`
	} `json:"tagger"` // Tag
	Target *gitObject `json:"target"` // Tag
}
