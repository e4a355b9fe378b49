// Package page is the release page and everything around it: the page itself
// (server-rendered with html/template, works without JavaScript), the Atom feed,
// the Snapshot they are rendered from, the push of a snapshot to the public page
// server (HMAC-signed, retried with backoff) and that page server (Server, with
// its on-disk Store).
package page

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/internal/csp"
	"github.com/releaselake/releaselake/internal/etag"
)

//go:embed page.html
var pageHTML string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"date":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(pageHTML))

// policy is the page's Content-Security-Policy: its inline script and style
// by their hashes (they hold no template actions), nothing else.
var policy = csp.Policy(pageHTML)

// View is what the page shows.
type View struct {
	Loaded      bool       // there is a snapshot; when false the page says Pending
	Pending     string     // e.g. "The lake is loading."
	Empty       bool       // the snapshot is of a lake never committed to: "no data yet"
	Ingesting   *time.Time // a (first) ingest is running, since then
	Version     int64
	CommittedAt time.Time
	Notices     []string
	Cards       []Card
	Unknown     []string // requested keys the snapshot does not have
	FeedURL     string   // the feed of the same products, relative to the page
}

// Card is one product's box on the page.
type Card struct {
	Key, Name string
	Latest    *Item
	Recent    []Item // newest first, prereleases included
	// Health is the card's state: "" (the snapshot has no health), "never"
	// (no run tried it), "failing", "stale" or "ok".
	Health        string
	LastSuccessAt time.Time
	FailingSince  time.Time // when Health is failing
	Reason        string    // of the failure
	Stale         bool      // no success within the snapshot's stale window (a failing card may be stale too)
}

// None is what a card without a stable release says instead of a version.
func (c Card) None() string {
	switch {
	case c.Health == "":
		return "no stable release known"
	case c.Health == "never":
		return "never fetched"
	case c.Health == "failing" && c.LastSuccessAt.IsZero():
		return "" // the failure says it all
	}
	return "no stable release"
}

// Item is a release on a card.
type Item struct {
	releaselake.Release
	New bool // published within NewWindow before the snapshot
}

// Build makes the view of the given product keys (all when empty, in snapshot
// order; otherwise in the order asked, duplicates dropped) from a snapshot,
// which may be nil when there is none yet, at time now (for staleness).
func Build(s *Snapshot, keys []string, notices []string, now time.Time) View {
	v := View{Notices: notices, FeedURL: feedURL(keys)}
	if s == nil {
		return v
	}
	v.Loaded, v.Version, v.CommittedAt = true, s.Version, s.CommittedAt
	v.Empty = s.Version < 0
	products := s.Products
	if len(keys) > 0 {
		products = nil
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			if p, ok := s.product(k); ok {
				products = append(products, p)
			} else {
				v.Unknown = append(v.Unknown, k)
			}
		}
	}
	for _, p := range products {
		c := Card{Key: p.Key, Name: p.Name}
		if p.Latest != nil {
			c.Latest = &Item{Release: linkable(*p.Latest), New: s.isNew(*p.Latest)}
		}
		for _, r := range p.Recent {
			c.Recent = append(c.Recent, Item{Release: linkable(r), New: s.isNew(r)})
		}
		if s.Health {
			c.health(p.Status, now, time.Duration(s.StaleWindowSeconds)*time.Second)
		}
		v.Cards = append(v.Cards, c)
	}
	return v
}

// health sets the card's health from its product's status.
func (c *Card) health(st *Status, now time.Time, window time.Duration) {
	if st == nil || (st.LastSuccessAt.IsZero() && st.FailingSince.IsZero()) {
		c.Health = "never"
		return
	}
	c.LastSuccessAt, c.FailingSince, c.Reason = st.LastSuccessAt, st.FailingSince, st.Reason
	since := st.LastSuccessAt
	if since.IsZero() {
		since = st.FailingSince
	}
	c.Stale = window > 0 && now.Sub(since) > window
	switch {
	case !st.FailingSince.IsZero():
		c.Health = "failing"
	case c.Stale:
		c.Health = "stale"
	default:
		c.Health = "ok"
	}
}

// linkable returns r without its URL if that is not an http or https one: a
// pushed snapshot is not trusted to have been checked.
func linkable(r releaselake.Release) releaselake.Release {
	r.URL, _ = releaselake.SafeURL(r.URL)
	return r
}

// feedURL is the feed of the given products, relative to the page.
func feedURL(keys []string) string {
	if len(keys) == 0 {
		return "feed.atom"
	}
	esc := make([]string, len(keys))
	for i, k := range keys {
		esc[i] = url.QueryEscape(k)
	}
	return "feed.atom?products=" + strings.Join(esc, ",")
}

// Handler serves the page at / for ?products=a,b,c (all products when absent).
// The page of one snapshot and one query is the same bytes on every request.
type Handler struct {
	Snapshot func() *Snapshot // nil while there is none
	Notices  func() []string  // banners for operators; may be nil
	Pending  string           // what the page says while there is no snapshot
	// Ingesting, if set, says whether an ingest is running and since when:
	// the empty lake's page says its first ingest is on its way.
	Ingesting func() (since time.Time, running bool)
	Now       func() time.Time // for staleness [time.Now]
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if !allowGet(w, r) {
		return
	}
	csp.Set(w.Header(), policy)
	var notices []string
	if h.Notices != nil {
		notices = h.Notices()
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	snap := h.Snapshot()
	keys, ok := productsParam(w, r, snap)
	if !ok {
		return
	}
	v := Build(snap, keys, notices, now())
	if h.Ingesting != nil {
		if since, ok := h.Ingesting(); ok {
			v.Ingesting = &since
		}
	}
	v.Pending = h.Pending
	if v.Pending == "" {
		v.Pending = "The lake is loading."
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		http.Error(w, "render page", http.StatusInternalServerError)
		return
	}
	serveBytes(w, r, "text/html; charset=utf-8", buf.Bytes())
}

// allowGet answers 405 to anything but GET and HEAD.
func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// serveBytes writes body with a strong ETag of its content, answering 304 to a
// matching If-None-Match.
func serveBytes(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache")
	if etag.NoneMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// MaxProductKeys is how many keys ?products= may name when the catalog has
// fewer products: a page or feed of 120k unknown keys took 0.5 s.
const MaxProductKeys = 1000

// productsParam reads ?products=, answering 400 to more keys than
// MaxProductKeys or the snapshot's products, whichever is more.
func productsParam(w http.ResponseWriter, r *http.Request, s *Snapshot) ([]string, bool) {
	raw := r.URL.Query().Get("products")
	limit := MaxProductKeys
	if s != nil {
		limit = max(limit, len(s.Products))
	}
	if n := strings.Count(raw, ",") + 1; n > limit && len(ParseProducts(raw)) > limit {
		http.Error(w, fmt.Sprintf("?products= names %d keys, at most %d", n, limit), http.StatusBadRequest)
		return nil, false
	}
	return ParseProducts(raw), true
}

// ParseProducts splits a ?products= value: comma-separated keys, blanks dropped.
func ParseProducts(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}
