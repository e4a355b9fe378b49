package graphiql

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The page names only embedded assets, each with the right integrity hash.
func TestHandler_servesEmbeddedAssetsWithIntegrity(t *testing.T) {
	h := Handler("/graphiql", "/graphql")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/graphiql", nil))
	page := rec.Body.String()
	if rec.Code != 200 || strings.Contains(page, "https://") {
		t.Fatalf("%d, page loads from elsewhere:\n%s", rec.Code, page)
	}
	refs := regexp.MustCompile(`(?s)(?:src|href)="(/graphiql/assets/[^"]+)"\s+integrity="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 6 {
		t.Fatalf("%d assets with integrity in the page", len(refs))
	}
	for _, ref := range refs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", ref[1], nil))
		body, _ := io.ReadAll(rec.Body)
		sum := sha256.Sum256(body)
		if rec.Code != 200 || "sha256-"+base64.StdEncoding.EncodeToString(sum[:]) != html.UnescapeString(ref[2]) {
			t.Errorf("%s: %d, integrity mismatch", ref[1], rec.Code)
		}
	}
	for _, path := range []string{"/graphiql/assets/", "/graphiql/assets/nope.js", "/graphiql/other"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 404 {
			t.Errorf("%s: %d", path, rec.Code)
		}
	}
}
