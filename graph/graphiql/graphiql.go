// Package graphiql serves GraphiQL from assets embedded in the binary, so the
// page works where there is no internet (no CDN). The assets are the exact
// files gqlgen's playground loads from a CDN; fetch.sh re-fetches them from
// npm and checks them against gqlgen's pinned hashes. The page opens on
// DefaultQuery and links the API guide.
package graphiql

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
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

// GuideURL is the API guide, docs/api.md, where anyone can read it: the
// server does not serve the docs.
const GuideURL = "https://github.com/releaselake/releaselake/blob/main/docs/api.md"

// DefaultQuery is what GraphiQL opens on (until a browser has a query of its
// own stored): a working example of this API rather than GraphiQL's stock
// welcome, run as it is by a test against a served lake. It is anonymous:
// GraphiQL updates the operation name it sends a moment after an edit, so a
// named example replaced by another query and run at once would be sent
// under the old name.
const DefaultQuery = `# The releases of three products, newest first,
# 10 a page: run it with ▶ (Ctrl-Enter).
# The next page: in Variables below, put
#   { "after": "<the answer's pageInfo.endCursor>" }
# More examples: the API guide, docs/api.md
# (linked top right):
# ` + GuideURL + `
query ($products: [String!] = ["react", "vue", "spark"], $after: String) {
  releases(products: $products, first: 10, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      product { key name }
      version
      publishedAt
      prerelease
      url
    }
  }
}
`

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
	html := withDefaults(render(page))
	sub, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix(base, http.FileServerFS(sub))
	policy := csp.Policy(html, "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		switch {
		case r.URL.Path == path || r.URL.Path == path+"/":
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			csp.Set(w.Header(), policy)
			w.Write([]byte(html))
		case strings.HasPrefix(r.URL.Path, base) && !strings.HasSuffix(r.URL.Path, "/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// render returns gqlgen's page, which is the same on every request: so it is
// made once, and the Content-Security-Policy allows its one inline script and
// one inline style by their hashes (GraphiQL's own code sets styles through
// the DOM, which is allowed, and talks to the endpoint on this origin only).
func render(page http.Handler) string {
	var out capture
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	page.ServeHTTP(&out, r)
	return out.body.String()
}

// defaultsAnchor is the last of the props gqlgen's page gives GraphiQL; ours
// follow it. gqlgen has no option for them.
const defaultsAnchor = "inputValueDeprecation: true"

// withDefaults adds to the props of GraphiQL in gqlgen's page html the
// default query, and in place of GraphiQL's logo a link to the API guide.
// It panics if gqlgen's page changed so that they would not show (tests
// construct the handler, so an upgrade of gqlgen says so there).
func withDefaults(html string) string {
	if strings.Count(html, defaultsAnchor) != 1 {
		panic("graphiql: gqlgen's page no longer sets " + defaultsAnchor + ": the default query has no place")
	}
	js := func(s string) string {
		b, _ := json.Marshal(s) // escapes <, > and &: safe inside <script>
		return string(b)
	}
	props := defaultsAnchor + `,
          defaultQuery: ` + js(DefaultQuery) + `,
          children: React.createElement(GraphiQL.Logo, null,
            React.createElement("a", {className: "graphiql-logo-link", href: ` + js(GuideURL) + `, target: "_blank", rel: "noopener"}, "releaselake API guide"))`
	return strings.Replace(html, defaultsAnchor, props, 1)
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
