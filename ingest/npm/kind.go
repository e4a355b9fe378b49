package npm

import (
	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

const kindName = "npm"

// Kind registers the npm source: "npm: <npm package name>", asked at RELEASELAKE_NPM_URL.
var Kind = httpfetch.RegistryKind(kindName, "npm",
	releaselake.Setting{Env: "RELEASELAKE_NPM_URL", Flag: "npm-url", Default: DefaultURL, Usage: "npm registry base URL: GET $URL/NAME"},
	func(base string, c *httpfetch.Client) releaselake.Source { return New(base, c) })
