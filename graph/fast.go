package graph

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/releaselake/releaselake"
)

// fastPath answers the release-reading root fields (releases, latest,
// products, product) by writing their JSON straight from the index, after
// gqlgen has parsed, validated and priced the query. gqlgen's executor would
// start a goroutine per list element and allocate per field (~5,000
// allocations for a 50-row page); this writes the same bytes from the same
// resolvers' logic in one buffer.
//
// It only ever answers when everything goes right: on any error (bad
// arguments, an unknown field, @defer, a panic) it hands the field to gqlgen,
// which produces the error exactly as without it. Tests hold both paths to
// byte-identical output.
type fastPath struct {
	r    *Resolver
	hits *atomic.Int64 // tests: counts answers; may be nil
}

func (fastPath) ExtensionName() string                   { return "ReleaseFastPath" }
func (fastPath) Validate(graphql.ExecutableSchema) error { return nil }

func (f fastPath) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rf := graphql.GetRootFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if rf == nil || oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	if out, ok := f.answer(ctx, oc, rf.Field); ok {
		if f.hits != nil {
			f.hits.Add(1)
		}
		return rawJSON(out)
	}
	return next(ctx)
}

// answer writes the value of a root field, or reports false to leave it to gqlgen.
func (f fastPath) answer(ctx context.Context, oc *graphql.OperationContext, field graphql.CollectedField) (out []byte, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = nil, false
		}
	}()
	typ, ok := rootTypes[field.Name]
	if !ok {
		return nil, false
	}
	root, ok := compile(oc, field, typ)
	if !ok {
		return nil, false
	}
	w := &jsonWriter{r: f.r, ctx: ctx, buf: make([]byte, 0, 4096)}
	ok = w.root(root)
	return w.buf, ok
}

type rawJSON []byte

func (b rawJSON) MarshalGQL(w io.Writer) { w.Write(b) }

// The object types the fast path writes, and the type of each of their object
// fields ("" for a scalar). A field not listed sends the query to gqlgen.
var (
	rootTypes = map[string]string{"releases": "ReleaseConnection", "latest": "Release", "products": "Product", "product": "Product"}
	fields    = map[string]map[string]string{
		"ReleaseConnection": {"__typename": "", "totalCount": "", "nodes": "Release", "edges": "ReleaseEdge", "pageInfo": "PageInfo"},
		"ReleaseEdge":       {"__typename": "", "cursor": "", "node": "Release"},
		"PageInfo":          {"__typename": "", "hasNextPage": "", "endCursor": ""},
		"Release": {"__typename": "", "product": "Product", "version": "", "tag": "", "name": "", "url": "",
			"publishedAt": "", "prerelease": "", "yanked": "", "source": "", "repo": "", "dateSource": "", "firstSeenAt": ""},
		"Product": {"__typename": "", "key": "", "name": "", "source": "", "repo": "", "latest": "Release", "releases": "ReleaseConnection"},
	}
)

// plan is a field with its arguments read and its selection collected, once
// per request rather than once per row.
type plan struct {
	name string
	key  []byte // `"alias":`
	args map[string]any
	sel  []plan
}

// compile collects the selection of field, of object type typ, recursively.
func compile(oc *graphql.OperationContext, field graphql.CollectedField, typ string) (plan, bool) {
	p := plan{name: field.Name, key: append(appendQuoted(nil, field.Alias), ':')}
	if field.IsDeferred() {
		return p, false
	}
	if len(field.Arguments) > 0 {
		p.args = field.ArgumentMap(oc.Variables)
	}
	if typ == "" {
		return p, true
	}
	known := fields[typ]
	for _, cf := range graphql.CollectFields(oc, field.Selections, []string{typ}) {
		childType, ok := known[cf.Name]
		if !ok {
			return p, false
		}
		child, ok := compile(oc, cf, childType)
		if !ok {
			return p, false
		}
		p.sel = append(p.sel, child)
	}
	return p, true
}

// jsonWriter writes values the way gqlgen's executor marshals them.
type jsonWriter struct {
	r   *Resolver
	ctx context.Context
	buf []byte
}

func (w *jsonWriter) root(p plan) bool {
	switch p.name {
	case "releases":
		a, ok := readListArgs(p.args)
		return ok && w.connection(p.sel, &a)
	case "latest":
		products, ok1 := argStrings(p.args["products"])
		asOf, ok2 := argTime(p.args["asOf"])
		if !ok1 || !ok2 {
			return false
		}
		rels, err := w.r.latest(w.ctx, products, asOf)
		if err != nil {
			return false
		}
		w.buf = append(w.buf, '[')
		for i, rel := range rels {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			if !w.release(p.sel, rel) {
				return false
			}
		}
		w.buf = append(w.buf, ']')
		return true
	case "products":
		search, ok := argString(p.args["search"])
		if !ok {
			return false
		}
		w.buf = append(w.buf, '[')
		for i, prod := range w.r.products(search) {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			if !w.product(p.sel, &prod) {
				return false
			}
		}
		w.buf = append(w.buf, ']')
		return true
	case "product":
		key, ok := argString(p.args["key"])
		if !ok || key == nil {
			return false
		}
		prod, found := w.r.Catalog.Product(*key)
		if !found {
			w.buf = append(w.buf, "null"...)
			return true
		}
		return w.product(p.sel, &prod)
	}
	return false
}

func (w *jsonWriter) connection(sel []plan, a *listArgs) bool {
	q, pg, err := w.r.page(w.ctx, a)
	if err != nil {
		return false
	}
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.name {
		case "__typename":
			w.buf = append(w.buf, `"ReleaseConnection"`...)
		case "totalCount":
			w.buf = strconv.AppendInt(w.buf, int64(pg.Total), 10)
		case "nodes":
			w.buf = append(w.buf, '[')
			for j, rel := range pg.Releases {
				if j > 0 {
					w.buf = append(w.buf, ',')
				}
				if !w.release(f.sel, rel) {
					return false
				}
			}
			w.buf = append(w.buf, ']')
		case "edges":
			w.buf = append(w.buf, '[')
			for j, rel := range pg.Releases {
				if j > 0 {
					w.buf = append(w.buf, ',')
				}
				if !w.edge(f.sel, q.Sort, rel) {
					return false
				}
			}
			w.buf = append(w.buf, ']')
		case "pageInfo":
			w.pageInfo(f.sel, q.Sort, &pg)
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

func (w *jsonWriter) edge(sel []plan, s releaselake.Sort, rel *releaselake.Release) bool {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.name {
		case "__typename":
			w.buf = append(w.buf, `"ReleaseEdge"`...)
		case "cursor":
			w.cursor(s, rel)
		case "node":
			if !w.release(f.sel, rel) {
				return false
			}
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

func (w *jsonWriter) pageInfo(sel []plan, s releaselake.Sort, pg *releaselake.Page) {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.name {
		case "__typename":
			w.buf = append(w.buf, `"PageInfo"`...)
		case "hasNextPage":
			w.buf = strconv.AppendBool(w.buf, pg.HasNext)
		case "endCursor":
			if n := len(pg.Releases); n > 0 {
				w.cursor(s, pg.Releases[n-1])
			} else {
				w.buf = append(w.buf, "null"...)
			}
		}
	}
	w.buf = append(w.buf, '}')
}

// cursor writes a cursor as a JSON string: base64url needs no escaping.
func (w *jsonWriter) cursor(s releaselake.Sort, rel *releaselake.Release) {
	w.buf = append(w.buf, '"')
	w.buf = appendCursor(w.buf, s, rel)
	w.buf = append(w.buf, '"')
}

func (w *jsonWriter) release(sel []plan, rel *releaselake.Release) bool {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.name {
		case "__typename":
			w.buf = append(w.buf, `"Release"`...)
		case "product":
			p := w.r.product(rel.Product)
			if !w.product(f.sel, &p) {
				return false
			}
		case "version":
			w.buf = appendQuoted(w.buf, rel.Version)
		case "tag":
			w.buf = appendQuoted(w.buf, rel.Tag)
		case "name":
			w.buf = appendQuoted(w.buf, rel.Name)
		case "url":
			w.buf = appendQuoted(w.buf, rel.URL)
		case "publishedAt":
			w.buf = appendTimeJSON(w.buf, rel.PublishedAt)
		case "prerelease":
			w.buf = strconv.AppendBool(w.buf, rel.Prerelease)
		case "yanked":
			w.buf = strconv.AppendBool(w.buf, rel.Yanked)
		case "source":
			w.buf = appendQuoted(w.buf, rel.Source)
		case "repo":
			w.buf = appendQuoted(w.buf, rel.Repo)
		case "dateSource":
			w.buf = appendQuoted(w.buf, rel.DateSource)
		case "firstSeenAt":
			w.buf = appendTimeJSON(w.buf, rel.FirstSeenAt)
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

func (w *jsonWriter) product(sel []plan, p *releaselake.Product) bool {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.name {
		case "__typename":
			w.buf = append(w.buf, `"Product"`...)
		case "key":
			w.buf = appendQuoted(w.buf, p.Key)
		case "name":
			w.buf = appendQuoted(w.buf, p.Name)
		case "source":
			w.buf = appendQuoted(w.buf, p.Source())
		case "repo":
			w.buf = appendQuoted(w.buf, p.Repo())
		case "latest":
			asOf, ok := argTime(f.args["asOf"])
			if !ok {
				return false
			}
			ix, err := w.r.indexAt(w.ctx, asOf)
			if err != nil {
				return false
			}
			if rel := ix.LatestRef(p.Key); rel == nil {
				w.buf = append(w.buf, "null"...)
			} else if !w.release(f.sel, rel) {
				return false
			}
		case "releases":
			a, ok := readListArgs(f.args)
			if !ok {
				return false
			}
			a.Product = p.Key
			if !w.connection(f.sel, &a) {
				return false
			}
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

// appendTimeJSON writes a DateTime as MarshalDateTime does.
func appendTimeJSON(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789ABCDEF"

// appendQuoted writes s as a JSON string exactly as gqlgen's MarshalString
// does: control characters, quote and backslash escaped, everything else as is.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case '\n':
			b = append(b, `\n`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
