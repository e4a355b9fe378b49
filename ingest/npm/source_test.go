package npm

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
	"github.com/releaselake/releaselake/serving"
)

// newFake serves package documents by escaped path (as the registry reads a
// scoped name: @scope%2Fname), with a Last-Modified it honours.
func newFake(t *testing.T, docs map[string][]byte) (fetchtest.Site, *Source) {
	t.Helper()
	site := fetchtest.Site{}
	for path, doc := range docs {
		site[path] = fetchtest.LastModified(doc, "application/json", "Wed, 19 Jun 2024 09:21:30 GMT")
	}
	u, client := fetchtest.Serve(t, site)
	return site, New(u, client)
}

func vuex(t *testing.T) []byte {
	t.Helper()
	return fetchtest.Testdata(t, "vuex.json")
}

func TestSource_fetchAndParse(t *testing.T) {
	_, s := newFake(t, map[string][]byte{"/vuex": vuex(t), "/@vue%2Fvuex": vuex(t)})
	for _, name := range []string{"vuex", "@vue/vuex"} {
		p := releaselake.Product{Key: "vuex", Kind: "npm", Ref: name}
		f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
		if f.Err != nil {
			t.Fatalf("%s: %v", name, f.Err)
		}
		got, err := s.Parse(p, f.Raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			published          string
			prerelease, yanked bool
		}
		want := map[string]row{
			"3.6.2":         {"2021-01-26T02:12:28.215Z", false, false},
			"4.0.0-alpha.1": {"2020-03-15T14:40:51.37Z", true, false},
			"4.0.0-beta.4":  {"2020-06-29T11:17:12.932Z", true, false},
			"4.0.0-rc.2":    {"2020-11-25T07:31:47.093Z", true, false},
			"4.0.0":         {"2021-02-02T10:56:16.488Z", false, false},
			"4.0.1":         {"2021-05-24T08:10:12.102Z", false, true},  // deprecated
			"4.0.2":         {"2021-06-17T13:44:37.781Z", false, false}, // deprecated "" = undeprecated
			"4.1.0":         {"2022-10-14T07:01:09.48Z", false, false},
		}
		// 0.1.0 has no time; 4.0.0-rc.1 is in time but was unpublished; created/modified are not versions.
		if len(got.Releases) != len(want) || got.Ignored != 1 {
			t.Fatalf("%s: %d rows, %d ignored: %+v", name, len(got.Releases), got.Ignored, got.Releases)
		}
		for _, r := range got.Releases {
			w, ok := want[r.Tag]
			if !ok {
				t.Errorf("unexpected row %s", r.Tag)
				continue
			}
			if r.PublishedAt.Format(time.RFC3339Nano) != w.published || r.Prerelease != w.prerelease || r.Yanked != w.yanked {
				t.Errorf("%s: %s prerelease %v yanked %v, want %+v", r.Tag, r.PublishedAt.Format(time.RFC3339Nano), r.Prerelease, r.Yanked, w)
			}
			if r.Source != releaselake.SourceNPM || r.DateSource != releaselake.DateUpload || r.Repo != name ||
				r.URL != "https://www.npmjs.com/package/"+name+"/v/"+r.Tag {
				t.Errorf("row %+v", r)
			}
		}
	}
}

func TestSource_deprecatedLatestIsNotLatest(t *testing.T) {
	doc := `{"name":"x","dist-tags":{"latest":"2.0.0"},
	  "versions":{"1.0.0":{},"2.0.0":{"deprecated":"do not use"}},
	  "time":{"1.0.0":"2020-01-01T00:00:00.000Z","2.0.0":"2021-01-01T00:00:00.000Z"}}`
	_, s := newFake(t, map[string][]byte{"/x": []byte(doc)})
	p := releaselake.Product{Key: "x", Kind: "npm", Ref: "x"}
	f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
	got, err := s.Parse(p, f.Raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix := serving.NewIndex(releaselake.Snapshot{Releases: got.Releases})
	if l, _ := ix.Latest("x"); l.Version != "1.0.0" || len(got.Releases) != 2 {
		t.Fatalf("latest %s of %d rows; want 1.0.0, the deprecated 2.0.0 kept but flagged", l.Version, len(got.Releases))
	}
}

func TestSource_Fetch_secondRunIs304(t *testing.T) {
	f, s := newFake(t, map[string][]byte{"/vuex": vuex(t)})
	p := releaselake.Product{Key: "vuex", Kind: "npm", Ref: "vuex"}
	first := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
	rows, err := s.Parse(p, first.Raw, nil)
	if err != nil || first.State == nil {
		t.Fatalf("first: %v, state %s", err, first.State)
	}
	second := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p, Prev: rows.Releases, State: first.State}})[0]
	if !second.Unchanged || second.Err != nil || f.NotModified() != 1 {
		t.Fatalf("second %+v", second)
	}
}

func TestSource_Fetch_serverErrorFailsTheProduct(t *testing.T) {
	u, client := fetchtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway) // every answer
	}))
	s := New(u, client)
	got := s.Fetch(context.Background(), []releaselake.Crawl{{Product: releaselake.Product{Key: "vuex", Kind: "npm", Ref: "vuex"}}})[0]
	if got.Err == nil || !strings.Contains(got.Err.Error(), "npm vuex: GET ") || !strings.Contains(got.Err.Error(), "HTTP 502 Bad Gateway (after 4 attempts)") {
		t.Fatalf("err %v", got.Err)
	}
}

func TestSource_Parse_badAnswersFailClearly(t *testing.T) {
	good := string(vuex(t))
	cases := map[string]struct{ body, want string }{
		"truncated":   {good[:len(good)-100], "is not JSON"},
		"abbreviated": {`{"name":"vuex","modified":"2024-06-19T09:21:30.112Z","dist-tags":{"latest":"4.1.0"},"versions":{"4.1.0":{}}}`, "lacks versions, time or dist-tags"},
		"unpublished": {`{"name":"vuex","time":{"created":"2015-07-14T18:02:22.346Z","unpublished":{"time":"2024-01-01T00:00:00.000Z"}}}`, "unpublished"},
		"bad time":    {`{"name":"x","dist-tags":{},"versions":{"1.0.0":{}},"time":{"1.0.0":"last week"}}`, `time of 1.0.0: "last week" is not an ISO time`},
	}
	for name, tc := range cases {
		_, s := newFake(t, map[string][]byte{"/vuex": []byte(tc.body)})
		p := releaselake.Product{Key: "vuex", Kind: "npm", Ref: "vuex"}
		f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
		_, err := s.Parse(p, f.Raw, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "npm vuex: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
}

// A version whose time is null (or empty) is left out, like one with no time,
// and the package's other versions are kept.
func TestSource_Parse_nullTimeIsIgnored(t *testing.T) {
	body := `{"name":"x","dist-tags":{"latest":"1.1.0"},"versions":{"1.0.0":{},"1.1.0":{}},"time":{"1.0.0":null,"1.1.0":"2024-01-02T03:04:05.000Z"}}`
	_, s := newFake(t, map[string][]byte{"/x": []byte(body)})
	p := releaselake.Product{Key: "x", Kind: "npm", Ref: "x"}
	f := s.Fetch(context.Background(), []releaselake.Crawl{{Product: p}})[0]
	got, err := s.Parse(p, f.Raw, nil)
	if err != nil || len(got.Releases) != 1 || got.Releases[0].Version != "1.1.0" || got.Ignored != 1 {
		t.Fatalf("parse: %v, %d releases, %d ignored; want 1.1.0 kept and 1.0.0 ignored", err, len(got.Releases), got.Ignored)
	}
}
