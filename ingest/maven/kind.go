package maven

import (
	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

const kindName = "maven"

// Kind registers the Maven source: "maven: <group:artifact>", asked at RELEASELAKE_MAVEN_URL.
var Kind = httpfetch.RegistryKind(kindName, "Maven",
	releaselake.Setting{Env: "RELEASELAKE_MAVEN_URL", Flag: "maven-url", Default: DefaultURL, Usage: "Maven repository base URL: GET $URL/<group/path>/<artifact>/maven-metadata.xml"},
	func(base string, c *httpfetch.Client) releaselake.Source { return New(base, c) })
