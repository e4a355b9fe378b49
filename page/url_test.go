package page

import (
	"strings"
	"testing"
)

// A snapshot pushed with a javascript: URL (the ingest drops them; a pushed
// snapshot is not trusted to come from it) links nowhere on the page or in the feed.
func TestPageAndFeed_neverLinkAnotherScheme(t *testing.T) {
	snap := testSnapshot(t)
	vue, _ := snap.finder()("vue")
	for _, u := range []string{"javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " vbscript:msgbox(1)"} {
		vue.Latest.URL = u // v3.5.0
		vue.Recent[2].URL = u
		for _, path := range []string{"/?products=vue", "/feed.atom?products=vue"} {
			var body string
			if strings.HasPrefix(path, "/feed") {
				_, body = get(&Feed{Snapshot: func() *Snapshot { return snap }}, path)
			} else {
				_, body = get(handler(snap), path)
			}
			low := strings.ToLower(body)
			for _, bad := range []string{"javascript:", "data:text", "vbscript:", "zgotmplz"} {
				if strings.Contains(low, bad) {
					t.Errorf("%s with URL %q has %q:\n%s", path, u, bad, body)
				}
			}
			if !strings.Contains(body, "https://x/rc") { // the other releases still link
				t.Errorf("%s lost the safe links:\n%s", path, body)
			}
		}
	}
}
