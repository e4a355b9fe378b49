package graph

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

// Release.url is never another scheme than http or https, whatever the lake
// holds (rows stored before the ingest checked URLs): frontends link to it.
func TestReleaseURL_neverAnotherScheme(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := benchResolverOf(t, []releaselake.Product{{Key: "a", Name: "A", Kind: "github", Ref: "o/a"}}, []releaselake.Release{
		{Product: "a", Tag: "v1", Version: "1", URL: "javascript:alert(1)", PublishedAt: at},
		{Product: "a", Tag: "v2", Version: "2", URL: "https://example.com/2", PublishedAt: at.Add(time.Hour)},
	})
	h := NewHandler(r, Options{})
	for _, q := range []string{
		`{"query":"{ releases(products: [\"a\"]) { nodes { tag url } } }"}`,
		`{"query":"{ product(key: \"a\") { releases { nodes { tag url } } } }"}`,
	} {
		for range 2 { // the second time by the direct path
			req := httptest.NewRequest("POST", "/graphql", bytes.NewReader([]byte(q)))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != http.StatusOK || strings.Contains(body, "javascript") || !strings.Contains(body, "https://example.com/2") {
				t.Errorf("%s: %d %s", q, rec.Code, body)
			}
		}
	}
}
