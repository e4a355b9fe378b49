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
	"slices"
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
	"stamp":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"ago":      ago,
}).Parse(pageHTML))

// favicon is the page's icon, served at /favicon.svg and /favicon.ico (where
// browsers and feed readers look without being told).
//
//go:embed favicon.svg
var favicon []byte

// policy is the page's Content-Security-Policy: its inline script and style
// by their hashes (they hold no template actions), nothing else.
var policy = csp.Policy(pageHTML)

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

// Handler serves the page at / for ?products=a,b,c (all products when absent)
// in the order ?sort= names (Sorts), and its icon. Relative dates count from
// the request's time: the page of one snapshot and one query changes only
// as they say another number.
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
	switch r.URL.Path {
	case "/":
	case "/favicon.svg", "/favicon.ico":
		if allowGet(w, r) {
			serveBytes(w, r, "image/svg+xml", favicon)
		}
		return
	default:
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
	sortBy, ok := sortParam(w, r)
	if !ok {
		return
	}
	v := Build(snap, keys, sortBy, notices, now())
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
// fewer products: a page or feed of 120k unknown keys took 0.5 s. MaxKeyBytes
// bounds each, since unknown keys are shown back.
const (
	MaxProductKeys = 1000
	MaxKeyBytes    = 200
)

// productsParam reads ?products=, answering 400 to more keys than
// MaxProductKeys or the snapshot's products, whichever is more, or to a key
// longer than MaxKeyBytes.
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
	keys := ParseProducts(raw)
	for _, k := range keys {
		if len(k) > MaxKeyBytes {
			http.Error(w, fmt.Sprintf("?products= has a key of %d bytes, at most %d", len(k), MaxKeyBytes), http.StatusBadRequest)
			return nil, false
		}
	}
	return keys, true
}

// sortParam reads ?sort=: absent, or one of Sorts; anything else is 400.
func sortParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.URL.Query().Get("sort")
	if v == "" || slices.ContainsFunc(Sorts, func(s struct{ Key, Label string }) bool { return s.Key == v }) {
		return v, true
	}
	names := make([]string, len(Sorts))
	for i, s := range Sorts {
		names[i] = s.Key
	}
	http.Error(w, "?sort= is one of "+strings.Join(names, ", "), http.StatusBadRequest)
	return "", false
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
