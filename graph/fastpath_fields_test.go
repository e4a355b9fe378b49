package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/releaselake/releaselake/graph/fastpath"
)

// deliberateFallbacks are the fields of the guarded types that the fast path
// leaves to gqlgen on purpose, "Type.field" -> why. A query selecting one is
// answered by gqlgen's executor (fastpath.ReasonUnknownField).
var deliberateFallbacks = map[string]string{
	"Query.lake":       "operator status, one small object: gqlgen's executor costs nothing worth a writer",
	"Query.ingestRuns": "operator history, up to 100 small records read from the lake, not the index",
	"Product.status":   "operator health of one product, from the runs' health state, not the index: no hot list asks for it",
	"Query.node":       "one object by id (a detail page, a client cache refetch): gqlgen's executor costs little for one",
	"Query.nodes":      "up to 100 objects by id of two types (an interface): a cache refetch, not a hot list; the executor's per-field cost is small beside the lookups",
	"Query.release":    "one release of a product (a detail page): one object, nothing a writer would save",
	// lines helper (issue 19): derived fields, answered by gqlgen's executor.
	"Product.lines": "one product's lines, worked out once per index and kept (serving/lines.go): a product page asks for them, no hot list does",
	// advisories helper (issue 19): per-product lists beside the index.
	"Product.advisories": "security advisories, a short list per product from yellow_advisories beside the index; a product page asks once",
	"Release.advisories": "advisories affecting one release: range evaluation over the product's advisories, asked on a release's page, not in hot lists",
	"Release.fixes":      "advisories one release fixes: as Release.advisories",
	// cdf helper (issue 20): the change feed.
	"Query.changes": "the change feed, read from the lake's change data files (at most 100 versions, 100 rows), not from the index the fast path serves",
}

// guardedTypes are the types whose every field the fast path must serve or
// list in deliberateFallbacks: the release lists it exists for.
var guardedTypes = []string{"Query", "Release", "Product", "ReleaseConnection", "ReleaseEdge", "PageInfo"}

// A field added to the schema (say Release.notes) silently sends every query
// that selects it to gqlgen's executor unless the fast path writes it: this
// fails until it does (see graph/fastpath/fields.go: three lines) or the field
// is listed above, with the reason.
func TestSchemaFields_servedByTheFastPathOrListedAsFallbacks(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	served := fastpath.Served()
	for _, typ := range guardedTypes {
		def := schema.Types[typ]
		if def == nil {
			t.Fatalf("schema has no type %s", typ)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection
			}
			key := typ + "." + f.Name
			_, fallback := deliberateFallbacks[key]
			switch isServed := slices.Contains(served[typ], f.Name); {
			case !isServed && !fallback:
				t.Errorf("%s is neither written by the fast path (graph/fastpath/fields.go) nor listed in deliberateFallbacks", key)
			case isServed && fallback:
				t.Errorf("%s is written by the fast path and listed in deliberateFallbacks: drop it from the list", key)
			}
		}
		for _, name := range served[typ] {
			if name != "__typename" && def.Fields.ForName(name) == nil {
				t.Errorf("the fast path's table has %s.%s, which the schema does not", typ, name)
			}
		}
	}
	for key := range deliberateFallbacks {
		typ, name, _ := strings.Cut(key, ".")
		if schema.Types[typ] == nil || schema.Types[typ].Fields.ForName(name) == nil {
			t.Errorf("deliberateFallbacks lists %s, which the schema does not have", key)
		}
	}
}

// Every field in the fast path's table is written by it (a field listed but
// not written would fall back on every query), byte for byte as gqlgen.
func TestFastPath_writesEveryFieldOfItsTable(t *testing.T) {
	pr := pairOf(t, oddResolver(t), true)
	// A query reaching each type, %s its selection.
	reach := map[string]string{
		"ReleaseConnection": `{ releases(first: 3) { %s } }`,
		"ReleaseEdge":       `{ releases(first: 3) { edges { %s } } }`,
		"PageInfo":          `{ releases(first: 3) { pageInfo { %s } } }`,
		"Release":           `{ releases(first: 3) { nodes { %s } } }`,
		"Product":           `{ products { %s } }`,
		"Semver":            `{ releases(first: 40) { nodes { semver { %s } } } }`,
		"Query":             `{ %s }`,
	}
	roots := map[string]string{"releases": "releases(first: 2) { totalCount }", "latest": "latest { tag }",
		"products": "products { key }", "product": `product(key: "a") { key }`}
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	for typ, names := range fastpath.Served() {
		for _, name := range names {
			sel := name
			if typ == "Query" {
				sel = roots[name]
			} else if f := schema.Types[typ].Fields.ForName(name); f != nil && schema.Types[f.Type.Name()].Kind == "OBJECT" {
				sel = name + " { __typename }"
			}
			q := fmt.Sprintf(reach[typ], sel)
			body, _ := json.Marshal(map[string]any{"query": q})
			before := pr.hits()
			fs, fb := rawPost(t, pr.fast.URL, body)
			ss, sb := rawPost(t, pr.slow.URL, body)
			if fs != ss || !bytes.Equal(fb, sb) {
				t.Errorf("%s.%s: fast path differs:\nfast %d %s\nslow %d %s", typ, name, fs, fb, ss, sb)
			}
			if pr.hits() == before {
				t.Errorf("%s.%s: %s: the fast path did not answer", typ, name, q)
			}
		}
	}
}
