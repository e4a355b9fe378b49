package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MaxIntrospection is how many __schema and __type fields one operation may
// select: GraphiQL's introspection query selects one. Aliases repeat them,
// and each may answer the whole schema (docs/security.md).
const MaxIntrospection = 2

// introspectionPrice prices the __schema and __type fields of an operation
// by the fields they answer in this schema (the schema does not change, so
// the count is exact; gqlgen prices __schema at 0 and an introspection list
// as one element), adds that to the complexity FixedComplexityLimit found,
// and refuses the operation over ComplexityLimit or with more than
// MaxIntrospection of them. It must be Used after FixedComplexityLimit.
type introspectionPrice struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*introspectionPrice)(nil)

func (introspectionPrice) ExtensionName() string { return "IntrospectionPrice" }

func (p *introspectionPrice) Validate(es graphql.ExecutableSchema) error {
	p.schema = es.Schema()
	return nil
}

func (p *introspectionPrice) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	total := 0
	if s, ok := oc.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats); ok {
		total = s.Complexity
	}
	w := pricer{schema: p.schema, left: ComplexityLimit - total}
	for _, f := range fields(op.SelectionSet, 0) {
		switch f.Name {
		case "__schema":
			w.count++
			w.left--
			w.schemaFields(f.SelectionSet)
		case "__type":
			w.count++
			w.left--
			if name, ok := f.ArgumentMap(oc.Variables)["name"].(string); ok {
				if d := p.schema.Types[name]; d != nil {
					w.typeFields(f.SelectionSet, &ast.Type{NamedType: d.Name})
				}
			}
		}
	}
	if w.count > MaxIntrospection {
		err := gqlerror.Errorf("operation selects __schema or __type %d times, at most %d", w.count, MaxIntrospection)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	if w.left < 0 {
		err := gqlerror.Errorf("operation has complexity over the limit of %d (introspection priced by what it answers)", ComplexityLimit)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}

// fields is set's fields, those of its fragments included.
func fields(set ast.SelectionSet, depth int) []*ast.Field {
	var out []*ast.Field
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.FragmentSpread:
			if s.Definition != nil && depth < 32 { // the validator refused cycles
				out = append(out, fields(s.Definition.SelectionSet, depth+1)...)
			}
		case *ast.InlineFragment:
			out = append(out, fields(s.SelectionSet, depth+1)...)
		}
	}
	return out
}

// pricer counts the fields an introspection selection answers, one a field
// (as gqlgen prices a scalar), and stops once left is below 0, so pricing
// never costs more than the limit.
type pricer struct {
	schema *ast.Schema
	left   int
	count  int // __schema and __type fields
}

func (w *pricer) schemaFields(set ast.SelectionSet) {
	for _, f := range fields(set, 0) {
		if w.left--; w.left < 0 {
			return
		}
		switch f.Name {
		case "types":
			for _, d := range w.schema.Types {
				w.typeFields(f.SelectionSet, &ast.Type{NamedType: d.Name})
			}
		case "queryType", "mutationType", "subscriptionType":
			if d := map[string]*ast.Definition{"queryType": w.schema.Query, "mutationType": w.schema.Mutation,
				"subscriptionType": w.schema.Subscription}[f.Name]; d != nil {
				w.typeFields(f.SelectionSet, &ast.Type{NamedType: d.Name})
			}
		case "directives":
			for _, d := range w.schema.Directives {
				w.argsOf(f.SelectionSet, d.Arguments)
			}
		}
	}
}

// typeFields prices a __Type selection on t; a wrapper (non-null, list) has
// only kind and ofType to answer.
func (w *pricer) typeFields(set ast.SelectionSet, t *ast.Type) {
	var d *ast.Definition
	if t.Elem == nil && !t.NonNull {
		d = w.schema.Types[t.NamedType]
	}
	for _, f := range fields(set, 0) {
		if w.left--; w.left < 0 {
			return
		}
		if d == nil {
			if f.Name == "ofType" {
				inner := *t
				if inner.NonNull {
					inner.NonNull = false
				} else {
					inner = *t.Elem
				}
				w.typeFields(f.SelectionSet, &inner)
			}
			continue
		}
		switch f.Name {
		case "fields": // null but on objects and interfaces
			if d.Kind != ast.Object && d.Kind != ast.Interface {
				continue
			}
			for _, fd := range d.Fields {
				if !strings.HasPrefix(fd.Name, "__") {
					w.fieldFields(f.SelectionSet, fd.Type, fd.Arguments)
				}
			}
		case "inputFields":
			if d.Kind != ast.InputObject {
				continue
			}
			for _, fd := range d.Fields {
				w.fieldFields(f.SelectionSet, fd.Type, nil)
			}
		case "interfaces":
			for _, name := range d.Interfaces {
				w.typeFields(f.SelectionSet, &ast.Type{NamedType: name})
			}
		case "possibleTypes":
			if d.Kind != ast.Interface && d.Kind != ast.Union {
				continue
			}
			for _, pd := range w.schema.GetPossibleTypes(d) {
				w.typeFields(f.SelectionSet, &ast.Type{NamedType: pd.Name})
			}
		case "enumValues":
			if d.Kind == ast.Enum {
				w.left -= len(d.EnumValues) * len(fields(f.SelectionSet, 0))
			}
		}
	}
}

// fieldFields prices a __Field or __InputValue selection: its type and its
// arguments.
func (w *pricer) fieldFields(set ast.SelectionSet, t *ast.Type, args ast.ArgumentDefinitionList) {
	for _, f := range fields(set, 0) {
		if w.left--; w.left < 0 {
			return
		}
		switch f.Name {
		case "type":
			w.typeFields(f.SelectionSet, t)
		case "args":
			for _, a := range args {
				w.fieldFields(f.SelectionSet, a.Type, nil)
			}
		}
	}
}

// argsOf prices a __Directive selection.
func (w *pricer) argsOf(set ast.SelectionSet, args ast.ArgumentDefinitionList) {
	for _, f := range fields(set, 0) {
		if w.left--; w.left < 0 {
			return
		}
		if f.Name == "args" {
			for _, a := range args {
				w.fieldFields(f.SelectionSet, a.Type, nil)
			}
		}
	}
}
