package fastpath

import (
	"context"
	"strconv"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// listedKeys is graph's Resolver.selectKeys for Query.latest in the fast
// path: the products of the keys given, a repeated key as often as it is
// given (latest answers every position), or of the catalog's when none are;
// false if a key is not in the catalog (gqlgen then answers with the error).
// Each key is looked up in the fast path's own map of the catalog: a request
// may name hundreds.
func (w *jsonWriter) listedKeys(ks []string) ([]listed, bool) {
	if len(ks) == 0 { // the whole catalog, in its order: as newFastPath listed it
		ps := w.src.Catalog().Products()
		out := make([]listed, len(ps))
		for i := range ps {
			out[i] = listed{&ps[i], int32(i)}
		}
		return out, true
	}
	out := make([]listed, len(ks))
	for i, k := range ks {
		lp, ok := w.products[k]
		if !ok {
			return nil, false
		}
		out[i] = lp
	}
	return out, true
}

// jsonWriter writes values the way gqlgen's executor marshals them.
type jsonWriter struct {
	src      Source
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
func (w *jsonWriter) argsOf(p *plan) Args {
	if p.dyn == nil || w.vars == nil {
		return Args{m: p.args}
	}
	return Args{f: p.dyn, vars: w.vars}
}

func (w *jsonWriter) root(p plan) bool {
	args := w.argsOf(&p)
	switch p.id {
	case fReleases:
		ix, s, pg, ok := w.src.Page(w.ctx, "", args)
		return ok && w.connection(p.sel, ix, s, &pg)
	case fLatest:
		products, ok1 := ArgStrings(args.Get("products"))
		asOf, ok2 := w.src.Time(args.Get("asOf"))
		return ok1 && ok2 && w.latest(p.sel, p.sig, products, asOf)
	case fProducts:
		search, ok := ArgString(args.Get("search"))
		if !ok {
			return false
		}
		products, ok := w.src.Products(search)
		if !ok {
			return false
		}
		w.buf = append(w.buf, '[')
		for i, prod := range products {
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
		key, ok := ArgString(args.Get("key"))
		if !ok || key == nil {
			return false
		}
		prod, found := w.src.Catalog().Product(*key)
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
// a repeated key answered again, null for a product without one. Each
// product's JSON comes from the memo of the served index when it has it: at
// a million rows the fields of a release lie in as many places in memory,
// its JSON in one.
func (w *jsonWriter) latest(sel []plan, sig string, products []string, asOf *time.Time) bool {
	ps, ok := w.listedKeys(products)
	if !ok {
		return false
	}
	ix, err := w.src.IndexAt(w.ctx, asOf)
	if err != nil {
		return false
	}
	memo := w.memos.get(ix, w.src.Served(), sig, memoLatest, len(w.products))
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
				sep()
				if len(b) > 0 {
					w.buf = append(w.buf, b...)
				} else {
					w.buf = append(w.buf, "null"...)
				}
				continue
			}
		}
		sep()
		rel, ok := ix.Latest(lp.Key)
		if !ok {
			if memo != nil {
				memo.store(lp.pos, nil)
			}
			w.buf = append(w.buf, "null"...)
			continue
		}
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

// connection writes a page of releases in order s, read from ix.
func (w *jsonWriter) connection(sel []plan, ix *serving.Index, s serving.Sort, pg *serving.Page) bool {
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
			memo := w.memos.get(ix, w.src.Served(), f.sig, memoRows, ix.Rows())
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
					memo = w.memos.get(ix, w.src.Served(), ef.sig, memoRows, ix.Rows())
				}
			}
			for j, row := range pg.Rows {
				if j > 0 {
					w.buf = append(w.buf, ',')
				}
				if !w.edge(f.sel, s, memo, ix, row) {
					return false
				}
			}
			w.buf = append(w.buf, ']')
		case fPageInfo:
			w.pageInfo(f.sel, s, ix, pg)
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
		case fEndCursor, fStartCursor:
			if n := len(pg.Rows); n > 0 {
				at := n - 1
				if f.id == fStartCursor {
					at = 0
				}
				rel := ix.Row(int(pg.Rows[at]))
				w.cursor(s, &rel)
			} else {
				w.buf = append(w.buf, "null"...)
			}
		case fHasPreviousPage:
			w.buf = strconv.AppendBool(w.buf, pg.HasPrev)
		}
	}
	w.buf = append(w.buf, '}')
}

// cursor writes a cursor as a JSON string: base64url needs no escaping.
func (w *jsonWriter) cursor(s serving.Sort, rel *releaselake.Release) {
	w.buf = append(w.buf, '"')
	w.buf = w.src.AppendCursor(w.buf, s, rel)
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
				gone := w.src.Product(rel.Product)
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
		case fID:
			w.id(rel.Product, rel.Tag, true)
		case fSemver:
			if sv := releaselake.SemverOf(rel.Version); sv == nil {
				w.buf = append(w.buf, "null"...)
			} else if !w.semver(f.sel, sv) {
				return false
			}
		default:
			if f.id < fColumn || !w.column(int(f.id-fColumn), rel) {
				return false
			}
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

// semver writes Release.semver as gqlgen marshals a Semver: Ints, and
// Strings or null.
func (w *jsonWriter) semver(sel []plan, sv *releaselake.Semver) bool {
	w.buf = append(w.buf, '{')
	for i, f := range sel {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f.key...)
		switch f.id {
		case fTypename:
			w.buf = append(w.buf, `"Semver"`...)
		case fMajor:
			w.buf = strconv.AppendInt(w.buf, int64(sv.Major), 10)
		case fMinor:
			w.buf = strconv.AppendInt(w.buf, int64(sv.Minor), 10)
		case fPatch:
			w.buf = strconv.AppendInt(w.buf, int64(sv.Patch), 10)
		case fPre, fBuild:
			s := sv.Pre
			if f.id == fBuild {
				s = sv.Build
			}
			if s == nil {
				w.buf = append(w.buf, "null"...)
			} else {
				w.buf = appendQuoted(w.buf, *s)
			}
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

// column writes stored column k of rel as gqlgen marshals its type (String,
// DateTime, Boolean).
func (w *jsonWriter) column(k int, rel *releaselake.Release) bool {
	if k >= len(releaselake.ReleaseColumns) {
		return false
	}
	switch c := &releaselake.ReleaseColumns[k]; c.Type {
	case releaselake.StringColumn:
		w.buf = appendQuoted(w.buf, *rel.Str(releaselake.StrCol(c.ID)))
	case releaselake.TimeColumn:
		w.buf = appendTimeJSON(w.buf, *rel.Time(releaselake.TimeCol(c.ID)))
	case releaselake.BoolColumn:
		w.buf = strconv.AppendBool(w.buf, *rel.Bool(releaselake.BoolCol(c.ID)))
	default:
		return false
	}
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
			asOf, ok := w.src.Time(w.argsOf(&f).Get("asOf"))
			if !ok {
				return false
			}
			ix, err := w.src.IndexAt(w.ctx, asOf)
			if err != nil {
				return false
			}
			if rel, ok := ix.Latest(p.Key); !ok {
				w.buf = append(w.buf, "null"...)
			} else if !w.release(f.sel, &rel) {
				return false
			}
		case fReleases:
			ix, s, pg, ok := w.src.Page(w.ctx, p.Key, w.argsOf(&f))
			if !ok || !w.connection(f.sel, ix, s, &pg) {
				return false
			}
		case fID:
			w.id(p.Key, "", false)
		case fHomepage:
			w.optional(w.src.Homepage(p))
		case fDescription:
			w.optional(w.src.Description(p))
		case fCategory:
			w.optional(&p.Category)
		default:
			return false
		}
	}
	w.buf = append(w.buf, '}')
	return true
}

// id writes a Node id as a JSON string: base64url needs no escaping.
func (w *jsonWriter) id(product, tag string, release bool) {
	w.buf = append(w.buf, '"')
	w.buf = w.src.AppendID(w.buf, product, tag, release)
	w.buf = append(w.buf, '"')
}

// optional writes a nullable String: null for nil or "" (a fact not given),
// as the resolvers answer it.
func (w *jsonWriter) optional(s *string) {
	if s == nil || *s == "" {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = appendQuoted(w.buf, *s)
}
