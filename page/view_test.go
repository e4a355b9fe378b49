package page

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/serving"
)

// order returns the product keys of the cards in page order, and the group
// headings.
func order(html string) (keys, groups string) {
	var k, g []string
	for _, m := range regexp.MustCompile(`data-product="([^"]+)"|<h2>([^<]+)</h2>`).FindAllStringSubmatch(html, -1) {
		if m[1] != "" {
			k = append(k, m[1])
		} else {
			g = append(g, m[2])
		}
	}
	return strings.Join(k, ","), strings.Join(g, ",")
}

// All products are grouped by category by default; ?sort= orders them by
// name or by last release (flat), or by category; some products asked for
// keep the order asked unless sorted.
func TestHandler_sortsAndGroups(t *testing.T) {
	h := handler(testSnapshot(t)) // vue's last release March 6, react's March 2, flask none
	for _, c := range []struct{ path, keys, groups string }{
		{"/", "flask,react,vue", "Backend,Frontend"},
		{"/?sort=category", "flask,react,vue", "Backend,Frontend"},
		{"/?sort=name", "flask,react,vue", ""},
		{"/?sort=updated", "vue,react,flask", ""},
		{"/?products=vue,flask,react", "vue,flask,react", ""},
		{"/?products=vue,flask,react&sort=category", "flask,react,vue", "Backend,Frontend"},
		{"/?products=vue,flask,react&sort=name", "flask,react,vue", ""},
	} {
		code, html := get(h, c.path)
		if keys, groups := order(html); code != 200 || keys != c.keys || groups != c.groups {
			t.Errorf("%s: %d cards %s groups %q, want %s groups %q", c.path, code, keys, groups, c.keys, c.groups)
		}
	}
	// The sort links keep the products asked and mark the order shown.
	_, html := get(h, "/?products=vue,react&sort=updated")
	for _, want := range []string{
		`<a href="?sort=category&amp;products=vue,react">category</a>`,
		`<a href="?sort=updated&amp;products=vue,react" aria-current="true">last release</a>`,
		`<a href="?sort=name&amp;products=vue,react">name</a>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// A snapshot pushed by an older serve has no categories, stable lists or
// cadence: the page renders it, ungrouped, its stable releases taken from
// the recent ones, without sparklines.
func TestHandler_olderSnapshotWithoutCategoriesRenders(t *testing.T) {
	b, err := json.Marshal(testSnapshot(t))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, p := range raw["products"].([]any) {
		for _, k := range []string{"category", "stable", "cadence"} {
			delete(p.(map[string]any), k)
		}
	}
	b, _ = json.Marshal(raw)
	old, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	_, html := get(handler(old), "/")
	if keys, groups := order(html); keys != "react,vue,flask" || groups != "" {
		t.Errorf("old snapshot: cards %s groups %q, want catalog order, ungrouped", keys, groups)
	}
	vue := card(t, html, "vue")
	if strings.Contains(vue, "<svg") || !strings.Contains(vue, `<ul class="stable">`) || !strings.Contains(vue, ">3.4.9</a>") {
		t.Errorf("old snapshot's vue card:\n%s", vue)
	}
}

// Keys are matched in any case: ?products=Vue is vue, once.
func TestHandler_keysAreCaseInsensitive(t *testing.T) {
	_, html := get(handler(testSnapshot(t)), "/?products=Vue,VUE,React")
	if keys, _ := order(html); keys != "vue,react" || strings.Contains(html, "Unknown product keys") {
		t.Errorf("cards %s:\n%s", keys, html)
	}
}

// A card shows the latest stable, the newer prerelease beside it, recent
// stable releases in a list, prereleases only behind a <details> toggle, and
// dates relative to the request with the date on hover.
func TestHandler_cardStableFirstPrereleasesToggled(t *testing.T) {
	h := handler(testSnapshot(t))
	h.Now = func() time.Time { return day(9).Add(3 * time.Hour) }
	_, html := get(h, "/?products=vue")
	vue := card(t, html, "vue")
	stable := regexp.MustCompile(`(?s)<ul class="stable">.*?</ul>`).FindString(vue)
	toggle := regexp.MustCompile(`(?s)<details class="prereleases"><summary>1 recent prerelease</summary>.*?</details>`).FindString(vue)
	if stable == "" || strings.Contains(stable, "rc") || !strings.Contains(stable, ">3.4.9</a>") || !strings.Contains(stable, ">3.5.0</a>") {
		t.Errorf("stable list %q", stable)
	}
	if toggle == "" || !strings.Contains(toggle, ">3.6.0-rc.1</a>") {
		t.Errorf("prerelease toggle %q", toggle)
	}
	for _, want := range []string{
		`<p class="prerel">Prerelease <a href="https://x/rc">3.6.0-rc.1</a>`,
		`released <time datetime="2026-03-01T00:00:00Z" title="2026-03-01 00:00 UTC">8 days ago</time>`,
		`<time datetime="2026-03-06T00:00:00Z" title="2026-03-06 00:00 UTC">3 days ago</time>`,
		`Updated <time datetime="2026-03-09T00:00:00Z" title="2026-03-09 00:00 UTC">3 hours ago</time>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// React's 19.0.0 is its latest and newest: no prerelease line, no toggle.
	if _, html := get(h, "/?products=react"); strings.Contains(html, `class="prerel"`) || strings.Contains(html, "<details") {
		t.Errorf("react card shows prereleases:\n%s", card(t, html, "react"))
	}
}

// The strip lists the stable releases of the week before the snapshot,
// newest first, linking to their cards, and counts the prereleases.
func TestHandler_newThisWeekStrip(t *testing.T) {
	_, html := get(handler(testSnapshot(t)), "/")
	strip := regexp.MustCompile(`(?s)<section class="fresh".*?</section>`).FindString(html)
	if !strings.Contains(strip, `<h2 id="fresh-title">New this week</h2>`) ||
		!strings.Contains(strip, `<li><a href="#p-vue">Vue</a> <a href="https://x/349">3.4.9</a>`) ||
		strings.Count(strip, "<li>") != 1 || !strings.Contains(strip, "And 1 prerelease, on the cards.") {
		t.Errorf("strip:\n%s", strip)
	}
	snap := testSnapshot(t)
	snap.CommittedAt = day(30)
	if _, html := get(handler(snap), "/"); !strings.Contains(html, "No stable release in the week before this update.") {
		t.Error("a quiet week is not said")
	}
}

// A busy week lists FreshMax releases, newest first, a major or minor release
// before the patches of the same instant (Vue 3.6.0 is news; it came in the
// same crawl as the rest), and links the rest by last release instead of
// dropping them silently.
func TestHandler_newThisWeekStripSaysHowManyMore(t *testing.T) {
	var products []releaselake.Product
	var rels []releaselake.Release
	crawl := day(8) // every release below was first seen in one crawl: one instant
	for i := range FreshMax + 3 {
		key := fmt.Sprintf("a%02d", i)
		products = append(products, releaselake.Product{Key: key, Name: "A" + key, Kind: "github", Ref: "o/" + key})
		rels = append(rels, releaselake.Release{Product: key, Tag: "1.0." + fmt.Sprint(i+1), Version: "1.0." + fmt.Sprint(i+1), PublishedAt: crawl})
	}
	products = append(products, releaselake.Product{Key: "vue", Name: "Vue", Kind: "github", Ref: "vuejs/core"},
		releaselake.Product{Key: "old", Name: "Old", Kind: "github", Ref: "o/old"})
	rels = append(rels, releaselake.Release{Product: "vue", Tag: "v3.6.0", Version: "3.6.0", PublishedAt: crawl},
		releaselake.Release{Product: "old", Tag: "v2.0.0", Version: "2.0.0", PublishedAt: day(8).Add(-time.Hour)},
		releaselake.Release{Product: "old", Tag: "v2.1.0-rc.1", Version: "2.1.0-rc.1", Prerelease: true, PublishedAt: day(7)})
	cat, err := releaselake.NewCatalog(products)
	if err != nil {
		t.Fatal(err)
	}
	snap := NewSnapshot(cat, serving.NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: day(9), Releases: rels}))
	var keys []string
	for _, p := range products {
		keys = append(keys, p.Key)
	}
	_, html := get(handler(snap), "/?products="+strings.Join(keys, ","))
	strip := regexp.MustCompile(`(?s)<section class="fresh".*?</section>`).FindString(html)
	var listed []string
	for _, m := range regexp.MustCompile(`<li><a href="#p-([^"]+)">`).FindAllStringSubmatch(strip, -1) {
		listed = append(listed, m[1])
	}
	// Vue's minor release first; then the patches by name, a00 … a10; the
	// rest (a11 … a14 and Old's, an hour older) are counted.
	want := []string{"vue", "a00", "a01", "a02", "a03", "a04", "a05", "a06", "a07", "a08", "a09", "a10"}
	if !slices.Equal(listed, want) {
		t.Errorf("strip lists %v, want %v", listed, want)
	}
	more := `<p class="meta">And <a href="?sort=updated&amp;products=a00,`
	if !strings.Contains(strip, more) || !strings.Contains(strip, `>5 more stable releases</a>, and 1 prerelease, on the cards.</p>`) {
		t.Errorf("strip does not say how many more:\n%s", strip)
	}
	// Without prereleases, the sentence ends at the link.
	_, html = get(handler(snap), "/?products=vue,a00,a01,a02,a03,a04,a05,a06,a07,a08,a09,a10,a11")
	if !strings.Contains(html, `>1 more stable release</a>.</p>`) {
		t.Errorf("strip of 13:\n%s", regexp.MustCompile(`(?s)<section class="fresh".*?</section>`).FindString(html))
	}
}

// The cadence counts stable releases per month up to the snapshot's month and
// is drawn as one bar per month, the busiest month full height.
func TestSnapshot_cadenceIsStableReleasesPerMonth(t *testing.T) {
	at := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	rel := func(tag string, t time.Time, pre bool) releaselake.Release {
		return releaselake.Release{Product: "vue", Tag: tag, Version: tag, PublishedAt: t, Prerelease: pre}
	}
	ix := serving.NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: at, Releases: []releaselake.Release{
		rel("1.0.0", time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), false), // 24 months back: not counted
		rel("1.1.0", time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), false),  // the first month
		rel("2.0.0", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), false),
		rel("2.0.1", time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC), false),
		rel("2.1.0-rc.1", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true),
		rel("2.0.2", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), false),
	}})
	snap := NewSnapshot(testCatalog(t), ix)
	vue, _ := snap.finder()("vue")
	want := make([]int, CadenceMonths)
	want[0], want[22], want[23] = 1, 2, 1
	if len(vue.Cadence) != CadenceMonths || !slices.Equal(vue.Cadence, want) {
		t.Fatalf("cadence %v, want %v", vue.Cadence, want)
	}
	s := sparkline(vue.Cadence)
	if s.Total != 4 || s.Label != "4 stable releases in the last 24 months" || len(s.Bars) != 24 ||
		s.Bars[22].H != SparkHeight || s.Bars[23].H != SparkHeight/2 || s.Bars[1].H != 1 || s.Bars[23].X != 69 {
		t.Errorf("sparkline %+v", s)
	}
	_, html := get(handler(snap), "/?products=vue")
	if !strings.Contains(html, `<svg width="72" height="16" viewBox="0 0 72 16" role="img" aria-label="4 stable releases in the last 24 months">`) ||
		!strings.Contains(html, `<rect x="66" y="0" width="2" height="16"/><rect x="69" y="8" width="2" height="8"/></svg>`) {
		t.Errorf("no sparkline on the card:\n%s", card(t, html, "vue"))
	}
	if _, html := get(handler(snap), "/?products=flask"); strings.Contains(html, "<svg") {
		t.Error("a product without releases draws a cadence")
	}
	// Releases, but no stable one in the months drawn (the demo's QueryMe): said
	// in words, not as 24 empty stubs.
	ix = serving.NewIndex(releaselake.Snapshot{Version: 1, CommittedAt: at, Releases: []releaselake.Release{
		rel("1.0.0", time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), false)}})
	_, html = get(handler(NewSnapshot(testCatalog(t), ix)), "/?products=vue")
	if c := card(t, html, "vue"); strings.Contains(c, "<svg") || !strings.Contains(c, `<p class="cadence">no stable release in 2 years</p>`) {
		t.Errorf("a cadence of none:\n%s", c)
	}
}

func TestAgo(t *testing.T) {
	now := day(9)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "in the future"}, {30 * time.Second, "just now"}, {time.Minute, "1 minute ago"},
		{59 * time.Minute, "59 minutes ago"}, {2 * time.Hour, "2 hours ago"}, {30 * time.Hour, "yesterday"},
		{3 * 24 * time.Hour, "3 days ago"}, {45 * 24 * time.Hour, "1 month ago"}, {800 * 24 * time.Hour, "2 years ago"},
	} {
		if got := ago(now.Add(-c.d), now); got != c.want {
			t.Errorf("%v before: %q, want %q", c.d, got, c.want)
		}
	}
}

// The icon is served where browsers look for it: no 404 in their console.
func TestHandler_servesFavicon(t *testing.T) {
	for _, path := range []string{"/favicon.svg", "/favicon.ico"} {
		rec := httptest.NewRecorder()
		handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(rec.Body.String(), "<svg") {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if _, html := get(handler(nil), "/"); !strings.Contains(html, `<link rel="icon" type="image/svg+xml" href="favicon.svg">`) {
		t.Error("the page does not name its icon")
	}
}

// A pushed snapshot is refused when its new fields break their bounds: more
// stable releases than RecentCount, a release of another product among them,
// a cadence longer than CadenceMonths or with a negative count.
func TestSnapshot_validateBoundsStableAndCadence(t *testing.T) {
	for name, spoil := range map[string]func(p *Product){
		"six stable": func(p *Product) {
			p.Stable = append(p.Stable, p.Stable[0], p.Stable[0], p.Stable[0], p.Stable[0], p.Stable[0])
		},
		"foreign stable":   func(p *Product) { p.Stable[0].Product = "react" },
		"25 months":        func(p *Product) { p.Cadence = make([]int, CadenceMonths+1) },
		"negative cadence": func(p *Product) { p.Cadence[3] = -1 },
	} {
		snap := testSnapshot(t)
		for i := range snap.Products {
			if snap.Products[i].Key == "vue" {
				spoil(&snap.Products[i])
			}
		}
		b, _ := snap.Encode()
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	b, _ := testSnapshot(t).Encode()
	if _, err := Decode(b); err != nil {
		t.Fatal(err)
	}
}
