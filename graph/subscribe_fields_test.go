package graph

import (
	"slices"
	"testing"
)

// unguardedRoots are the root types the fast path guard
// (fastpath_fields_test.go) leaves out on purpose: their fields are not read
// fields, so no fast path answers them and none should.
var unguardedRoots = map[string]string{
	"Mutation":     "writes, answered by gqlgen's executor behind the admin token",
	"Subscription": "streams over graphql-sse and graphql-transport-ws (graph/stream.go), answered by gqlgen's executor; GET and POST refuse them",
}

// Every root type is either guarded (each field served by the fast path or
// a deliberate fallback) or listed above with the reason it is not; so is
// what only a subscription reaches (ReleaseEvent).
func TestSchemaRootTypes_guardedOrNotReadFields(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	if schema.Subscription == nil {
		t.Fatal("the schema has no Subscription root")
	}
	for _, def := range []string{schema.Query.Name, schema.Mutation.Name, schema.Subscription.Name} {
		_, unguarded := unguardedRoots[def]
		if guarded := slices.Contains(guardedTypes, def); guarded == unguarded {
			t.Errorf("root type %s: guarded %v, listed as unguarded %v; want exactly one", def, guarded, unguarded)
		}
	}
	if slices.Contains(guardedTypes, "ReleaseEvent") {
		t.Error("ReleaseEvent is reached only by subscriptions: not a read type to guard")
	}
}
