package pypi

import (
	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

const kindName = "pypi"

// Kind registers the PyPI source: "pypi: <PyPI project name>", asked at RELEASELAKE_PYPI_URL.
var Kind = httpfetch.RegistryKind(kindName, "PyPI",
	releaselake.Setting{Env: "RELEASELAKE_PYPI_URL", Flag: "pypi-url", Default: DefaultURL, Usage: "PyPI base URL: GET $URL/pypi/NAME/json"},
	func(base string, c *httpfetch.Client) releaselake.Source { return New(base, c) })
