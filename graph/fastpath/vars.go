package fastpath

import (
	"encoding/json"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// coerceVariables coerces a request's variables as validator.VariableValues
// does, for the usual ones: strings, booleans, Int numbers, enum names, custom
// scalars given as strings, lists of strings or booleans, absent or null
// where that is allowed. It reports false on anything else (a default value,
// an input object, a missing or wrong value, Float, ID), and the caller
// coerces with validator.VariableValues: a shortcut, never a second opinion.
// VariableValues walks each value by reflection, building a path and
// re-boxing every value; here the values, already of the right types, are
// kept as they are (VariableValues gives the same values back).
// FuzzCoerceVariables holds the two to the same result.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, raw map[string]any) (map[string]any, bool) {
	out := make(map[string]any, len(op.VariableDefinitions))
	for _, v := range op.VariableDefinitions {
		if v.Definition == nil || !v.Definition.IsInputType() || v.DefaultValue != nil {
			return nil, false
		}
		val, has := raw[v.Variable]
		switch {
		case !has && v.Type.NonNull, val == nil && v.Type.NonNull:
			return nil, false // an error: VariableValues words it
		case !has:
			continue
		case val == nil:
			out[v.Variable] = nil
			continue
		}
		if v.Type.Elem != nil {
			if !coerceList(schema, v.Type.Elem, val) {
				return nil, false
			}
			out[v.Variable] = val
			continue
		}
		c, ok := coerceScalar(schema, v.Type.NamedType, val)
		if !ok {
			return nil, false
		}
		out[v.Variable] = c
	}
	return out, true
}

// coerceList reports whether val is a list whose elements elem takes as
// they are (null where elem is nullable).
func coerceList(schema *ast.Schema, elem *ast.Type, val any) bool {
	l, ok := val.([]any)
	if !ok || elem.Elem != nil {
		return false // a single value made a list, or a list of lists
	}
	for _, e := range l {
		if e == nil {
			if elem.NonNull {
				return false
			}
			continue
		}
		switch elem.NamedType {
		case "String", "Boolean": // a list keeps them as they are; not Int (json.Number stays)
		default:
			return false
		}
		if c, ok := coerceScalar(schema, elem.NamedType, e); !ok || c != e {
			return false
		}
	}
	return true
}

// coerceScalar returns val coerced to the named scalar or enum type.
func coerceScalar(schema *ast.Schema, name string, val any) (any, bool) {
	def := schema.Types[name]
	if def == nil {
		return nil, false
	}
	switch def.Kind {
	case ast.Scalar:
		switch name {
		case "String":
			_, ok := val.(string)
			return val, ok
		case "Boolean":
			_, ok := val.(bool)
			return val, ok
		case "Int":
			n, ok := val.(json.Number)
			if !ok {
				return nil, false
			}
			i, err := n.Int64()
			return i, err == nil
		case "Float", "ID":
			return nil, false
		default: // custom scalars are taken as they are; here only strings
			_, ok := val.(string)
			return val, ok
		}
	case ast.Enum:
		s, ok := val.(string)
		if !ok {
			return nil, false
		}
		for _, e := range def.EnumValues {
			if strings.EqualFold(s, e.Name) {
				return val, true
			}
		}
	}
	return nil, false
}
