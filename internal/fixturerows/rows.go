// Package fixturerows turns the real tag histories of shared/fixtures into
// release rows, as the GitHub source reads a repository's git tags, for
// tests of what the lake derives from whole histories (release lines,
// semantic versions) without a fake GitHub in between.
package fixturerows

import (
	"fmt"
	"strings"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/github"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/ingest/sources"
)

// Rows returns a row for every tag of every fixture repository that the
// default catalog's product of that repository reads as a version (its
// tag_pattern), as the GitHub source makes a row of a git tag: the version
// VersionFromTag gives, a prerelease when the version says so, published at
// the tag's date. Products are keyed as in the default catalog.
func Rows() ([]releaselake.Release, error) {
	c, err := catalog.Default(sources.Kinds)
	if err != nil {
		return nil, err
	}
	byRepo := map[string]releaselake.Product{}
	for _, p := range c.Products() {
		if p.Kind == releaselake.KindGitHub {
			byRepo[strings.ToLower(p.Ref)] = p
		}
	}
	repos, err := githubtest.Fixtures()
	if err != nil {
		return nil, err
	}
	var out []releaselake.Release
	for _, r := range repos {
		p, ok := byRepo[strings.ToLower(r.NameWithOwner())]
		if !ok {
			return nil, fmt.Errorf("fixture repository %s is not in the default catalog", r.NameWithOwner())
		}
		for _, t := range r.Tags {
			version, ok := releaselake.VersionFromTag(t.Name, p.Options.Regexp(github.OptionTagPattern))
			if !ok {
				continue
			}
			out = append(out, releaselake.Release{Product: p.Key, Tag: t.Name, Version: version, Name: t.Name,
				URL: "https://github.com/" + r.NameWithOwner() + "/tree/" + t.Name, Source: releaselake.SourceGitHubTag,
				Repo: r.NameWithOwner(), DateSource: releaselake.DateTagger, PublishedAt: t.Date.UTC(), FirstSeenAt: t.Date.UTC(),
				Prerelease: releaselake.IsPrerelease(version)})
		}
	}
	return out, nil
}
