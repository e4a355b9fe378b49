package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The page as readers see it when it is full: `releaselake demo` (in-process,
// its own temporary lake, every catalog product crawled from recorded
// upstreams) on a desktop, a phone and in dark mode, screenshots in
// test-output/browser/readers-demo-*.png. Every card has a version and no
// failure, nothing is wider than the phone's screen, the strip lists 12 and
// links the rest, and axe-core finds no serious violation in either scheme.
func TestBrowser_pageForReadersOverDemoData(t *testing.T) {
	ctx := startChromium(t)
	axe := readAxe(t)
	base := startDemo(t)
	for _, shot := range []struct {
		name          string
		dark, phone   bool
		width, height int64
	}{
		{"readers-demo-desktop", false, false, 1280, 900},
		{"readers-demo-phone", false, true, 390, 844},
		{"readers-demo-dark", true, false, 1280, 900},
		{"readers-demo-dark-phone", true, true, 390, 844},
	} {
		scheme := map[bool]string{false: "light", true: "dark"}[shot.dark]
		viewport := chromedp.EmulateViewport(shot.width, shot.height)
		if shot.phone {
			viewport = chromedp.EmulateViewport(shot.width, shot.height, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		err := chromedp.Do(ctx, viewport, watchCSP(),
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
				return err
			}),
			chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-product="vue"]`)))
		if err != nil {
			t.Fatal(err)
		}
		saveScreenshot(t, ctx, shot.name)
		saveViewport(t, ctx, shot.name+"-top") // the first screen, as a reader opens it
		type look struct {
			Cards        int      `json:"cards"`
			Versions     int      `json:"versions"`
			Failed       []string `json:"failed"`
			Strip        []string `json:"strip"`
			More         string   `json:"more"`
			Wide         []string `json:"wide"`
			StripHeight  float64  `json:"stripHeight"`
			ScreenHeight float64  `json:"screenHeight"`
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[look](`(() => {
  const w = document.documentElement.clientWidth;
  return {
    cards: document.querySelectorAll("[data-product]").length,
    versions: document.querySelectorAll("[data-product] .version").length,
    failed: Array.from(document.querySelectorAll("[data-product] .failed")).map(e => e.closest("[data-product]").dataset.product),
    strip: Array.from(document.querySelectorAll(".fresh li")).map(li => li.textContent.replace(/\s+/g, " ").trim()),
    more: (document.querySelector('.fresh .meta a[href^="?sort=updated"]') || {}).textContent || "",
    stripHeight: document.querySelector(".fresh").getBoundingClientRect().height,
    screenHeight: window.innerHeight,
    wide: Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > w + 1)
      .slice(0, 5).map(e => e.tagName + "." + e.className + ": " + (e.textContent || "").slice(0, 40)),
  };
})()`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Cards < 45 || got.Versions < 45 || len(got.Failed) > 0 {
			t.Errorf("%s: %d cards, %d with a version, failing %v; want every product of the demo with a version", shot.name, got.Cards, got.Versions, got.Failed)
		}
		if len(got.Strip) != 12 || !slices.ContainsFunc(got.Strip, func(s string) bool { return strings.HasPrefix(s, "Vue 3.6.0 ") }) || !regexp.MustCompile(`^\d+ more stable releases?$`).MatchString(got.More) {
			t.Errorf("%s: new this week %q, then %q; want 12, Vue 3.6.0 (day 2's minor release) among them, and the rest linked", shot.name, got.Strip, got.More)
		}
		// On a phone the strip leaves most of the first screen to the cards
		// (it took all of it, one release a line).
		if got.StripHeight > got.ScreenHeight/2 {
			t.Errorf("%s: the strip is %.0f px high on a screen of %.0f", shot.name, got.StripHeight, got.ScreenHeight)
		}
		if len(got.Wide) > 0 {
			t.Errorf("%s: wider than the screen: %q", shot.name, got.Wide)
		}
		if !shot.phone {
			checkAxe(t, ctx, axe, shot.name)
		}
	}
	checkCSP(t, ctx, base+"/")
}

// startDemo runs `releaselake demo` in-process on a free port and returns the
// page's base URL once it serves day 2, in a directory of the test's; it is
// stopped when the test ends.
func startDemo(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	out, log := &syncWriter{w: &stdout}, &syncWriter{w: &stderr}
	env := map[string]string{"RELEASELAKE_ADDR": "127.0.0.1:0", "RELEASELAKE_LOG": "text"}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"demo", "-dir", t.TempDir()}, func(k string) string { return env[k] }, out, log)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo exit %d:\n%s", code, log.String())
		}
	})
	page := regexp.MustCompile(`the page +(http://\S+)/\n`)
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if m := page.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("demo exit %d before serving:\n%s", code, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not serving after 3 minutes:\n%s", log.String())
		}
	}
}

// saveViewport saves what the browser's window shows (not the whole page) as
// test-output/browser/<name>.png.
func saveViewport(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
