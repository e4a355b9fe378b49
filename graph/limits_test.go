package graph

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
)

// GraphiQL's introspection query (graphql-js getIntrospectionQuery with every
// option on, as GraphiQL 4 may send it) fits the complexity limit.
func TestIntrospection_graphiqlQueryAnswers(t *testing.T) {
	q, err := os.ReadFile("testdata/introspection-graphiql.graphql")
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, Options{})
	b, _ := json.Marshal(map[string]any{"query": string(q), "operationName": "IntrospectionQuery"})
	_, body := do(t, "POST", s.URL, string(b), nil)
	if !strings.Contains(body, `"queryType":{"name":"Query"`) || strings.Contains(body, `"errors"`) {
		t.Fatalf("%.300s", body)
	}
	// Priced by what it answers: one a field, as the answer counts them. A
	// schema grown so far that it nears the limit needs the limit raised.
	es := NewExecutableSchema(Config{Resolvers: &Resolver{}})
	doc, gerr := gqlparser.LoadQuery(es.Schema(), string(q))
	if gerr != nil {
		t.Fatal(gerr)
	}
	w := pricer{schema: es.Schema(), left: ComplexityLimit}
	w.schemaFields(fields(doc.Operations[0].SelectionSet, 0)[0].SelectionSet)
	var answer any
	json.Unmarshal([]byte(body), &answer)
	n := countFields(answer) - 1 // but "data"
	price := ComplexityLimit - w.left + 1
	t.Logf("GraphiQL's introspection query is priced %d", price)
	if price != n || price > ComplexityLimit*3/4 {
		t.Fatalf("GraphiQL's introspection priced %d, answers %d fields; the limit is %d", price, n, ComplexityLimit)
	}
}

// countFields counts the fields of a JSON answer, those of list elements
// each.
func countFields(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			n += 1 + countFields(x)
		}
	case []any:
		for _, x := range v {
			n += countFields(x)
		}
	}
	return n
}

// Aliased __schema fields beyond MaxIntrospection are refused before any is
// answered, and introspection lists are priced by their length.
func TestIntrospection_isLimitedAndPriced(t *testing.T) {
	s := serve(t, Options{})
	many := "{"
	for i := range 3 {
		many += " s" + string(rune('a'+i)) + ": __schema { queryType { name } }"
	}
	many += " }"
	_, body := do(t, "POST", s.URL, `{"query":`+quote(many)+`}`, nil)
	if codeOf(t, body) != "COMPLEXITY_LIMIT_EXCEEDED" || !strings.Contains(body, "at most 2") {
		t.Fatalf("3 aliases: %s", body)
	}
	// One __schema with aliases inside it: over the limit by what it would
	// answer, though gqlgen alone prices __schema at 0.
	inner := ""
	for i := range 60 {
		inner += fmt.Sprintf(" f%d: fields { name type { name } }", i)
	}
	_, body = do(t, "POST", s.URL, `{"query":`+quote("{ __schema { types {"+inner+" } } }")+`}`, nil)
	if codeOf(t, body) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("aliases within: %.300s", body)
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// A search's cost grows with its words: over MaxSearchChars or
// MaxSearchWords it is refused, on the fast path and gqlgen's alike.
func TestQuery_productsSearchIsBounded(t *testing.T) {
	s := serve(t, Options{})
	for _, q := range []string{strings.Repeat("x", 201), strings.Repeat("a ", 11)} {
		_, body := do(t, "POST", s.URL, `{"query":`+quote(`query($q: String) { products(search: $q) { key } }`)+`,"variables":{"q":`+quote(q)+`}}`, nil)
		if codeOf(t, body) != "BAD_USER_INPUT" {
			t.Fatalf("%.40q: %s", q, body)
		}
	}
	_, body := do(t, "POST", s.URL, `{"query":"{ products(search: \"a b c d e f g h i scope\") { key } }"}`, nil)
	if strings.Contains(body, "errors") {
		t.Fatal(body)
	}
}
