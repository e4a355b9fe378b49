package demo

import (
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// web answers the feed and vendor-page products of the catalog at their own
// URLs (https://powerbi.microsoft.com/…), through the sources' transport: the
// catalog stays the default one, so every link on the page points where the
// product really lives.
type web struct {
	mu    sync.Mutex
	now   time.Time // day 1's now; the second day's additions are dated by nextDay
	day2  time.Time // zero on day 1
	pages map[string]func() string
}

// newWeb serves what the default catalog's feed and page products read: the
// Power BI blog's RSS and Tableau's releases page, in the formats of the
// recorded answers in ingest/feed/testdata and ingest/webpage/testdata.
func newWeb(now time.Time) *web {
	w := &web{now: now}
	w.pages = map[string]func() string{
		"https://powerbi.microsoft.com/en-us/blog/feed/": w.powerBIFeed,
		"https://www.tableau.com/support/releases":       w.tableauPage,
	}
	return w
}

func (w *web) nextDay(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.day2 = now
}

// answer is the document at u (no query, no fragment) and its content type;
// ok is false for a URL the web does not answer.
func (w *web) answer(u *url.URL) (body, contentType string, ok bool) {
	page, ok := w.pages[u.String()]
	if !ok {
		return "", "", false
	}
	w.mu.Lock()
	body = page()
	w.mu.Unlock()
	if strings.HasSuffix(u.Path, "/feed/") {
		return body, "application/rss+xml; charset=UTF-8", true
	}
	return body, "text/html; charset=utf-8", true
}

// powerBIFeed is the blog's RSS: a "Power BI <Month> <Year> Feature Summary"
// post around the 12th of each of the last twelve months, other posts between
// them; the second day adds this month's summary.
func (w *web) powerBIFeed() string {
	var items []string
	item := func(title string, at time.Time) {
		slug := strings.ToLower(strings.NewReplacer(" ", "-", ":", "", "'", "").Replace(title))
		items = append(items, fmt.Sprintf(`	<item>
		<title>%s</title>
		<link>https://powerbi.microsoft.com/en-us/blog/%s/</link>
		<dc:creator><![CDATA[Power BI Team]]></dc:creator>
		<pubDate>%s</pubDate>
		<guid isPermaLink="false">https://powerbi.microsoft.com/en-us/blog/?p=%d</guid>
		<description><![CDATA[Welcome to the %s update! Here are a few, select highlights of the many we have for Power BI&#8230;]]></description>
	</item>
`, html.EscapeString(title), slug, at.Format(time.RFC1123Z), 27000+hash(title)%9000, at.Format("January 2006")))
	}
	if !w.day2.IsZero() {
		item(summary(w.day2), w.day2)
	}
	month := time.Date(w.now.Year(), w.now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 12; i++ {
		m := month.AddDate(0, -i, 0)
		at := m.AddDate(0, 0, 10+int(hash(m.String())%5)).Add(16 * time.Hour)
		if i%3 == 1 {
			item("Copilot in Power BI: what's new in "+m.Format("January"), at.AddDate(0, 0, 8))
		}
		item(summary(m), at)
	}
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
	<title>Microsoft Power BI Blog | Microsoft Power BI</title>
	<atom:link href="https://powerbi.microsoft.com/en-us/blog/feed/" rel="self" type="application/rss+xml" />
	<link>https://powerbi.microsoft.com/en-us/blog/</link>
	<description></description>
	<language>en-US</language>
` + strings.Join(items, "") + `</channel>
</rss>
`
}

func summary(month time.Time) string {
	return "Power BI " + month.Format("January 2006") + " Feature Summary"
}

// tableauPage is the vendor's releases page: a YYYY.N.0 release each quarter and
// monthly patches of the newest one, the next patch "Coming soon"; the second day
// releases it.
func (w *web) tableauPage() string {
	type release struct {
		version string
		at      time.Time // zero: coming soon
	}
	var rs []release // newest first
	quarter := time.Date(w.now.Year(), (w.now.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	for q := 0; q < 6; q++ {
		start := quarter.AddDate(0, -3*q, 0)
		line := fmt.Sprintf("%d.%d", start.Year(), int(start.Month()-1)/3+1)
		released := func(p int) time.Time { return start.AddDate(0, 0, 7+30*p) }
		patches := 3 // released: x.0, x.1, x.2
		if q == 0 {
			patches = 0
			for released(patches).Before(w.now) {
				patches++
			}
			rs = append(rs, release{fmt.Sprintf("%s.%d", line, patches), w.day2}) // coming soon until day 2
		}
		for p := patches - 1; p >= 0; p-- {
			rs = append(rs, release{fmt.Sprintf("%s.%d", line, p), released(p)})
		}
	}
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tableau Releases | Tableau Software</title>
</head>
<body>
<main>
  <h1>Tableau Desktop releases</h1>
  <div class="release-list">
`)
	for _, r := range rs {
		date := `<p class="release__date">Coming soon</p>`
		if !r.at.IsZero() {
			date = fmt.Sprintf(`<p class="release__date">Released <time datetime="%s">%s</time></p>`, r.at.Format("2006-01-02"), r.at.Format("January 2, 2006"))
		}
		fmt.Fprintf(&b, `    <section class="release" id="%s">
      <h2 class="release__title">Tableau %s</h2>
      %s
    </section>
`, strings.ReplaceAll(r.version, ".", "-"), r.version, date)
	}
	b.WriteString("  </div>\n</main>\n</body>\n</html>\n")
	return b.String()
}

// transport is the sources' transport in the demo: requests to a URL the web
// answers are served in-process, requests to 127.0.0.1 (the fake GitHub) go
// out as usual, and any other request fails: the demo never reaches the network.
type transport struct {
	web   *web
	local http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if host, _, err := net.SplitHostPort(r.URL.Host); err == nil && net.ParseIP(host).IsLoopback() {
		return t.local.RoundTrip(r)
	}
	u := *r.URL
	u.RawQuery, u.Fragment = "", ""
	if r.Body != nil {
		r.Body.Close()
	}
	body, contentType, ok := t.web.answer(&u)
	if !ok {
		return nil, fmt.Errorf("demo: %s is not one of the recorded upstreams, and the demo stays offline", (&url.URL{Scheme: r.URL.Scheme, Host: r.URL.Host, Path: r.URL.Path}).String())
	}
	return &http.Response{Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r}, nil
}
