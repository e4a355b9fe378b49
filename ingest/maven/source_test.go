package maven

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
	"github.com/releaselake/releaselake/serving"
)

const dir = "/maven2/org/springframework/spring-core"

// fakeRepo is a Maven repository holding one artifact: its metadata (with an
// ETag it honours) and the Last-Modified of each version's POM.
type fakeRepo struct {
	mu        sync.Mutex
	metadata  []byte
	etag      string
	pomDates  map[string]time.Time // version -> Last-Modified; absent: 404
	noHEAD    bool                 // answer HEAD with 405, as some mirrors do
	pomStatus int                  // if set, every POM answer
	asked     []string             // "METHOD version" of each POM request
	notMod    int
}

func (f *fakeRepo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rest, ok := strings.CutPrefix(r.URL.Path, dir+"/")
	switch {
	case !ok:
		http.NotFound(w, r)
	case rest == "maven-metadata.xml":
		if r.Header.Get("If-None-Match") == f.etag {
			f.notMod++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", f.etag)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(f.metadata)
	default:
		v, file, _ := strings.Cut(rest, "/")
		if file != "spring-core-"+v+".pom" {
			http.NotFound(w, r)
			return
		}
		f.asked = append(f.asked, r.Method+" "+v)
		if f.noHEAD && r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if f.pomStatus != 0 {
			w.WriteHeader(f.pomStatus)
			return
		}
		d, ok := f.pomDates[v]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", d.Format(http.TimeFormat))
		w.Write([]byte("<project/>"))
	}
}

func (f *fakeRepo) takeAsked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.asked
	f.asked = nil
	slices.Sort(a)
	return a
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

var pomDates = map[string]time.Time{
	"5.2.9.RELEASE": day("2020-09-15 07:30:10"),
	"5.3.0-M1":      day("2020-06-25 11:20:00"),
	"5.3.0-RC1":     day("2020-09-15 12:01:02"),
	"5.3.0":         day("2020-10-27 08:42:31"),
	"6.0.0-M1":      day("2021-12-16 14:00:00"),
	"6.0.0":         day("2022-11-16 09:30:45"),
	"6.1.0-RC2":     day("2023-11-02 10:11:12"),
	"6.1.0":         day("2023-11-16 08:59:59"),
	"5.3.39":        day("2024-08-15 08:15:12"),
	// 4.3.30.RELEASE: listed, but its POM is gone
}

func newFake(t *testing.T) (*fakeRepo, *Source) {
	t.Helper()
	md := fetchtest.Testdata(t, "spring-core-metadata.xml")
	f := &fakeRepo{metadata: md, etag: `"m1"`, pomDates: pomDates}
	u, client := fetchtest.Serve(t, f)
	return f, New(u+"/maven2", client)
}

var spring = releaselake.Product{Key: "spring", Kind: "maven", Ref: "org.springframework:spring-core"}

func fetchParse(t *testing.T, s *Source, c releaselake.Crawl) (releaselake.Fetched, releaselake.Parsed) {
	t.Helper()
	f := s.Fetch(context.Background(), []releaselake.Crawl{c})[0]
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	if f.Unchanged {
		return f, releaselake.Parsed{}
	}
	got, err := s.Parse(c.Product, f.Raw, c.Prev)
	if err != nil {
		t.Fatal(err)
	}
	return f, got
}

func checkRows(t *testing.T, got releaselake.Parsed, dates map[string]time.Time) {
	t.Helper()
	if len(got.Releases) != len(dates) || got.Ignored != 1 { // 4.3.30.RELEASE has no POM
		t.Fatalf("%d rows, %d ignored: %+v", len(got.Releases), got.Ignored, got.Releases)
	}
	for _, r := range got.Releases {
		d, ok := dates[r.Tag]
		if !ok || !r.PublishedAt.Equal(d) {
			t.Errorf("%s published %v, want %v", r.Tag, r.PublishedAt, d)
		}
		wantPre := strings.Contains(r.Tag, "-M") || strings.Contains(r.Tag, "-RC")
		if r.Prerelease != wantPre || r.Yanked || r.Source != releaselake.SourceMaven || r.DateSource != releaselake.DateUpload ||
			!strings.HasSuffix(r.URL, dir+"/"+r.Tag+"/") || r.Repo != "org.springframework:spring-core" {
			t.Errorf("row %+v", r)
		}
	}
}

func TestSource_fetchAndParse(t *testing.T) {
	f, s := newFake(t)
	_, got := fetchParse(t, s, releaselake.Crawl{Product: spring})
	checkRows(t, got, pomDates)
	if asked := f.takeAsked(); len(asked) != 10 || asked[0] != "HEAD 4.3.30.RELEASE" {
		t.Errorf("POMs asked: %v", asked)
	}
	// <latest> and <release> say 5.3.39, the version deployed last; it is not the newest.
	ix := serving.NewIndex(releaselake.Snapshot{Releases: got.Releases})
	if l, _ := ix.Latest("spring"); l.Version != "6.1.0" {
		t.Errorf("latest %s, want 6.1.0", l.Version)
	}
}

func TestSource_Fetch_laterRunsAskOnlyWhatIsNew(t *testing.T) {
	f, s := newFake(t)
	first, rows := fetchParse(t, s, releaselake.Crawl{Product: spring})
	f.takeAsked()

	// Nothing new: one conditional request, a 304, no POM.
	second, _ := fetchParse(t, s, releaselake.Crawl{Product: spring, Prev: rows.Releases, State: first.State})
	if !second.Unchanged || f.notMod != 1 || len(f.takeAsked()) != 0 || s.LastStats().Requests != 1 {
		t.Fatalf("second run: unchanged %v, %d not-modified", second.Unchanged, f.notMod)
	}

	// A new version: only its POM is asked; the other rows keep their dates.
	f.mu.Lock()
	f.metadata = []byte(strings.Replace(string(f.metadata), "<version>5.3.39</version>", "<version>5.3.39</version>\n<version>6.2.0</version>", 1))
	f.etag = `"m2"`
	f.pomDates = map[string]time.Time{"6.2.0": day("2024-11-14 10:00:00")} // old POMs would now 404
	f.mu.Unlock()
	_, third := fetchParse(t, s, releaselake.Crawl{Product: spring, Prev: rows.Releases, State: first.State})
	if asked := f.takeAsked(); !slices.Equal(asked, []string{"HEAD 4.3.30.RELEASE", "HEAD 6.2.0"}) {
		t.Errorf("third run asked %v, want the new version and the one still undated", asked)
	}
	if n := s.LastStats().Requests; n != 3 {
		t.Errorf("third run sent %d requests, want the metadata and 2 POMs", n)
	}
	want := map[string]time.Time{"6.2.0": day("2024-11-14 10:00:00")}
	for k, v := range pomDates {
		want[k] = v
	}
	checkRows(t, third, want)
}

func TestSource_Fetch_getWhereHEADIsRefused(t *testing.T) {
	f, s := newFake(t)
	f.noHEAD = true
	_, got := fetchParse(t, s, releaselake.Crawl{Product: spring})
	checkRows(t, got, pomDates)
	if asked := f.takeAsked(); !slices.Contains(asked, "GET 6.1.0") || !slices.Contains(asked, "HEAD 6.1.0") {
		t.Errorf("asked %v", asked)
	}
}

func TestSource_failures(t *testing.T) {
	t.Run("pom server error", func(t *testing.T) {
		f, s := newFake(t)
		f.pomStatus = http.StatusInternalServerError
		got := s.Fetch(context.Background(), []releaselake.Crawl{{Product: spring}})[0]
		if got.Err == nil || !strings.Contains(got.Err.Error(), "maven org.springframework:spring-core: version ") ||
			!strings.Contains(got.Err.Error(), "HTTP 500") || len(got.Raw) != 0 || got.State != nil {
			t.Fatalf("err %v, %d raw, state %s", got.Err, len(got.Raw), got.State)
		}
	})
	for name, tc := range map[string]struct{ body, want string }{
		"html":        {"<html><body>maintenance</body></html>", "maven-metadata.xml is not metadata XML"},
		"truncated":   {"<metadata><groupId>org.springframework</groupId><artifactId>spring-core</artifactId><versioning><versions><version>6.1.0", "is not metadata XML"},
		"other":       {"<metadata><groupId>org.other</groupId><artifactId>spring-core</artifactId></metadata>", "describes org.other:spring-core, not org.springframework:spring-core"},
		"no versions": {"<metadata><groupId>org.springframework</groupId><artifactId>spring-core</artifactId><versioning/></metadata>", "lists no versions"},
	} {
		t.Run(name, func(t *testing.T) {
			f, s := newFake(t)
			f.metadata = []byte(tc.body)
			got := s.Fetch(context.Background(), []releaselake.Crawl{{Product: spring}})[0]
			if got.Err == nil || !strings.Contains(got.Err.Error(), tc.want) || len(got.Raw) != 1 {
				t.Fatalf("err %v, %d raw; want %q with the answer kept", got.Err, len(got.Raw), tc.want)
			}
			if _, err := s.Parse(spring, got.Raw, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parse: %v", err)
			}
		})
	}
	t.Run("bad coordinates", func(t *testing.T) {
		_, s := newFake(t)
		got := s.Fetch(context.Background(), []releaselake.Crawl{{Product: releaselake.Product{Key: "x", Kind: "maven", Ref: "spring-core"}}})[0]
		if got.Err == nil || !strings.Contains(got.Err.Error(), "maven must be group:artifact") {
			t.Fatal(got.Err)
		}
	})
}
