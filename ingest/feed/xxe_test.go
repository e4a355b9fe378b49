package feed

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch/fetchtest"
)

// A feed declaring an external entity (XXE) never reads the file it names:
// the feed parser resolves no entities, so no row holds the file's content.
func TestSource_externalEntityIsNotRead(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("TOPSECRET"), 0o600)
	body := `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://` + secret + `">]>
<rss version="2.0"><channel><title>t</title>
<item><title>Acme 1.0.0 &x;</title><link>https://acme.example/1.0.0</link><description>&x;</description><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>
</channel></rss>`
	u, client := fetchtest.Serve(t, fetchtest.ETag([]byte(body), "application/rss+xml", `"1"`))
	p := releaselake.Product{Key: "acme", Kind: "feed", Ref: u + "/feed/",
		Options: releaselake.Options{OptionVersionPattern: regexp.MustCompile(`^Acme (\d+\.\d+\.\d+)`)}}
	_, got, err := fetchtest.Run(t, New(client), releaselake.Crawl{Product: p})
	if err != nil && strings.Contains(err.Error(), "TOPSECRET") {
		t.Fatalf("the error holds the file's content: %v", err)
	}
	for _, r := range got.Releases {
		if strings.Contains(r.Name+r.Notes+r.URL+r.Tag, "TOPSECRET") {
			t.Errorf("row %+v holds the file's content", r)
		}
	}
}
