package pypi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
	"github.com/releaselake/releaselake/serving"
)

// newFake serves each project's JSON API document (project -> document) with
// an ETag it honours.
func newFake(t *testing.T, docs map[string][]byte) (fetchtest.Site, *Source) {
	t.Helper()
	site := fetchtest.Site{}
	for name, doc := range docs {
		site["/pypi/"+name+"/json"] = fetchtest.ETag(doc, "application/json", `"v1"`)
	}
	u, client := fetchtest.Serve(t, site)
	return site, New(u, client)
}

func product(key, name string) releaselake.Product {
	return releaselake.Product{Key: key, Name: key, Kind: "pypi", Ref: name}
}

func TestSource_fetchAndParse(t *testing.T) {
	_, s := newFake(t, map[string][]byte{"sampleproject": fetchtest.Testdata(t, "sampleproject.json")})
	p := product("sample", "sampleproject")
	fetched := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})
	if len(fetched) != 1 || fetched[0].Err != nil || len(fetched[0].Raw) != 1 {
		t.Fatalf("fetched %+v", fetched)
	}
	got, err := s.Parse(p, fetched[0].Raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		published          string
		prerelease, yanked bool
	}
	want := map[string]row{
		"1.2.0":       {"2015-06-14T14:37:56.383366Z", false, false}, // the earlier of its files
		"2.0.0rc1":    {"2020-03-01T10:00:00Z", true, false},
		"2.0.0":       {"2020-03-10T08:59:00Z", false, false},
		"2.0.1":       {"2020-04-02T12:00:00Z", false, true}, // every file yanked
		"2.0.1.post1": {"2020-04-03T12:00:00Z", false, false},
		"3.0.0":       {"2022-12-01T18:51:00.007372Z", false, false}, // one file of two yanked: not yanked
		"3.1.0.dev0":  {"2023-01-05T00:00:00Z", true, false},
		"4.0.0":       {"2024-02-01T00:00:00Z", false, true},
	}
	if len(got.Releases) != len(want) || got.Ignored != 2 { // 1.0 has no files; 1!0.1 has an epoch
		t.Fatalf("%d rows, %d ignored; want %d and 2: %+v", len(got.Releases), got.Ignored, len(want), got.Releases)
	}
	for i, r := range got.Releases {
		w, ok := want[r.Tag]
		if !ok {
			t.Errorf("unexpected row %s", r.Tag)
			continue
		}
		if r.PublishedAt.Format(time.RFC3339Nano) != w.published || r.Prerelease != w.prerelease || r.Yanked != w.yanked {
			t.Errorf("%s: published %s prerelease %v yanked %v, want %+v", r.Tag, r.PublishedAt.Format(time.RFC3339Nano), r.Prerelease, r.Yanked, w)
		}
		if r.Product != "sample" || r.Version != r.Tag || r.Source != releaselake.SourcePyPI || r.DateSource != releaselake.DateUpload ||
			r.Repo != "sampleproject" || !strings.HasSuffix(r.URL, "/project/sampleproject/"+r.Tag+"/") {
			t.Errorf("row %+v", r)
		}
		if i > 0 && releaselake.CompareVersions(got.Releases[i-1].Version, r.Version) <= 0 {
			t.Errorf("rows not newest first: %s before %s", got.Releases[i-1].Version, r.Version)
		}
	}
	// The greatest version is yanked: the index must not call it latest.
	ix := serving.NewIndex(releaselake.Snapshot{Version: 0, Releases: got.Releases})
	if l, ok := ix.Latest("sample"); !ok || l.Version != "3.0.0" {
		t.Errorf("latest %+v, want 3.0.0 (4.0.0 is yanked, 3.1.0.dev0 a prerelease)", l)
	}
}

func TestSource_Fetch_secondRunIs304(t *testing.T) {
	f, s := newFake(t, map[string][]byte{"sampleproject": fetchtest.Testdata(t, "sampleproject.json")})
	p := product("sample", "sampleproject")
	first := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
	if first.Err != nil || first.State == nil {
		t.Fatalf("first %+v", first)
	}
	rows, _ := s.Parse(p, first.Raw, nil)
	second := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p, Prev: rows.Releases, State: first.State}})[0]
	if second.Err != nil || !second.Unchanged || second.Raw != nil || f.NotModified() != 1 || s.LastStats().Requests != 1 {
		t.Fatalf("second %+v, %d not-modified answers", second, f.NotModified())
	}
	// Without rows to keep (a lake rebuilt, say), the state is not used.
	third := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p, State: first.State}})[0]
	if third.Unchanged || len(third.Raw) != 1 {
		t.Fatalf("third %+v", third)
	}
}

func TestSource_Fetch_oneFailureDoesNotStopTheOthers(t *testing.T) {
	_, s := newFake(t, map[string][]byte{"sampleproject": fetchtest.Testdata(t, "sampleproject.json")})
	got := s.Fetch(context.Background(), []releaselake.Crawl{{Product: product("a", "nosuch")}, {Product: product("b", "sampleproject")}})
	if got[0].Product != "a" || got[0].Err == nil || releaselake.ClassOf(got[0].Err) != releaselake.NotFound ||
		!strings.HasPrefix(got[0].Err.Error(), "pypi nosuch: GET ") || !strings.Contains(got[0].Err.Error(), "HTTP 404") {
		t.Errorf("a: %+v", got[0])
	}
	if got[1].Product != "b" || got[1].Err != nil || len(got[1].Raw) != 1 {
		t.Errorf("b: %+v", got[1])
	}
}

func TestSource_Parse_badAnswersFailClearly(t *testing.T) {
	good := string(fetchtest.Testdata(t, "sampleproject.json"))
	cases := map[string]struct{ body, want string }{
		"truncated":      {good[:len(good)/2], "is not JSON"},
		"html":           {"<html><body>Service maintenance</body></html>", `is not JSON: "<html><body>Service maintenance`},
		"no releases":    {`{"info": {"name": "sampleproject"}, "urls": []}`, "has no info or no releases"},
		"wrong shape":    {`{"info": {"name": "x"}, "releases": ["1.0"]}`, "not a PyPI project document"},
		"bad time":       {`{"info": {}, "releases": {"1.0.0": [{"upload_time_iso_8601": "yesterday"}]}}`, `version 1.0.0: upload_time_iso_8601 "yesterday"`},
		"no upload time": {`{"info": {}, "releases": {"1.0.0": [{"filename": "x.tar.gz"}]}}`, "version 1.0.0: a file without a readable upload time"},
	}
	for name, tc := range cases {
		_, s := newFake(t, map[string][]byte{"sampleproject": []byte(tc.body)})
		p := product("sample", "sampleproject")
		f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
		if f.Err != nil || len(f.Raw) != 1 {
			t.Fatalf("%s: fetch %+v", name, f) // the answer is kept in red whatever it is
		}
		_, err := s.Parse(p, f.Raw, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "pypi sampleproject: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
}
