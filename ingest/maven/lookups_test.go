package maven

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
)

// An artifact of 3,000 versions cost 3,001 requests in one run; now at most
// MaxLookups POMs a run, newest first, the rest dated by the next runs, with a
// note in the run record's source stats until none is left.
func TestSource_Fetch_lookupsPerRunAreCapped(t *testing.T) {
	const versions = 3000
	var list strings.Builder
	dates := map[string]time.Time{}
	for i := range versions {
		v := fmt.Sprintf("1.%d.%d", i/100, i%100)
		fmt.Fprintf(&list, "<version>%s</version>", v)
		dates[v] = day("2020-01-01 00:00:00").Add(time.Duration(i) * time.Hour)
	}
	md := `<metadata><groupId>org.springframework</groupId><artifactId>spring-core</artifactId><versioning><versions>` +
		list.String() + `</versions></versioning></metadata>`
	f := &fakeRepo{metadata: []byte(md), etag: `"big"`, pomDates: dates}
	u, client := fetchtest.Serve(t, f)
	s := New(u+"/maven2", client)

	var rows []releaselake.Release
	var state []byte
	for run := 1; ; run++ {
		got, parsed := fetchParse(t, s, releaselake.Crawl{Product: spring, Prev: rows, State: state})
		st := s.LastStats()
		if st.Requests > MaxLookups+1 {
			t.Fatalf("run %d: %d requests, want at most %d", run, st.Requests, MaxLookups+1)
		}
		if got.Unchanged {
			if run != versions/MaxLookups+1 || len(rows) != versions || st.Requests != 1 {
				t.Fatalf("run %d: unchanged with %d rows after %d requests", run, len(rows), st.Requests)
			}
			break
		}
		dated := min(run*MaxLookups, versions)
		if len(parsed.Releases) != dated || parsed.Ignored != versions-dated {
			t.Fatalf("run %d: %d rows, %d ignored; want %d dated", run, len(parsed.Releases), parsed.Ignored, dated)
		}
		if newest := parsed.Releases[0]; run == 1 && newest.Version != "1.29.99" {
			t.Errorf("run 1 dated %s first, want the newest", newest.Version)
		}
		for _, r := range parsed.Releases {
			if !r.PublishedAt.Equal(dates[r.Tag]) {
				t.Fatalf("run %d: %s dated %v, want %v", run, r.Tag, r.PublishedAt, dates[r.Tag])
			}
		}
		noted := len(st.Notes) == 1 && strings.Contains(st.Notes[0], fmt.Sprintf("%d left for the next runs", versions-dated))
		if dated < versions && (!noted || got.State != nil) || dated == versions && (len(st.Notes) > 0 || got.State == nil) {
			t.Errorf("run %d: notes %q, state %q", run, st.Notes, got.State)
		}
		rows, state = parsed.Releases, got.State
	}
}
