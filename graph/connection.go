package graph

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// MaxFirst is the largest page a client may ask for, as on GitHub.
const MaxFirst = 100

// listArgs are the arguments of Query.releases and Product.releases.
type listArgs struct {
	Product    string   // Product.releases: this product, not checked against the catalog
	Products   []string // nil: all products
	Since      *time.Time
	Until      *time.Time
	Prerelease *bool
	OrderBy    *ReleaseOrder
	First      *int
	After      *string
	AsOf       *time.Time
	Last       *int
	Before     *string
	SeenSince  *time.Time
}

// sortOf turns the GraphQL order into the domain's; nil is newest published first.
func sortOf(o *ReleaseOrder) (serving.Sort, error) {
	var s serving.Sort
	if o == nil {
		return s, nil
	}
	switch o.Field {
	case ReleaseOrderFieldPublishedAt, "":
		s.Key = serving.ByPublished
	case ReleaseOrderFieldVersion:
		s.Key = serving.ByVersion
	case ReleaseOrderFieldFirstSeenAt:
		s.Key = serving.ByFirstSeen
	default:
		return s, releaselake.Errorf(releaselake.Invalid, "orderBy.field: unknown %q", o.Field)
	}
	switch o.Direction {
	case OrderDirectionDesc, "":
	case OrderDirectionAsc:
		s.Asc = true
	default:
		return s, releaselake.Errorf(releaselake.Invalid, "orderBy.direction: unknown %q", o.Direction)
	}
	return s, nil
}

func sortName(s serving.Sort) string {
	field := [...]string{serving.ByPublished: "PUBLISHED_AT", serving.ByVersion: "VERSION", serving.ByFirstSeen: "FIRST_SEEN_AT"}[s.Key]
	dir := "DESC"
	if s.Asc {
		dir = "ASC"
	}
	return "{field: " + field + ", direction: " + dir + "}"
}

// query validates list arguments against the catalog and returns the domain query.
func (r *Resolver) query(a *listArgs) (serving.Query, error) {
	var q serving.Query
	switch {
	case a.First != nil && a.Last != nil:
		return q, releaselake.Errorf(releaselake.Invalid, "first and last do not go together: page forward with first and after, or backward with last and before")
	case a.Last != nil && a.After != nil:
		return q, releaselake.Errorf(releaselake.Invalid, "after does not go with last: page backward with last and before")
	case a.First != nil && a.Before != nil:
		return q, releaselake.Errorf(releaselake.Invalid, "before does not go with first: page forward with first and after")
	case a.After != nil && a.Before != nil:
		return q, releaselake.Errorf(releaselake.Invalid, "after and before do not go together: pass the cursor of the direction you page in")
	}
	n, name := MaxFirst, "first"
	q.Backward = a.Last != nil || a.Before != nil
	switch {
	case a.First != nil:
		n = *a.First
	case a.Last != nil:
		n, name = *a.Last, "last"
	}
	if n < 0 || n > MaxFirst {
		return q, releaselake.Errorf(releaselake.Invalid, "%s must be between 0 and %d, got %d", name, MaxFirst, n)
	}
	q.First = n
	switch {
	case a.Product != "":
		q.Products = []string{a.Product}
	case a.Products != nil:
		ks, err := r.selectKeys(a.Products)
		if err != nil {
			return q, err
		}
		q.Products = ks
	}
	q.Since, q.Until, q.Prerelease, q.SeenSince = a.Since, a.Until, a.Prerelease, a.SeenSince
	var err error
	if q.Sort, err = sortOf(a.OrderBy); err != nil {
		return q, err
	}
	cursor, arg := a.After, "after"
	if a.Before != nil {
		cursor, arg = a.Before, "before"
	}
	if cursor != nil {
		if len(*cursor) > MaxCursorBytes {
			// Refused before decoding: a cursor's version is compared with
			// rows, so its length would multiply the work of every alias.
			return q, releaselake.Errorf(releaselake.Invalid, "%s: a cursor of %d bytes, at most %d; pass a cursor from this API", arg, len(*cursor), MaxCursorBytes)
		}
		c, s, err := decodeCursor(*cursor)
		if err != nil {
			return q, releaselake.Errorf(releaselake.Invalid, "%s: not a cursor from this API; pass a pageInfo.endCursor, pageInfo.startCursor or edges.cursor", arg)
		}
		if s != q.Sort {
			return q, releaselake.Errorf(releaselake.Invalid,
				"%s: this cursor belongs to a list ordered by %s, not %s; pass the orderBy of the page it came from",
				arg, sortName(s), sortName(q.Sort))
		}
		q.After = &c
	}
	return q, nil
}

// page answers list arguments: the index they read (at asOf), the query and its page.
func (r *Resolver) page(ctx context.Context, a *listArgs) (*serving.Index, serving.Query, serving.Page, error) {
	q, err := r.query(a)
	if err != nil {
		return nil, q, serving.Page{}, err
	}
	ix, err := r.indexAt(ctx, a.AsOf)
	if err != nil {
		return nil, q, serving.Page{}, err
	}
	return ix, q, ix.Page(q), nil
}

// connection pages the releases that match a, for the gqlgen resolvers.
func (r *Resolver) connection(ctx context.Context, a *listArgs) (*ReleaseConnection, error) {
	ix, q, pg, err := r.page(ctx, a)
	if err != nil {
		return nil, err
	}
	conn := &ReleaseConnection{
		TotalCount: pg.Total,
		Nodes:      make([]releaselake.Release, len(pg.Rows)),
		Edges:      make([]ReleaseEdge, len(pg.Rows)),
		PageInfo:   &PageInfo{HasNextPage: pg.HasNext, HasPreviousPage: pg.HasPrev},
	}
	for i, row := range pg.Rows {
		conn.Nodes[i] = ix.Row(int(row))
		rel := &conn.Nodes[i]
		conn.Edges[i] = ReleaseEdge{Cursor: encodeCursor(q.Sort, rel), Node: rel}
	}
	if n := len(pg.Rows); n > 0 {
		start, end := conn.Edges[0].Cursor, conn.Edges[n-1].Cursor
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &start, &end
	}
	return conn, nil
}

// selectKeys is Catalog.Select for callers that need only the keys: the keys
// given (in their order, duplicates left out), or every
// product's when none are, or Select's error naming the unknown ones. It copies
// no Product, which matters when a request names many products.
func (r *Resolver) selectKeys(ks []string) ([]string, error) {
	if len(ks) == 0 {
		ps := r.Catalog.Products()
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.Key
		}
		return out, nil
	}
	for _, k := range ks {
		if _, ok := r.Catalog.Product(k); !ok {
			_, err := r.Catalog.Select(ks)
			return nil, err
		}
	}
	return distinct(ks), nil
}

// distinct returns ks without its repeated keys, in first-seen order, as
// Catalog.Select leaves them out: ks itself when it repeats none.
func distinct(ks []string) []string {
	if len(ks) <= 8 { // the usual request: no map
		for i, k := range ks {
			if slices.Contains(ks[:i], k) {
				return withoutRepeats(ks)
			}
		}
		return ks
	}
	seen := make(map[string]bool, len(ks))
	for _, k := range ks {
		if seen[k] {
			return withoutRepeats(ks)
		}
		seen[k] = true
	}
	return ks
}

func withoutRepeats(ks []string) []string {
	seen := make(map[string]bool, len(ks))
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// A cursor is the sort key of a release plus the order it belongs to, so pages
// stay stable when rows are added or removed (keyset paging). It is opaque to
// clients: base64url of
//
//	1 (format) | sort | publishedAt | firstSeenAt | product | version | tag
//
// with times as varint seconds and uvarint nanoseconds, strings as uvarint
// length and bytes.
const cursorFormat = 1

// MaxCursorBytes bounds an after or before argument, checked before it is
// decoded: the cursor of a release whose product key, version and tag
// together take up to about 1.5 KB, as ids allow 1 KB (MaxIDBytes).
const MaxCursorBytes = 2048

func encodeCursor(s serving.Sort, r *releaselake.Release) string {
	var buf [160]byte
	return string(appendCursor(buf[:0], s, r))
}

// appendCursor appends the base64url cursor of r to dst.
func appendCursor(dst []byte, s serving.Sort, r *releaselake.Release) []byte {
	var raw [128]byte
	b := append(raw[:0], cursorFormat, sortByte(s))
	b = appendTime(b, r.PublishedAt)
	b = appendTime(b, r.FirstSeenAt)
	for _, str := range []string{r.Product, r.Version, r.Tag} {
		b = binary.AppendUvarint(b, uint64(len(str)))
		b = append(b, str...)
	}
	return base64.RawURLEncoding.AppendEncode(dst, b)
}

func sortByte(s serving.Sort) byte {
	b := byte(s.Key) << 1
	if s.Asc {
		b |= 1
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

var errCursor = releaselake.Errorf(releaselake.Invalid, "after: not a cursor from this API; pass a pageInfo.endCursor or edges.cursor")

// decodeCursor reads a cursor made by encodeCursor: the release's sort fields
// and the order it belongs to.
func decodeCursor(s string) (releaselake.Release, serving.Sort, error) {
	var r releaselake.Release
	var srt serving.Sort
	if len(s) > MaxCursorBytes {
		return r, srt, errCursor
	}
	// Strict: trailing bits must be zero, so each cursor has one spelling.
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != cursorFormat {
		return r, srt, errCursor
	}
	srt = serving.Sort{Key: serving.SortKey(b[1] >> 1), Asc: b[1]&1 == 1}
	if b[1]>>1 > byte(serving.ByFirstSeen) {
		return r, srt, errCursor
	}
	b = b[2:]
	var ok bool
	if r.PublishedAt, b, ok = readTime(b); !ok {
		return r, srt, errCursor
	}
	if r.FirstSeenAt, b, ok = readTime(b); !ok {
		return r, srt, errCursor
	}
	for _, dst := range []*string{&r.Product, &r.Version, &r.Tag} {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return r, srt, errCursor
		}
		*dst = string(b[k : k+int(n)])
		b = b[k+int(n):]
	}
	if len(b) != 0 || r.Product == "" {
		return r, srt, errCursor
	}
	return r, srt, nil
}

func readTime(b []byte) (time.Time, []byte, bool) {
	sec, k := binary.Varint(b)
	if k <= 0 {
		return time.Time{}, nil, false
	}
	b = b[k:]
	ns, k := binary.Uvarint(b)
	if k <= 0 || ns >= 1e9 {
		return time.Time{}, nil, false
	}
	return time.Unix(sec, int64(ns)).UTC(), b[k:], true
}
