package graph

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// directPath answers a query without gqlgen's executor when gqlgen has
// already parsed and validated its text (it is in the query cache, which only
// keeps valid documents) and the fast path writes every root field of the
// operation. What gqlgen would still do per request is done here with
// gqlgen's own functions: decoding the request (decodeJSON, or decodeParams,
// which decodes the usual bodies to the same values faster; url.ParseQuery),
// picking the operation (OperationList.ForName), coercing the variables
// (validator.VariableValues, or coerceVariables, which coerces the usual ones
// to the same values faster), pricing the operation (complexity.Calculate),
// collecting fields (graphql.CollectFields); the answer is written whole, in
// one buffer, as writeResponse would write it. What it skips is the operation
// context (made only to compile and price), the extension chain, the
// executor's field sets and the copies of the answer between them, and —
// for an operation whose shape no variable can change — the field collection,
// done once per cached document; the pricing is done once per document and
// values of the arguments it depends on.
//
// It answers only when everything goes right; on anything else (a new query
// text, persisted-query extensions, a variable that does not coerce, an
// operation over the complexity limit, an argument the fast path does not
// accept, a field it does not write, a mutation, a panic) it reports false
// having written nothing, and the request goes to gqlgen, which produces the
// answer or the error exactly as without it. Tests hold both to byte-identical
// answers.
type directPath struct {
	es   graphql.ExecutableSchema
	fast fastPath
	docs queryDocs
	hits *atomic.Int64 // tests: counts answers; may be nil
}

// queryDocs is gqlgen's query cache (graphql.Cache) holding, beside each
// parsed and validated document, what the direct path learned about it.
type queryDocs struct{ lru *lru.LRU[*preparedDoc] }

var _ graphql.Cache[*ast.QueryDocument] = queryDocs{}

func newQueryDocs(size int) queryDocs { return queryDocs{lru.New[*preparedDoc](size)} }

func (q queryDocs) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if p, ok := q.lru.Get(ctx, query); ok {
		return p.doc, true
	}
	return nil, false
}

func (q queryDocs) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	q.lru.Add(ctx, query, &preparedDoc{doc: doc})
}

// preparedDoc is a valid query document and its operations by the
// operationName they were asked for with.
type preparedDoc struct {
	doc *ast.QueryDocument
	mu  sync.Mutex
	ops map[string]*preparedOp
}

// preparedOp is what the direct path keeps of one operation of a document.
type preparedOp struct {
	op *ast.OperationDefinition
	// static: no directive of the operation reads a variable, so the fields
	// collected (and their plans) are the same for every request; only
	// arguments that read variables are read again (plan.dyn).
	static bool
	// costArgs are the arguments that read variables and that a complexity
	// function looks at (the first of a list, the last of ingestRuns, the
	// products of latest, by its length). With valid arguments — the only
	// ones the direct path answers — the complexity is a function of their
	// values and of the operation's shape, so it is kept by those values.
	costArgs []costArg

	mu    sync.Mutex
	done  bool           // static: roots and direct are known
	ok    bool           // static: the fast path writes every root field
	roots []plan         // static and ok: the root fields' plans
	costs map[string]int // complexity by the costArgs' values, of answered requests
}

type costArg struct {
	v    *ast.Value
	list bool // its length counts, not its value
}

// maxCosts bounds the complexities kept per operation.
const maxCosts = 256

// costKey returns the values of the operation's costArgs as a key of costs,
// false if one is not valid (the answer is then left to gqlgen anyway).
func (po *preparedOp) costKey(vars map[string]any) (string, bool) {
	var b []byte
	for _, a := range po.costArgs {
		v, err := a.v.Value(vars)
		if err != nil {
			return "", false
		}
		n := -1 // null
		switch {
		case a.list:
			n = len(graphql.CoerceList(v))
		case v != nil:
			if n, err = graphql.UnmarshalInt(v); err != nil {
				return "", false
			}
		}
		b = strconv.AppendInt(append(b, ','), int64(n), 10)
	}
	return string(b), true
}

func (p *preparedDoc) operation(name string) *preparedOp {
	p.mu.Lock()
	defer p.mu.Unlock()
	if po, ok := p.ops[name]; ok {
		return po
	}
	var po *preparedOp
	if op := p.doc.Operations.ForName(name); op != nil && op.Operation == ast.Query {
		s := scan{frags: map[string]bool{}, static: true}
		s.selections(op.SelectionSet)
		s.directives(op.Directives)
		po = &preparedOp{op: op, static: s.static, costArgs: s.costArgs}
	}
	if p.ops == nil {
		p.ops = map[string]*preparedOp{}
	}
	if len(p.ops) < 16 {
		p.ops[name] = po // nil: not a query the direct path answers
	}
	return po
}

// scan finds where an operation's variables are read.
type scan struct {
	frags    map[string]bool // fragments visited
	static   bool
	costArgs []costArg
}

func (s *scan) selections(set ast.SelectionSet) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			s.directives(sel.Directives)
			for _, a := range sel.Arguments {
				if !hasVariable(a.Value) {
					continue
				}
				switch {
				case a.Name == "first" || a.Name == "last":
					s.costArgs = append(s.costArgs, costArg{v: a.Value})
				case a.Name == "products" && sel.Name == "latest":
					s.costArgs = append(s.costArgs, costArg{v: a.Value, list: true})
				}
			}
			s.selections(sel.SelectionSet)
		case *ast.InlineFragment:
			s.directives(sel.Directives)
			s.selections(sel.SelectionSet)
		case *ast.FragmentSpread:
			s.directives(sel.Directives)
			if !s.frags[sel.Name] && sel.Definition != nil {
				s.frags[sel.Name] = true
				s.directives(sel.Definition.Directives)
				s.selections(sel.Definition.SelectionSet)
			}
		}
	}
}

func (s *scan) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		for _, a := range d.Arguments {
			if hasVariable(a.Value) {
				s.static = false
			}
		}
	}
}

func hasVariable(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == ast.Variable {
		return true
	}
	for _, c := range v.Children {
		if hasVariable(c.Value) {
			return true
		}
	}
	return false
}

// answer writes the answer to a request into rec and reports true, or reports
// false having written nothing. body is a POST's body, nil for a GET.
func (d *directPath) answer(ctx context.Context, rec *recorder, r *http.Request, body []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	// params stays on the stack: what decodeJSON decodes into (through an
	// interface) is made on the heap only on the paths that need it.
	var params graphql.RawParams
	switch r.Method {
	case http.MethodPost:
		if !decodeParams(body, &params) {
			p := new(graphql.RawParams)
			if decodeJSON(bytes.NewReader(body), p) != nil {
				return false
			}
			params = *p
		}
	case http.MethodGet:
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return false
		}
		params.Query, params.OperationName = q.Get("query"), q.Get("operationName")
		var vok, eok bool
		params.Variables, vok = decodeObject(q.Get("variables"))
		params.Extensions, eok = decodeObject(q.Get("extensions"))
		if !vok || !eok {
			return false
		}
	default:
		return false
	}
	if n := noteOf(ctx); n != nil {
		n.op = params.OperationName
	}
	if params.Extensions["persistedQuery"] != nil {
		return false // gqlgen's APQ extension resolves and checks it
	}
	pd, found := d.docs.lru.Get(ctx, params.Query)
	if !found {
		return false // gqlgen parses and validates it, and keeps it for next time
	}
	po := pd.operation(params.OperationName)
	if po == nil {
		return false
	}
	vars, coerced := coerceVariables(d.es.Schema(), po.op, params.Variables)
	if !coerced {
		var err error
		if vars, err = validator.VariableValues(d.es.Schema(), po.op, params.Variables); err != nil {
			return false
		}
	}
	// The operation context is made only for what needs one: compiling the
	// roots and pricing, each of which is mostly done once and kept.
	opContext := func() *graphql.OperationContext {
		return &graphql.OperationContext{RawQuery: params.Query, OperationName: params.OperationName,
			Doc: pd.doc, Operation: po.op, Variables: vars}
	}

	costKey, keyed := po.costKey(vars)
	po.mu.Lock()
	roots, known, cost := po.roots, po.done && po.ok, 0
	if keyed {
		cost = po.costs[costKey]
	}
	if po.done && !po.ok {
		po.mu.Unlock()
		return false
	}
	po.mu.Unlock()
	if !known {
		if roots, ok = compileRoots(opContext()); po.static {
			po.mu.Lock()
			po.done, po.ok, po.roots = true, ok, roots
			po.mu.Unlock()
		}
		if !ok {
			return false
		}
	}
	if cost == 0 {
		cost = complexity.Calculate(graphql.WithOperationContext(ctx, opContext()), d.es, po.op, vars, pricing...)
	}
	if cost > ComplexityLimit {
		return false
	}

	// The answer is written whole into one buffer, {"data": first, and goes
	// out as it is (see recorder.whole): the fast path's writers escape for
	// HTML themselves (appendQuoted), so writeResponse would change nothing.
	bp := answerBuffer(int(max(512, d.fast.size.Load()*9/8)))
	w := &jsonWriter{r: d.fast.r, products: d.fast.products, memos: d.fast.memos, ctx: ctx, buf: append(*bp, dataPrefix...)}
	whole := false
	defer func() {
		*bp = w.buf
		if whole {
			noteOf(ctx).keep(bp) // the answer is read until it is written out
		} else {
			putAnswerBuffer(bp)
		}
	}()
	if known {
		w.vars = vars // plans made for another request: arguments are read again
	}
	w.buf = append(w.buf, '{')
	for i, p := range roots {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, p.key...)
		if p.id == fTypename {
			w.buf = append(w.buf, `"Query"`...)
		} else if !w.root(p) {
			return false
		}
	}
	w.buf = append(w.buf, '}')
	d.fast.size.Store(int64(len(w.buf)))

	if keyed {
		po.mu.Lock()
		if po.costs == nil || len(po.costs) >= maxCosts {
			po.costs = map[string]int{}
		}
		po.costs[costKey] = cost
		po.mu.Unlock()
	}
	if n := noteOf(ctx); n != nil {
		n.executed.Store(true)
		n.query.Store(true)
	}
	if d.hits != nil {
		d.hits.Add(1)
	}
	rec.header["Content-Type"] = responseTypeHeader(r)
	w.buf = append(w.buf, '}')
	rec.whole, whole = w.buf, true
	return true
}

// decodeObject decodes a GET parameter holding a JSON object, as gqlgen's GET
// transport does ("" is none).
func decodeObject(v string) (map[string]any, bool) {
	if v == "" {
		return nil, true
	}
	var m map[string]any
	return m, decodeJSON(strings.NewReader(v), &m) == nil
}

// compileRoots collects the root fields of an operation and compiles each,
// reporting false if the fast path does not write one of them.
func compileRoots(oc *graphql.OperationContext) ([]plan, bool) {
	var roots []plan
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if f.Name == "__typename" && !f.IsDeferred() {
			roots = append(roots, plan{id: fTypename, key: aliasKey(f.Alias)})
			continue
		}
		def, ok := rootFields[f.Name]
		if !ok {
			return nil, false
		}
		p, ok := compile(oc, f, def)
		if !ok {
			return nil, false
		}
		roots = append(roots, p)
	}
	return roots, true
}
