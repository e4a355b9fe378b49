package graph

import (
	"encoding/json"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/graph/graphiql"
	sourcekinds "github.com/releaselake/releaselake/ingest/sources"
)

// The query GraphiQL opens on works as it says: it asks for three products of
// the default catalog, answers without errors (as gqlgen's executor alone
// answers it, by POST and by GET) with releases of each, and its endCursor
// walks the pages to the end, every release once.
func TestGraphiQL_defaultQueryRuns(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: graphiql.DefaultQuery})
	if err != nil || len(doc.Operations) != 1 {
		t.Fatalf("graphiql.DefaultQuery: %v", err)
	}
	op := doc.Operations[0]
	products := op.VariableDefinitions.ForName("products")
	if products == nil || products.DefaultValue == nil || op.VariableDefinitions.ForName("after") == nil {
		t.Fatalf("graphiql.DefaultQuery declares no $products with a default and $after: %s", graphiql.DefaultQuery)
	}
	cat, err := catalog.Default(sourcekinds.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, v := range products.DefaultValue.Children {
		keys = append(keys, v.Value.Raw)
		if _, ok := cat.Product(v.Value.Raw); !ok {
			t.Errorf("graphiql.DefaultQuery asks for %q, which the default catalog does not have", v.Value.Raw)
		}
	}
	if len(keys) != 3 {
		t.Errorf("graphiql.DefaultQuery asks for %v, want three products", keys)
	}

	s := newDocServer(t)
	const where = "graphiql.DefaultQuery"
	s.checkQuery(t, where, graphiql.DefaultQuery, "")
	var answer struct {
		Data struct {
			Releases struct {
				Nodes []struct{ Product struct{ Key string } }
			}
		}
	}
	if err := json.Unmarshal(s.ask(s.h, false, graphiql.DefaultQuery, "", nil).Body.Bytes(), &answer); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, n := range answer.Data.Releases.Nodes {
		seen[n.Product.Key] = true
	}
	for _, k := range keys {
		if !seen[k] {
			t.Errorf("the first page of graphiql.DefaultQuery has no release of %s: %+v", k, answer)
		}
	}
	if pages := s.checkPaging(t, where, graphiql.DefaultQuery, "", false); pages < 3 {
		t.Errorf("graphiql.DefaultQuery walked %d pages over the doc lake, want several", pages)
	}
}
