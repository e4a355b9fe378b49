package graph

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Reading arguments for the fast path from gqlgen's raw argument values (after
// validation and variable coercion), with the same functions the generated
// code uses, so both paths accept exactly the same input. Each reports false
// on anything it does not accept: the fast path then leaves the field to
// gqlgen, which reports the error.

// fieldArgs are a planned field's raw argument values for one request: the
// plan's own (m, from ArgumentMap), or, for a plan made for another request,
// read from the field and this request's variables as ArgumentMap reads them
// (gqlparser's arg2map), one at a time: making the map costs more than the
// few lookups the fast path does.
type fieldArgs struct {
	m    map[string]any
	f    *ast.Field // nil: m
	vars map[string]any
}

// get returns ArgumentMap's value of argument name, nil when it has none.
func (a fieldArgs) get(name string) any {
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

// readListArgs reads the arguments of Query.releases or Product.releases.
func readListArgs(raw fieldArgs) (listArgs, bool) {
	var a listArgs
	var ok [8]bool
	a.Products, ok[0] = argStrings(raw.get("products"))
	a.Since, ok[1] = argTime(raw.get("since"))
	a.Until, ok[2] = argTime(raw.get("until"))
	a.Prerelease, ok[3] = argBool(raw.get("prerelease"))
	a.OrderBy, ok[4] = argOrder(raw.get("orderBy"))
	a.First, ok[5] = argInt(raw.get("first"))
	a.After, ok[6] = argString(raw.get("after"))
	a.AsOf, ok[7] = argTime(raw.get("asOf"))
	for _, o := range ok {
		if !o {
			return a, false
		}
	}
	return a, true
}

// argStrings reads [String!]: nil stays nil, a single value is a list of one.
func argStrings(v any) ([]string, bool) {
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

func argString(v any) (*string, bool) {
	if v == nil {
		return nil, true
	}
	s, err := graphql.UnmarshalString(v)
	return &s, err == nil
}

func argTime(v any) (*time.Time, bool) {
	if v == nil {
		return nil, true
	}
	t, err := UnmarshalDateTime(v)
	return &t, err == nil
}

func argBool(v any) (*bool, bool) {
	if v == nil {
		return nil, true
	}
	b, err := graphql.UnmarshalBoolean(v)
	return &b, err == nil
}

func argInt(v any) (*int, bool) {
	if v == nil {
		return nil, true
	}
	n, err := graphql.UnmarshalInt(v)
	return &n, err == nil
}

// argOrder reads a ReleaseOrder input object, with its fields' defaults.
func argOrder(v any) (*ReleaseOrder, bool) {
	if v == nil {
		return nil, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	o := &ReleaseOrder{Field: ReleaseOrderFieldPublishedAt, Direction: OrderDirectionDesc}
	if f, present := m["field"]; present {
		if err := o.Field.UnmarshalGQL(f); err != nil {
			return nil, false
		}
	}
	if d, present := m["direction"]; present {
		if err := o.Direction.UnmarshalGQL(d); err != nil {
			return nil, false
		}
	}
	for k := range m {
		if k != "field" && k != "direction" {
			return nil, false
		}
	}
	return o, true
}
