package page

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

func day(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

func testCatalog(t *testing.T) *releaselake.Catalog {
	t.Helper()
	cat, err := releaselake.NewCatalog([]releaselake.Product{
		{Key: "react", Name: "React", Kind: "github", Ref: "facebook/react", Category: "Frontend"},
		{Key: "vue", Name: "Vue", Kind: "github", Ref: "vuejs/core", Category: "Frontend"},
		{Key: "flask", Name: "Flask", Kind: "github", Ref: "pallets/flask", Category: "Backend"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// testSnapshot is version 7, committed on March 9, of three products.
func testSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	ix := serving.NewIndex(releaselake.Snapshot{Version: 7, CommittedAt: day(9), Releases: []releaselake.Release{
		{Product: "vue", Tag: "v3.5.0", Version: "3.5.0", URL: "https://github.com/vuejs/core/releases/tag/v3.5.0", PublishedAt: day(1)},
		{Product: "vue", Tag: "v3.6.0-rc.1", Version: "3.6.0-rc.1", Prerelease: true, URL: "https://x/rc", PublishedAt: day(5)},
		{Product: "vue", Tag: "v3.4.9", Version: "3.4.9", URL: "https://x/349", PublishedAt: day(6)},
		{Product: "react", Tag: "v19.0.0", Version: "19.0.0", URL: "https://x/r", PublishedAt: day(2)},
	}})
	return NewSnapshot(testCatalog(t), ix)
}

func handler(snap *Snapshot) *Handler {
	return &Handler{Snapshot: func() *Snapshot { return snap }, Notices: func() []string { return []string{"GITHUB_TOKEN is not set <b>"} }}
}

func get(h interface {
	ServeHTTP(w http.ResponseWriter, r *http.Request)
}, url string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestHandler_productsInRequestedOrderWithLatest(t *testing.T) {
	h := handler(testSnapshot(t))
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
	if !strings.Contains(html, "Unknown product keys: nosuch.") || !strings.Contains(html, `Updated <time datetime="2026-03-09T00:00:00Z" title="2026-03-09 00:00 UTC">`) {
		t.Error("missing unknown-key note or update time")
	}
	if strings.Contains(html, "lake version") {
		t.Error("the page speaks of lake versions to its readers")
	}
	if !strings.Contains(html, "GITHUB_TOKEN is not set &lt;b&gt;") {
		t.Error("notice missing or not escaped")
	}
	if !strings.Contains(html, `href="feed.atom?products=vue,nosuch,react,vue"`) {
		t.Error("no link to the feed of the same products")
	}
	if _, again := get(h, "/?products=vue,,nosuch,react,vue"); again != html {
		t.Error("page differs between two requests of one snapshot")
	}
	if _, all := get(h, "/"); strings.Count(all, "data-product=") != 3 {
		t.Error("no ?products= should show every product")
	}
}

// The "new" badge is relative to the snapshot's time, so the page of one
// snapshot badges the same releases whenever it is asked for. Vue's rc is new
// as the card's prerelease (newer than 3.5.0) and in the prerelease toggle.
func TestHandler_newBadgeRelativeToSnapshot(t *testing.T) {
	snap := testSnapshot(t) // committed March 9: vue 3.4.9 (6th) and 3.6.0-rc.1 (5th) are new, 3.5.0 (1st) is not
	_, html := get(handler(snap), "/?products=vue")
	for _, want := range []string{
		`<a href="https://x/349">3.4.9</a> <span class="new">new</span>`,
		`3.6.0-rc.1</a> <span class="pre">pre</span> <span class="new">new</span>`,
		`>3.5.0</a></span><time`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s:\n%s", want, html)
		}
	}
	if strings.Count(html, `class="new"`) != 3 {
		t.Errorf("want exactly three new badges:\n%s", html)
	}
	snap.CommittedAt = day(20)
	if _, later := get(handler(snap), "/?products=vue"); strings.Contains(later, `class="new"`) {
		t.Error("releases older than 7 days before the snapshot are badged new")
	}
}

func TestHandler_beforeLoadAndOtherPaths(t *testing.T) {
	h := handler(nil)
	if code, html := get(h, "/"); code != 200 || !strings.Contains(html, "The lake is loading.") || strings.Contains(html, `data-product="`) {
		t.Fatalf("%d %s", code, html)
	}
	h.Pending = "Nothing here yet."
	if _, html := get(h, "/"); !strings.Contains(html, "Nothing here yet.") {
		t.Fatal("Pending not shown")
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

func TestHandler_etagAnswersNotModified(t *testing.T) {
	h := handler(testSnapshot(t))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	// As sent by a browser; by one behind a proxy that compresses (and so
	// marks the tag weak); in a list.
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("If-None-Match", inm)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 304 || rec.Body.Len() != 0 {
			t.Fatalf("If-None-Match %s: %d, %d bytes", inm, rec.Code, rec.Body.Len())
		}
	}
}

func TestHandler_upstreamTextIsEscaped(t *testing.T) {
	snap := testSnapshot(t)
	snap.Products[0].Name = `Re<script>alert(1)</script>act`
	snap.Products[0].Recent[0].URL = "javascript:alert(1)"
	snap.Products[0].Recent[0].Version = `19"><b>`
	_, html := get(handler(snap), "/?products=react")
	if strings.Contains(html, "<script>alert") || strings.Contains(html, `href="javascript:`) || strings.Contains(html, `"><b>`) {
		t.Fatalf("upstream text not escaped:\n%s", html)
	}
}

func TestFromIndex_rebuildsOnlyWhenTheIndexChanges(t *testing.T) {
	cat := testCatalog(t)
	ix := serving.NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: day(1)})
	cur := ix
	snap := FromIndex(cat, func() *serving.Index { return cur }, Health{})
	a, b := snap(), snap()
	if a == nil || a != b || a.Version != 1 || len(a.Products) != 3 {
		t.Fatalf("%+v %p %p", a, a, b)
	}
	cur = serving.NewIndex(releaselake.Snapshot{Version: 2, CommittedAt: day(2)})
	if c := snap(); c == a || c.Version != 2 {
		t.Fatalf("not rebuilt: %+v", c)
	}
	cur = nil
	if snap() != nil {
		t.Fatal("snapshot of no index")
	}
}

// The latest release's notes show in a collapsed <details>, escaped as text,
// cut to NotesBytes; the snapshot carries no notes of the other releases.
func TestHandler_latestNotesEscapedAndCut(t *testing.T) {
	long := strings.Repeat("é", NotesBytes) // 2 bytes each
	ix := serving.NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: day(9), Releases: []releaselake.Release{
		{Product: "vue", Tag: "v3.5.0", Version: "3.5.0", URL: "https://x/350", PublishedAt: day(1),
			Notes: "## Fixes\n<script>alert(1)</script> & \"q\"\n" + long},
		{Product: "vue", Tag: "v3.6.0-rc.1", Version: "3.6.0-rc.1", Prerelease: true, PublishedAt: day(5), Notes: "rc notes"},
		{Product: "react", Tag: "v19.0.0", Version: "19.0.0", PublishedAt: day(2)},
	}})
	snap := NewSnapshot(testCatalog(t), ix)
	for _, p := range snap.Products {
		for _, r := range append(p.Recent, p.Stable...) {
			if len(r.Notes) > SummaryBytes+len("…") || strings.Count(r.Notes, "\n") >= SummaryLines {
				t.Errorf("%s %s: %d bytes, %d lines of notes of a recent release in the snapshot", p.Key, r.Tag, len(r.Notes), strings.Count(r.Notes, "\n")+1)
			}
		}
		if p.Latest != nil && len(p.Latest.Notes) > NotesBytes+len("…") {
			t.Errorf("%s: %d bytes of notes in the snapshot", p.Key, len(p.Latest.Notes))
		}
	}
	_, html := get(handler(snap), "/")
	if strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;q&#34;") {
		t.Errorf("notes not escaped as text:\n%s", html)
	}
	if strings.Count(html, "<details>") != 1 || !strings.Contains(html, `<summary>Release notes</summary><pre class="notes">## Fixes`) ||
		!strings.Contains(html, "é…</pre>") || !strings.Contains(html, `<a href="https://x/350">All the notes</a>`) {
		t.Errorf("want one <details> with the latest vue notes, cut, and a link to all of them:\n%s", html)
	}
}
