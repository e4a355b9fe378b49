// Package maven is the Maven source: an artifact's versions from its
// maven-metadata.xml (GET $URL/<group/path>/<artifact>/maven-metadata.xml), each
// dated by the Last-Modified of its POM, asked with HEAD once per version. The
// metadata's <latest> and <release> are never read: they say what was deployed
// last, not what is newest. -M1, -RC1 and the like are pre-releases; .RELEASE,
// .Final and .GA are not.
package maven

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
)

// DefaultURL is Maven Central.
const DefaultURL = "https://repo1.maven.org/maven2"

// Parallel is how many POMs are asked at once.
const Parallel = 4

// MaxLookups is how many POMs one artifact may ask per run: an artifact of
// 3,000 versions is dated over a few runs, newest versions first, instead of
// 3,000 requests in one (docs/security.md).
const MaxLookups = 500

// Source reads Maven artifacts.
type Source struct {
	base               string
	MaxLookups         int // POMs asked per artifact and run [MaxLookups]
	*httpfetch.Counter     // Kind, LastStats and the requests
}

var (
	_ releaselake.Source   = (*Source)(nil)
	_ releaselake.Reporter = (*Source)(nil)
)

// New returns a Source for the Maven repository at base (DefaultURL if empty).
func New(base string, client *httpfetch.Client) *Source {
	if base == "" {
		base = DefaultURL
	}
	return &Source{base: strings.TrimSuffix(base, "/"), Counter: httpfetch.NewCounter(kindName, client)}
}

// Fetch reads each artifact's metadata, conditionally when the product has rows
// and saved validators (a 304 leaves it unchanged), then the POM of each version
// the product has no row for yet. The raw answers are the metadata and one line
// per POM answer.
func (s *Source) Fetch(ctx context.Context, crawls []releaselake.Crawl) []releaselake.Fetched {
	return s.Counter.Fetch(ctx, crawls, s.fetch)
}

func (s *Source) fetch(ctx context.Context, c releaselake.Crawl) releaselake.Fetched {
	p := c.Product
	var f releaselake.Fetched
	fail := func(err error) releaselake.Fetched {
		f.Err = fmt.Errorf("maven %s: %w", p.Ref, err)
		return f
	}
	a, err := parseCoordinates(p.Ref)
	if err != nil {
		return fail(err)
	}
	dir := s.base + "/" + a.path()
	u := dir + "/maven-metadata.xml"
	resp, err := s.Do(ctx, httpfetch.Request{URL: u, Accept: "application/xml, text/xml;q=0.9",
		If: httpfetch.Conditional(c.State, u, len(c.Prev) > 0)})
	if err != nil {
		return fail(err)
	}
	if resp.NotModified() {
		f.Unchanged = true
		return f
	}
	line, err := resp.Line(false)
	if err != nil {
		return fail(err)
	}
	f.Raw = [][]byte{line}
	md, err := readMetadata(resp.Body, a)
	if err != nil {
		return fail(err) // the answer stays on record in red; Parse fails on it alike
	}
	known := map[string]bool{}
	for _, r := range c.Prev {
		known[r.Tag] = true
	}
	var todo []string
	for _, v := range md.Versioning.Versions {
		if !known[v] {
			todo = append(todo, v)
		}
	}
	max := cmp.Or(s.MaxLookups, MaxLookups)
	left := 0
	if len(todo) > max {
		slices.SortStableFunc(todo, func(a, b string) int { return releaselake.CompareVersions(b, a) })
		todo, left = todo[:max], len(todo)-max
	}
	poms, err := s.poms(ctx, dir, a.artifact, todo)
	if err != nil {
		// No raw answers: red holds what Parse can read alone, and a metadata
		// without its POMs would give rows the run never committed.
		f.Raw = nil
		return fail(err)
	}
	f.Raw = append(f.Raw, poms...)
	if left > 0 {
		// No state saved: the next run reads the metadata again, not a 304, and
		// dates the next versions.
		s.Note("maven %s: %d versions dated, %d left for the next runs (at most %d POM lookups per artifact and run)", p.Ref, len(todo), left, max)
		return f
	}
	f.State = resp.State(u)
	return f
}

// poms asks for the POM of each version with HEAD (GET where HEAD is refused),
// Parallel at a time, and returns the answers as red lines in the order of
// versions. A POM that is not found is an answer too: that version has no date.
func (s *Source) poms(ctx context.Context, dir, artifact string, versions []string) ([][]byte, error) {
	lines := make([][]byte, len(versions))
	errs := make([]error, len(versions))
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i, v := range versions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lines[i], errs[i] = s.pom(ctx, pomURL(dir, artifact, v))
		}()
	}
	wg.Wait()
	for i := range versions {
		if errs[i] != nil {
			return nil, fmt.Errorf("version %s: %w", versions[i], errs[i])
		}
	}
	return lines, nil
}

func (s *Source) pom(ctx context.Context, u string) ([]byte, error) {
	resp, err := s.Do(ctx, httpfetch.Request{Method: http.MethodHead, URL: u})
	var se *httpfetch.StatusError
	if errors.As(err, &se) && (se.Status == http.StatusMethodNotAllowed || se.Status == http.StatusNotImplemented) {
		resp, err = s.Do(ctx, httpfetch.Request{URL: u})
		if resp != nil {
			resp.Body = nil // only its Last-Modified matters
		}
	}
	if releaselake.ClassOf(err) == releaselake.NotFound {
		nf := &httpfetch.Response{Method: http.MethodHead, URL: u, Status: http.StatusNotFound, Header: http.Header{}, FetchedAt: time.Now().UTC()}
		return nf.Line(false)
	}
	if err != nil {
		return nil, err
	}
	return resp.Line(false)
}

// Parse turns the metadata and POM answers into one row per listed version,
// dated by its POM's Last-Modified in this run's answers, else by the product's
// row from an earlier run (Fetch asks only for new versions' POMs). A version
// with neither (its POM was not found) is counted in Ignored, as is a listed
// string that is not a version.
func (s *Source) Parse(p releaselake.Product, raw [][]byte, prev []releaselake.Release) (releaselake.Parsed, error) {
	fail := func(format string, args ...any) (releaselake.Parsed, error) {
		return releaselake.Parsed{}, fmt.Errorf("maven %s: %s", p.Ref, fmt.Sprintf(format, args...))
	}
	a, err := parseCoordinates(p.Ref)
	if err != nil {
		return fail("%v", err)
	}
	var md *metadata
	var dir string
	dates := map[string]string{} // version -> Last-Modified
	for _, line := range raw {
		ans, err := httpfetch.ReadAnswer(line)
		if err != nil {
			return fail("%v", err)
		}
		u, err := url.Parse(ans.URL)
		if err != nil {
			return fail("raw answer url %q: %v", ans.URL, err)
		}
		switch {
		case strings.HasSuffix(u.Path, "/maven-metadata.xml"):
			if md, err = readMetadata(ans.Body(), a); err != nil {
				return fail("%v", err)
			}
			dir = strings.TrimSuffix(ans.URL, "/maven-metadata.xml")
		case strings.HasSuffix(u.Path, ".pom"):
			if ans.Status == http.StatusOK && ans.LastModified != "" {
				dates[path.Base(path.Dir(u.Path))] = ans.LastModified
			}
		default:
			return fail("raw answer of %s is neither metadata nor a POM", ans.URL)
		}
	}
	if md == nil {
		return fail("no maven-metadata.xml among the raw answers")
	}
	before := map[string]releaselake.Release{}
	for _, r := range prev {
		before[r.Tag] = r
	}
	var out releaselake.Parsed
	seen := map[string]bool{}
	for _, v := range md.Versioning.Versions {
		if seen[v] {
			continue
		}
		seen[v] = true
		if _, err := releaselake.ParseVersion(v); err != nil {
			out.Ignored++
			continue
		}
		r := releaselake.Release{
			Product:    p.Key,
			Tag:        v,
			Version:    v,
			Name:       v,
			URL:        dir + "/" + url.PathEscape(v) + "/",
			Source:     releaselake.SourceMaven,
			Repo:       p.Ref,
			DateSource: releaselake.DateUpload,
			Prerelease: releaselake.IsPrerelease(v),
		}
		if lm, ok := dates[v]; ok {
			at, err := http.ParseTime(lm)
			if err != nil {
				return fail("version %s: Last-Modified %q is not an HTTP date", v, lm)
			}
			r.PublishedAt = at.UTC()
		} else if old, ok := before[v]; ok && !old.PublishedAt.IsZero() {
			r.PublishedAt = old.PublishedAt
		} else {
			out.Ignored++
			continue
		}
		out.Releases = append(out.Releases, r)
	}
	sort.Slice(out.Releases, func(i, j int) bool {
		return releaselake.CompareVersions(out.Releases[i].Version, out.Releases[j].Version) > 0
	})
	return out, nil
}

// coordinates are an artifact's group and artifact ids.
type coordinates struct{ group, artifact string }

func parseCoordinates(s string) (coordinates, error) {
	g, a, ok := strings.Cut(s, ":")
	if !ok || g == "" || a == "" || strings.ContainsAny(a, ":/") || strings.Contains(g, "/") {
		return coordinates{}, releaselake.Errorf(releaselake.Invalid, "maven must be group:artifact, got %q", s)
	}
	return coordinates{g, a}, nil
}

// path is the artifact's directory in a repository: org/springframework/spring-core.
func (c coordinates) path() string {
	return strings.ReplaceAll(c.group, ".", "/") + "/" + c.artifact
}

func pomURL(dir, artifact, version string) string {
	v := url.PathEscape(version)
	return dir + "/" + v + "/" + url.PathEscape(artifact) + "-" + v + ".pom"
}

// metadata is the part of maven-metadata.xml that is read.
type metadata struct {
	XMLName    xml.Name `xml:"metadata"`
	GroupID    string   `xml:"groupId"`
	ArtifactID string   `xml:"artifactId"`
	Versioning struct {
		Versions []string `xml:"versions>version"`
	} `xml:"versioning"`
}

func readMetadata(body []byte, a coordinates) (*metadata, error) {
	var md metadata
	if err := xml.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("maven-metadata.xml is not metadata XML: %v (starts %s)", err, httpfetch.Excerpt(body))
	}
	if md.GroupID != a.group || md.ArtifactID != a.artifact {
		return nil, fmt.Errorf("maven-metadata.xml describes %s:%s, not %s:%s", md.GroupID, md.ArtifactID, a.group, a.artifact)
	}
	if len(md.Versioning.Versions) == 0 {
		return nil, fmt.Errorf("maven-metadata.xml lists no versions")
	}
	for i, v := range md.Versioning.Versions {
		md.Versioning.Versions[i] = strings.TrimSpace(v)
	}
	return &md, nil
}
