// Package pypi is the PyPI source: a project's releases from the PyPI JSON API
// (GET $URL/pypi/NAME/json), each dated by its first file's upload time, yanked
// releases flagged, PEP 440 pre-releases marked. The answer is kept whole in red.
package pypi

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

// DefaultURL is PyPI.
const DefaultURL = "https://pypi.org"

// Source reads PyPI projects, one request each.
type Source struct {
	base               string
	*httpfetch.Counter // Kind, LastStats and the requests
}

var (
	_ releaselake.Source   = (*Source)(nil)
	_ releaselake.Reporter = (*Source)(nil)
)

// New returns a Source for the PyPI at base (DefaultURL if empty), or a mirror
// that serves the same JSON API.
func New(base string, client *httpfetch.Client) *Source {
	if base == "" {
		base = DefaultURL
	}
	return &Source{base: strings.TrimSuffix(base, "/"), Counter: httpfetch.NewCounter(kindName, client)}
}

// Fetch asks for each project's JSON document, conditionally when the product has
// rows and an earlier answer's validators; a 304 leaves the product unchanged.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	return s.Counter.Fetch(ctx, crawls, s.fetch)
}

func (s *Source) fetch(ctx context.Context, c releaselake.Crawl) releaselake.Fetched {
	u := s.base + "/pypi/" + url.PathEscape(c.Product.Ref) + "/json"
	f, err := s.Document(ctx, c, httpfetch.Request{URL: u, Accept: "application/json"}, u, true)
	if err != nil {
		f.Err = fmt.Errorf("pypi %s: %w", c.Product.Ref, err)
	}
	return f
}

// document is the part of the JSON API's answer that Parse reads.
type document struct {
	Info *struct {
		Name string `json:"name"`
	} `json:"info"`
	// Releases maps each version to its files. PyPI calls this key deprecated in
	// favour of the simple API but still serves it; its absence is reported.
	Releases map[string][]file `json:"releases"`
}

type file struct {
	UploadTimeISO string `json:"upload_time_iso_8601"`
	UploadTime    string `json:"upload_time"` // older answers: UTC without a zone
	Yanked        bool   `json:"yanked"`
}

// Parse turns the project's document into one row per version that has files: a
// version with none has no upload time. A release is yanked when all its files
// are (PEP 592). Versions PyPI holds that are not versions by our reading (a PEP
// 440 epoch, say) are counted in Ignored. The document is the whole history, so
// prev is not needed.
func (s *Source) Parse(p releaselake.Product, raw [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	fail := func(format string, args ...any) (releaselake.Parsed, error) {
		return releaselake.Parsed{}, fmt.Errorf("pypi %s: %s", p.Ref, fmt.Sprintf(format, args...))
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
		return fail("the answer of %s is not a PyPI project document: %v", a.URL, err)
	}
	if doc.Info == nil || doc.Releases == nil {
		return fail("the answer of %s has no info or no releases: not the JSON API's project document (did its format change?)", a.URL)
	}
	// Rows link to the project pages of the index that answered.
	base := a.URL
	if i := strings.LastIndex(base, "/pypi/"); i >= 0 {
		base = base[:i]
	}
	var out releaselake.Parsed
	for version, files := range doc.Releases {
		if _, err := releaselake.ParseVersion(version); err != nil || len(files) == 0 {
			out.Ignored++
			continue
		}
		var first time.Time
		yanked := true
		for _, f := range files {
			at, err := uploadTime(f)
			if err != nil {
				return fail("version %s: %v", version, err)
			}
			if first.IsZero() || at.Before(first) {
				first = at
			}
			yanked = yanked && f.Yanked
		}
		out.Releases = append(out.Releases, releaselake.Release{
			Product:     p.Key,
			Tag:         version,
			Version:     version,
			Name:        version,
			URL:         base + "/project/" + url.PathEscape(p.Ref) + "/" + url.PathEscape(version) + "/",
			Source:      releaselake.SourcePyPI,
			Repo:        p.Ref,
			DateSource:  releaselake.DateUpload,
			PublishedAt: first,
			Prerelease:  releaselake.IsPrerelease(version),
			Yanked:      yanked,
		})
	}
	sort.Slice(out.Releases, func(i, j int) bool {
		return releaselake.CompareVersions(out.Releases[i].Version, out.Releases[j].Version) > 0
	})
	return out, nil
}

func uploadTime(f file) (time.Time, error) {
	if f.UploadTimeISO != "" {
		t, err := time.Parse(time.RFC3339Nano, f.UploadTimeISO)
		if err != nil {
			return time.Time{}, fmt.Errorf("upload_time_iso_8601 %q: %v", f.UploadTimeISO, err)
		}
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02T15:04:05", f.UploadTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("a file without a readable upload time (%q)", f.UploadTime)
	}
	return t.UTC(), nil
}
