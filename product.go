package releaselake

import "regexp"

// KindGitHub is the kind of GitHub products: the one kind named outside its
// source package, since the lake's status reports GitHub's rate-limit budget.
const KindGitHub = "github"

// Product is one entry of the catalog: a framework whose releases the lake tracks.
type Product struct {
	Key  string // id used in ?products= and GraphQL; [a-z0-9_-]+
	Name string // display name

	Kind string // the source kind it is crawled from (SourceKind.Name): "github", "pypi", …
	// Ref is where upstream keeps it: "owner/name" on GitHub, the package or
	// "group:artifact" on a registry, the URL of a feed or page, a manual file's path.
	Ref string
	// Options are the kind's other catalog keys (tag_pattern, version_pattern, …),
	// parsed by the kind's Option declarations; read-only once in a Catalog.
	Options Options

	// Facts for cards and API clients, from optional catalog keys every kind
	// accepts: category (a short group name, e.g. "Data processing"; the page
	// groups by it), homepage (an http(s) URL) and description (one sentence).
	// The key is "category", not "tags": tags is the GitHub option.
	Category    string
	Homepage    string
	Description string

	// Package is the catalog's package key: the product's identity in a package
	// ecosystem where its source does not give one (PackageOf), for advisories.
	Package Package

	Line int // line of the entry in its catalog file, for messages
}

// Source returns the kind of source the product is crawled from (Kind).
func (p Product) Source() string { return p.Kind }

// Repo returns where upstream keeps the product (Ref).
func (p Product) Repo() string { return p.Ref }

// Options holds a product's source-specific catalog keys, parsed, by key. A key
// the catalog does not give is absent, and reads as the zero value.
type Options map[string]any

// Bool returns the boolean option key; false if absent.
func (o Options) Bool(key string) bool { b, _ := o[key].(bool); return b }

// String returns the string option key; "" if absent.
func (o Options) String(key string) string { s, _ := o[key].(string); return s }

// Regexp returns the regular-expression option key; nil if absent.
func (o Options) Regexp(key string) *regexp.Regexp { re, _ := o[key].(*regexp.Regexp); return re }
