// Package npm is the npm source: a package's versions from the registry's full
// package document (GET $URL/NAME), dated by its time map, deprecated versions
// flagged as yanked, semver pre-releases marked. The document is kept whole in red.
package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

// DefaultURL is the public npm registry.
const DefaultURL = "https://registry.npmjs.org"

// Source reads npm packages, one request each.
type Source struct {
	base               string
	*httpfetch.Counter // Kind, LastStats and the requests
}

var (
	_ releaselake.Source   = (*Source)(nil)
	_ releaselake.Reporter = (*Source)(nil)
)

// New returns a Source for the registry at base (DefaultURL if empty).
func New(base string, client *httpfetch.Client) *Source {
	if base == "" {
		base = DefaultURL
	}
	return &Source{base: strings.TrimSuffix(base, "/"), Counter: httpfetch.NewCounter(kindName, client)}
}

// Fetch asks for each package's full document (the abbreviated one has no time
// map), conditionally when the product has rows and saved validators.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	return s.Counter.Fetch(ctx, crawls, s.fetch)
}

func (s *Source) fetch(ctx context.Context, c releaselake.Crawl) releaselake.Fetched {
	// A scoped name is one path segment: @scope%2Fname.
	u := s.base + "/" + url.PathEscape(c.Product.Ref)
	f, err := s.Document(ctx, c, httpfetch.Request{URL: u, Accept: "application/json"}, u, true)
	if err != nil {
		f.Err = fmt.Errorf("npm %s: %w", c.Product.Ref, err)
	}
	return f
}

// document is the part of the full package document Parse reads.
type document struct {
	Name     string                     `json:"name"`
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
	Time     map[string]json.RawMessage `json:"time"` // version -> ISO time; also created, modified, unpublished
}

// manifest is the part of one version's data Parse reads.
type manifest struct {
	Deprecated json.RawMessage `json:"deprecated"` // a message; some old documents hold other values
}

// Parse turns the package document into one row per published version: the
// versions map says which exist (a version unpublished stays in time but leaves
// versions), the time map when. A deprecated version is flagged Yanked. The
// dist-tags are kept in red but never trusted for latest: the index computes it.
// The document is the whole history, so prev is not needed.
func (s *Source) Parse(p releaselake.Product, raw [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	fail := func(format string, args ...any) (releaselake.Parsed, error) {
		return releaselake.Parsed{}, fmt.Errorf("npm %s: %s", p.Ref, fmt.Sprintf(format, args...))
	}
	if len(raw) != 1 {
		return fail("want 1 raw answer, got %d", len(raw))
	}
	a, err := httpfetch.ReadAnswer(raw[0])
	if err != nil {
		return fail("%v", err)
	}
	if a.JSON == nil {
		return fail("the answer of %s is not JSON: %s", a.URL, httpfetch.Excerpt(a.Body()))
	}
	var doc document
	if err := json.Unmarshal(a.JSON, &doc); err != nil {
		return fail("the answer of %s is not an npm package document: %v", a.URL, err)
	}
	if _, gone := doc.Time["unpublished"]; gone && len(doc.Versions) == 0 {
		return fail("the package was unpublished from the registry")
	}
	if doc.Versions == nil || doc.Time == nil || doc.DistTags == nil {
		return fail("the answer of %s lacks versions, time or dist-tags: not a full package document (did its format change?)", a.URL)
	}
	var out releaselake.Parsed
	for version, data := range doc.Versions {
		if _, err := releaselake.ParseVersion(version); err != nil {
			out.Ignored++
			continue
		}
		rawTime, ok := doc.Time[version]
		if !ok {
			out.Ignored++ // very old documents lack some times
			continue
		}
		var ts string
		if err := json.Unmarshal(rawTime, &ts); err != nil {
			return fail("time of %s: %v", version, err)
		}
		if ts == "" {
			out.Ignored++ // null or "": as if missing, not a reason to fail the package
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return fail("time of %s: %q is not an ISO time", version, ts)
		}
		var m manifest
		if err := json.Unmarshal(data, &m); err != nil {
			return fail("version %s: %v", version, err)
		}
		out.Releases = append(out.Releases, releaselake.Release{
			Product:     p.Key,
			Tag:         version,
			Version:     version,
			Name:        version,
			URL:         "https://www.npmjs.com/package/" + p.Ref + "/v/" + url.PathEscape(version),
			Source:      releaselake.SourceNPM,
			Repo:        p.Ref,
			DateSource:  releaselake.DateUpload,
			PublishedAt: at.UTC(),
			Prerelease:  releaselake.IsPrerelease(version),
			Yanked:      deprecated(m.Deprecated),
		})
	}
	sort.Slice(out.Releases, func(i, j int) bool {
		return releaselake.CompareVersions(out.Releases[i].Version, out.Releases[j].Version) > 0
	})
	return out, nil
}

// deprecated reads a version's deprecated field: a non-empty message deprecates
// it; an empty string (npm's way to undeprecate), false or null does not; true,
// as some old documents say, does.
func deprecated(v json.RawMessage) bool {
	if len(v) == 0 {
		return false
	}
	var msg string
	if json.Unmarshal(v, &msg) == nil {
		return msg != ""
	}
	var b bool
	return json.Unmarshal(v, &b) == nil && b
}
