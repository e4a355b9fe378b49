package graph

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/serving"
)

// docAdvisories are the fake GitHub's real advisories, Flask's two ranges of
// GHSA-m2qf-hxjv-5gpq and py's withdrawn GHSA-w596-4wvx-j9j6 (given to
// pandas here, to show a withdrawn one), with flask's repository facts.
func docAdvisories() *serving.Advisories {
	pkgs, err := githubtest.Advisories()
	if err != nil {
		panic(err)
	}
	owner := map[string]string{"flask": "flask", "py": "pandas"}
	var rows []releaselake.Advisory
	for _, p := range pkgs {
		for _, v := range p.Vulnerabilities {
			a := releaselake.Advisory{Product: owner[p.Name], GHSAID: v.Advisory.GHSAID, Summary: v.Advisory.Summary,
				Severity: v.Advisory.Severity, VulnerableRange: v.VulnerableVersionRange, PublishedAt: v.Advisory.PublishedAt,
				UpdatedAt: v.UpdatedAt, URL: v.Advisory.Permalink, Ecosystem: p.Ecosystem, Package: p.Name}
			if v.FirstPatchedVersion != nil {
				a.FirstPatched = v.FirstPatchedVersion.Identifier
			}
			if v.Advisory.WithdrawnAt != nil {
				a.WithdrawnAt = *v.Advisory.WithdrawnAt
			}
			rows = append(rows, a)
		}
	}
	rows = append(rows, releaselake.Advisory{Product: "flask", GHSAID: "GHSA-xxxx-xxxx-xxxx", Summary: "A range releaselake cannot read",
		Severity: "LOW", VulnerableRange: "~> 2.3", PublishedAt: rows[0].PublishedAt, UpdatedAt: rows[0].UpdatedAt,
		URL: "https://github.com/advisories/GHSA-xxxx-xxxx-xxxx", Ecosystem: "PIP", Package: "flask"})
	return serving.NewAdvisories(0, rows, map[string]releaselake.ProductFacts{
		"flask": {Description: "The Python micro framework for building web applications.", Homepage: "https://flask.palletsprojects.com"}})
}

// "Is 2.3.1 affected?": Release.advisories holds the range containing it,
// Release.fixes the one a version patches; withdrawn and unevaluable ranges
// are listed by Product.advisories only.
func TestAdvisories_releaseAffectedAndFixes(t *testing.T) {
	s := newDocServer(t)
	// The doc lake, plus the flask releases of GHSA-m2qf-hxjv-5gpq's ranges.
	rows := docRows()
	for i, v := range []string{"2.2.4", "2.2.5", "2.3.1", "2.3.2"} {
		at := time.Date(2023, 4, 25+i, 0, 0, 0, 0, time.UTC)
		rows = append(rows, releaselake.Release{Product: "flask", Tag: v, Version: v, Name: v, URL: "https://github.com/pallets/flask/releases/tag/" + v,
			Source: releaselake.SourceGitHubRelease, Repo: "pallets/flask", DateSource: releaselake.DateReleasePublished, PublishedAt: at, FirstSeenAt: at})
	}
	ix := serving.NewIndex(releaselake.Snapshot{Version: 43, CommittedAt: docV42Commit, Releases: rows})
	ix.SetAdvisories(docAdvisories())
	s.lake.served.Store(ix)
	rec := s.ask(s.h, false, `{ product(key: "flask") {
	  advisories { ghsaId vulnerableRange evaluable }
	  releases { nodes { version advisories { vulnerableRange } fixes { vulnerableRange } } } }
	  pandas: product(key: "pandas") { advisories { ghsaId withdrawn withdrawnAt firstPatched } releases { nodes { advisories { ghsaId } } } } }`, "", nil)
	body := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(rec.Body.String())
	for _, want := range []string{
		`{"version":"2.3.1","advisories":[{"vulnerableRange":">= 2.3.0, < 2.3.2"}],"fixes":[]}`,
		`{"version":"2.3.2","advisories":[],"fixes":[{"vulnerableRange":">= 2.3.0, < 2.3.2"}]}`,
		`{"version":"2.2.4","advisories":[{"vulnerableRange":"< 2.2.5"}],"fixes":[]}`,
		`{"version":"2.2.5","advisories":[],"fixes":[{"vulnerableRange":"< 2.2.5"}]}`,
		`{"ghsaId":"GHSA-xxxx-xxxx-xxxx","vulnerableRange":"~> 2.3","evaluable":false}`,
		`"advisories":[{"ghsaId":"GHSA-w596-4wvx-j9j6","withdrawn":true,"withdrawnAt":"2022-10-26T19:32:15Z","firstPatched":null}]`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %s\n%s", want, body)
		}
	}
	// Advisories change without a new yellow version: never cached, even
	// answering a GET (which gets an ETag otherwise).
	for _, q := range []string{`{ product(key: "flask") { advisories { ghsaId } } }`, `{ product(key: "flask") { releases { nodes { fixes { ghsaId } } } } }`} {
		get := s.ask(s.h, true, q, "", nil)
		if etag := get.Header().Get("ETag"); etag != "" || !strings.Contains(get.Header().Get("Cache-Control"), "no-store") {
			t.Errorf("%s: ETag %q, Cache-Control %q", q, etag, get.Header().Get("Cache-Control"))
		}
	}
	if get := s.ask(s.h, true, `{ product(key: "flask") { key } }`, "", nil); get.Header().Get("ETag") == "" {
		t.Errorf("a GET without advisories has no ETag: the check above proves nothing")
	}
	if strings.Contains(body, `"releases":{"nodes":[{"advisories":[{"ghsaId":"GHSA-w596`) {
		t.Errorf("a withdrawn advisory is listed as affecting a release: %s", body)
	}
	if r := s.lake.resolver(t); true {
		d, h := r.fetchedFacts("flask")
		if d != "The Python micro framework for building web applications." || h != "https://flask.palletsprojects.com" {
			t.Errorf("fetchedFacts(flask) = %q, %q", d, h)
		}
	}
}

// Advisory lists are not paginated but priced: every product's advisories,
// or those of every release of a full page of every product, are refused
// through the real handler before anything is resolved.
func TestAdvisories_pricedOverTheLimit(t *testing.T) {
	s := newDocServer(t)
	for _, q := range []string{
		`{ products { advisories { ghsaId summary severity vulnerableRange url } } }`,
		`{ products { releases(first: 100) { nodes { advisories { ghsaId } } } } }`,
	} {
		rec := s.ask(s.h, false, q, "", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "COMPLEXITY_LIMIT_EXCEEDED") {
			t.Errorf("%s: %d %s; want COMPLEXITY_LIMIT_EXCEEDED", q, rec.Code, rec.Body)
		}
	}
	rec := s.ask(s.h, false, `{ releases(first: 100) { nodes { version advisories { ghsaId } fixes { ghsaId } } } }`, "", nil)
	if strings.Contains(rec.Body.String(), "errors") {
		t.Errorf("a page of 100 releases with their advisories is refused: %s", rec.Body)
	}
}

// Product.description and homepage fall back to what the source says (GitHub's
// repository) where the catalog gives none. Facts change without a new yellow
// version, so the response cache and the ETag follow the advisories and facts
// served with the index: a GET asked again after new facts gets them, under a
// new ETag, on the fast path and through gqlgen alike.
func TestProductFacts_fallBackToTheSourceAndFollowNewFacts(t *testing.T) {
	s := newDocServer(t)
	ix := serving.NewIndex(releaselake.Snapshot{Version: 43, CommittedAt: docV42Commit, Releases: docRows()})
	facts := func(d string) *serving.Advisories {
		return serving.NewAdvisories(0, nil, map[string]releaselake.ProductFacts{"vue": {Description: d, Homepage: "https://vue.example/" + d}})
	}
	ix.SetAdvisories(facts("one"))
	s.lake.served.Store(ix)
	for _, q := range []string{
		`{ product(key: "vue") { description homepage } }`,
		`{ products(search: "vue") { key description homepage } }`,
		`{ releases(products: ["vue"], first: 1) { nodes { product { description homepage } } } }`,
	} {
		ix.SetAdvisories(facts("one"))
		var tags []string
		for _, d := range []string{"one", "one", "two"} {
			if d == "two" {
				ix.SetAdvisories(facts("two"))
			}
			get := s.ask(s.h, true, q, "", nil)
			if body := get.Body.String(); !strings.Contains(body, `"description":"`+d+`","homepage":"https://vue.example/`+d+`"`) {
				t.Errorf("%s with facts %q: %s", q, d, body)
			}
			tags = append(tags, get.Header().Get("ETag"))
		}
		if tags[0] == "" || tags[0] != tags[1] || tags[1] == tags[2] {
			t.Errorf("%s: ETags %q: want one for the same facts and another for new ones", q, tags)
		}
	}
	// The catalog's own description wins over the source's.
	r := s.lake.resolver(t)
	p := releaselake.Product{Key: "vue", Description: "From the catalog."}
	if d := r.description(&p); d == nil || *d != "From the catalog." {
		t.Errorf("description with the catalog's and the source's: %v", d)
	}
}
