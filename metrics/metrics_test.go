package metrics

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
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

// Seeding from run records only ever moves a gauge forward, and leaves the
// counters alone: a process that ran a newer run itself keeps showing it.
func TestSeed_movesGaugesForwardOnly(t *testing.T) {
	m := New()
	at := func(h int) time.Time { return time.Date(2026, 11, 1, h, 0, 0, 0, time.UTC) }
	run := func(h int, status, product string, requests int) releaselake.Run {
		return releaselake.Run{Status: status, StartedAt: at(h).Add(-time.Minute), EndedAt: at(h),
			Products: []releaselake.RunProduct{{Product: product, Status: "ok"}},
			Sources:  []releaselake.SourceStats{{Kind: "github", Requests: requests}}}
	}
	m.Run(run(10, releaselake.RunSucceeded, "a", 7))
	m.Seed([]releaselake.Run{
		run(12, releaselake.RunSucceeded, "b", 3), // newer: shown
		run(8, releaselake.RunSucceeded, "a", 1),  // older than what this process ran
		run(9, releaselake.RunPartial, "a", 2),
		{Status: releaselake.RunRunning, StartedAt: at(13), Products: []releaselake.RunProduct{{Product: "c", Status: "ok"}}},
	})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	got := rec.Body.String()
	unix := func(h int) string { return strconv.FormatFloat(float64(at(h).Unix()), 'g', -1, 64) }
	for _, want := range []string{
		`releaselake_product_last_success_timestamp_seconds{product="a"} ` + unix(10),
		`releaselake_product_last_success_timestamp_seconds{product="b"} ` + unix(12),
		`releaselake_ingest_last_run_timestamp_seconds{status="succeeded"} ` + unix(12),
		`releaselake_ingest_last_run_timestamp_seconds{status="partial"} ` + unix(9),
		`releaselake_source_requests_last_run{source="github"} 3`,
		`releaselake_ingest_runs_total{status="succeeded"} 1`,
		`releaselake_ingest_runs_total{status="partial"} 0`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(got, `product="c"`) {
		t.Error("a run still running was seeded")
	}
}

// The fast path's fallbacks are counted by path and reason, its panics on
// their own too.
func TestFastPathFallback_countsFallbacksAndPanics(t *testing.T) {
	m := New()
	m.FastPathFallback("direct", "new_query")
	m.FastPathFallback("direct", "new_query")
	m.FastPathFallback("executor", "panic")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`releaselake_graphql_fastpath_fallbacks_total{path="direct",reason="new_query"} 2`,
		`releaselake_graphql_fastpath_fallbacks_total{path="executor",reason="panic"} 1`,
		`releaselake_graphql_fastpath_panics_total 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics has no %q", want)
		}
	}
}
