package fastpath

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Args are a planned field's raw argument values for one request, as gqlgen's
// ArgumentMap gives them (after validation and variable coercion): the plan's
// own, or, for a plan made for another request (the direct path's kept
// plans), read from the field and this request's variables one at a time, as
// ArgumentMap's arg2map reads them: making the map costs more than the few
// lookups the fast path does.
type Args struct {
	m    map[string]any
	f    *ast.Field // nil: m
	vars map[string]any
}

// ArgsOf returns the arguments ArgumentMap would read from f and vars.
func ArgsOf(f *ast.Field, vars map[string]any) Args { return Args{f: f, vars: vars} }

// Get returns ArgumentMap's value of argument name, nil when it has none.
func (a Args) Get(name string) any {
	if a.f == nil {
		return a.m[name]
	}
	def := a.f.Definition.Arguments.ForName(name)
	if def == nil {
		return nil
	}
	if arg := a.f.Arguments.ForName(name); arg != nil {
		if arg.Value.Kind != ast.Variable {
			return mustValue(arg.Value, a.vars)
		}
		if v, ok := a.vars[arg.Value.Raw]; ok {
			return v
		}
	}
	if def.DefaultValue != nil {
		return mustValue(def.DefaultValue, a.vars)
	}
	return nil
}

// mustValue panics where ArgumentMap does (the fast path then recovers and
// leaves the field to gqlgen).
func mustValue(v *ast.Value, vars map[string]any) any {
	val, err := v.Value(vars)
	if err != nil {
		panic(err)
	}
	return val
}

// The Arg functions read argument values with the functions the generated
// code uses, so both paths accept exactly the same input; each reports false
// on what it does not accept (gqlgen then reports the error). nil stays nil.

// ArgStrings reads [String!]: a single value is a list of one.
func ArgStrings(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list := graphql.CoerceList(v)
	out := make([]string, len(list))
	for i, e := range list {
		if e == nil {
			return nil, false
		}
		s, err := graphql.UnmarshalString(e)
		if err != nil {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// ArgString reads a String.
func ArgString(v any) (*string, bool) {
	if v == nil {
		return nil, true
	}
	s, err := graphql.UnmarshalString(v)
	return &s, err == nil
}

// ArgBool reads a Boolean.
func ArgBool(v any) (*bool, bool) {
	if v == nil {
		return nil, true
	}
	b, err := graphql.UnmarshalBoolean(v)
	return &b, err == nil
}

// ArgInt reads an Int.
func ArgInt(v any) (*int, bool) {
	if v == nil {
		return nil, true
	}
	n, err := graphql.UnmarshalInt(v)
	return &n, err == nil
}

// ArgMap returns the arguments of m, as ArgumentMap returns them.
func ArgMap(m map[string]any) Args { return Args{m: m} }
