package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// screenshotDir is where the browser tests leave their screenshots (gitignored).
var screenshotDir = filepath.Join("..", "..", "test-output", "browser")

// startChromium starts Debian's chromium headless (as root in CI, so --no-sandbox)
// and returns a context to drive it. Without chromium the test is skipped, but
// under CI=true it fails: `make deps` installs chromium there.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (make deps installs it: apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed; apt-get install -y chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	// A bound on a hung browser, not a performance threshold.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// saveScreenshot saves a full-page PNG under screenshotDir.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browserStack is serve (and, with a page server, the push to it) over a lake
// ingested from the fake GitHub with react, vue and spark in it.
type browserStack struct {
	gateway, pageServer string
	want                map[string]shownCard // by product key
}

// shownCard is what a card shows, as read in the browser.
type shownCard struct {
	Key     string `json:"key"`
	Version string `json:"version"`
	Href    string `json:"href"`
	Shown   bool   `json:"shown"`
	Pre     int    `json:"pre"`
	New     int    `json:"new"`
}

func newBrowserStack(t *testing.T, withPageServer bool) *browserStack {
	t.Helper()
	gh := githubtest.NewServer(t)
	// react and spark have no fixtures: give them a short history, recent enough
	// to carry "new" badges. React publishes releases; Spark tags only.
	now := time.Now().UTC().Truncate(time.Second)
	gh.AddRepo("facebook/react", true)
	for _, r := range []struct {
		tag string
		at  time.Time
		pre bool
	}{
		{"v18.3.1", time.Date(2024, 4, 26, 0, 0, 0, 0, time.UTC), false},
		{"v19.0.0", time.Date(2024, 12, 5, 0, 0, 0, 0, time.UTC), false},
		{"v19.1.0", now.Add(-48 * time.Hour), false},
		{"v19.2.0-rc.1", now.Add(-24 * time.Hour), true},
	} {
		gh.AddTag("facebook/react", githubtest.Tag{Name: r.tag, Date: r.at})
		gh.AddRelease("facebook/react", githubtest.Release{TagName: r.tag, PublishedAt: r.at, IsPrerelease: r.pre})
	}
	gh.AddRepo("apache/spark", false)
	for _, tg := range []githubtest.Tag{
		{Name: "v3.5.1", Date: time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC), Annotated: true},
		{Name: "v4.0.0", Date: time.Date(2025, 5, 23, 0, 0, 0, 0, time.UTC), Annotated: true},
		{Name: "v4.1.0-preview1", Date: now.Add(-72 * time.Hour), Annotated: true},
	} {
		gh.AddTag("apache/spark", tg)
	}
	vue := maxNumeric(fixtureTags(t, "vuejs__core.jsonl"), "v", 3)
	s := &browserStack{want: map[string]shownCard{
		// react: 19.1.0 is new as latest and in the stable list; the new rc
		// beside it (newer) and behind the prerelease toggle.
		"react": {Key: "react", Version: "19.1.0", Href: "https://github.com/facebook/react/releases/tag/v19.1.0", Shown: true, Pre: 2, New: 4},
		"vue":   {Key: "vue", Version: vue, Href: "https://github.com/vuejs/core/releases/tag/v" + vue, Shown: true, Pre: -1, New: -1},
		"spark": {Key: "spark", Version: "4.0.0", Href: "https://github.com/apache/spark/releases/tag/v4.0.0", Shown: true, Pre: 2, New: 2},
	}}
	a := &app{t: t, lake: t.TempDir()}
	a.env = map[string]string{
		"RELEASELAKE_LAKE":   a.lake,
		"GITHUB_TOKEN":       gh.Token,
		"GITHUB_GRAPHQL_URL": gh.URL,
	}
	if withPageServer {
		_, s.pageServer = servePage(t, t.TempDir())
		a.env["RELEASELAKE_PAGE_URL"] = s.pageServer
		a.env["RELEASELAKE_PAGE_SECRET"] = pageSecret
	}
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	s.gateway = a.serve()
	return s
}

// readCards returns the cards of the page as the browser shows them.
const readCards = `Array.from(document.querySelectorAll("[data-product]")).map(c => {
  const a = c.querySelector(".version a");
  return {key: c.dataset.product, version: a ? a.textContent : "", href: a ? a.href : "",
    shown: c.offsetParent !== null, pre: c.querySelectorAll(".pre").length, new: c.querySelectorAll(".new").length};
})`

func shownKeys(cards []shownCard) string {
	var keys []string
	for _, c := range cards {
		if c.Shown {
			keys = append(keys, c.Key)
		}
	}
	return strings.Join(keys, ",")
}

func TestBrowser_releasePage(t *testing.T) {
	ctx := startChromium(t)
	stack := newBrowserStack(t, true)
	for _, site := range []struct{ name, base string }{{"gateway", stack.gateway}, {"pageserver", stack.pageServer}} {
		t.Run(site.name, func(t *testing.T) {
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(1280, 900),
				watchCSP(),
				chromedp.Navigate(site.base+"/?products=react,vue,spark"),
				chromedp.WaitVisible(chromedp.ID("filter")),
			)
			if err != nil {
				t.Fatal(err)
			}
			cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownCard](readCards))
			if err != nil {
				t.Fatal(err)
			}
			saveScreenshot(t, ctx, site.name+"-desktop")
			if got := shownKeys(cards); got != "react,vue,spark" || len(cards) != 3 {
				t.Fatalf("cards shown: %q of %d, want react,vue,spark", got, len(cards))
			}
			for _, c := range cards {
				w := stack.want[c.Key]
				if w.Pre < 0 { // badges of fixture data depend on the day: not checked
					w.Pre, w.New = c.Pre, c.New
				}
				if c != w {
					t.Errorf("%s card shows %+v, want %+v", c.Key, c, w)
				}
			}

			// The filter box narrows the cards as one types, and clearing it
			// brings them back.
			type filterStep struct {
				keys, want string
				noMatch    bool
			}
			for _, step := range []filterStep{
				{"vu", "vue", false},
				{kb.Backspace + kb.Backspace + "SPA", "spark", false},
				{kb.Backspace + kb.Backspace + kb.Backspace, "react,vue,spark", false},
				{"zzz", "", true},
			} {
				if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("filter"), step.keys)); err != nil {
					t.Fatal(err)
				}
				cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownCard](readCards))
				if err != nil {
					t.Fatal(err)
				}
				noMatch, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("nomatch").hidden`))
				if err != nil {
					t.Fatal(err)
				}
				if got := shownKeys(cards); got != step.want || noMatch != step.noMatch {
					t.Errorf("after typing %q: shown %q (no-match note %v), want %q (%v)", step.keys, got, noMatch, step.want, step.noMatch)
				}
				if step.want == "spark" {
					saveScreenshot(t, ctx, site.name+"-filtered")
				}
			}
			checkCSP(t, ctx, site.base+"/")

			// On a phone the cards stack in one column and nothing scrolls sideways.
			err = chromedp.Do(ctx,
				chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
				chromedp.Navigate(site.base+"/?products=react,vue,spark"),
				chromedp.WaitVisible(chromedp.CSS(`[data-product="spark"]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
			if err != nil {
				t.Fatal(err)
			}
			columns, err := chromedp.Run(ctx, chromedp.Evaluate[int](
				`new Set(Array.from(document.querySelectorAll("[data-product]")).map(c => c.getBoundingClientRect().left)).size`))
			if err != nil {
				t.Fatal(err)
			}
			saveScreenshot(t, ctx, site.name+"-phone")
			if overflow || columns != 1 {
				t.Errorf("phone: horizontal overflow %v, %d columns", overflow, columns)
			}
		})
	}

	// Without JavaScript the page is whole; only the filter box, which needs
	// it, stays hidden.
	scripts := func(disabled bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: disabled})
			return err
		})
	}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		scripts(true),
		chromedp.Navigate(stack.pageServer+"/?products=react,vue,spark"),
		chromedp.WaitVisible(chromedp.CSS(`[data-product="spark"]`)),
		scripts(false), // so that the test can read the page; the page's own script ran not
	)
	if err != nil {
		t.Fatal(err)
	}
	cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownCard](readCards))
	if err != nil {
		t.Fatal(err)
	}
	filterShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("filter").offsetParent !== null`))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "pageserver-nojs")
	if got := shownKeys(cards); got != "react,vue,spark" || filterShown {
		t.Errorf("without JavaScript: cards %q, filter box shown %v", got, filterShown)
	}
}

// GraphiQL is served from embedded assets (there is no CDN here): it must load
// and run a releases query in the browser.
func TestBrowser_graphiqlRunsReleasesQuery(t *testing.T) {
	ctx := startChromium(t)
	stack := newBrowserStack(t, false)
	const q = `{ releases(products: ["react"], first: 3) { totalCount nodes { version prerelease } } }`
	openGraphiQL(t, ctx, stack.gateway, "graphiql-failed")
	// GraphiQL's query editor is CodeMirror (v4) or Monaco (v5): set its text
	// through whichever API it has.
	how, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
  const q = %q;
  const cm = document.querySelector(".graphiql-query-editor .CodeMirror");
  if (cm && cm.CodeMirror) { cm.CodeMirror.setValue(q); return "codemirror"; }
  if (window.monaco) {
    const m = monaco.editor.getModels().find(m => m.uri.toString().includes("operation")) || monaco.editor.getModels()[0];
    if (m) { m.setValue(q); return "monaco"; }
  }
  return "none";
})()`, q)))
	if err != nil {
		t.Fatal(err)
	}
	if how == "none" {
		saveScreenshot(t, ctx, "graphiql-failed")
		t.Fatal("found no query editor in GraphiQL")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.graphiql-execute-button`))); err != nil {
		t.Fatal(err)
	}
	response, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
  const r = document.querySelector(".graphiql-response");
  return r && r.innerText.includes("totalCount") ? r.innerText : null;
})()`, chromedp.WithPollingInterval(100*time.Millisecond)))
	saveScreenshot(t, ctx, "graphiql")
	if err != nil {
		t.Fatalf("no response in GraphiQL: %v", err)
	}
	if !strings.Contains(response, `"totalCount": 4`) || !strings.Contains(response, `"19.2.0-rc.1"`) {
		t.Errorf("GraphiQL response (editor: %s):\n%s", how, response)
	}
	checkCSP(t, ctx, stack.gateway+"/graphiql")
}

// watchCSP makes the pages the browser opens next record what their
// Content-Security-Policy blocked, for checkCSP.
func watchCSP() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`})
		return err
	})
}

// checkCSP fails if u is served without a Content-Security-Policy or the
// page open in the browser had something blocked by it.
func checkCSP(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no CSP or nosniff: %v", u, resp.Header)
	}
	blocked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || ["not watched"]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocked) > 0 {
		t.Errorf("%s: the Content-Security-Policy blocked %q", u, blocked)
	}
}
