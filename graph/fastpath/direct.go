package fastpath

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/validator"
)

// Direct is the direct path: it answers a query without gqlgen's executor
// when gqlgen has already parsed and validated its text (it is in Docs, which
// only keeps valid documents) and the fast path writes every root field of
// the operation. What gqlgen would still do per request is done with gqlgen's
// own functions or a shortcut held to them (decodeParams):
// decoding, picking the operation, coercing variables, pricing, collecting
// fields. What it skips is the operation context, the extension chain and the
// executor's copies of the answer; field collection and pricing are kept per
// document. On anything else it reports false having written nothing, and
// the request goes to gqlgen. docs/architecture.md has the details.
type Direct struct {
	p    *Path
	es   graphql.ExecutableSchema
	docs Docs
	srv  *Server
	off  atomic.Bool // an extension it does not know was Used since it was made
}

// Direct returns the direct path over srv's documents, nil when srv has an
// extension the direct path does not know (it would skip its work): the
// fast path within gqlgen's executor still answers there. Answer checks
// again, so an extension Used later turns it off too.
func (p *Path) Direct(srv *Server) *Direct {
	d := &Direct{p: p, es: srv.es, docs: srv.docs, srv: srv}
	srv.changed.Store(false)
	if !d.knowsAll() {
		return nil
	}
	return d
}

// knowsAll reports whether every extension Used on the server is one the
// direct path knows; it logs the first one it does not know, once.
func (d *Direct) knowsAll() bool {
	name, ok := d.srv.unknown(d.p.o.Knows)
	if !ok && d.srv.warned.CompareAndSwap(false, true) {
		d.p.log.Warn("graphql direct path off: the server uses an extension it does not know", "extension", name)
	}
	return ok
}

// Answer answers a request (body is a POST's body, nil for a GET): the whole
// answer, as writeResponse would write it, and its Content-Type; or false
// having written nothing, and gqlgen answers. The answer's buffer is kept by
// the request's Note until the answer is written.
func (d *Direct) Answer(ctx context.Context, r *http.Request, body []byte) (answer []byte, contentType []string, ok bool) {
	if d == nil {
		return nil, nil, false
	}
	if d.srv.changed.Load() && d.srv.changed.CompareAndSwap(true, false) && !d.knowsAll() {
		d.off.Store(true)
	}
	if d.off.Load() {
		return nil, nil, false
	}
	var query string
	defer func() {
		if v := recover(); v != nil {
			d.p.recovered(ctx, PathDirect, query, v)
			d.p.fallback(PathDirect, ReasonPanic)
			answer, contentType, ok = nil, nil, false
		}
	}()
	out, reason := d.answer(ctx, r, body, &query)
	if reason != "" {
		d.p.fallback(PathDirect, reason)
		return nil, nil, false
	}
	d.p.requests.Add(1)
	return out, responseTypeHeader(r), true
}

// answer writes the answer to a request, or returns why it leaves it to
// gqlgen. *query is set to the query text once known.
func (d *Direct) answer(ctx context.Context, r *http.Request, body []byte, query *string) (answer []byte, reason string) {
	if IsWebSocket(r) {
		return nil, ReasonRequest
	}
	// params stays on the stack: what decodeJSON decodes into (through an
	// interface) is made on the heap only on the paths that need it.
	var params graphql.RawParams
	switch r.Method {
	case http.MethodPost:
		if !decodeParams(body, &params) {
			p := new(graphql.RawParams)
			if decodeJSON(bytes.NewReader(body), p) != nil {
				return nil, ReasonRequest
			}
			params = *p
		}
	case http.MethodGet:
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, ReasonRequest
		}
		params.Query, params.OperationName = q.Get("query"), q.Get("operationName")
		var vok, eok bool
		params.Variables, vok = decodeObject(q.Get("variables"))
		params.Extensions, eok = decodeObject(q.Get("extensions"))
		if !vok || !eok {
			return nil, ReasonRequest
		}
	default:
		return nil, ReasonRequest
	}
	*query = params.Query
	setOp(ctx, params.OperationName)
	if params.Extensions["persistedQuery"] != nil {
		return nil, ReasonPersisted // gqlgen's APQ extension resolves and checks it
	}
	pd, found := d.docs.lru.Get(ctx, params.Query)
	if !found {
		return nil, ReasonNewQuery // gqlgen parses and validates it, and keeps it for next time
	}
	po := pd.operation(params.OperationName)
	if po == nil {
		return nil, ReasonMutation // or no such operation: gqlgen words the error
	}
	vars, err := validator.VariableValues(d.es.Schema(), po.op, params.Variables)
	if err != nil {
		return nil, ReasonVariables
	}
	// The operation context is made only for what needs one: compiling the
	// roots and pricing, each of which is mostly done once and kept.
	opContext := func() *graphql.OperationContext {
		return &graphql.OperationContext{RawQuery: params.Query, OperationName: params.OperationName,
			Doc: pd.doc, Operation: po.op, Variables: vars}
	}

	costKey, keyed := po.costKey(vars)
	po.mu.Lock()
	roots, known, cost, why := po.roots, po.done && po.ok, 0, po.why
	if keyed {
		cost = po.costs[costKey]
	}
	if po.done && !po.ok {
		po.mu.Unlock()
		return nil, why
	}
	po.mu.Unlock()
	if !known {
		if roots, reason = compileRoots(opContext()); po.static {
			po.mu.Lock()
			po.done, po.ok, po.why, po.roots = true, reason == "", reason, roots
			po.mu.Unlock()
		}
		if reason != "" {
			return nil, reason
		}
	}
	if cost == 0 {
		cost = complexity.Calculate(graphql.WithOperationContext(ctx, opContext()), d.es, po.op, vars, d.p.o.Pricing...)
	}
	if limit := d.p.o.ComplexityLimit; limit > 0 && cost > limit {
		return nil, ReasonComplexity
	}

	// The answer is written whole into one buffer, {"data": first, and goes
	// out as it is: the fast path's writers escape for HTML themselves
	// (appendQuoted), so writeResponse would change nothing.
	bp := answerBuffer(int(max(512, d.p.size.Load()*9/8)))
	w := d.p.writer(ctx, append(*bp, dataPrefix...))
	whole := false
	defer func() {
		*bp = w.buf
		if whole {
			keep(ctx, bp) // the answer is read until it is written out
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
			return nil, ReasonError
		}
	}
	w.buf = append(w.buf, '}')
	d.p.size.Store(int64(len(w.buf)))

	if keyed {
		po.mu.Lock()
		if po.costs == nil || len(po.costs) >= maxCosts {
			po.costs = map[string]int{}
		}
		po.costs[costKey] = cost
		po.mu.Unlock()
	}
	w.buf = append(w.buf, '}')
	whole = true
	return w.buf, ""
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
// returning why not if the fast path does not write one of them.
func compileRoots(oc *graphql.OperationContext) ([]plan, string) {
	var roots []plan
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if f.Name == "__typename" && !f.IsDeferred() {
			roots = append(roots, plan{id: fTypename, key: aliasKey(f.Alias)})
			continue
		}
		def, ok := rootFields[f.Name]
		if !ok {
			return nil, ReasonUnknownField
		}
		p, reason := compile(oc, f, def)
		if reason != "" {
			return nil, reason
		}
		roots = append(roots, p)
	}
	return roots, ""
}
