package fastpath

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The fast path answers the release-reading root fields (releases, latest,
// products, product) by writing their JSON straight from the index, after
// gqlgen has parsed, validated and priced the query: gqlgen's executor would
// start a goroutine per list element and allocate per field. It answers only
// when everything goes right; on anything else it hands the field to gqlgen,
// which answers exactly as without it.

func (*Path) ExtensionName() string                   { return "ReleaseFastPath" }
func (*Path) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptRootField answers a root field of a query, or leaves it to next.
func (p *Path) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rf := graphql.GetRootFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if rf == nil || oc == nil || oc.Operation == nil {
		return next(ctx)
	}
	if oc.Operation.Operation != ast.Query {
		p.fallback(PathExecutor, ReasonMutation)
		return next(ctx)
	}
	out, reason := p.answer(ctx, oc, rf.Field)
	if reason != "" {
		p.fallback(PathExecutor, reason)
		return next(ctx)
	}
	p.fields.Add(1)
	return rawJSON(out)
}

// answer writes the value of a root field, or returns why it leaves it to gqlgen.
func (p *Path) answer(ctx context.Context, oc *graphql.OperationContext, field graphql.CollectedField) (out []byte, reason string) {
	defer func() {
		if v := recover(); v != nil {
			p.recovered(ctx, PathExecutor, oc.RawQuery, v)
			out, reason = nil, ReasonPanic
		}
	}()
	def, ok := rootFields[field.Name]
	if !ok {
		return nil, ReasonUnknownField
	}
	root, reason := compile(oc, field, def)
	if reason != "" {
		return nil, reason
	}
	bp := answerBuffer(int(max(512, p.size.Load()*9/8)))
	w := p.writer(ctx, *bp)
	defer func() { *bp = w.buf; keep(ctx, bp) }() // the answer is read until it is written out
	if !w.root(root) {
		return nil, ReasonError
	}
	p.size.Store(int64(len(w.buf)))
	return w.buf, ""
}

func (p *Path) writer(ctx context.Context, buf []byte) *jsonWriter {
	return &jsonWriter{src: p.src, products: p.products, memos: p.memos, ctx: ctx, buf: buf}
}

type rawJSON []byte

func (b rawJSON) MarshalGQL(w io.Writer) { w.Write(b) }

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
// It returns why not when the fast path cannot write it.
func compile(oc *graphql.OperationContext, field graphql.CollectedField, def fieldDef) (plan, string) {
	p := plan{id: def.id, key: aliasKey(field.Alias)}
	if field.IsDeferred() {
		return p, ReasonDirective
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
		return p, ""
	}
	known := fields[def.typ]
	for _, cf := range graphql.CollectFields(oc, field.Selections, []string{def.typ}) {
		childDef, ok := known[cf.Name]
		if !ok {
			return p, ReasonUnknownField
		}
		child, reason := compile(oc, cf, childDef)
		if reason != "" {
			return p, reason
		}
		p.sel = append(p.sel, child)
	}
	if def.typ == "Release" {
		p.sig = memoSig(p.sel)
	}
	return p, ""
}
