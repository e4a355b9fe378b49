package graph

import (
	"testing"
)

// Product.status tells the three states apart: never tried (all null, not
// stale), fetched, and failing since a time and stale past the window.
func TestProductStatus_neverFetchedFetchedFailingStale(t *testing.T) {
	s := newDocServer(t)
	rec := s.ask(s.h, false, `{
	  react: product(key: "react") { status { lastSuccessAt lastError failingSince stale } }
	  tableau: product(key: "tableau") { status { lastSuccessAt lastErrorAt failingSince stale lastError } }
	  vue: product(key: "vue") { status { lastSuccessAt lastError lastErrorAt failingSince stale } }
	}`, "", nil)
	want := `{"data":{"react":{"status":{"lastSuccessAt":"2026-04-01T00:00:00Z","lastError":null,"failingSince":null,"stale":false}},` +
		`"tableau":{"status":{"lastSuccessAt":"2026-03-20T00:01:30Z","lastErrorAt":"2026-04-01T00:00:00Z","failingSince":"2026-03-25T00:01:30Z","stale":true,` +
		`"lastError":"page https://www.tableau.com/support/releases: GET https://www.tableau.com/support/releases: HTTP 500 Internal Server Error (after 4 attempts)"}},` +
		`"vue":{"status":{"lastSuccessAt":null,"lastError":null,"lastErrorAt":null,"failingSince":null,"stale":false}}}}`
	if got := rec.Body.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Health changes without a new lake version: never cached.
	get := s.ask(s.h, true, `{ product(key: "react") { status { stale } } }`, "", nil)
	if cc := get.Header().Get("Cache-Control"); cc != "no-store" || get.Header().Get("ETag") != "" {
		t.Errorf("GET of a status: Cache-Control %q, ETag %q", cc, get.Header().Get("ETag"))
	}
}
