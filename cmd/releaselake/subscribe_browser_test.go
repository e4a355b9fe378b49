package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// sseClient is the graphql-sse npm package's browser bundle (make deps).
var sseClient = filepath.Join("..", "..", "scripts", "graphql-sse", "node_modules", "graphql-sse", "umd", "graphql-sse.js")

// subsPage is a frontend on another origin than the API's: it subscribes with
// the graphql-sse client and lists what it hears.
const subsPage = `<!doctype html><meta charset="utf-8"><title>subscribing</title>
<ul id="events"></ul>
<script src="/graphql-sse.js"></script>
<script>
const client = graphqlSse.createClient({ url: %q });
(async () => {
  try {
    for await (const r of client.iterate({ query: %q })) {
      const li = document.createElement("li");
      const e = r.data && r.data.releasePublished;
      li.textContent = e ? e.change + " " + e.release.product.key + " " + e.release.tag : JSON.stringify(r);
      document.getElementById("events").append(li);
    }
  } catch (err) {
    document.title = "error: " + err;
  }
})();
</script>`

// A browser page on an origin RELEASELAKE_CORS_ORIGINS allows subscribes
// with the graphql-sse npm client (preflight, then the stream) and shows a
// release an ingest committed, within the poll interval.
func TestSubscription_browserWithGraphqlSSEClient(t *testing.T) {
	if _, err := os.Stat(sseClient); err != nil {
		t.Fatalf("the graphql-sse client is not installed (make deps, or npm ci --prefix scripts/graphql-sse): %v", err)
	}
	frontend := httptest.NewServer(nil) // its URL names the origin; the handler comes below
	defer frontend.Close()
	gh := githubtest.NewServer(t)
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: kafka\n    github: apache/kafka\n    tags: true\n"), 0o644)
	a := &app{t: t, env: map[string]string{"RELEASELAKE_LAKE": filepath.Join(t.TempDir(), "lake"), "RELEASELAKE_CATALOG": catalog,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL, "RELEASELAKE_CORS_ORIGINS": frontend.URL}}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	m := serveReplica(t, a)
	api := "http://" + m.Addr() + "/graphql"
	frontend.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql-sse.js" {
			http.ServeFile(w, r, sseClient)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, subsPage, api, subsQuery)
	})

	ctx := startChromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(frontend.URL)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); m.Engine.Broadcaster().Open() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			title, _ := chromedp.Run(ctx, chromedp.Title())
			t.Fatalf("the page did not subscribe (title %q)", title)
		}
	}
	gh.AddTag("apache/kafka", githubtest.Tag{Name: "9.9.9", Date: time.Now().UTC().Truncate(time.Second)})
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	committed := time.Now()
	wait, cancel := context.WithTimeout(ctx, subsPoll+10*time.Second)
	defer cancel()
	err := chromedp.Do(wait, chromedp.WaitVisible(chromedp.CSS("#events li")))
	shown, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#events")))
	if err != nil {
		title, _ := chromedp.Run(ctx, chromedp.Title())
		t.Fatalf("the page shows no event (title %q, events %q): %v", title, shown, err)
	}
	t.Logf("the page showed %q %s after the ingest returned (poll %s)", shown, time.Since(committed).Round(time.Millisecond), subsPoll)
	if strings.TrimSpace(shown) != "NEW kafka 9.9.9" {
		t.Errorf("the page shows %q, want NEW kafka 9.9.9", shown)
	}
}
