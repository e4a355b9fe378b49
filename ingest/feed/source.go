// Package feed is the feed source: releases announced in an RSS or Atom feed,
// read with gofeed, one row per entry whose title the catalog's version_pattern
// matches, dated by the entry's published date (RSS pubDate), else its updated
// date, its notes the entry's content (Atom content, RSS content:encoded), else
// its summary (RSS description), as the feed wrote them. A feed shows only its latest entries, so the rows of entries that have
// left it are kept: a product's rows only grow.
package feed

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mmcdole/gofeed"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

// Source reads feeds.
type Source struct {
	*httpfetch.Counter // Kind, LastStats and the requests
}

var (
	_ releaselake.Source   = (*Source)(nil)
	_ releaselake.Reporter = (*Source)(nil)
)

// New returns a Source that fetches with client.
func New(client *httpfetch.Client) *Source {
	return &Source{Counter: httpfetch.NewCounter(kindName, client)}
}

// Fetch reads each product's feed, conditionally when the product has rows and
// validators saved for the same URL and pattern.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	return s.Counter.Fetch(ctx, crawls, s.fetch)
}

func (s *Source) fetch(ctx context.Context, c releaselake.Crawl) releaselake.Fetched {
	p := c.Product
	if p.Options.Regexp(OptionVersionPattern) == nil {
		return releaselake.Fetched{Err: fmt.Errorf("feed %s: the catalog entry has no version_pattern", p.Ref)}
	}
	key := p.Ref + " " + p.Options.Regexp(OptionVersionPattern).String()
	f, err := s.Document(ctx, c, httpfetch.Request{URL: p.Ref,
		Accept: "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"}, key, false)
	if err != nil {
		f.Err = fmt.Errorf("feed %s: %w", p.Ref, err)
	}
	return f
}

// Parse turns the feed into rows: one per version (the earliest entry when
// several titles give the same version), plus the product's earlier feed rows
// whose entries have left the feed. Titles the pattern does not match are
// counted in Ignored; a feed where it matches no title at all fails, since that
// is what a changed title format looks like, and the product keeps its rows.
func (s *Source) Parse(p releaselake.Product, raw [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	fail := func(format string, args ...any) (releaselake.Parsed, error) {
		return releaselake.Parsed{}, fmt.Errorf("feed %s: %s", p.Ref, fmt.Sprintf(format, args...))
	}
	if p.Options.Regexp(OptionVersionPattern) == nil {
		return fail("the catalog entry has no version_pattern")
	}
	if len(raw) != 1 {
		return fail("want 1 raw answer, got %d", len(raw))
	}
	a, err := httpfetch.ReadAnswer(raw[0])
	if err != nil {
		return fail("%v", err)
	}
	body := a.Body()
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return fail("not an RSS or Atom feed: %v (starts %s)", err, httpfetch.Excerpt(body))
	}
	var out releaselake.Parsed
	byTag := map[string]int{}
	matched := 0
	for _, item := range feed.Items {
		title := strings.TrimSpace(item.Title)
		version, ok := releaselake.VersionFromText(title, p.Options.Regexp(OptionVersionPattern))
		if !ok {
			out.Ignored++
			continue
		}
		matched++
		at := item.PublishedParsed
		if at == nil {
			at = item.UpdatedParsed
		}
		if at == nil {
			out.Ignored++ // a release needs a date
			continue
		}
		link := item.Link
		if link == "" {
			link = feed.Link
		}
		r := releaselake.Release{
			Product:     p.Key,
			Tag:         version,
			Version:     version,
			Name:        title,
			URL:         link,
			Source:      releaselake.SourceFeed,
			Repo:        p.Ref,
			DateSource:  releaselake.DateFeed,
			PublishedAt: at.UTC(),
			Prerelease:  releaselake.IsPrerelease(version),
			Notes:       cmp.Or(strings.TrimSpace(item.Content), strings.TrimSpace(item.Description)),
		}
		if i, dup := byTag[version]; dup {
			if r.PublishedAt.Before(out.Releases[i].PublishedAt) {
				out.Releases[i] = r
			}
			continue
		}
		byTag[version] = len(out.Releases)
		out.Releases = append(out.Releases, r)
	}
	if matched == 0 {
		return fail("version_pattern `%s` matches none of the %d entry titles (the feed's titles may have changed)", p.Options.Regexp(OptionVersionPattern), len(feed.Items))
	}
	for _, r := range prev {
		if _, now := byTag[r.Tag]; !now && r.Source == releaselake.SourceFeed {
			out.Releases = append(out.Releases, r)
		}
	}
	sort.Slice(out.Releases, func(i, j int) bool {
		return releaselake.CompareVersions(out.Releases[i].Version, out.Releases[j].Version) > 0
	})
	return out, nil
}
