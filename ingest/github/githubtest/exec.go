package githubtest

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// A small GraphQL executor over gqlparser's AST: it walks the validated operation,
// resolves each field on a Go value standing for a GitHub object, and keeps the field
// order of the query in the JSON it writes.

// object is a GitHub object the executor can select fields on.
type object interface {
	typename() string
	// resolve returns the field's value: nil (null), a scalar, an object, or a []any of
	// those. Fields it does not know resolve to nil.
	// path is the field's response path, for errors the resolver records itself.
	resolve(ec *execution, f *ast.Field, args map[string]any, path []any) (any, *Error)
}

type execution struct {
	s    *Server
	q    *prepared
	errs []Error
}

func (s *Server) execute(q *prepared) (result, []Error) {
	ec := &execution{s: s, q: q}
	return ec.selectFields(queryRoot{}, q.op.SelectionSet, nil), ec.errs
}

// result is a JSON object whose keys keep the query's order.
type result []entry

type entry struct {
	key string
	val any
}

func (r result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := r.write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// write writes r as JSON into b in one pass: json.Marshal would check and compact
// the output of every nested result once per level above it.
func (r result) write(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, e := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.key)
		b.Write(k)
		b.WriteByte(':')
		if err := writeValue(b, e.val); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeValue(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case result:
		return v.write(b)
	case []any:
		b.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, item); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(raw)
	return nil
}

func (ec *execution) selectFields(obj object, set ast.SelectionSet, path []any) result {
	var keys []string
	fields := map[string][]*ast.Field{}
	ec.collect(obj.typename(), set, &keys, fields, map[string]bool{})
	out := make(result, 0, len(keys))
	for _, key := range keys {
		fs := fields[key]
		f := fs[0]
		p := append(path[:len(path):len(path)], key)
		var val any
		if f.Name == "__typename" {
			val = obj.typename()
		} else {
			args, err := argumentMap(f, ec.q.vars)
			var raw any
			var e *Error
			if err != nil {
				e = &Error{Message: err.Error()}
			} else {
				raw, e = obj.resolve(ec, f, args, p)
			}
			if e != nil {
				e.Path = p
				if e.Locations == nil {
					e.Locations = fieldLocation(f)
				}
				ec.errs = append(ec.errs, *e)
			} else {
				var sub ast.SelectionSet
				for _, f := range fs {
					sub = append(sub, f.SelectionSet...)
				}
				val = ec.complete(raw, sub, p)
			}
		}
		out = append(out, entry{key, val})
	}
	return out
}

func (ec *execution) complete(raw any, sub ast.SelectionSet, path []any) any {
	switch v := raw.(type) {
	case nil:
		return nil
	case object:
		return ec.selectFields(v, sub, path)
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = ec.complete(item, sub, append(path[:len(path):len(path)], i))
		}
		return out
	}
	return raw
}

// collect gathers the fields that apply to an object of type typ, by response key in
// query order, following fragments whose type condition matches.
func (ec *execution) collect(typ string, set ast.SelectionSet, keys *[]string, fields map[string][]*ast.Field, visited map[string]bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if !ec.included(sel.Directives) {
				continue
			}
			key := responseKey(sel)
			if _, ok := fields[key]; !ok {
				*keys = append(*keys, key)
			}
			fields[key] = append(fields[key], sel)
		case *ast.InlineFragment:
			if ec.included(sel.Directives) && ec.applies(sel.TypeCondition, typ) {
				ec.collect(typ, sel.SelectionSet, keys, fields, visited)
			}
		case *ast.FragmentSpread:
			frag := ec.q.doc.Fragments.ForName(sel.Name)
			if frag == nil || visited[sel.Name] || !ec.included(sel.Directives) || !ec.applies(frag.TypeCondition, typ) {
				continue
			}
			visited[sel.Name] = true
			ec.collect(typ, frag.SelectionSet, keys, fields, visited)
		}
	}
}

// applies tells whether a fragment on cond applies to an object of type typ.
func (ec *execution) applies(cond, typ string) bool {
	if cond == "" || cond == typ {
		return true
	}
	def := ec.s.schema.Types[cond]
	if def == nil || (def.Kind != ast.Interface && def.Kind != ast.Union) {
		return false
	}
	return slices.ContainsFunc(ec.s.schema.GetPossibleTypes(def), func(d *ast.Definition) bool { return d.Name == typ })
}

// included applies @skip and @include.
func (ec *execution) included(ds ast.DirectiveList) bool {
	for _, d := range ds {
		arg := d.Arguments.ForName("if")
		if arg == nil {
			continue
		}
		v, err := arg.Value.Value(ec.q.vars)
		if err != nil {
			continue
		}
		if (d.Name == "skip" && v == true) || (d.Name == "include" && v == false) {
			return false
		}
	}
	return true
}
