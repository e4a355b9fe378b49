package page

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// card returns the HTML of one product's card.
func card(t *testing.T, html, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<article class="card" id="p-` + key + `" data-product="` + key + `".*?</article>`).FindString(html)
	if m == "" {
		t.Fatalf("no card %s in\n%s", key, html)
	}
	return m
}

// The cards tell "never fetched", "failed since <time>: <reason>" (rows kept),
// "no stable release" and "stale" apart, and the snapshot carries what they
// need to the page server.
func TestHandler_cardsSayNeverFetchedFailedNoStableReleaseAndStale(t *testing.T) {
	snap := testSnapshot(t) // react 19.0.0, vue 3.5.0, flask nothing
	now := day(9).Add(time.Hour)
	h := releaselake.Health{Run: "r", UpdatedAt: day(9), Products: map[string]releaselake.ProductHealth{
		"vue":   {LastSuccessAt: day(8), LastErrorAt: day(9), FailingSince: day(9), Reason: "HTTP 500 Internal Server Error", LastError: "GET https://x: HTTP 500 Internal Server Error"},
		"react": {LastSuccessAt: day(5)}, // 4 days ago: stale after 49 h
	}}
	withHealth := snap.WithHealth(h, releaselake.StaleWindow(24*time.Hour))
	// Through the push: what the page server decodes shows the same page.
	b, err := withHealth.Encode()
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	hd := handler(pushed)
	hd.Now = func() time.Time { return now }
	_, html := get(hd, "/")

	vue := card(t, html, "vue")
	if !strings.Contains(vue, `data-health="failing"`) || !strings.Contains(vue, `failed since <time datetime="2026-03-09T00:00:00Z" title="2026-03-09 00:00 UTC">1 hour ago</time>: HTTP 500 Internal Server Error`) ||
		!strings.Contains(vue, ">3.5.0</a>") {
		t.Errorf("failing card, its rows kept:\n%s", vue)
	}
	react := card(t, html, "react")
	if !strings.Contains(react, `data-health="stale"`) || !strings.Contains(react, "stale: last fetched") || !strings.Contains(react, ">19.0.0</a>") {
		t.Errorf("stale card:\n%s", react)
	}
	flask := card(t, html, "flask")
	if !strings.Contains(flask, `data-health="never"`) || !strings.Contains(flask, "never fetched") || strings.Contains(flask, "no stable release") {
		t.Errorf("never fetched card:\n%s", flask)
	}

	// Fetched, but no stable release: says exactly that.
	h.Products["flask"] = releaselake.ProductHealth{LastSuccessAt: day(9)}
	hd = handler(snap.WithHealth(h, 0))
	_, html = get(hd, "/")
	if flask := card(t, html, "flask"); !strings.Contains(flask, `data-health="ok"`) || !strings.Contains(flask, ">no stable release<") {
		t.Errorf("fetched card without a stable release:\n%s", flask)
	}
	if react := card(t, html, "react"); strings.Contains(react, "stale") {
		t.Errorf("stale without a schedule:\n%s", react)
	}
	// A snapshot from before health says what it always said.
	_, html = get(handler(snap), "/")
	if flask := card(t, html, "flask"); strings.Contains(flask, "data-health") || !strings.Contains(flask, "no stable release known") {
		t.Errorf("card of a snapshot without health:\n%s", flask)
	}
}

// The page of a lake never committed to says "no data yet", and that the
// first ingest is running while it is, never "0001-01-01 … version -1".
func TestHandler_emptyLakeSaysNoDataYetAndFirstIngestRunning(t *testing.T) {
	empty := NewSnapshot(testCatalog(t), serving.NewIndex(releaselake.Snapshot{Version: releaselake.NoVersion})).WithHealth(releaselake.Health{}, 0)
	h := handler(empty)
	_, html := get(h, "/")
	for _, bad := range []string{"0001-01-01", "version -1", "Updated"} {
		if strings.Contains(html, bad) {
			t.Errorf("empty lake's page says %q", bad)
		}
	}
	if !strings.Contains(html, "No data yet: no ingest has committed any release yet.") || !strings.Contains(card(t, html, "vue"), "never fetched") {
		t.Errorf("empty lake's page:\n%s", html)
	}
	started := time.Date(2026, 12, 6, 13, 47, 0, 0, time.UTC)
	h.Ingesting = func() (time.Time, bool) { return started, true }
	h.Now = func() time.Time { return started.Add(5 * time.Minute) }
	_, html = get(h, "/")
	if !strings.Contains(html, `No data yet: <span class="ingesting">the first ingest is running (started <time datetime="2026-12-06T13:47:00Z" title="2026-12-06 13:47 UTC">5 minutes ago</time>)</span>.`) {
		t.Errorf("empty lake's page while the first ingest runs:\n%s", html)
	}
}
