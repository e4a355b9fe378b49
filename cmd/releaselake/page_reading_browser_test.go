package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeScript is axe-core, installed from npm by `make axe` (part of make deps).
var axeScript = filepath.Join("..", "..", "scripts", "axe", "node_modules", "axe-core", "axe.min.js")

// axeViolation is one rule axe-core finds broken on a page.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe injects axe-core into the page open in the browser, runs it, and
// fails on every serious or critical violation (WCAG 2.1 A and AA and axe's
// best practices).
func checkAxe(t *testing.T, ctx context.Context, src, what string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;typeof axe === 'object'")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  resultTypes: ["violations"],
}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	for _, v := range found {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		} else {
			t.Logf("%s: axe %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
}

// readAxe returns axe-core's source; without it the test is skipped, but
// under CI=true it fails: `make deps` installs it.
func readAxe(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(axeScript)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is not installed (make axe): %v", err)
		}
		t.Skipf("axe-core is not installed; make axe: %v", err)
	}
	return string(b)
}

// order is the product keys of the cards and the category headings, as the
// page lists them.
type order struct {
	Keys   string `json:"keys"`
	Groups string `json:"groups"`
}

const readOrder = `({keys: Array.from(document.querySelectorAll("[data-product]")).map(c => c.dataset.product).join(","),
  groups: Array.from(document.querySelectorAll(".group > h2")).map(h => h.textContent).join(",")})`

// The redesigned page as a reader meets it: the "new this week" strip, the
// prerelease toggle, the sort links, a visible keyboard focus, the icon, the
// whole page on a desktop, a phone and in dark mode (screenshots in
// test-output/browser/), and no serious accessibility violation by axe-core.
func TestBrowser_pageForReaders(t *testing.T) {
	ctx := startChromium(t)
	axe := readAxe(t)
	stack := newBrowserStack(t, true)
	base := stack.pageServer
	three := base + "/?products=react,vue,spark"
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), watchCSP(),
		chromedp.Navigate(three), chromedp.WaitVisible(chromedp.CSS(`[data-product="spark"]`)))
	if err != nil {
		t.Fatal(err)
	}

	// The strip: React 19.1.0 (two days old), not the rc nor Spark's preview,
	// which it counts.
	strip, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".fresh li")).map(li => li.textContent.replace(/\s+/g, " ").trim())`))
	if err != nil {
		t.Fatal(err)
	}
	note, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".fresh .meta") || {}).innerText || ""`))
	if err != nil {
		t.Fatal(err)
	}
	if len(strip) != 1 || !strings.HasPrefix(strip[0], "React 19.1.0 2 days ago") || !strings.Contains(note, "2 prereleases") {
		t.Errorf("new this week: %q, %q; want React 19.1.0 and 2 prereleases counted", strip, note)
	}

	// The toggle: React's rc is beside its latest, and in the list only once
	// the reader opens it.
	const rcShown = `document.querySelector("#p-react details.prereleases a").checkVisibility()`
	closed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](rcShown))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#p-react details.prereleases summary`))); err != nil {
		t.Fatal(err)
	}
	open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](rcShown))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "readers-toggle-open")
	if closed || !open {
		t.Errorf("prerelease list shown before the toggle %v, after %v", closed, open)
	}

	// Sorting by the links, which keep the products asked.
	for _, c := range []struct {
		sort string
		want order
	}{
		{"name", order{Keys: "spark,react,vue"}}, // Apache Spark, React, Vue
		{"updated", order{Keys: "react,spark,vue"}},
		{"category", order{Keys: "spark,react,vue", Groups: "Data & analytics engines,Frontend"}},
	} {
		// Followed as a click would (a click's navigation races the reads).
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('nav.sort a[href^="?sort=`+c.sort+`&"]').href`))
		if err == nil {
			err = chromedp.Do(ctx, chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS(`[data-product="spark"]`)))
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[order](readOrder))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("sorted by %s: %+v, want %+v", c.sort, got, c.want)
		}
	}
	saveScreenshot(t, ctx, "readers-sorted-by-category")

	// The keyboard: Tab lands on a link whose focus ring shows.
	type focus struct {
		Tag     string  `json:"tag"`
		Visible bool    `json:"visible"`
		Style   string  `json:"style"`
		Width   float64 `json:"width"`
	}
	err = chromedp.Do(ctx, chromedp.Navigate(three), chromedp.WaitVisible(chromedp.CSS(`[data-product="spark"]`)),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if err != nil {
		t.Fatal(err)
	}
	f, err := chromedp.Run(ctx, chromedp.Evaluate[focus](`(() => { const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName, visible: e.matches(":focus-visible"), style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "readers-keyboard-focus")
	if f.Tag != "A" || !f.Visible || f.Style == "none" || f.Width < 2 {
		t.Errorf("keyboard focus: %+v, want a link with a visible outline", f)
	}

	// Every product, as the page server shows them: desktop, phone, dark;
	// axe-core in light and dark (contrast differs).
	for _, shot := range []struct {
		name   string
		dark   bool
		width  int64
		height int64
		phone  bool
	}{
		{"readers-desktop", false, 1280, 900, false},
		{"readers-phone", false, 390, 844, true},
		{"readers-dark", true, 1280, 900, false},
		{"readers-dark-phone", true, 390, 844, true},
	} {
		scheme := "light"
		if shot.dark {
			scheme = "dark"
		}
		viewport := chromedp.EmulateViewport(shot.width, shot.height)
		if shot.phone {
			viewport = chromedp.EmulateViewport(shot.width, shot.height, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		err := chromedp.Do(ctx, viewport,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
				return err
			}),
			chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-product="spark"]`)))
		if err != nil {
			t.Fatal(err)
		}
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
		if err != nil {
			t.Fatal(err)
		}
		saveScreenshot(t, ctx, shot.name)
		if want := map[bool]string{false: "rgb(246, 247, 249)", true: "rgb(13, 17, 23)"}[shot.dark]; bg != want {
			t.Errorf("%s: background %s, want %s", shot.name, bg, want)
		}
		if !shot.phone {
			checkAxe(t, ctx, axe, shot.name)
		}
	}
	checkCSP(t, ctx, base+"/")

	// The icon is there where browsers look, on both servers.
	for _, u := range []string{base + "/favicon.ico", stack.gateway + "/favicon.ico", stack.gateway + "/favicon.svg"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("%s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
