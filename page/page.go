// Package page renders the release page: a grid of products with their latest
// stable version, its date and a link to its release notes. It is server-rendered
// with html/template and works without JavaScript.
package page

import (
	_ "embed"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

//go:embed page.html
var pageHTML string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"date":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(pageHTML))

// RecentCount is how many recent releases a card lists.
const RecentCount = 5

// View is what the page shows.
type View struct {
	Version     int64 // lake version; releaselake.NoVersion before the first commit
	CommittedAt time.Time
	Loaded      bool // false until the lake has been read
	Notices     []string
	Cards       []Card
	Unknown     []string // requested keys the catalog does not have
}

// Card is one product's box on the page.
type Card struct {
	Product releaselake.Product
	Latest  *releaselake.Release
	Recent  []releaselake.Release // newest first, prereleases included
}

// Build makes the view of the given product keys (all when empty) from an index,
// which may be nil before the lake is loaded.
func Build(cat *releaselake.Catalog, ix *releaselake.Index, keys []string, notices []string) View {
	v := View{Version: releaselake.NoVersion, Notices: notices}
	if ix != nil {
		v.Loaded, v.Version, v.CommittedAt = true, ix.Version, ix.CommittedAt
	}
	products := cat.Products()
	if len(keys) > 0 {
		products = nil
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			if p, ok := cat.Product(k); ok {
				products = append(products, p)
			} else {
				v.Unknown = append(v.Unknown, k)
			}
		}
	}
	for _, p := range products {
		c := Card{Product: p}
		if ix != nil {
			if l, ok := ix.Latest(p.Key); ok {
				c.Latest = &l
			}
			rs := ix.Releases(releaselake.Filter{Products: []string{p.Key}})
			c.Recent = rs[:min(RecentCount, len(rs))]
		}
		v.Cards = append(v.Cards, c)
	}
	return v
}

// Handler serves the page at / for ?products=a,b,c (all products when absent).
type Handler struct {
	Catalog *releaselake.Catalog
	Index   func() *releaselake.Index // nil before the lake is loaded
	Notices func() []string
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	v := Build(h.Catalog, h.Index(), ParseProducts(r.URL.Query().Get("products")), h.Notices())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := tmpl.Execute(w, v); err != nil {
		http.Error(w, "render page", http.StatusInternalServerError)
	}
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
