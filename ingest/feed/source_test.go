package feed

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
)

// newFake serves one feed, the file in testdata, with an ETag it honours.
func newFake(t *testing.T, file, ctype string) (*fetchtest.Document, string, *Source) {
	t.Helper()
	doc := fetchtest.ETag(fetchtest.Testdata(t, file), ctype, `"1"`)
	u, client := fetchtest.Serve(t, doc)
	return doc, u + "/feed/", New(client)
}

var powerBIPattern = regexp.MustCompile(`^Power BI (?P<month>[A-Za-z]+) (?P<year>\d{4}) Feature Summary`)

func TestSource_RSS_monthlyReleases(t *testing.T) {
	_, u, s := newFake(t, "powerbi-blog.rss", "application/rss+xml; charset=UTF-8")
	p := releaselake.Product{Key: "powerbi", Kind: "feed", Ref: u, Options: releaselake.Options{OptionVersionPattern: powerBIPattern}}
	_, got, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ version, published, url string }{
		{"2024.11", "2024-11-12T17:05:12Z", "https://powerbi.microsoft.com/en-us/blog/power-bi-november-2024-feature-summary/"},
		{"2024.10", "2024-10-15T15:00:00Z", "https://powerbi.microsoft.com/en-us/blog/power-bi-october-2024-feature-summary/"},
		// the "(updated)" post repeats September: the first announcement dates it
		{"2024.09", "2024-09-11T16:30:00Z", "https://powerbi.microsoft.com/en-us/blog/power-bi-september-2024-feature-summary/"},
	}
	if len(got.Releases) != len(want) || got.Ignored != 1 {
		t.Fatalf("%d rows, %d ignored: %+v", len(got.Releases), got.Ignored, got.Releases)
	}
	for i, w := range want {
		r := got.Releases[i]
		if r.Version != w.version || r.Tag != w.version || r.PublishedAt.Format(time.RFC3339) != w.published || r.URL != w.url ||
			r.Source != releaselake.SourceFeed || r.DateSource != releaselake.DateFeed || r.Repo != u || r.Prerelease ||
			!strings.HasPrefix(r.Name, "Power BI ") {
			t.Errorf("row %d: %+v, want %+v", i, r, w)
		}
	}
	if n := got.Releases[1].Notes; n != "Welcome to the October 2024 update!" {
		t.Errorf("2024.10 notes %q, want the item's description", n)
	}
}

func TestSource_Atom_publishedElseUpdated(t *testing.T) {
	_, u, s := newFake(t, "releases.atom", "application/atom+xml")
	p := releaselake.Product{Key: "acme", Kind: "feed", Ref: u, Options: releaselake.Options{OptionVersionPattern: regexp.MustCompile(`^Acme Analytics (\S+) released$`)}}
	_, got, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Releases) != 2 || got.Ignored != 1 {
		t.Fatalf("%+v", got)
	}
	rc, final := got.Releases[0], got.Releases[1] // newest version first
	if final.Version != "3.1.0" || final.PublishedAt.Format(time.RFC3339) != "2024-10-01T06:00:00Z" || final.Prerelease {
		t.Errorf("3.1.0 dated by <published>, in UTC: %+v", final)
	}
	if rc.Version != "3.2.0-rc.1" || rc.PublishedAt.Format(time.RFC3339) != "2024-11-20T09:00:00Z" || !rc.Prerelease ||
		rc.URL != "https://acme.example/releases/3.2.0-rc.1" {
		t.Errorf("3.2.0-rc.1 dated by <updated>, a prerelease: %+v", rc)
	}
	// Notes: the entry's content as the feed wrote it (here HTML), else its summary.
	if want := "<h2>Changes</h2><ul><li>Dashboards &amp; <script>fixes</script></li></ul>"; final.Notes != want {
		t.Errorf("3.1.0 notes %q, want the content %q", final.Notes, want)
	}
	if rc.Notes != "Release candidate of 3.2." {
		t.Errorf("3.2.0-rc.1 notes %q, want the summary", rc.Notes)
	}
}

func TestSource_rowsThatLeftTheFeedAreKept_andA304(t *testing.T) {
	site, u, s := newFake(t, "powerbi-blog.rss", "application/rss+xml")
	p := releaselake.Product{Key: "powerbi", Kind: "feed", Ref: u, Options: releaselake.Options{OptionVersionPattern: powerBIPattern}}
	first, rows, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
	if err != nil {
		t.Fatal(err)
	}
	second, _, _ := fetchtest.Run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if !second.Unchanged || site.NotModified() != 1 {
		t.Fatalf("second run: %+v", second)
	}
	// December arrives; September has scrolled out of the feed.
	body := strings.Replace(string(site.Body()), "<item>", `<item>
		<title>Power BI December 2024 Feature Summary</title>
		<link>https://powerbi.microsoft.com/en-us/blog/power-bi-december-2024-feature-summary/</link>
		<pubDate>Tue, 10 Dec 2024 17:00:00 +0000</pubDate>
	</item>
	<item>`, 1)
	body = body[:strings.Index(body, "<item>\n\t\t<title>Power BI September")] + "</channel></rss>"
	site.Set([]byte(body), `"2"`)
	_, third, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p, Prev: rows.Releases, State: first.State})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, r := range third.Releases {
		versions = append(versions, r.Version)
	}
	if strings.Join(versions, " ") != "2024.12 2024.11 2024.10 2024.09" {
		t.Fatalf("versions %v", versions)
	}
}

func TestSource_failures(t *testing.T) {
	cases := map[string]struct {
		body    string
		pattern string
		want    string
	}{
		"titles changed": {"", `^Power BI (?P<month>[A-Za-z]+) (?P<year>\d{4}) Update$`, "matches none of the 5 entry titles"},
		"not a feed":     {"<html><head><title>Blog</title></head><body>moved</body></html>", powerBIPattern.String(), "not an RSS or Atom feed"},
		"truncated":      {"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>Power BI Nov", powerBIPattern.String(), "unexpected EOF"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			site, u, s := newFake(t, "powerbi-blog.rss", "application/rss+xml")
			if tc.body != "" {
				site.Set([]byte(tc.body), `"x"`)
			}
			p := releaselake.Product{Key: "powerbi", Kind: "feed", Ref: u, Options: releaselake.Options{OptionVersionPattern: regexp.MustCompile(tc.pattern)}}
			_, _, err := fetchtest.Run(t, s, releaselake.Crawl{Product: p})
			if err == nil || !strings.HasPrefix(err.Error(), "feed "+u+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)

			}
		})
	}
	t.Run("no pattern", func(t *testing.T) {
		_, u, s := newFake(t, "powerbi-blog.rss", "application/rss+xml")
		f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: releaselake.Product{Key: "x", Kind: "feed", Ref: u}}})[0]
		if f.Err == nil || !strings.Contains(f.Err.Error(), "no version_pattern") {
			t.Fatal(f.Err)
		}
	})
}
