package graph

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// Reading arguments for the fast path from gqlgen's raw argument values (after
// validation and variable coercion), with the same functions the generated
// code uses, so both paths accept exactly the same input. Each reports false
// on anything it does not accept: the fast path then leaves the field to
// gqlgen, which reports the error.

// readListArgs reads the arguments of Query.releases or Product.releases.
func readListArgs(raw map[string]any) (listArgs, bool) {
	var a listArgs
	var ok [8]bool
	a.Products, ok[0] = argStrings(raw["products"])
	a.Since, ok[1] = argTime(raw["since"])
	a.Until, ok[2] = argTime(raw["until"])
	a.Prerelease, ok[3] = argBool(raw["prerelease"])
	a.OrderBy, ok[4] = argOrder(raw["orderBy"])
	a.First, ok[5] = argInt(raw["first"])
	a.After, ok[6] = argString(raw["after"])
	a.AsOf, ok[7] = argTime(raw["asOf"])
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
