package fastpath

import (
	"context"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// Docs is gqlgen's query cache (graphql.Cache) holding, beside each parsed
// and validated document, what the direct path learned about it.
type Docs struct{ lru *lru.LRU[*preparedDoc] }

var _ graphql.Cache[*ast.QueryDocument] = Docs{}

// NewDocs returns a cache of size documents.
func NewDocs(size int) Docs { return Docs{lru.New[*preparedDoc](size)} }

// Get returns the document of a query text gqlgen parsed and validated.
func (q Docs) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if p, ok := q.lru.Get(ctx, query); ok {
		return p.doc, true
	}
	return nil, false
}

// Add keeps a document gqlgen parsed and validated.
func (q Docs) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
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
	why   string         // static and not ok: why not (a Reason…)
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
