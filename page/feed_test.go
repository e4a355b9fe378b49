package page

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// checkAtom parses body with gofeed's Atom parser and checks what RFC 4287
// requires of a feed and its entries (section 4.1): it returns the parsed feed.
func checkAtom(t *testing.T, body []byte) *atom.Feed {
	t.Helper()
	// Well-formed XML first: gofeed is lenient.
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
	if ft := gofeed.DetectFeedType(bytes.NewReader(body)); ft != gofeed.FeedTypeAtom {
		t.Fatalf("gofeed detects %v, want Atom", ft)
	}
	f, err := (&atom.Parser{}).Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gofeed atom: %v", err)
	}
	iri := func(what, s string) {
		if u, err := url.Parse(s); err != nil || u.Scheme == "" {
			t.Errorf("%s %q is not an absolute IRI", what, s)
		}
	}
	rfc3339 := func(what, s string) {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s %q is not an RFC 3339 date: %v", what, s, err)
		}
	}
	if f.Title == "" {
		t.Error("feed has no title")
	}
	iri("feed id", f.ID)
	rfc3339("feed updated", f.Updated)
	hasSelf := false
	for _, l := range f.Links {
		if l.Rel == "self" {
			hasSelf = true
			iri("feed self link", l.Href)
		}
	}
	if !hasSelf {
		t.Error("feed has no self link")
	}
	ids := map[string]bool{}
	for _, e := range f.Entries {
		if e.Title == "" {
			t.Errorf("entry %s has no title", e.ID)
		}
		iri("entry id", e.ID)
		if ids[e.ID] {
			t.Errorf("entry id %s twice", e.ID)
		}
		ids[e.ID] = true
		rfc3339("entry updated", e.Updated)
		if len(f.Authors) == 0 && len(e.Authors) == 0 {
			t.Errorf("entry %s has no author, nor has the feed", e.ID)
		}
		alternate := false
		for _, l := range e.Links {
			alternate = alternate || (l.Rel == "alternate" || l.Rel == "") && l.Href != ""
		}
		if e.Content == nil && !alternate {
			t.Errorf("entry %s has neither content nor an alternate link", e.ID)
		}
	}
	return f
}

func TestFeed_isValidAtomOfThePagesReleases(t *testing.T) {
	snap := testSnapshot(t)
	f := &Feed{Snapshot: func() *Snapshot { return snap }}
	code, body := get(f, "/feed.atom?products=vue,nosuch")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	feed := checkAtom(t, []byte(body))
	if feed.Updated != "2026-03-09T00:00:00Z" {
		t.Errorf("feed updated %s, want the snapshot's commit time", feed.Updated)
	}
	var got []string
	for _, e := range feed.Entries {
		got = append(got, e.Title+" "+e.Updated)
	}
	want := []string{ // newest first
		"Vue 3.4.9 2026-03-06T00:00:00Z",
		"Vue 3.6.0-rc.1 (prerelease) 2026-03-05T00:00:00Z",
		"Vue 3.5.0 2026-03-01T00:00:00Z",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := feed.Entries[2]; len(e.Links) != 1 || e.Links[0].Href != "https://github.com/vuejs/core/releases/tag/v3.5.0" {
		t.Errorf("entry links %+v", e.Links)
	}
	if _, again := get(f, "/feed.atom?products=vue,nosuch"); again != body {
		t.Error("feed differs between two requests of one snapshot")
	}
	_, all := get(f, "/feed.atom")
	if n := len(checkAtom(t, []byte(all)).Entries); n != 4 {
		t.Errorf("feed of all products has %d entries, want 4", n)
	}
}

// The feed's self link is its own absolute URL, as the server was asked for
// it (RFC 4287 4.2.7: an IRI a reader can fetch again), http or https as the
// connection was, whatever X-Forwarded-Proto claims; the alternate link is the
// page of the same products.
func TestFeed_selfLinkIsAbsolute(t *testing.T) {
	snap := testSnapshot(t)
	f := &Feed{Snapshot: func() *Snapshot { return snap }}
	for _, srv := range []*httptest.Server{httptest.NewServer(f), httptest.NewTLSServer(f)} {
		defer srv.Close()
		req, _ := http.NewRequest("GET", srv.URL+"/releases/feed.atom?products=Vue,react&x=1", nil)
		req.Header.Set("X-Forwarded-Proto", "gopher")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		links := map[string]string{}
		for _, l := range checkAtom(t, body).Links {
			links[l.Rel] = l.Href
		}
		if want := srv.URL + "/releases/feed.atom?products=Vue,react"; links["self"] != want {
			t.Errorf("self %q, want %q", links["self"], want)
		}
		if want := srv.URL + "/releases/?products=Vue,react"; links["alternate"] != want {
			t.Errorf("alternate %q, want %q", links["alternate"], want)
		}
	}
}

func TestFeed_beforeAnySnapshot(t *testing.T) {
	f := &Feed{Snapshot: func() *Snapshot { return nil }}
	if code, _ := get(f, "/feed.atom"); code != 503 {
		t.Fatalf("status %d, want 503", code)
	}
}

// The feed is titled by the products it is of, and each entry says what
// changed: a new release, a new prerelease, or a version become generally
// available after its prerelease, and whether it was yanked, then the first
// lines of its notes.
func TestFeed_titledByProductsEntriesSayWhatChanged(t *testing.T) {
	ix := serving.NewIndex(releaselake.Snapshot{Version: 3, CommittedAt: day(9), Releases: []releaselake.Release{
		{Product: "vue", Tag: "v3.6.0-rc.1", Version: "3.6.0-rc.1", Prerelease: true, PublishedAt: day(2), Notes: "Release candidate.\n\nTry it."},
		{Product: "vue", Tag: "v3.6.0", Version: "3.6.0", PublishedAt: day(6), Notes: "\n## Features\n\n* <b>fast</b> & small\n* two\n* three\n* four"},
		{Product: "react", Tag: "v19.0.0", Version: "19.0.0", PublishedAt: day(3)},
		{Product: "react", Tag: "v18.9.0", Version: "18.9.0", PublishedAt: day(1), Yanked: true},
	}})
	snap := NewSnapshot(testCatalog(t), ix)
	f := &Feed{Snapshot: func() *Snapshot { return snap }}
	for _, c := range []struct{ query, title string }{
		{"", "Releases of all 3 products"},
		{"?products=vue,React", "Releases of Vue, React"},
		{"?products=nosuch", "Releases of no known product"},
	} {
		_, body := get(f, "/feed.atom"+c.query)
		if got := checkAtom(t, []byte(body)).Title; got != c.title {
			t.Errorf("%s: title %q, want %q", c.query, got, c.title)
		}
	}
	if got := feedTitle([]string{"A", "B", "C", "D", "E", "F", "G"}, false); got != "Releases of A, B, C, D, E and 2 more" {
		t.Errorf("long title %q", got)
	}
	_, body := get(f, "/feed.atom?products=vue,react")
	texts := map[string]string{}
	for _, e := range checkAtom(t, []byte(body)).Entries {
		texts[e.Title] = e.Content.Value
	}
	for title, want := range map[string]string{
		"Vue 3.6.0":                   "Vue 3.6.0 is generally available, published 2026-03-06, after prerelease 3.6.0-rc.1.\n\n## Features\n* <b>fast</b> & small\n* two",
		"Vue 3.6.0-rc.1 (prerelease)": "New prerelease: Vue 3.6.0-rc.1, published 2026-03-02. Prereleases are previews, not for production.\n\nRelease candidate.\nTry it.",
		"React 19.0.0":                "New release: React 19.0.0, published 2026-03-03.",
	} {
		if texts[title] != want {
			t.Errorf("%s: %q, want %q", title, texts[title], want)
		}
	}
	if strings.Contains(body, "<b>fast</b>") {
		t.Error("notes are not escaped in the feed's XML")
	}
	if _, html := get(handler(snap), "/?products=react"); !strings.Contains(html, `<li><span>18.9.0 <span class="yanked">yanked</span></span>`) {
		t.Errorf("the card does not mark the yanked release:\n%s", card(t, html, "react"))
	}
}
