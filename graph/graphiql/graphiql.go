// Package graphiql serves GraphiQL from assets embedded in the binary, so the
// page works where there is no internet (no CDN). The assets are the exact
// files gqlgen's playground loads from a CDN; fetch.sh re-fetches them from
// npm and checks them against gqlgen's pinned hashes.
package graphiql

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/releaselake/releaselake/internal/csp"
)

//go:embed assets
var assets embed.FS

// Asset names in assets/ (versioned, so they can be cached for good).
const (
	graphiqlJS  = "graphiql-4.1.2.min.js"
	graphiqlCSS = "graphiql-4.1.2.min.css"
	reactJS     = "react-18.2.0.production.min.js"
	reactDOMJS  = "react-dom-18.2.0.production.min.js"
	explorerJS  = "plugin-explorer-4.0.6.umd.js"
	explorerCSS = "plugin-explorer-4.0.6.css"
)

// Handler serves the GraphiQL page at path (e.g. "/graphiql") talking to
// endpoint, and its assets under path + "/assets/". Mount it at both path and
// path + "/".
func Handler(path, endpoint string) http.Handler {
	base := strings.TrimSuffix(path, "/") + "/assets/"
	url := func(name string) string { return base + name }
	page := playground.Handler("releaselake GraphiQL", endpoint,
		playground.WithGraphiqlVersion(url(graphiqlJS), url(graphiqlCSS), sri(graphiqlJS), sri(graphiqlCSS)),
		playground.WithGraphiqlReactVersion(url(reactJS), url(reactDOMJS), sri(reactJS), sri(reactDOMJS)),
		playground.WithGraphiqlPluginExplorerVersion(url(explorerJS), url(explorerCSS), sri(explorerJS), sri(explorerCSS)),
		playground.WithGraphiqlEnablePluginExplorer(true),
		playground.WithGraphiqlPersistStateInURL(true),
		playground.WithStoragePrefix("releaselake:"),
	)
	sub, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix(base, http.FileServerFS(sub))
	policy := pagePolicy(page)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		switch {
		case r.URL.Path == path || r.URL.Path == path+"/":
			w.Header().Set("Cache-Control", "no-cache")
			csp.Set(w.Header(), policy)
			page.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, base) && !strings.HasSuffix(r.URL.Path, "/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// pagePolicy is the Content-Security-Policy of the page: gqlgen's page has
// one inline script and one inline style, the same on every request, allowed
// by their hashes; GraphiQL's own code sets styles through the DOM (allowed)
// and talks to the endpoint on this origin only.
func pagePolicy(page http.Handler) string {
	var out capture
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	page.ServeHTTP(&out, r)
	return csp.Policy(out.body.String(), "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'")
}

// capture keeps what a handler writes.
type capture struct {
	header http.Header
	body   strings.Builder
}

func (c *capture) Header() http.Header {
	if c.header == nil {
		c.header = http.Header{}
	}
	return c.header
}
func (c *capture) WriteHeader(int)             {}
func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }

// sri returns the subresource integrity hash of an embedded asset.
func sri(name string) string {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic("graphiql: missing asset " + name + ": run graph/graphiql/fetch.sh")
	}
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
