package github

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Parse turns the raw pages Fetch returned for p into release rows. The rows come
// from the releases pages, or from the tags pages when p.Tags is set or the
// repository publishes no release that is not a draft: the rule Fetch used to
// decide whether to ask for tags. Drafts never become rows; tags (and release tag
// names) that p.TagPattern does not make a version are counted in Ignored; a tag
// seen twice gives one row, the first seen (newest first). Fetch reads the whole
// history every run, so prev is not needed.
func (s *Source) Parse(p releaselake.Product, raw [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	releases, tags, err := readPages(raw)
	if err != nil {
		return releaselake.Parsed{}, fmt.Errorf("github %s: %w", p.GitHub, err)
	}
	b := builder{product: p, seen: map[string]bool{}}
	if p.Tags || !publishes(releases) {
		for _, r := range tags {
			b.tags(r)
		}
	} else {
		for _, r := range releases {
			b.releases(r)
		}
	}
	return b.out, nil
}

// readPages reads red lines into the repository of each releases and tags page.
func readPages(raw [][]byte) (releases, tags []*repository, err error) {
	for i, line := range raw {
		var pg struct {
			Kind string `json:"kind"`
			Data answer `json:"data"`
		}
		if err := json.Unmarshal(line, &pg); err != nil {
			return nil, nil, fmt.Errorf("read raw page %d: %w", i+1, err)
		}
		r := pg.Data.Repository
		if r == nil {
			return nil, nil, fmt.Errorf("raw page %d has no repository", i+1)
		}
		switch pg.Kind {
		case kindReleases:
			releases = append(releases, r)
		case kindTags:
			tags = append(tags, r)
		default:
			return nil, nil, fmt.Errorf("raw page %d: unknown kind %q", i+1, pg.Kind)
		}
	}
	return releases, tags, nil
}

// publishes reports whether the pages hold a release that is not a draft.
func publishes(pages []*repository) bool {
	for _, r := range pages {
		if r.Releases == nil {
			continue
		}
		for _, rel := range r.Releases.Nodes {
			if !rel.IsDraft {
				return true
			}
		}
	}
	return false
}

// builder gathers the rows of one product.
type builder struct {
	product releaselake.Product
	seen    map[string]bool // tags already read
	out     releaselake.Parsed
}

func (b *builder) releases(r *repository) {
	if r.Releases == nil {
		return
	}
	for _, rel := range r.Releases.Nodes {
		if rel.IsDraft || b.seen[rel.TagName] {
			continue
		}
		b.seen[rel.TagName] = true
		version, ok := releaselake.VersionFromTag(rel.TagName, b.product.TagPattern)
		if !ok || rel.PublishedAt == nil { // a published release always has a date
			b.out.Ignored++
			continue
		}
		name := rel.TagName
		if rel.Name != nil && strings.TrimSpace(*rel.Name) != "" {
			name = strings.TrimSpace(*rel.Name)
		}
		b.add(releaselake.Release{
			Tag:         rel.TagName,
			Version:     version,
			Name:        name,
			URL:         rel.URL,
			Source:      releaselake.SourceGitHubRelease,
			Repo:        r.NameWithOwner,
			DateSource:  releaselake.DateReleasePublished,
			PublishedAt: *rel.PublishedAt,
			Prerelease:  rel.IsPrerelease || releaselake.IsPrerelease(version),
		})
	}
}

func (b *builder) tags(r *repository) {
	if r.Refs == nil {
		return
	}
	for _, t := range r.Refs.Nodes {
		if b.seen[t.Name] {
			continue
		}
		b.seen[t.Name] = true
		version, ok := releaselake.VersionFromTag(t.Name, b.product.TagPattern)
		if !ok {
			b.out.Ignored++
			continue
		}
		at, dateSource, ok := tagDate(t.Target)
		if !ok { // a tag of a tree or a blob, or of a tag of a tag: no date to give
			b.out.Ignored++
			continue
		}
		b.add(releaselake.Release{
			Tag:         t.Name,
			Version:     version,
			Name:        t.Name,
			URL:         tagURL(r, t.Name),
			Source:      releaselake.SourceGitHubTag,
			Repo:        r.NameWithOwner,
			DateSource:  dateSource,
			PublishedAt: at,
			Prerelease:  releaselake.IsPrerelease(version),
		})
	}
}

func (b *builder) add(rel releaselake.Release) {
	rel.Product = b.product.Key
	rel.PublishedAt = rel.PublishedAt.UTC()
	b.out.Releases = append(b.out.Releases, rel)
}

// tagDate returns when a tag was published: an annotated tag's tagger date, else
// the date of the commit it points to; a lightweight tag's commit date.
func tagDate(o *gitObject) (time.Time, string, bool) {
	if o == nil {
		return time.Time{}, "", false
	}
	switch o.Typename {
	case "Commit":
		if o.CommittedDate != nil {
			return *o.CommittedDate, releaselake.DateCommit, true
		}
	case "Tag":
		if o.Tagger != nil && o.Tagger.Date != nil {
			return *o.Tagger.Date, releaselake.DateTagger, true
		}
		if o.Target != nil && o.Target.Typename == "Commit" && o.Target.CommittedDate != nil {
			return *o.Target.CommittedDate, releaselake.DateCommit, true
		}
	}
	return time.Time{}, "", false
}

// tagURL is the page GitHub shows for a tag; the tag is one path segment, so a
// slash in it (rel/release-3.1.0) is escaped.
func tagURL(r *repository, tag string) string {
	base := strings.TrimSuffix(r.URL, "/")
	if base == "" {
		base = "https://github.com/" + r.NameWithOwner
	}
	return base + "/releases/tag/" + url.PathEscape(tag)
}
