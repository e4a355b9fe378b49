package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/ingest/sources"
)

// pageBody returns the body of a GET of a page.
func pageBody(t *testing.T, url string) string {
	t.Helper()
	_, body := getPage(t, url)
	return body
}

// cardOf returns the HTML of one product's card on a page.
func cardOf(t *testing.T, html, key string) string {
	t.Helper()
	c := regexp.MustCompile(`(?s)<article class="card" id="p-` + key + `" data-product="` + key + `".*?</article>`).FindString(html)
	if c == "" {
		t.Fatalf("no card %s on the page", key)
	}
	return c
}

type productStatus struct {
	LastSuccessAt, LastErrorAt, FailingSince *time.Time
	LastError                                *string
	Stale                                    bool
}

// A token GitHub refuses: the ingest exits 1 and says why once, the run record
// has that one error (its products refer to it), lake { notices } has it, and
// the GitHub cards say "failed since …", not "no stable release known".
func TestIngest_refusedGitHubToken_exit1OneErrorNoticeAndPage(t *testing.T) {
	gh := githubtest.NewServer(t)
	a := &app{t: t, lake: t.TempDir()}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake, "GITHUB_TOKEN": "ghp_refused", "GITHUB_GRAPHQL_URL": gh.URL, "RELEASELAKE_LOG": "json"}
	code, out := a.run("ingest")
	const want = "github: every product failed (46): GitHub refused the token (HTTP 401): check GITHUB_TOKEN"
	if code != 1 || !strings.Contains(out, "error: "+want+"\n") {
		t.Fatalf("ingest exit %d, want 1 and the error:\n%s", code, out)
	}
	// Said once on stdout and once in each of two log lines (the source's failure, the run's end), not per product.
	if n := strings.Count(out, "check GITHUB_TOKEN"); n != 3 {
		t.Errorf("the refused token is said %d times, want 3:\n%s", n, out)
	}
	if !strings.Contains(out, "  react failed: GitHub refused the token (HTTP 401) (see the run's error)\n") {
		t.Errorf("react's line:\n%s", out)
	}

	base := a.serve()
	var r struct {
		IngestRuns []struct {
			Status, Error string
			Failures      []struct{ Product, Message string }
		}
		Lake    struct{ Notices []string }
		Product struct{ Status productStatus }
	}
	query(t, base, `{ ingestRuns(last: 1) { status error failures { product message } } lake { notices } product(key: "react") { status { lastSuccessAt lastError lastErrorAt failingSince stale } } }`, nil, &r)
	run := r.IngestRuns[0]
	if run.Status != releaselake.RunPartial || run.Error != want {
		t.Errorf("run %s, error %q", run.Status, run.Error)
	}
	ghFailures := 0
	for _, f := range run.Failures {
		if f.Message == "GitHub refused the token (HTTP 401) (see the run's error)" {
			ghFailures++
		}
	}
	if ghFailures != 46 {
		t.Errorf("%d failures refer to the run's error, want 46: %+v", ghFailures, run.Failures)
	}
	if len(r.Lake.Notices) != 1 || !strings.Contains(r.Lake.Notices[0], want) {
		t.Errorf("notices %q", r.Lake.Notices)
	}
	if st := r.Product.Status; st.LastSuccessAt != nil || st.FailingSince == nil || st.LastError == nil || *st.LastError != want || st.Stale {
		t.Errorf("react's status %+v", st)
	}

	html := pageBody(t, base+"/")
	// (A fetched product may say "no stable release in 2 years" under its
	// cadence: QueryMe's file is older. The failing ones must not.)
	failing := regexp.MustCompile(`(?s)<article class="card"[^>]* data-health="failing">.*?</article>`).FindAllString(html, -1)
	if len(failing) < 46 {
		t.Errorf("%d failing cards read, want the 46 GitHub ones at least", len(failing))
	}
	for _, c := range failing {
		if strings.Contains(c, "no stable release") {
			t.Errorf(`a card says "no stable release" of a product never fetched:\n%s`, c)
		}
	}
	if n := strings.Count(html, `data-health="failing"`); n < 46 {
		t.Errorf("%d failing cards, want the 46 GitHub ones at least", n)
	}
	if c := cardOf(t, html, "react"); !regexp.MustCompile(`failed since <time [^>]+ title="[0-9-]+ [0-9:]+ UTC">[^<]+</time>: GitHub refused the token \(HTTP 401\)</p>`).MatchString(c) {
		t.Errorf("react's card:\n%s", c)
	}
	if !strings.Contains(html, want) {
		t.Error("the page lacks the notice")
	}
}

// vendor is a vendor's release page that a test can break: it answers the
// page, or 500, or (closed) refuses connections.
type vendor struct {
	mu     sync.Mutex
	broken bool
	srv    *httptest.Server
}

func newVendor(t *testing.T) *vendor {
	v := &vendor{}
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.broken {
			http.Error(w, "oops", http.StatusInternalServerError)
			return
		}
		http.ServeFile(w, r, "../../ingest/webpage/testdata/tableau-releases.html")
	}))
	t.Cleanup(v.srv.Close)
	return v
}

func (v *vendor) setBroken(b bool) { v.mu.Lock(); v.broken = b; v.mu.Unlock() }

// vendorLake is a lake of tableau (a vendor page) and powerbi (a feed),
// ingested once while both answered.
func vendorLake(t *testing.T) (*app, *vendor) {
	t.Helper()
	def, err := catalog.Default(sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	tableau, _ := def.Product("tableau")
	powerbi, _ := def.Product("powerbi")
	v, up := newVendor(t), newUpstreams(t)
	dir := t.TempDir()
	cat := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(cat, fmt.Appendf(nil, `products:
  - key: tableau
    page: %s/support/releases
    version_pattern: '%s'
    date_pattern: '%s'
  - key: powerbi
    feed: %s/blog/feed/
    version_pattern: '%s'
`, v.srv.URL, tableau.Options.Regexp("version_pattern"), tableau.Options.Regexp("date_pattern"), up.srv.URL, powerbi.Options.Regexp("version_pattern")), 0o644)
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake, "RELEASELAKE_CATALOG": cat}
	if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, ": succeeded, version 0") {
		t.Fatalf("first ingest exit %d:\n%s", code, out)
	}
	return a, v
}

// A vendor page that answers 500, then refuses connections: the product is
// "failed since" the first failure, with the latest reason, its rows stay,
// and the ingest exits 0 (one product failing is not a source failing).
func TestIngest_failedVendorPage_failedSinceAndRowsKept(t *testing.T) {
	a, v := vendorLake(t)
	v.setBroken(true)
	code, out := a.run("ingest")
	if code != 0 || !strings.Contains(out, "tableau failed: page "+v.srv.URL+"/support/releases: GET "+v.srv.URL+"/support/releases: HTTP 500 Internal Server Error (after 4 attempts)") {
		t.Fatalf("ingest with the page answering 500: exit %d:\n%s", code, out)
	}
	base := a.serve()
	var r struct {
		Product struct{ Status productStatus }
	}
	q := `{ product(key: "tableau") { status { lastSuccessAt lastError lastErrorAt failingSince stale } } }`
	query(t, base, q, nil, &r)
	first := r.Product.Status
	if first.LastSuccessAt == nil || first.FailingSince == nil || !first.FailingSince.Equal(*first.LastErrorAt) || !first.FailingSince.After(*first.LastSuccessAt) {
		t.Fatalf("tableau's status after the 500: %+v", first)
	}
	card := cardOf(t, pageBody(t, base+"/"), "tableau")
	since := first.FailingSince.UTC().Format("2006-01-02 15:04 UTC")
	if !strings.Contains(card, `data-health="failing"`) || !regexp.MustCompile(`title="`+since+`">[^<]+</time>: HTTP 500 Internal Server Error \(after 4 attempts\)</p>`).MatchString(card) || !strings.Contains(card, ">2024.3.1</a>") {
		t.Errorf("tableau's card after the 500:\n%s", card)
	}
	if n, _ := releasesSince(t, base, []string{"tableau"}, "2024-01-01T00:00:00Z"); n != 4 {
		t.Errorf("tableau has %d releases since 2024 after the failure, want its 4", n)
	}

	v.srv.Close() // connections refused from now on
	if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, "tableau failed") {
		t.Fatalf("ingest with the page refusing: exit %d:\n%s", code, out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var r struct {
			Product struct{ Status productStatus }
		} // new pointers: first's stay
		query(t, base, q, nil, &r)
		if st := r.Product.Status; st.LastErrorAt.After(*first.LastErrorAt) {
			if !st.FailingSince.Equal(*first.FailingSince) || !st.LastSuccessAt.Equal(*first.LastSuccessAt) {
				t.Errorf("after the second failure: %+v, want failing since %v", st, first.FailingSince)
			}
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(a.lake, "_state", "health.json"))
			t.Fatalf("serve did not pick up the second run's health: %+v %s", r.Product.Status, b)
		}
	}
	card = cardOf(t, pageBody(t, base+"/"), "tableau")
	if !regexp.MustCompile(`title="`+since+`">[^<]+</time>: connection refused</p>`).MatchString(card) || !strings.Contains(card, ">2024.3.1</a>") {
		t.Errorf("tableau's card after connections refused:\n%s", card)
	}
}

// The empty lake's page says "no data yet", then that the first ingest is
// running while it is, and never "0001-01-01 … version -1".
func TestServe_emptyLakePage_noDataYetThenFirstIngestRunning(t *testing.T) {
	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-hold
		http.ServeFile(w, r, "../../ingest/webpage/testdata/tableau-releases.html")
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(release)
	def, _ := catalog.Default(sources.Kinds)
	tableau, _ := def.Product("tableau")
	dir := t.TempDir()
	cat := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(cat, fmt.Appendf(nil, "products:\n  - key: tableau\n    page: %s/support/releases\n    version_pattern: '%s'\n    date_pattern: '%s'\n",
		slow.URL, tableau.Options.Regexp("version_pattern"), tableau.Options.Regexp("date_pattern")), 0o644)
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake, "RELEASELAKE_CATALOG": cat}

	// No schedule: nothing runs, the page says so.
	html := pageBody(t, a.serve()+"/")
	for _, bad := range []string{"0001-01-01", "version -1", "Updated"} {
		if strings.Contains(html, bad) {
			t.Errorf("the empty lake's page says %q", bad)
		}
	}
	if !strings.Contains(html, "No data yet: no ingest has committed any release yet.") || !strings.Contains(cardOf(t, html, "tableau"), "never fetched") {
		t.Errorf("the empty lake's page:\n%s", html)
	}

	// With a schedule, serve runs a first ingest at once: the page says it runs.
	m := openMain(t, io.Discard, a.getenv, "serve", "-addr", "127.0.0.1:0", "-schedule", "0 0 1 1 *", "-poll", "100ms")
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release(); m.Close() })
	base := "http://" + m.Addr()
	running := regexp.MustCompile(`No data yet: <span class="ingesting">the first ingest is running \(started <time datetime="[^"]+" title="[0-9-]+ [0-9:]+ UTC">[^<]+</time>\)</span>\.`)
	for deadline := time.Now().Add(10 * time.Second); !running.MatchString(pageBody(t, base+"/")); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the page never said the first ingest runs:\n%s", pageBody(t, base+"/"))
		}
	}
	release()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		html := pageBody(t, base+"/")
		if strings.Contains(html, "Updated <time") && strings.Contains(cardOf(t, html, "tableau"), `data-health="ok"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page after the first ingest:\n%s", html)
		}
	}
}

// setHealth rewrites a product's last success in the lake's health state, as
// if its last successful run had been at that time.
func setHealth(t *testing.T, lakeDir, product string, lastSuccess time.Time) {
	t.Helper()
	path := filepath.Join(lakeDir, "_state", "health.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var h releaselake.Health
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	p := h.Products[product]
	p.LastSuccessAt = lastSuccess
	h.Products[product] = p
	b, _ = json.Marshal(h)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The failed and the stale card as a browser shows them, with screenshots in
// test-output/browser/: tableau's page answering 500, powerbi last fetched
// three days ago (the daily schedule's window is 49 hours).
func TestBrowser_failedAndStaleCards(t *testing.T) {
	ctx := startChromium(t)
	a, v := vendorLake(t)
	v.setBroken(true)
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	setHealth(t, a.lake, "powerbi", time.Now().Add(-72*time.Hour))
	m := openMain(t, io.Discard, a.getenv, "serve", "-addr", "127.0.0.1:0", "-schedule", "0 0 * * *", "-poll", "100ms")
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	base := "http://" + m.Addr()
	for _, c := range []struct{ key, health, text, shot string }{
		{"tableau", "failing", "HTTP 500 Internal Server Error (after 4 attempts)", "card-failed"},
		{"powerbi", "stale", "stale: last fetched", "card-stale"},
	} {
		var got struct {
			Health, Text, Version string
		}
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(640, 480),
			chromedp.Navigate(base+"/?products="+c.key),
			chromedp.WaitVisible(chromedp.CSS(`[data-product="`+c.key+`"][data-health]`)),
		)
		if err == nil {
			got, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ Health, Text, Version string }](`(() => {
  const c = document.querySelector("[data-product]");
  const v = c.querySelector(".version");
  return {health: c.dataset.health, text: c.innerText, version: v ? v.innerText : ""};
})()`))
		}
		if err != nil {
			t.Fatal(err)
		}
		saveScreenshot(t, ctx, c.shot)
		if got.Health != c.health || !strings.Contains(got.Text, c.text) || got.Version == "" {
			t.Errorf("%s card: %+v, want %s with %q and its version", c.key, got, c.health, c.text)
		}
	}
}
