package graph

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/releaselake/releaselake"
)

// MaxFirst is the largest page a client may ask for, as on GitHub.
const MaxFirst = 100

// cursor is the sort key of a release: pages stay stable when rows are added.
type cursor struct {
	PublishedAt time.Time `json:"p"`
	Product     string    `json:"k"`
	Version     string    `json:"v"`
	Tag         string    `json:"t"`
}

func encodeCursor(r *releaselake.Release) string {
	b, _ := json.Marshal(cursor{r.PublishedAt, r.Product, r.Version, r.Tag})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (releaselake.Release, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Product == "" {
		return releaselake.Release{}, releaselake.Errorf(releaselake.Invalid, "after: not a cursor from this API: %q", s)
	}
	return releaselake.Release{PublishedAt: c.PublishedAt, Product: c.Product, Version: c.Version, Tag: c.Tag}, nil
}

// connection pages the releases that match f.
func (r *Resolver) connection(f releaselake.Filter, first *int, after *string) (*ReleaseConnection, error) {
	n := MaxFirst
	if first != nil {
		n = *first
	}
	if n < 0 || n > MaxFirst {
		return nil, releaselake.Errorf(releaselake.Invalid, "first must be between 0 and %d, got %d", MaxFirst, n)
	}
	ix, err := r.index()
	if err != nil {
		return nil, err
	}
	rows := ix.Releases(f)
	start := 0
	if after != nil {
		c, err := decodeCursor(*after)
		if err != nil {
			return nil, err
		}
		start = releaselake.After(rows, c)
	}
	end := min(start+n, len(rows))
	page := rows[start:end]
	conn := &ReleaseConnection{
		TotalCount: len(rows),
		Nodes:      page,
		Edges:      make([]ReleaseEdge, len(page)),
		PageInfo:   &PageInfo{HasNextPage: end < len(rows)},
	}
	for i := range page {
		conn.Edges[i] = ReleaseEdge{Cursor: encodeCursor(&page[i]), Node: &page[i]}
	}
	if len(page) > 0 {
		c := conn.Edges[len(page)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, nil
}

func keys(ps []releaselake.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Key
	}
	return out
}
