package graphiql

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/releaselake/releaselake/internal/csp"
)

// The page names only embedded assets, each with the right integrity hash.
func TestHandler_servesEmbeddedAssetsWithIntegrity(t *testing.T) {
	h := Handler("/graphiql", "/graphql")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/graphiql", nil))
	page := rec.Body.String()
	if rec.Code != 200 || strings.Contains(strings.ReplaceAll(page, GuideURL, ""), "https://") {
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

// The page opens GraphiQL on DefaultQuery, with a link to the API guide in
// place of its logo, and its Content-Security-Policy still allows exactly its
// inline blocks: the props are inside the one inline script, so its hash is
// that of the page as served.
func TestHandler_opensOnTheDefaultQueryAndLinksTheGuide(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler("/graphiql", "/graphql").ServeHTTP(rec, httptest.NewRequest("GET", "/graphiql/", nil))
	page := rec.Body.String()
	m := regexp.MustCompile(`defaultQuery: ("(?:[^"\\]|\\.)*"),`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no defaultQuery prop in the page:\n%s", page)
	}
	var q string
	if err := json.Unmarshal([]byte(m[1]), &q); err != nil || q != DefaultQuery {
		t.Errorf("defaultQuery %q (%v), want DefaultQuery", q, err)
	}
	if !strings.Contains(page, `href: "`+GuideURL+`"`) || !strings.Contains(DefaultQuery, GuideURL) || !strings.Contains(DefaultQuery, "docs/api.md") {
		t.Errorf("the page or its query does not link the guide %s", GuideURL)
	}
	if strings.Contains(page, "<endCursor>") {
		t.Errorf("the query's text is not escaped inside <script>")
	}
	policy := rec.Header().Get("Content-Security-Policy")
	want := csp.Policy(page, "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'")
	scripts, styles := csp.Hashes(page)
	if policy != want || len(scripts) != 1 || len(styles) != 1 || strings.Contains(policy, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q, want %q (%d scripts, %d styles inline)", policy, want, len(scripts), len(styles))
	}
}

// An upgrade of gqlgen whose page no longer has the prop the defaults follow
// fails loudly at start instead of opening on GraphiQL's stock welcome.
func TestWithDefaults_panicsWithoutItsAnchor(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("withDefaults accepted a page without " + defaultsAnchor)
		}
	}()
	withDefaults("<script>React.createElement(GraphiQL, {fetcher: fetcher})</script>")
}
