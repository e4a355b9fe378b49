package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/ingest/sources"
)

// No test of this package reaches past 127.0.0.1: the default catalog names
// real vendor pages and feeds, and any request for them is refused here, at
// once and without a retry, as a 403 that says why.
func init() { sourceTransport = loopbackOnly{http.DefaultTransport} }

type loopbackOnly struct{ next http.RoundTripper }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if ip := net.ParseIP(r.URL.Hostname()); r.URL.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
		return l.next.RoundTrip(r)
	}
	rec := httptest.NewRecorder()
	http.Error(rec, "tests reach no host but 127.0.0.1", http.StatusForbidden)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// upstreams is one local server playing PyPI, npm, Maven Central, a vendor
// blog's feed and a vendor's release page, from the sources' own testdata, with
// the validators they send and the 304s they give. Tests change its answers.
type upstreams struct {
	mu       sync.Mutex
	files    map[string]string // path -> testdata file
	override map[string]func(w http.ResponseWriter, r *http.Request) int
	log      []string // "METHOD path status"
	srv      *httptest.Server
}

var pomDates = map[string]string{
	"5.2.9.RELEASE": "Tue, 15 Sep 2020 07:30:10 GMT", "5.3.0-M1": "Thu, 25 Jun 2020 11:20:00 GMT",
	"5.3.0-RC1": "Tue, 15 Sep 2020 12:01:02 GMT", "5.3.0": "Tue, 27 Oct 2020 08:42:31 GMT",
	"6.0.0-M1": "Thu, 16 Dec 2021 14:00:00 GMT", "6.0.0": "Wed, 16 Nov 2022 09:30:45 GMT",
	"6.1.0-RC2": "Thu, 02 Nov 2023 10:11:12 GMT", "6.1.0": "Thu, 16 Nov 2023 08:59:59 GMT",
	"5.3.39": "Thu, 15 Aug 2024 08:15:12 GMT", // 4.3.30.RELEASE: no POM
}

func newUpstreams(t *testing.T) *upstreams {
	u := &upstreams{
		files: map[string]string{
			"/pypi/sampleproject/json": "../../ingest/pypi/testdata/sampleproject.json",
			"/npm/vuex":                "../../ingest/npm/testdata/vuex.json",
			"/maven2/org/springframework/spring-core/maven-metadata.xml": "../../ingest/maven/testdata/spring-core-metadata.xml",
			"/blog/feed/":       "../../ingest/feed/testdata/powerbi-blog.rss",
			"/support/releases": "../../ingest/webpage/testdata/tableau-releases.html",
		},
		override: map[string]func(http.ResponseWriter, *http.Request) int{},
	}
	u.srv = httptest.NewServer(u)
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstreams) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	status := u.serve(w, r)
	u.log = append(u.log, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, status))
}

func (u *upstreams) serve(w http.ResponseWriter, r *http.Request) int {
	if f := u.override[r.URL.Path]; f != nil {
		return f(w, r)
	}
	if v, ok := strings.CutPrefix(r.URL.Path, "/maven2/org/springframework/spring-core/"); ok && strings.HasSuffix(v, ".pom") {
		d, ok := pomDates[strings.Split(v, "/")[0]]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return http.StatusNotFound
		}
		w.Header().Set("Last-Modified", d)
		return http.StatusOK
	}
	file, ok := u.files[r.URL.Path]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return http.StatusNotFound
	}
	body, err := os.ReadFile(file)
	if err != nil {
		panic(err)
	}
	etag := fmt.Sprintf(`"%d"`, len(body))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	w.Header().Set("ETag", etag)
	w.Write(body)
	return http.StatusOK
}

// takeLog returns the requests since the last call.
func (u *upstreams) takeLog() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	l := u.log
	u.log = nil
	sort.Strings(l)
	return l
}

func (u *upstreams) set(path string, f func(w http.ResponseWriter, r *http.Request) int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.override[path] = f
}

const queryme = `releases:
  - version: 1.1.0-rc.1
    date: 2024-11-20
  - version: 1.0.0
    date: 2024-03-01T12:00:00+02:00
    url: https://wiki.internal.example/queryme/1.0.0
  - version: 0.9.0
    date: 2023-12-01
`

// writeCatalog writes a catalog mixing all six kinds of source into dir, the
// page and feed patterns being the default catalog's own, and queryme's file
// beside it under the relative path the catalog names.
func writeCatalog(t *testing.T, dir, base string) string {
	t.Helper()
	def, err := catalog.Default(sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	tableau, _ := def.Product("tableau")
	powerbi, _ := def.Product("powerbi")
	yaml := fmt.Sprintf(`products:
  - key: flask
    github: pallets/flask
  - key: sample
    pypi: sampleproject
  - key: vuex
    npm: vuex
  - key: spring
    maven: org.springframework:spring-core
  - key: powerbi
    feed: %s/blog/feed/
    version_pattern: '%s'
  - key: tableau
    page: %s/support/releases
    version_pattern: '%s'
    date_pattern: '%s'
  - key: queryme
    manual: releases/queryme.yaml
`, base, powerbi.Options.Regexp("version_pattern"), base, tableau.Options.Regexp("version_pattern"), tableau.Options.Regexp("date_pattern"))
	path := filepath.Join(dir, "catalog.yaml")
	os.MkdirAll(filepath.Join(dir, "releases"), 0o755)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "releases", "queryme.yaml"), []byte(queryme), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type sourceRelease struct {
	Product                   struct{ Key string }
	Version, Tag, Source, URL string
	DateSource                string
	PublishedAt               time.Time
	Prerelease, Yanked        bool
}

func releasesSince(t *testing.T, base string, products []string, since string) (int, []string) {
	t.Helper()
	var r struct {
		Releases struct {
			TotalCount int
			Nodes      []sourceRelease
		}
	}
	query(t, base, `query ($p: [String!], $s: DateTime) {
	  releases(products: $p, since: $s, first: 100) {
	    totalCount
	    nodes { product { key } version tag source url dateSource publishedAt prerelease yanked }
	  }
	}`, map[string]any{"p": products, "s": since}, &r)
	var out []string
	for _, n := range r.Releases.Nodes {
		flags := ""
		if n.Prerelease {
			flags += " pre"
		}
		if n.Yanked {
			flags += " yanked"
		}
		out = append(out, fmt.Sprintf("%s %s %s %s/%s%s", n.Product.Key, n.Version, n.PublishedAt.Format("2006-01-02"), n.Source, n.DateSource, flags))
	}
	sort.Strings(out)
	return r.Releases.TotalCount, out
}

func TestMain_allSixKindsOfSourceIntoOneLake(t *testing.T) {
	gh := githubtest.NewServer(t)
	up := newUpstreams(t)
	dir := t.TempDir()
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{
		"RELEASELAKE_LAKE":      a.lake,
		"RELEASELAKE_CATALOG":   writeCatalog(t, dir, up.srv.URL),
		"GITHUB_TOKEN":          gh.Token,
		"GITHUB_GRAPHQL_URL":    gh.URL,
		"RELEASELAKE_PYPI_URL":  up.srv.URL,
		"RELEASELAKE_NPM_URL":   up.srv.URL + "/npm",
		"RELEASELAKE_MAVEN_URL": up.srv.URL + "/maven2",
	}
	code, out := a.run("ingest")
	if code != 0 || !strings.Contains(out, ": succeeded, version 0") {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	if l := up.takeLog(); len(l) != 15 { // 5 documents + 10 POMs
		t.Errorf("first run asked %d times: %v", len(l), l)
	}
	base := a.serve()

	others := []string{"sample", "vuex", "spring", "powerbi", "tableau", "queryme"}
	want := []string{
		"powerbi 2024.09 2024-09-11 feed/feed",
		"powerbi 2024.10 2024-10-15 feed/feed",
		"powerbi 2024.11 2024-11-12 feed/feed",
		"queryme 1.0.0 2024-03-01 manual/manual",
		"queryme 1.1.0-rc.1 2024-11-20 manual/manual pre",
		"sample 4.0.0 2024-02-01 pypi/upload yanked",
		"spring 5.3.39 2024-08-15 maven/upload",
		"tableau 2024.2.0 2024-06-25 page/page",
		"tableau 2024.2.3 2024-09-10 page/page",
		"tableau 2024.3.0 2024-10-08 page/page",
		"tableau 2024.3.1 2024-11-19 page/page",
	}
	total, got := releasesSince(t, base, others, "2024-01-01T00:00:00Z")
	if total != len(want) || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("releases since 2024: totalCount %d\n%s\nwant\n%s", total, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every product has rows, GitHub's among them, and a product's catalog key
	// is all a client needs.
	var products struct {
		Products []struct {
			Key, Source string
			Latest      *struct{ Version string }
		}
	}
	query(t, base, `{ products { key source latest { version } } }`, nil, &products)
	latest := map[string]string{}
	for _, p := range products.Products {
		if p.Latest == nil {
			t.Errorf("%s (%s) has no latest", p.Key, p.Source)
			continue
		}
		latest[p.Key+" "+p.Source] = p.Latest.Version
	}
	for k, v := range map[string]string{
		"sample pypi":  "3.0.0", // 4.0.0 is yanked, 3.1.0.dev0 a prerelease
		"vuex npm":     "4.1.0",
		"spring maven": "6.1.0", // not 5.3.39, the metadata's <release>
		"powerbi feed": "2024.11", "tableau page": "2024.3.1", "queryme manual": "1.0.0",
	} {
		if latest[k] != v {
			t.Errorf("latest of %s = %q, want %q", k, latest[k], v)
		}
	}
	if len(latest) != 7 {
		t.Errorf("latest: %v", latest)
	}

	// Nothing new upstream: every document answers 304, no POM is asked, and
	// nothing is committed.
	code, out = a.run("ingest")
	if code != 0 || !strings.Contains(out, "version -1") {
		t.Fatalf("second ingest exit %d:\n%s", code, out)
	}
	for _, l := range up.takeLog() {
		if !strings.HasSuffix(l, " 304") {
			t.Errorf("second run: %s", l)
		}
	}
	var cost struct {
		IngestRuns []struct {
			Sources []struct {
				Kind     string
				Requests int
			}
		}
	}
	query(t, base, `{ ingestRuns(last: 1) { sources { kind requests } } }`, nil, &cost)
	requests := map[string]int{}
	for _, s := range cost.IngestRuns[0].Sources {
		requests[s.Kind] = s.Requests
	}
	for _, kind := range []string{"pypi", "npm", "maven", "feed", "page"} {
		if requests[kind] != 1 {
			t.Errorf("second run: %s sent %d requests, want 1 (a 304)", kind, requests[kind])
		}
	}

	// The vendor redesigns its page, npm answers a truncated document, and PyPI
	// asks to come back in a second: tableau and vuex fail with clear messages
	// and keep their rows; PyPI is asked again and says nothing changed.
	up.mu.Lock()
	up.files["/support/releases"] = "../../ingest/webpage/testdata/tableau-releases-redesigned.html"
	up.mu.Unlock()
	up.set("/npm/vuex", func(w http.ResponseWriter, r *http.Request) int {
		w.Write([]byte(`{"name":"vuex","dist-tags":{"latest":"4.1.0"},"versions":{"4.1.0":{`))
		return 200
	})
	asked := 0
	up.set("/pypi/sampleproject/json", func(w http.ResponseWriter, r *http.Request) int {
		if asked++; asked == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return http.StatusTooManyRequests
		}
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	})
	code, out = a.run("ingest")
	if code != 0 || !strings.Contains(out, ": partial, version -1") {
		t.Fatalf("third ingest exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"tableau failed: page " + up.srv.URL + "/support/releases: version_pattern `Tableau (\\d{4}\\.\\d+\\.\\d+)` finds no version",
		"vuex failed: npm vuex: the answer of " + up.srv.URL + "/npm/vuex is not JSON",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sample") || asked != 2 {
		t.Errorf("PyPI asked %d times; output:\n%s", asked, out)
	}
	if total, again := releasesSince(t, base, others, "2024-01-01T00:00:00Z"); total != len(want) || strings.Join(again, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows changed after failures:\n%s", strings.Join(again, "\n"))
	}
	var runs struct {
		IngestRuns []struct {
			Status   string
			Failures []struct{ Product, Status, Message string }
		}
	}
	query(t, base, `{ ingestRuns(last: 1) { status failures { product status message } } }`, nil, &runs)
	if len(runs.IngestRuns) != 1 || runs.IngestRuns[0].Status != "partial" || len(runs.IngestRuns[0].Failures) != 2 {
		t.Errorf("run record: %+v", runs.IngestRuns)
	}

	// Red holds all these sources need: yellow rebuilt from it is yellow.
	if code, out := a.run("rebuild", "-check"); code != 0 || !strings.Contains(out, "yellow equals the rebuild") {
		t.Errorf("rebuild -check exit %d:\n%s", code, out)
	}
}

func TestMain_badRegistryURL(t *testing.T) {
	a := &app{t: t, env: map[string]string{"RELEASELAKE_PYPI_URL": "pypi.org"}}
	code, out := a.run("ingest", "-lake", t.TempDir())
	if code != 2 || out != `releaselake ingest: RELEASELAKE_PYPI_URL "pypi.org": want an http(s) URL`+"\n" {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
