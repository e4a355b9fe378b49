package githubtest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Connections page through items sorted by a key that identifies each one and carries
// its sort order; a cursor is that key, so pages stay stable when items are added or
// removed elsewhere in the list, and a cursor of a removed item still works.

type connItem struct {
	key  string
	node object
}

// ordered sorts items ascending by key, or descending when desc.
func ordered(items []connItem, desc bool) []connItem {
	slices.SortFunc(items, func(a, b connItem) int { return strings.Compare(a.key, b.key) })
	if desc {
		slices.Reverse(items)
	}
	return items
}

// paginate applies first/last/after/before (Relay semantics) to items in their order
// (ordered by key, descending when desc); it does not change items. order names the
// ordering and is written into cursors.
func paginate(typeName, order string, items []connItem, desc bool, args map[string]any) (object, *Error) {
	less := func(a, b string) bool { // a comes before b in this order
		if desc {
			return a > b
		}
		return a < b
	}
	page := items
	for _, bound := range []string{"after", "before"} {
		c, ok := args[bound].(string)
		if !ok {
			continue
		}
		key, err := decodeCursor(order, c)
		if err != nil {
			return nil, &Error{Type: "INVALID_CURSOR_ARGUMENTS", Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", c)}
		}
		if bound == "after" { // keep the items after key: a suffix
			page = page[sort.Search(len(page), func(i int) bool { return less(key, page[i].key) }):]
		} else { // keep the items before key: a prefix
			page = page[:sort.Search(len(page), func(i int) bool { return !less(page[i].key, key) })]
		}
	}
	if n, ok := toInt(args["first"]); ok && n < len(page) {
		page = page[:n]
	}
	if n, ok := toInt(args["last"]); ok && n < len(page) {
		page = page[len(page)-n:]
	}
	c := &connection{typeName: typeName, order: order, items: page, total: len(items)}
	if len(page) > 0 {
		first, last := page[0].key, page[len(page)-1].key
		c.hasPrev = less(items[0].key, first)
		c.hasNext = less(last, items[len(items)-1].key)
	}
	return c, nil
}

func encodeCursor(order, key string) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + order + ":" + key))
}

func decodeCursor(order, cursor string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return "", err
	}
	key, ok := strings.CutPrefix(string(raw), "cursor:v2:"+order+":")
	if !ok {
		return "", fmt.Errorf("cursor of another ordering")
	}
	return key, nil
}

// timeKey sorts as a string in time order.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

type connection struct {
	typeName, order  string
	items            []connItem
	total            int
	hasNext, hasPrev bool
}

func (c *connection) typename() string { return c.typeName }

func (c *connection) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "totalCount":
		return c.total, nil
	case "nodes":
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = it.node
		}
		return out, nil
	case "edges":
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = &edge{typeName: strings.TrimSuffix(c.typeName, "Connection") + "Edge", cursor: encodeCursor(c.order, it.key), node: it.node}
		}
		return out, nil
	case "pageInfo":
		p := &pageInfo{hasNext: c.hasNext, hasPrev: c.hasPrev}
		if len(c.items) > 0 {
			p.start = encodeCursor(c.order, c.items[0].key)
			p.end = encodeCursor(c.order, c.items[len(c.items)-1].key)
		}
		return p, nil
	}
	return nil, nil
}

type edge struct {
	typeName, cursor string
	node             object
}

func (e *edge) typename() string { return e.typeName }

func (e *edge) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "cursor":
		return e.cursor, nil
	case "node":
		return e.node, nil
	}
	return nil, nil
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func (p *pageInfo) typename() string { return "PageInfo" }

func (p *pageInfo) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return p.hasPrev, nil
	case "startCursor":
		return nullable(p.start), nil
	case "endCursor":
		return nullable(p.end), nil
	}
	return nil, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
