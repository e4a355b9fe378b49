package page

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
)

func handler(t *testing.T, ix *releaselake.Index) *Handler {
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "react", Name: "React", GitHub: "facebook/react"},
		{Key: "vue", Name: "Vue", GitHub: "vuejs/core"},
		{Key: "flask", Name: "Flask", GitHub: "pallets/flask"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Catalog: cat, Index: func() *releaselake.Index { return ix }, Notices: func() []string { return []string{"GITHUB_TOKEN is not set <b>"} }}
}

func get(h *Handler, url string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestHandler_productsInRequestedOrderWithLatest(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC) }
	ix := releaselake.NewIndex(releaselake.Snapshot{Version: 7, CommittedAt: d(9), Releases: []releaselake.Release{
		{Product: "vue", Tag: "v3.5.0", Version: "3.5.0", URL: "https://github.com/vuejs/core/releases/tag/v3.5.0", PublishedAt: d(1)},
		{Product: "vue", Tag: "v3.6.0-rc.1", Version: "3.6.0-rc.1", Prerelease: true, URL: "https://x/rc", PublishedAt: d(5)},
		{Product: "vue", Tag: "v3.4.9", Version: "3.4.9", URL: "https://x/349", PublishedAt: d(6)},
		{Product: "react", Tag: "v19.0.0", Version: "19.0.0", URL: "https://x/r", PublishedAt: d(2)},
	}})
	h := handler(t, ix)
	code, html := get(h, "/?products=vue,,nosuch,react,vue")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	iv, ir := strings.Index(html, `data-product="vue"`), strings.Index(html, `data-product="react"`)
	if iv < 0 || ir < iv || strings.Count(html, "data-product=") != 2 {
		t.Fatalf("cards in wrong order or missing:\n%s", html)
	}
	vue := html[iv:ir]
	if !strings.Contains(vue, `<div class="version"><a href="https://github.com/vuejs/core/releases/tag/v3.5.0">3.5.0</a>`) ||
		!strings.Contains(vue, `2026-03-01`) || !strings.Contains(vue, `3.6.0-rc.1</a> <span class="pre">pre</span>`) {
		t.Errorf("vue card: latest must be 3.5.0 by version order, rc marked:\n%s", vue)
	}
	if !strings.Contains(html, "Unknown product keys: nosuch.") || !strings.Contains(html, "lake version 7") {
		t.Error("missing unknown-key note or data version")
	}
	if !strings.Contains(html, "GITHUB_TOKEN is not set &lt;b&gt;") {
		t.Error("notice missing or not escaped")
	}
	if _, again := get(h, "/?products=vue,,nosuch,react,vue"); again != html {
		t.Error("page differs between two requests of one snapshot")
	}
	if _, all := get(h, "/"); strings.Count(all, "data-product=") != 3 {
		t.Error("no ?products= should show every product")
	}
}

func TestHandler_beforeLoadAndOtherPaths(t *testing.T) {
	h := handler(t, nil)
	if code, html := get(h, "/"); code != 200 || !strings.Contains(html, "The lake is loading.") {
		t.Fatalf("%d %s", code, html)
	}
	if code, _ := get(h, "/nope"); code != 404 {
		t.Fatalf("status %d", code)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != 405 {
		t.Fatalf("POST: %d", rec.Code)
	}
}
