// Package webpage is the vendor-page source, for closed-source products that
// publish their releases only as a web page. Two Go regexps from the catalog
// entry read the raw HTML (not extracted text): version_pattern finds each
// version, and date_pattern the first date after it and before the next version,
// parsed with date_layout (2006-01-02 unless it says otherwise). A page often
// shows only recent releases, so rows of versions that left it are kept.
package webpage

import (
	"context"
	"fmt"
	"html"
	"sort"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

// DefaultLayout is how a date reads when the catalog gives no date_layout.
const DefaultLayout = "2006-01-02"

// Source reads vendor pages.
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

// Fetch reads each product's page, conditionally when the product has rows and
// validators saved for the same URL, patterns and layout.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	return s.Counter.Fetch(ctx, crawls, s.fetch)
}

func (s *Source) fetch(ctx context.Context, c releaselake.Crawl) releaselake.Fetched {
	p := c.Product
	if err := check(p); err != nil {
		return releaselake.Fetched{Err: err}
	}
	key := strings.Join([]string{p.Ref, p.Options.Regexp(OptionVersionPattern).String(), p.Options.Regexp(OptionDatePattern).String(), p.Options.String(OptionDateLayout)}, " ")
	f, err := s.Document(ctx, c, httpfetch.Request{URL: p.Ref, Accept: "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"}, key, false)
	if err != nil {
		f.Err = fmt.Errorf("page %s: %w", p.Ref, err)
	}
	return f
}

func check(p releaselake.Product) error {
	if p.Options.Regexp(OptionVersionPattern) == nil || p.Options.Regexp(OptionDatePattern) == nil {
		return fmt.Errorf("page %s: the catalog entry needs version_pattern and date_pattern", p.Ref)
	}
	if p.Options.Regexp(OptionDatePattern).NumSubexp() < 1 {
		return fmt.Errorf("page %s: date_pattern needs a capture group for the date", p.Ref)
	}
	return nil
}

// Parse finds the versions on the page and dates each by the first date match
// between it and the next version match. A version seen twice keeps its first
// dated sighting; one with no date before the next version is counted in
// Ignored. A page where version_pattern finds nothing, or no version has a date,
// fails: that is what a changed layout looks like, and the product keeps its rows.
func (s *Source) Parse(p releaselake.Product, raw [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	fail := func(format string, args ...any) (releaselake.Parsed, error) {
		return releaselake.Parsed{}, fmt.Errorf("page %s: %s", p.Ref, fmt.Sprintf(format, args...))
	}
	if err := check(p); err != nil {
		return releaselake.Parsed{}, err
	}
	if len(raw) != 1 {
		return fail("want 1 raw answer, got %d", len(raw))
	}
	a, err := httpfetch.ReadAnswer(raw[0])
	if err != nil {
		return fail("%v", err)
	}
	page := string(a.Body())
	layout := p.Options.String(OptionDateLayout)
	if layout == "" {
		layout = DefaultLayout
	}
	matches := p.Options.Regexp(OptionVersionPattern).FindAllStringIndex(page, -1)
	if len(matches) == 0 {
		return fail("version_pattern `%s` finds no version in the %d bytes of the page (has its layout changed?)", p.Options.Regexp(OptionVersionPattern), len(page))
	}
	var out releaselake.Parsed
	seen := map[string]bool{}
	for i, m := range matches {
		version, ok := releaselake.VersionFromText(page[m[0]:m[1]], p.Options.Regexp(OptionVersionPattern))
		if !ok {
			out.Ignored++
			continue
		}
		if seen[version] {
			continue
		}
		end := len(page)
		if i+1 < len(matches) {
			end = matches[i+1][0]
		}
		dm := p.Options.Regexp(OptionDatePattern).FindStringSubmatch(page[m[1]:end])
		if dm == nil || dm[1] == "" {
			out.Ignored++
			continue
		}
		text := strings.Join(strings.Fields(html.UnescapeString(dm[1])), " ")
		at, err := time.Parse(layout, text)
		if err != nil {
			return fail("version %s: date %q does not read as %q: %v", version, text, layout, err)
		}
		seen[version] = true
		out.Releases = append(out.Releases, releaselake.Release{
			Product:     p.Key,
			Tag:         version,
			Version:     version,
			Name:        version,
			URL:         p.Ref,
			Source:      releaselake.SourcePage,
			Repo:        p.Ref,
			DateSource:  releaselake.DatePage,
			PublishedAt: at.UTC(),
			Prerelease:  releaselake.IsPrerelease(version),
		})
	}
	if len(out.Releases) == 0 {
		return fail("version_pattern finds %d versions but date_pattern `%s` dates none of them (has the layout changed?)", len(matches), p.Options.Regexp(OptionDatePattern))
	}
	for _, r := range prev {
		if !seen[r.Tag] && r.Source == releaselake.SourcePage {
			out.Releases = append(out.Releases, r)
		}
	}
	sort.Slice(out.Releases, func(i, j int) bool {
		return releaselake.CompareVersions(out.Releases[i].Version, out.Releases[j].Version) > 0
	})
	return out, nil
}
