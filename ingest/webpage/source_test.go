package webpage

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
)

// newFake serves one page, the file in testdata, with a Last-Modified it honours.
func newFake(t *testing.T, file string) (*fetchtest.Document, releaselake.Product, *Source) {
	t.Helper()
	page := fetchtest.LastModified(fetchtest.Testdata(t, file), "text/html; charset=utf-8", "Tue, 19 Nov 2024 18:00:00 GMT")
	u, client := fetchtest.Serve(t, page)
	p := releaselake.Product{Key: "tableau", Kind: "page", Ref: u + "/support/releases",
		Options: releaselake.Options{OptionVersionPattern: regexp.MustCompile(`Tableau (\d{4}\.\d+\.\d+)`),
			OptionDatePattern: regexp.MustCompile(`datetime="([0-9-]+)"`)}}
	return page, p, New(client)
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
	_, got, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	// The <meta> mention and 2024.2.4 ("Coming soon") have no date before the next version.
	if v := versions(got.Releases); v != "2024.3.1@2024-11-19 2024.3.0@2024-10-08 2024.2.3@2024-09-10 2024.2.0@2024-06-25" || got.Ignored != 2 {
		t.Fatalf("rows %s, %d ignored", v, got.Ignored)
	}
	for _, r := range got.Releases {
		if r.Source != releaselake.SourcePage || r.DateSource != releaselake.DatePage || r.URL != p.Ref || r.Repo != p.Ref || r.Prerelease || r.Tag != r.Version {
			t.Errorf("row %+v", r)
		}
	}
}

func TestSource_layoutChanged_failsClearly(t *testing.T) {
	vendor, p, s := newFake(t, "tableau-releases.html")
	first, rows, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	vendor.Set(fetchtest.Testdata(t, "tableau-releases-redesigned.html"), "Tue, 25 Feb 2025 18:00:00 GMT")
	_, _, err = fetchtest.Run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err == nil || !strings.HasPrefix(err.Error(), "page "+p.Ref+": ") || !strings.Contains(err.Error(), "version_pattern `Tableau (\\d{4}\\.\\d+\\.\\d+)` finds no version") {
		t.Fatalf("err %v", err)
	}

	// Versions still found but the dates moved elsewhere: also a failure.
	p.Options[OptionVersionPattern] = regexp.MustCompile(`Version (\d{4}\.\d+\.\d+)`)
	_, _, err = fetchtest.Run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err == nil || !strings.Contains(err.Error(), "finds 2 versions but date_pattern") {
		t.Fatalf("err %v", err)
	}

	// The catalog catches up: a new date pattern and layout, &nbsp; and all. The
	// new key makes the request unconditional; versions gone from the page stay.
	p.Options[OptionDatePattern] = regexp.MustCompile(`class="when">([^<]+)<`)
	p.Options[OptionDateLayout] = "Jan 2, 2006"
	_, got, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err != nil {
		t.Fatal(err)
	}
	if v := versions(got.Releases); v != "2025.1.0@2025-02-25 2024.3.1@2024-11-19 2024.3.0@2024-10-08 2024.2.3@2024-09-10 2024.2.0@2024-06-25" {
		t.Fatalf("rows %s", v)
	}
}

func TestSource_badDateFailsWithTheLayout(t *testing.T) {
	_, p, s := newFake(t, "tableau-releases.html")
	p.Options[OptionDatePattern] = regexp.MustCompile(`<time[^>]*>([^<]+)</time>`) // "November 19, 2024"
	_, _, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
	if err == nil || !strings.Contains(err.Error(), `version 2024.3.1: date "November 19, 2024" does not read as "2006-01-02"`) {
		t.Fatalf("err %v", err)
	}
	p.Options[OptionDateLayout] = "January 2, 2006"
	if _, got, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p}); err != nil || len(got.Releases) != 4 {
		t.Fatalf("with the layout: %v", err)
	}
}

func TestSource_secondRunIs304(t *testing.T) {
	vendor, p, s := newFake(t, "tableau-releases.html")
	first, rows, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	second, _, _ := fetchtest.Run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if !second.Unchanged || vendor.NotModified() != 1 {
		t.Fatalf("second %+v", second)
	}
}

func TestSource_catalogEntryWithoutPatterns(t *testing.T) {
	_, p, s := newFake(t, "tableau-releases.html")
	delete(p.Options, OptionDatePattern)
	f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
	if f.Err == nil || !strings.Contains(f.Err.Error(), "needs version_pattern and date_pattern") {
		t.Fatal(f.Err)
	}
}
