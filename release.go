// Package releaselake holds the domain of the release lake: what a release and a
// product are, how versions are ordered, the error classes, and the interfaces the
// lake, the ingest and the GraphQL gateway meet. It imports only the standard library.
package releaselake

import "time"

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

// Release is one published version of one product: one row of the yellow table.
// A snapshot holds exactly one Release per (Product, Tag).
type Release struct {
	Product     string    `json:"product"`     // catalog key
	Tag         string    `json:"tag"`         // the tag (or version string) as published upstream
	Version     string    `json:"version"`     // the tag without the project's prefix
	Name        string    `json:"name"`        // release title, or the tag
	URL         string    `json:"url"`         // release notes
	Source      string    `json:"source"`      // one of the Source* constants
	Repo        string    `json:"repo"`        // owner/name on GitHub, package name elsewhere
	DateSource  string    `json:"dateSource"`  // one of the Date* constants
	PublishedAt time.Time `json:"publishedAt"` // UTC
	FirstSeenAt time.Time `json:"firstSeenAt"` // UTC, when this lake first saw the row
	Prerelease  bool      `json:"prerelease"`
	Yanked      bool      `json:"yanked"`
}

// Key identifies a release within a snapshot.
func (r Release) Key() ReleaseKey { return ReleaseKey{r.Product, r.Tag} }

// ReleaseKey is the (product, tag) pair that identifies a row.
type ReleaseKey struct{ Product, Tag string }
