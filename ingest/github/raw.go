package github

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// rawLine is one line of the red table: one repository's part of one answer, as
// GitHub gave it (the alias renamed to "repository"), with what is needed to read
// it alone: the listing mode the run settled on and whether the run listed that
// connection to its end (complete) or only its newest items (incremental).
//
//	{"repo":"pallets/flask","round":1,"fetchedAt":"2026-11-25T00:00:00Z","mode":"releases","complete":false,
//	 "data":{"repository":{"nameWithOwner":"pallets/flask","url":"…","releases":{"totalCount":…,"pageInfo":{…},"nodes":[…]}}}}
type rawLine struct {
	Repo      string          `json:"repo"`  // owner/name as the catalog says it
	Round     int             `json:"round"` // 1, 2, … in the order fetched
	FetchedAt time.Time       `json:"fetchedAt"`
	Mode      string          `json:"mode"`     // modeReleases or modeTags
	Complete  bool            `json:"complete"` // the mode's connection was listed to its end in this run
	Data      json.RawMessage `json:"data"`     // {"repository": …}
}

// marshal returns the line as compact JSON.
func (l rawLine) marshal() ([]byte, error) {
	var data bytes.Buffer
	if err := json.Compact(&data, l.Data); err != nil {
		return nil, fmt.Errorf("compact data: %w", err)
	}
	l.Data = data.Bytes()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep GitHub's text as it came
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// The answer as plain JSON, the shape batch.go asks for.

type answer struct {
	Repository *repository `json:"repository"`
}

type repository struct {
	NameWithOwner string        `json:"nameWithOwner"`
	URL           string        `json:"url"`
	Description   *string       `json:"description"` // absent from answers fetched before facts were
	HomepageURL   *string       `json:"homepageUrl"`
	Releases      *releasesPage `json:"releases"`
	Refs          *refsPage     `json:"refs"`
}

type pageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

type releasesPage struct {
	TotalCount int       `json:"totalCount"`
	PageInfo   pageInfo  `json:"pageInfo"`
	Nodes      []release `json:"nodes"`
}

type refsPage struct {
	TotalCount int      `json:"totalCount"`
	PageInfo   pageInfo `json:"pageInfo"`
	Nodes      []ref    `json:"nodes"`
}

type release struct {
	DatabaseID   *int64     `json:"databaseId"`
	TagName      string     `json:"tagName"`
	Name         *string    `json:"name"`
	URL          string     `json:"url"`
	PublishedAt  *time.Time `json:"publishedAt"`
	CreatedAt    time.Time  `json:"createdAt"`
	IsPrerelease bool       `json:"isPrerelease"`
	IsDraft      bool       `json:"isDraft"`
	Description  *string    `json:"description"` // absent from answers fetched before notes were
}

// key identifies a release across runs: its id (a tag can move between releases).
func (r release) key() string {
	if r.DatabaseID != nil {
		return strconv.FormatInt(*r.DatabaseID, 10)
	}
	return "tag:" + r.TagName
}

type ref struct {
	Name   string     `json:"name"`
	Target *gitObject `json:"target"`
}

// orderKey is the date GitHub orders tags by (TAG_COMMIT_DATE): the commit's.
func (t ref) orderKey() int64 {
	o := t.Target
	if o != nil && o.Typename == "Tag" {
		o = o.Target
	}
	if o != nil && o.CommittedDate != nil {
		return o.CommittedDate.Unix()
	}
	return 0
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

// githubv4 decoding types for the tag targets (see batch.go).

type annotatedTag struct {
	Tagger *struct{ Date *time.Time }
	Target *struct {
		Typename string     `graphql:"__typename"`
		Commit   commitDate `graphql:"... on Commit"`
	}
}

type commitDate struct{ CommittedDate *time.Time }
