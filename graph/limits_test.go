package graph

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
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
	t.Logf("answer %d bytes", len(body))
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
