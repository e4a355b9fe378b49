package webpage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

// fakeVendor serves one page with a Last-Modified it honours.
type fakeVendor struct {
	mu           sync.Mutex
	body         []byte
	lastModified string
	notMod       int
}

func (f *fakeVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("If-Modified-Since") == f.lastModified {
		f.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Last-Modified", f.lastModified)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(f.body)
}

func (f *fakeVendor) set(file, lastModified string) {
	body, err := os.ReadFile("testdata/" + file)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.lastModified = body, lastModified
}

func newFake(t *testing.T, file string) (*fakeVendor, releaselake.Product, *Source) {
	t.Helper()
	f := &fakeVendor{}
	f.set(file, "Tue, 19 Nov 2024 18:00:00 GMT")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	p := releaselake.Product{Key: "tableau", Page: srv.URL + "/support/releases",
		VersionPattern: regexp.MustCompile(`Tableau (\d{4}\.\d+\.\d+)`),
		DatePattern:    regexp.MustCompile(`datetime="([0-9-]+)"`)}
	return f, p, New(&httpfetch.Client{HTTP: srv.Client(), Sleep: func(context.Context, time.Duration) error { return nil }})
}

func run(t *testing.T, s *Source, c releaselake.Crawl) (releaselake.Fetched, releaselake.Parsed, error) {
	t.Helper()
	f := s.Fetch(context.Background(), []releaselake.Crawl{c})[0]
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	if f.Unchanged {
		return f, releaselake.Parsed{}, nil
	}
	got, err := s.Parse(c.Product, f.Raw, c.Prev)
	return f, got, err
}

func versions(rows []releaselake.Release) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Version+"@"+r.PublishedAt.Format("2006-01-02"))
	}
	return strings.Join(out, " ")
}

func TestSource_versionsAndTheirDates(t *testing.T) {
	_, p, s := newFake(t, "tableau-releases.html")
	_, got, err := run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	// The <meta> mention and 2024.2.4 ("Coming soon") have no date before the next version.
	if v := versions(got.Releases); v != "2024.3.1@2024-11-19 2024.3.0@2024-10-08 2024.2.3@2024-09-10 2024.2.0@2024-06-25" || got.Ignored != 2 {
		t.Fatalf("rows %s, %d ignored", v, got.Ignored)
	}
	for _, r := range got.Releases {
		if r.Source != releaselake.SourcePage || r.DateSource != releaselake.DatePage || r.URL != p.Page || r.Repo != p.Page || r.Prerelease || r.Tag != r.Version {
			t.Errorf("row %+v", r)
		}
	}
}

func TestSource_layoutChanged_failsClearly(t *testing.T) {
	vendor, p, s := newFake(t, "tableau-releases.html")
	first, rows, err := run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	vendor.set("tableau-releases-redesigned.html", "Tue, 25 Feb 2025 18:00:00 GMT")
	_, _, err = run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err == nil || !strings.HasPrefix(err.Error(), "page "+p.Page+": ") || !strings.Contains(err.Error(), "version_pattern `Tableau (\\d{4}\\.\\d+\\.\\d+)` finds no version") {
		t.Fatalf("err %v", err)
	}

	// Versions still found but the dates moved elsewhere: also a failure.
	p.VersionPattern = regexp.MustCompile(`Version (\d{4}\.\d+\.\d+)`)
	_, _, err = run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err == nil || !strings.Contains(err.Error(), "finds 2 versions but date_pattern") {
		t.Fatalf("err %v", err)
	}

	// The catalog catches up: a new date pattern and layout, &nbsp; and all. The
	// new key makes the request unconditional; versions gone from the page stay.
	p.DatePattern = regexp.MustCompile(`class="when">([^<]+)<`)
	p.DateLayout = "Jan 2, 2006"
	_, got, err := run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err != nil {
		t.Fatal(err)
	}
	if v := versions(got.Releases); v != "2025.1.0@2025-02-25 2024.3.1@2024-11-19 2024.3.0@2024-10-08 2024.2.3@2024-09-10 2024.2.0@2024-06-25" {
		t.Fatalf("rows %s", v)
	}
}

func TestSource_badDateFailsWithTheLayout(t *testing.T) {
	_, p, s := newFake(t, "tableau-releases.html")
	p.DatePattern = regexp.MustCompile(`<time[^>]*>([^<]+)</time>`) // "November 19, 2024"
	_, _, err := run(t, s, releaselake.Crawl{Product: p})
	if err == nil || !strings.Contains(err.Error(), `version 2024.3.1: date "November 19, 2024" does not read as "2006-01-02"`) {
		t.Fatalf("err %v", err)
	}
	p.DateLayout = "January 2, 2006"
	if _, got, err := run(t, s, releaselake.Crawl{Product: p}); err != nil || len(got.Releases) != 4 {
		t.Fatalf("with the layout: %v", err)
	}
}

func TestSource_secondRunIs304(t *testing.T) {
	vendor, p, s := newFake(t, "tableau-releases.html")
	first, rows, err := run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	second, _, _ := run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if !second.Unchanged || vendor.notMod != 1 {
		t.Fatalf("second %+v", second)
	}
}

func TestSource_catalogEntryWithoutPatterns(t *testing.T) {
	_, p, s := newFake(t, "tableau-releases.html")
	p.DatePattern = nil
	f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
	if f.Err == nil || !strings.Contains(f.Err.Error(), "needs version_pattern and date_pattern") {
		t.Fatal(f.Err)
	}
}
