// Package releaselake holds the domain of the release lake: what a release and a
// product are, how versions are ordered, the error classes, and the interfaces the
// lake, the ingest and the GraphQL gateway meet. It imports only the standard library.
package releaselake

// Sources a release row can come from (Release.Source).
const (
	SourceGitHubRelease = "github-release" // a GitHub Release
	SourceGitHubTag     = "github-tag"     // a git tag of a GitHub repository
	SourcePyPI          = "pypi"
	SourceNPM           = "npm"
	SourceMaven         = "maven"
	SourceFeed          = "feed"
	SourcePage          = "page"
	SourceManual        = "manual"
)

// Where a release's PublishedAt comes from (Release.DateSource).
const (
	DateReleasePublished = "release-published" // GitHub Release publishedAt
	DateTagger           = "tagger"            // annotated tag's tagger date
	DateCommit           = "commit"            // lightweight tag's commit date
	DateUpload           = "upload"            // registry upload time
	DateFeed             = "feed"              // feed entry date
	DatePage             = "page"              // date found on a vendor page
	DateManual           = "manual"            // written by hand
)

// Key identifies a release within a snapshot.
func (r Release) Key() ReleaseKey { return ReleaseKey{r.Product, r.Tag} }

// ReleaseKey is the (product, tag) pair that identifies a row.
type ReleaseKey struct{ Product, Tag string }
