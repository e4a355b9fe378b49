package page

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
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
	body, err := RenderFeed(s, keys)
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

// RenderFeed returns the Atom document of the given products' recent releases
// (all products when keys is empty; unknown keys are left out).
func RenderFeed(s *Snapshot, keys []string) ([]byte, error) {
	v := Build(s, keys, nil, time.Time{})
	query := ""
	if i := strings.IndexByte(v.FeedURL, '?'); i >= 0 {
		query = v.FeedURL[i:]
	}
	var known []string
	for _, c := range v.Cards {
		known = append(known, c.Key)
	}
	id := "urn:releaselake:feed"
	if len(keys) > 0 {
		id += ":" + strings.Join(known, ",")
	}
	feed := atomFeed{
		Title:    "Releases",
		Subtitle: "Release history tracked by releaselake",
		ID:       id,
		Updated:  s.CommittedAt.UTC().Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: v.FeedURL},
			{Rel: "alternate", Type: "text/html", Href: "./" + query},
		},
		Author:    atomPerson{Name: "releaselake"},
		Generator: "releaselake",
	}
	names := map[string]string{}
	var rows []releaselake.Release
	for _, c := range v.Cards {
		names[c.Key] = c.Name
		for _, it := range c.Recent {
			rows = append(rows, it.Release)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return releaselake.Less(&rows[i], &rows[j]) })
	for _, rel := range rows {
		feed.Entries = append(feed.Entries, entry(names[rel.Product], rel))
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

// entry is the feed entry of one release. Its id stays the same for as long as
// the release exists: it names the product and the tag.
func entry(name string, r releaselake.Release) atomEntry {
	published := r.PublishedAt.UTC().Format(time.RFC3339)
	title := name + " " + r.Version
	text := name + " " + r.Version + " was published on " + r.PublishedAt.UTC().Format("2006-01-02") + "."
	if r.Prerelease {
		title += " (prerelease)"
		text += " It is a prerelease."
	}
	e := atomEntry{
		Title:     title,
		ID:        "urn:releaselake:release:" + r.Product + ":" + url.PathEscape(r.Tag),
		Updated:   published,
		Published: published,
		Category:  atomCategory{Term: r.Product, Label: name},
		Content:   atomText{Type: "text", Text: text},
	}
	if u, _ := releaselake.SafeURL(r.URL); u != "" {
		e.Links = append(e.Links, atomLink{Rel: "alternate", Type: "text/html", Href: u})
	}
	return e
}
