package metrics

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"
)

// operations returns the operation label values of the GraphQL request
// counter, with their outcome, as /metrics shows them.
func operations(t *testing.T, m *Metrics) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var out []string
	for _, s := range regexp.MustCompile(`(?m)^releaselake_graphql_requests_total\{operation="([^"]*)",outcome="([^"]*)"\} (\d+)$`).FindAllStringSubmatch(rec.Body.String(), -1) {
		out = append(out, s[1]+" "+s[2]+" "+s[3])
	}
	slices.Sort(out)
	return out
}

// Operation names come from clients: a client making one up per request must
// not grow the series without bound. Names become label values once answered
// without error, the first MaxOperations of them; the rest count as "other".
func TestGraphQL_operationNamesAreBounded(t *testing.T) {
	m := New()
	m.GraphQL("Latest", "error", time.Millisecond) // failed before ever succeeding
	m.GraphQL("Latest", "ok", time.Millisecond)
	m.GraphQL("Latest", "error", time.Millisecond) // known now
	m.GraphQL("", "ok", time.Millisecond)
	m.GraphQL("", "error", time.Millisecond)
	for i := range 3 * MaxOperations {
		m.GraphQL(fmt.Sprintf("Made%d", i), "error", time.Millisecond)
	}
	if got, want := operations(t, m), []string{"Latest error 1", "Latest ok 1", "anonymous error 1", "anonymous ok 1", fmt.Sprintf("other error %d", 1+3*MaxOperations)}; !slices.Equal(got, want) {
		t.Fatalf("series %q, want %q", got, want)
	}

	for i := range 3 * MaxOperations {
		m.GraphQL(fmt.Sprintf("Ok%d", i), "ok", time.Millisecond)
		m.GraphQL(fmt.Sprintf("Ok%d", i), "notmodified", time.Millisecond)
	}
	got := operations(t, m)
	names := map[string]bool{}
	for _, s := range got {
		names[regexp.MustCompile(`^\S+`).FindString(s)] = true
	}
	// Latest, anonymous, other, and MaxOperations-1 of the new names.
	if len(names) != MaxOperations+2 || !names["Ok0"] || names[fmt.Sprintf("Ok%d", MaxOperations)] {
		t.Fatalf("%d operation label values (want %d): %q", len(names), MaxOperations+2, got)
	}
	want := fmt.Sprintf("other ok %d", 3*MaxOperations-(MaxOperations-1))
	if !slices.Contains(got, want) {
		t.Errorf("no %q in %q", want, got)
	}
}
