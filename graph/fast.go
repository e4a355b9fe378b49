package graph

import (
	"context"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
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
	r        *Resolver
	products map[string]listed // the catalog by key, not copied per row
	size     *atomic.Int64     // the last answer's size: the next one's buffer
	memos    *rowMemos         // rows already written, for the served index
	hits     *atomic.Int64     // tests: counts answers; may be nil
}

func newFastPath(r *Resolver, hits *atomic.Int64) fastPath {
	ps := r.Catalog.Products()
	f := fastPath{r: r, products: make(map[string]listed, len(ps)), size: new(atomic.Int64), memos: &rowMemos{}, hits: hits}
	for i := range ps {
		f.products[ps[i].Key] = listed{&ps[i], int32(i)}
	}
	return f
}

// listed is a product of the catalog and its position there.
type listed struct {
	*releaselake.Product
	pos int32
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
	def, ok := rootFields[field.Name]
	if !ok {
		return nil, false
	}
	root, ok := compile(oc, field, def)
	if !ok {
		return nil, false
	}
	bp := answerBuffer(int(max(512, f.size.Load()*9/8)))
	w := &jsonWriter{r: f.r, products: f.products, memos: f.memos, ctx: ctx, buf: *bp}
	defer func() { *bp = w.buf; noteOf(ctx).keep(bp) }() // the answer is read until it is written out
	if ok = w.root(root); ok {
		f.size.Store(int64(len(w.buf)))
	}
	return w.buf, ok
}

type rawJSON []byte

func (b rawJSON) MarshalGQL(w io.Writer) { w.Write(b) }

// The object types the fast path writes, and their fields: an id to switch on
// and the field's object type ("" for a scalar). A field not listed sends the
// query to gqlgen.
type fieldID uint8

const (
	fTypename fieldID = iota
	fTotalCount
	fNodes
	fEdges
	fPageInfo
	fCursor
	fNode
	fHasNextPage
	fEndCursor
	fProduct
	fVersion
	fTag
	fName
	fURL
	fPublishedAt
	fPrerelease
	fYanked
	fSource
	fRepo
	fDateSource
	fFirstSeenAt
	fKey
	fLatest
	fReleases
	fProducts
)

type fieldDef struct {
	id  fieldID
	typ string
}

var (
	rootFields = map[string]fieldDef{"releases": {fReleases, "ReleaseConnection"}, "latest": {fLatest, "Release"},
		"products": {fProducts, "Product"}, "product": {fProduct, "Product"}}
	fields = map[string]map[string]fieldDef{
		"ReleaseConnection": {"__typename": {fTypename, ""}, "totalCount": {fTotalCount, ""}, "nodes": {fNodes, "Release"},
			"edges": {fEdges, "ReleaseEdge"}, "pageInfo": {fPageInfo, "PageInfo"}},
		"ReleaseEdge": {"__typename": {fTypename, ""}, "cursor": {fCursor, ""}, "node": {fNode, "Release"}},
		"PageInfo":    {"__typename": {fTypename, ""}, "hasNextPage": {fHasNextPage, ""}, "endCursor": {fEndCursor, ""}},
		"Release": {"__typename": {fTypename, ""}, "product": {fProduct, "Product"}, "version": {fVersion, ""}, "tag": {fTag, ""},
			"name": {fName, ""}, "url": {fURL, ""}, "publishedAt": {fPublishedAt, ""}, "prerelease": {fPrerelease, ""},
			"yanked": {fYanked, ""}, "source": {fSource, ""}, "repo": {fRepo, ""}, "dateSource": {fDateSource, ""},
			"firstSeenAt": {fFirstSeenAt, ""}},
		"Product": {"__typename": {fTypename, ""}, "key": {fKey, ""}, "name": {fName, ""}, "source": {fSource, ""},
			"repo": {fRepo, ""}, "latest": {fLatest, "Release"}, "releases": {fReleases, "ReleaseConnection"}},
	}
	aliases struct { // alias -> `"alias":`, made once (for a bounded number of aliases)
		sync.RWMutex
		m map[string][]byte
	}
)

// plan is a field with its arguments read and its selection collected, once
// per request rather than once per row.
type plan struct {
	id   fieldID
	key  []byte // `"alias":`
	args map[string]any
	dyn  *ast.Field // the field, when its arguments read variables
	sel  []plan
	sig  string // of a Release selection whose rows can be memoized (see memoSig)
}

// compile collects the selection of field, of object type typ, recursively.
func compile(oc *graphql.OperationContext, field graphql.CollectedField, def fieldDef) (plan, bool) {
	p := plan{id: def.id, key: aliasKey(field.Alias)}
	if field.IsDeferred() {
		return p, false
	}
	if len(field.Arguments) > 0 {
		p.args = field.ArgumentMap(oc.Variables)
		for _, a := range field.Arguments {
			if hasVariable(a.Value) {
				p.dyn = field.Field
			}
		}
	}
	if def.typ == "" {
		return p, true
	}
	known := fields[def.typ]
	for _, cf := range graphql.CollectFields(oc, field.Selections, []string{def.typ}) {
		childDef, ok := known[cf.Name]
		if !ok {
			return p, false
		}
		child, ok := compile(oc, cf, childDef)
		if !ok {
			return p, false
		}
		p.sel = append(p.sel, child)
	}
	if def.typ == "Release" {
		p.sig = memoSig(p.sel)
	}
	return p, true
}

// listedKeys is Resolver.selectKeys for the fast path: the products of the
// keys given, without repeats, or of the catalog's when none are; false if
// a key is not in the catalog (gqlgen then answers with the error). Each key
// is looked up once, in the fast path's own map of the catalog: a request may
// name hundreds.
func (w *jsonWriter) listedKeys(ks []string) ([]listed, bool) {
	if len(ks) == 0 { // the whole catalog, in its order: as newFastPath listed it
		ps := w.r.Catalog.Products()
		out := make([]listed, len(ps))
		for i := range ps {
			out[i] = listed{&ps[i], int32(i)}
		}
		return out, true
	}
	out := make([]listed, 0, len(ks))
	var seen []uint64 // by catalog position, for a list too long to search
	if len(ks) > 8 {
		seen = make([]uint64, (len(w.products)+63)/64)
	}
	for _, k := range ks {
		lp, ok := w.products[k]
		if !ok {
			return nil, false
		}
		if seen == nil {
			if slices.ContainsFunc(out, func(o listed) bool { return o.pos == lp.pos }) {
				continue
			}
		} else {
			word, bit := lp.pos/64, uint64(1)<<(lp.pos%64)
			if seen[word]&bit != 0 {
				continue
			}
			seen[word] |= bit
		}
		out = append(out, lp)
	}
	return out, true
}

// jsonWriter writes values the way gqlgen's executor marshals them.
type jsonWriter struct {
	r        *Resolver
	products map[string]listed
	memos    *rowMemos
	ctx      context.Context
	buf      []byte
	// vars are the request's variables when the plans were made for another
	// request (the direct path's kept plans): arguments that read variables
	// are read again. nil when the plans are this request's own.
	vars map[string]any
}

// argsOf returns the arguments of a planned field for this request.
func (w *jsonWriter) argsOf(p *plan) fieldArgs {
	if p.dyn == nil || w.vars == nil {
		return fieldArgs{m: p.args}
	}
	return fieldArgs{f: p.dyn, vars: w.vars}
}

func (w *jsonWriter) root(p plan) bool {
	args := w.argsOf(&p)
	switch p.id {
	case fReleases:
		a, ok := readListArgs(args)
		return ok && w.connection(p.sel, &a)
	case fLatest:
		products, ok1 := argStrings(args.get("products"))
		asOf, ok2 := argTime(args.get("asOf"))
		return ok1 && ok2 && w.latest(p.sel, p.sig, products, asOf)
	case fProducts:
		search, ok := argString(args.get("search"))
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
	case fProduct:
		key, ok := argString(args.get("key"))
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

// latest writes Query.latest as Resolver.latest answers it: the greatest
// stable release of each product asked (catalog order when none are),
// duplicates left out, products without one too. Each product's JSON comes
// from the memo of the served index when it has it: at a million rows the
// fields of a release lie in as many places in memory, its JSON in one.
func (w *jsonWriter) latest(sel []plan, sig string, products []string, asOf *time.Time) bool {
	ps, ok := w.listedKeys(products)
	if !ok {
		return false
	}
	ix, err := w.r.indexAt(w.ctx, asOf)
	if err != nil {
		return false
	}
	memo := w.memos.get(ix, w.r.Index(), sig, memoLatest, len(w.products))
	w.buf = append(w.buf, '[')
	wrote := false
	sep := func() {
		if wrote {
			w.buf = append(w.buf, ',')
		}
		wrote = true
	}
	for _, lp := range ps {
		if memo != nil {
			if b := memo.load(lp.pos); b != nil { // empty: no stable release
				if len(b) > 0 {
					sep()
					w.buf = append(w.buf, b...)
				}
				continue
			}
		}
		rel, ok := ix.Latest(lp.Key)
		if !ok {
			if memo != nil {
				memo.store(lp.pos, nil)
			}
			continue
		}
		sep()
		start := len(w.buf)
		if !w.release(sel, &rel) {
			return false
		}
		if memo != nil {
			memo.store(lp.pos, w.buf[start:])
		}
	}
	w.buf = append(w.buf, ']')
	return true
}

func (w *jsonWriter) connection(sel []plan, a *listArgs) bool {
	ix, q, pg, err := w.r.page(w.ctx, a)
	if err != nil {
		return false
	}
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.id {
		case fTypename:
			w.buf = append(w.buf, `"ReleaseConnection"`...)
		case fTotalCount:
			w.buf = strconv.AppendInt(w.buf, int64(pg.Total), 10)
		case fNodes:
			w.buf = append(w.buf, '[')
			memo := w.memos.get(ix, w.r.Index(), f.sig, memoRows, ix.Rows())
			for j, row := range pg.Rows {
				if j > 0 {
					w.buf = append(w.buf, ',')
				}
				if !w.row(f.sel, memo, ix, row) {
					return false
				}
			}
			w.buf = append(w.buf, ']')
		case fEdges:
			w.buf = append(w.buf, '[')
			var memo *rowMemo
			for _, ef := range f.sel {
				if ef.id == fNode {
					memo = w.memos.get(ix, w.r.Index(), ef.sig, memoRows, ix.Rows())
				}
			}
			for j, row := range pg.Rows {
				if j > 0 {
					w.buf = append(w.buf, ',')
				}
				if !w.edge(f.sel, q.Sort, memo, ix, row) {
					return false
				}
			}
			w.buf = append(w.buf, ']')
		case fPageInfo:
			w.pageInfo(f.sel, q.Sort, ix, &pg)
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

func (w *jsonWriter) edge(sel []plan, s serving.Sort, memo *rowMemo, ix *serving.Index, row int32) bool {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.id {
		case fTypename:
			w.buf = append(w.buf, `"ReleaseEdge"`...)
		case fCursor:
			rel := ix.Row(int(row))
			w.cursor(s, &rel)
		case fNode:
			if !w.row(f.sel, memo, ix, row) {
				return false
			}
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

func (w *jsonWriter) pageInfo(sel []plan, s serving.Sort, ix *serving.Index, pg *serving.Page) {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.id {
		case fTypename:
			w.buf = append(w.buf, `"PageInfo"`...)
		case fHasNextPage:
			w.buf = strconv.AppendBool(w.buf, pg.HasNext)
		case fEndCursor:
			if n := len(pg.Rows); n > 0 {
				rel := ix.Row(int(pg.Rows[n-1]))
				w.cursor(s, &rel)
			} else {
				w.buf = append(w.buf, "null"...)
			}
		}
	}
	w.buf = append(w.buf, '}')
}

// cursor writes a cursor as a JSON string: base64url needs no escaping.
func (w *jsonWriter) cursor(s serving.Sort, rel *releaselake.Release) {
	w.buf = append(w.buf, '"')
	w.buf = appendCursor(w.buf, s, rel)
	w.buf = append(w.buf, '"')
}

// row writes a release of a page, from the memo when it has the row.
func (w *jsonWriter) row(sel []plan, memo *rowMemo, ix *serving.Index, row int32) bool {
	if memo != nil {
		if b := memo.load(row); b != nil {
			w.buf = append(w.buf, b...)
			return true
		}
	}
	rel := ix.Row(int(row))
	if memo == nil {
		return w.release(sel, &rel)
	}
	start := len(w.buf)
	if !w.release(sel, &rel) {
		return false
	}
	memo.store(row, w.buf[start:])
	return true
}

func (w *jsonWriter) release(sel []plan, rel *releaselake.Release) bool {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.id {
		case fTypename:
			w.buf = append(w.buf, `"Release"`...)
		case fProduct:
			p := w.products[rel.Product].Product
			if p == nil {
				gone := w.r.product(rel.Product)
				p = &gone
			}
			if !w.product(f.sel, p) {
				return false
			}
		case fVersion:
			w.buf = appendQuoted(w.buf, rel.Version)
		case fTag:
			w.buf = appendQuoted(w.buf, rel.Tag)
		case fName:
			w.buf = appendQuoted(w.buf, rel.Name)
		case fURL:
			w.buf = appendQuoted(w.buf, rel.URL)
		case fPublishedAt:
			w.buf = appendTimeJSON(w.buf, rel.PublishedAt)
		case fPrerelease:
			w.buf = strconv.AppendBool(w.buf, rel.Prerelease)
		case fYanked:
			w.buf = strconv.AppendBool(w.buf, rel.Yanked)
		case fSource:
			w.buf = appendQuoted(w.buf, rel.Source)
		case fRepo:
			w.buf = appendQuoted(w.buf, rel.Repo)
		case fDateSource:
			w.buf = appendQuoted(w.buf, rel.DateSource)
		case fFirstSeenAt:
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
		switch f.id {
		case fTypename:
			w.buf = append(w.buf, `"Product"`...)
		case fKey:
			w.buf = appendQuoted(w.buf, p.Key)
		case fName:
			w.buf = appendQuoted(w.buf, p.Name)
		case fSource:
			w.buf = appendQuoted(w.buf, p.Source())
		case fRepo:
			w.buf = appendQuoted(w.buf, p.Repo())
		case fLatest:
			asOf, ok := argTime(w.argsOf(&f).get("asOf"))
			if !ok {
				return false
			}
			ix, err := w.r.indexAt(w.ctx, asOf)
			if err != nil {
				return false
			}
			if rel, ok := ix.Latest(p.Key); !ok {
				w.buf = append(w.buf, "null"...)
			} else if !w.release(f.sel, &rel) {
				return false
			}
		case fReleases:
			a, ok := readListArgs(w.argsOf(&f))
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

// needsEscape marks the bytes gqlgen's MarshalString escapes (control
// characters, quote and backslash) and those writeResponse then escapes for
// HTML (<, >, &, and 0xE2, which begins U+2028 and U+2029). Other bytes, UTF-8
// or not, go out as they are.
var needsEscape = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	t['<'], t['>'], t['&'], t[0xE2] = true, true, true, true
	return t
}()

// appendQuoted writes s as a JSON string as gqlgen's MarshalString does and
// then writeResponse (as encoding/json) escapes it for HTML: <, > and & as
// \u003c, \u003e, \u0026, U+2028 and U+2029 as \u2028, \u2029. The fast path's
// strings all come through here, so its JSON needs no escaping after: the
// direct path sends it as it is (writeResponse would find nothing to change).
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape[c] || c == 0xE2 && !(i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&^1 == 0xA8) {
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
		case '<', '>', '&':
			b = append(b, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
		case 0xE2:
			b = append(b, '\\', 'u', '2', '0', '2', hexLower[s[i+2]&0xf])
			i += 2
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// aliasKey returns `"alias":`, made once per alias.
func aliasKey(alias string) []byte {
	aliases.RLock()
	k, ok := aliases.m[alias]
	aliases.RUnlock()
	if ok {
		return k
	}
	k = append(appendQuoted(nil, alias), ':')
	aliases.Lock()
	if aliases.m == nil {
		aliases.m = map[string][]byte{}
	}
	if len(aliases.m) < 4096 {
		aliases.m[alias] = k
	}
	aliases.Unlock()
	return k
}
