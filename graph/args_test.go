package graph

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/releaselake/releaselake/graph/fastpath"
)

func TestFieldArgs_get_asArgumentMap(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	queries := []string{`query($n: Int = 7, $r: Int, $p: String! = "z") { ingestRuns(last: $n) { id } a: ingestRuns(last: $r) { id }
		b: ingestRuns { id }
		releases(products: ["x", $p], first: 3, orderBy: {field: VERSION}) { totalCount } }`}
	for _, dq := range directQueries {
		queries = append(queries, dq.query)
	}
	var varSets []map[string]any
	for _, s := range []string{`{}`, `{"n":null,"r":2,"p":"y"}`,
		`{"p":["c","a"],"n":3,"yes":true,"k":"a","o":{"field":"VERSION"},"s":"2026-01-05T00:00:00Z","pre":false,"asOf":null}`} {
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber() // as the transports decode
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		varSets = append(varSets, m)
	}
	for _, q := range queries {
		doc, errs := gqlparser.LoadQuery(schema, q)
		if errs != nil {
			t.Fatalf("%s: %v", q, errs)
		}
		var fields []*ast.Field
		var walk func(ast.SelectionSet)
		walk = func(set ast.SelectionSet) {
			for _, sel := range set {
				switch sel := sel.(type) {
				case *ast.Field:
					fields = append(fields, sel)
					walk(sel.SelectionSet)
				case *ast.InlineFragment:
					walk(sel.SelectionSet)
				}
			}
		}
		for _, op := range doc.Operations {
			walk(op.SelectionSet)
		}
		for _, f := range fields {
			for _, vars := range varSets {
				want := f.ArgumentMap(vars)
				for _, def := range f.Definition.Arguments {
					if got := fastpath.ArgsOf(f, vars).Get(def.Name); !reflect.DeepEqual(got, want[def.Name]) {
						g, _ := json.Marshal(got)
						w, _ := json.Marshal(want[def.Name])
						t.Errorf("%s(%s) with %v: %s, want %s", f.Name, def.Name, vars, g, w)
					}
				}
			}
		}
	}
}
