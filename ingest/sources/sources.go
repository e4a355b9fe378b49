// Package sources lists the kinds of source the program crawls. Adding a
// source is a package that declares its releaselake.SourceKind and one line
// here (docs/sources.md).
package sources

import (
	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/feed"
	"github.com/releaselake/releaselake/ingest/github"
	"github.com/releaselake/releaselake/ingest/manual"
	"github.com/releaselake/releaselake/ingest/maven"
	"github.com/releaselake/releaselake/ingest/npm"
	"github.com/releaselake/releaselake/ingest/pypi"
	"github.com/releaselake/releaselake/ingest/webpage"
)

// Kinds are the source kinds a catalog may name, in the order messages list them.
var Kinds = releaselake.SourceKinds{
	github.Kind,
	pypi.Kind,
	npm.Kind,
	maven.Kind,
	feed.Kind,
	webpage.Kind,
	manual.Kind,
}
