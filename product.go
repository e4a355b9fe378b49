package releaselake

import "regexp"

// Product kinds of source (Product.Source).
const (
	KindGitHub = "github"
	KindPyPI   = "pypi"
	KindNPM    = "npm"
	KindMaven  = "maven"
	KindFeed   = "feed"
	KindPage   = "page"
	KindManual = "manual"
)

// Product is one entry of the catalog: a framework whose releases the lake tracks.
// Exactly one of GitHub, PyPI, NPM, Maven, Feed, Page and Manual is set.
type Product struct {
	Key  string // id used in ?products= and GraphQL; [a-z0-9_-]+
	Name string // display name

	GitHub     string         // "owner/name"
	Tags       bool           // use tags even if the repository publishes releases
	TagPattern *regexp.Regexp // which tags (and release tag names) count; group "version" or 1 is the version

	PyPI   string // PyPI project name
	NPM    string // npm package name
	Maven  string // "group:artifact"
	Feed   string // RSS or Atom URL
	Page   string // vendor page URL
	Manual string // path of a YAML file of releases kept by hand

	VersionPattern *regexp.Regexp // feed/page: group 1 is the version
	DatePattern    *regexp.Regexp // page: group 1 is the date
	DateLayout     string         // page: time layout of the date; default "2006-01-02"

	Line int // line of the entry in its catalog file, for messages
}

// Source returns the kind of source the product is crawled from (Kind* constants).
func (p Product) Source() string {
	switch {
	case p.GitHub != "":
		return KindGitHub
	case p.PyPI != "":
		return KindPyPI
	case p.NPM != "":
		return KindNPM
	case p.Maven != "":
		return KindMaven
	case p.Feed != "":
		return KindFeed
	case p.Page != "":
		return KindPage
	case p.Manual != "":
		return KindManual
	}
	return ""
}

// Repo returns where upstream keeps the product: "owner/name" on GitHub, the package
// or artifact name on a registry, the URL of a feed or page, the manual file's path.
func (p Product) Repo() string {
	for _, s := range []string{p.GitHub, p.PyPI, p.NPM, p.Maven, p.Feed, p.Page, p.Manual} {
		if s != "" {
			return s
		}
	}
	return ""
}
