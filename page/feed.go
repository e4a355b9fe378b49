package page

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Feed serves /feed.atom?products=a,b,c: an Atom (RFC 4287) feed of the releases
// the page shows for the same products, newest first. Like the page, it is the
// same bytes for one snapshot and one query.
type Feed struct {
	Snapshot func() *Snapshot // nil while there is none
}

func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	s := f.Snapshot()
	if s == nil {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "no release data yet", http.StatusServiceUnavailable)
		return
	}
	keys, ok := productsParam(w, r, s)
	if !ok {
		return
	}
	body, err := RenderFeed(s, keys, requestURL(r))
	if err != nil {
		http.Error(w, "render feed", http.StatusInternalServerError)
		return
	}
	serveBytes(w, r, "application/atom+xml; charset=utf-8", body)
}

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title     string      `xml:"title"`
	Subtitle  string      `xml:"subtitle"`
	ID        string      `xml:"id"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomEntry struct {
	Title     string       `xml:"title"`
	ID        string       `xml:"id"`
	Updated   string       `xml:"updated"`
	Published string       `xml:"published"`
	Links     []atomLink   `xml:"link"`
	Category  atomCategory `xml:"category"`
	Content   atomText     `xml:"content"`
}

// requestURL is the absolute URL r was sent to, as this server sees it: http,
// or https when it terminated TLS itself, and the Host the client named (which
// net/http has checked is a host[:port]). X-Forwarded-Proto is not honoured:
// nothing tells this server which proxy to trust. Nil without a Host (HTTP/1.0).
func requestURL(r *http.Request) *url.URL {
	if r.Host == "" {
		return nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path}
}

// FeedTitleNames is how many product names a feed's title spells out before
// "and N more".
const FeedTitleNames = 5

// RenderFeed returns the Atom document of the given products' recent releases
// (all products when keys is empty; unknown keys are left out), titled by the
// products it is of. Its self and alternate links are absolute, resolved
// against at (the feed's own URL; its query is ignored), or relative when at is nil.
func RenderFeed(s *Snapshot, keys []string, at *url.URL) ([]byte, error) {
	v := Build(s, keys, "", nil, time.Time{})
	query := ""
	if i := strings.IndexByte(v.FeedURL, '?'); i >= 0 {
		query = v.FeedURL[i:]
	}
	var known, names []string
	for _, c := range v.Cards {
		known, names = append(known, c.Key), append(names, c.Name)
	}
	id := "urn:releaselake:feed"
	if len(keys) > 0 {
		id += ":" + strings.Join(known, ",")
	}
	feed := atomFeed{
		Title:    feedTitle(names, len(keys) == 0),
		Subtitle: "New releases, newest first, as tracked by releaselake",
		ID:       id,
		Updated:  s.CommittedAt.UTC().Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: resolve(at, v.FeedURL)},
			{Rel: "alternate", Type: "text/html", Href: resolve(at, "./"+query)},
		},
		Author:    atomPerson{Name: "releaselake"},
		Generator: "releaselake",
	}
	type row struct {
		rel  releaselake.Release
		card *Card
	}
	var rows []row
	for i := range v.Cards {
		c := &v.Cards[i]
		seen := map[string]bool{}
		for _, it := range slices.Concat(c.Recent, c.Stable) {
			if !seen[it.Tag] {
				seen[it.Tag] = true
				rows = append(rows, row{it.Release, c})
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return releaselake.Less(&rows[i].rel, &rows[j].rel) })
	changeOf := s.changeOf()
	for _, r := range rows {
		c, _ := changeOf(r.rel)
		feed.Entries = append(feed.Entries, entry(r.card, r.rel, c))
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(feed); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// resolve returns ref resolved against base, or ref itself when base is nil.
func resolve(base *url.URL, ref string) string {
	u, err := url.Parse(ref)
	if base == nil || err != nil {
		return ref
	}
	return base.ResolveReference(u).String()
}

// feedTitle names the products a feed is of: "Releases of all 49 products",
// "Releases of Spark, Airflow", "Releases of A, B, C, D, E and 3 more".
func feedTitle(names []string, all bool) string {
	switch {
	case all:
		return "Releases of all " + plural(len(names), "product")
	case len(names) == 0:
		return "Releases of no known product"
	case len(names) > FeedTitleNames:
		return fmt.Sprintf("Releases of %s and %d more", strings.Join(names[:FeedTitleNames], ", "), len(names)-FeedTitleNames)
	}
	return "Releases of " + strings.Join(names, ", ")
}

// entry is the feed entry of one release of c's product, whose last change
// (from the change feed; zero: none known) was ch. Its id stays the same for as
// long as the release exists: it names the product and the tag. A change after
// the release was new (GA, re-dated, updated) moves its updated time to the
// change's commit, so that feed readers show the entry again.
func entry(c *Card, r releaselake.Release, ch Change) atomEntry {
	published := r.PublishedAt.UTC().Format(time.RFC3339)
	updated := published
	title := c.Name + " " + r.Version
	switch {
	case ch.Kind == ChangeGA:
		title += " (now generally available)"
	case ch.Kind == ChangeRedated:
		title += " (re-dated)"
	case ch.Kind == ChangeUpdated:
		title += " (updated)"
	}
	if r.Prerelease {
		title += " (prerelease)"
	}
	if r.Yanked {
		title += " (yanked)"
	}
	if ch.Kind != "" && ch.Kind != ChangeNew && ch.At.After(r.PublishedAt) {
		updated = ch.At.UTC().Format(time.RFC3339)
	}
	e := atomEntry{
		Title:     title,
		ID:        "urn:releaselake:release:" + r.Product + ":" + url.PathEscape(r.Tag),
		Updated:   updated,
		Published: published,
		Category:  atomCategory{Term: r.Product, Label: c.Name},
		Content:   atomText{Type: "text", Text: whatChanged(c, r, ch)},
	}
	if u, _ := releaselake.SafeURL(r.URL); u != "" {
		e.Links = append(e.Links, atomLink{Rel: "alternate", Type: "text/html", Href: u})
	}
	return e
}

// whatChanged says what r is to a reader of the feed: what its last change
// ch was when the change feed told (changeText), else a new release or
// prerelease, or the general availability of a version whose prerelease the
// snapshot holds, whether it was yanked, then the first lines of its notes
// where the snapshot has them. (Whether a release was re-dated the snapshot cannot tell: it holds
// one version of the lake; its Changes can, and entry says so before this.)
func whatChanged(c *Card, r releaselake.Release, ch Change) string {
	date := r.PublishedAt.UTC().Format("2006-01-02")
	text := "New release: " + c.Name + " " + r.Version + ", published " + date + "."
	switch {
	case r.Prerelease:
		text = "New prerelease: " + c.Name + " " + r.Version + ", published " + date + ". Prereleases are previews, not for production."
	default:
		for _, p := range c.Prereleases {
			if core, _, _ := strings.Cut(p.Version, "-"); core == r.Version && p.PublishedAt.Before(r.PublishedAt) {
				text = c.Name + " " + r.Version + " is generally available, published " + date + ", after prerelease " + p.Version + "."
				break
			}
		}
	}
	if t := changeText(c.Name, r, ch); t != "" {
		text = t
	}
	if r.Yanked {
		text += " It has since been yanked upstream: do not use it."
	}
	if c.Latest != nil && c.Latest.Tag == r.Tag && r.Notes == "" {
		r.Notes = summary(c.Latest.Notes)
	}
	if r.Notes != "" {
		text += "\n\n" + r.Notes
	}
	return text
}
