package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
	"github.com/releaselake/releaselake/page"
)

const (
	pageSecret     = "e2e-page-secret"
	pushAdminToken = "e2e-admin-token"
)

// servePage starts `releaselake page` on 127.0.0.1:0 over dir and returns it
// with its base URL.
func servePage(t *testing.T, dir string) (*Main, string) {
	t.Helper()
	m := NewMain(io.Discard)
	env := map[string]string{"RELEASELAKE_PAGE_SECRET": pageSecret}
	if err := m.Config.ParseFlags("page", []string{"-addr", "127.0.0.1:0", "-dir", dir}, func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := m.ServePage(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, "http://" + m.Addr()
}

// gate stands in front of the page server at a fixed URL, so the page server
// can be taken down (connections are dropped) and restarted on another port.
type gate struct {
	*httptest.Server
	mu      sync.Mutex
	backend *url.URL // nil: down
}

func newGate(t *testing.T, backend string) *gate {
	g := &gate{}
	g.up(backend)
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		b := g.backend
		g.mu.Unlock()
		if b == nil {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		httputil.NewSingleHostReverseProxy(b).ServeHTTP(w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gate) up(backend string) {
	u, _ := url.Parse(backend)
	g.mu.Lock()
	g.backend = u
	g.mu.Unlock()
}

func (g *gate) down() {
	g.mu.Lock()
	g.backend = nil
	g.mu.Unlock()
}

func getPage(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// lastRun reads the newest run record straight from the lake.
func lastRun(t *testing.T, root string) releaselake.Run {
	t.Helper()
	runs, err := lake.Open(localfs.New(root)).Runs(context.Background(), 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("run records: %v %v", runs, err)
	}
	return runs[0]
}

func sendStep(t *testing.T, run releaselake.Run) releaselake.RunStep {
	t.Helper()
	for _, s := range run.Steps {
		if s.Name == "send" {
			return s
		}
	}
	t.Fatalf("run %s has no send step: %+v", run.ID, run.Steps)
	return releaselake.RunStep{}
}

// card returns the HTML of the card of product key.
func cardHTML(t *testing.T, html, key string) string {
	t.Helper()
	i := strings.Index(html, `data-product="`+key+`"`)
	if i < 0 {
		t.Fatalf("no card of %s in:\n%s", key, html)
	}
	j := strings.Index(html[i:], "</section>")
	return html[i : i+j]
}

// pushSigned posts body to the page server signed at ts with secret.
func pushSigned(t *testing.T, base string, body []byte, ts time.Time, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/snapshot", bytes.NewReader(body))
	req.Header.Set(page.HeaderTimestamp, page.Stamp(ts))
	req.Header.Set(page.HeaderSignature, page.Sign([]byte(secret), ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPush_endToEnd(t *testing.T) {
	gh := githubtest.NewServer(t)
	pageDir := t.TempDir()
	pm, pageBase := servePage(t, pageDir)
	g := newGate(t, pageBase)
	a := &app{t: t, lake: t.TempDir()}
	a.env = map[string]string{
		"RELEASELAKE_LAKE":        a.lake,
		"GITHUB_TOKEN":            gh.Token,
		"GITHUB_GRAPHQL_URL":      gh.URL,
		"RELEASELAKE_PAGE_URL":    g.URL,
		"RELEASELAKE_PAGE_SECRET": pageSecret,
		"RELEASELAKE_ADMIN_TOKEN": pushAdminToken,
	}
	if code, html := getPage(t, pageBase+"/"); code != 200 || !strings.Contains(html, "No release data has been published here yet.") {
		t.Fatalf("fresh page server: %d\n%s", code, html)
	}
	if code, _ := getPage(t, pageBase+"/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}

	// An ingest that commits pushes the new snapshot.
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	run := lastRun(t, a.lake)
	if s := sendStep(t, run); s.Error != "" {
		t.Fatalf("send step failed: %s", s.Error)
	}
	const products = "/?products=vue,kafka,mybatis,nosuch"
	_, pageHTML := getPage(t, pageBase+products)
	for key, want := range map[string]string{
		"vue":     maxNumeric(fixtureTags(t, "vuejs__core.jsonl"), "v", 3),
		"kafka":   maxNumeric(fixtureTags(t, "apache__kafka.jsonl"), "", 3),
		"mybatis": maxNumeric(fixtureTags(t, "mybatis__mybatis-3.jsonl"), "mybatis-", 3),
	} {
		if c := cardHTML(t, pageHTML, key); !strings.Contains(c, ">"+want+"</a>") {
			t.Errorf("page server's %s card lacks latest %s:\n%s", key, want, c)
		}
	}
	if v := run.Version; !strings.Contains(pageHTML, `data-version="`+strconv.FormatInt(v, 10)+`"`) || !strings.Contains(pageHTML, "Unknown product keys: nosuch.") {
		t.Errorf("page server page lacks version %d or the unknown key", v)
	}
	// serve shows the same page from the lake as the page server from the push
	// (but for the relative dates, which count from each request).
	base := a.serve()
	relative := regexp.MustCompile(`>[^<]*</time>`)
	if _, gw := getPage(t, base+products); relative.ReplaceAllString(gw, "></time>") != relative.ReplaceAllString(pageHTML, "></time>") {
		t.Errorf("serve's page differs from the page server's:\n%s\n----\n%s", gw, pageHTML)
	}
	_, feed := getPage(t, pageBase+"/feed.atom?products=vue")
	f, err := gofeed.NewParser().ParseString(feed)
	if err != nil || f.FeedType != "atom" || len(f.Items) < page.RecentCount || len(f.Items) > 2*page.RecentCount { // recent and stable

		t.Fatalf("page server feed: %v %+v", err, f)
	}
	// The same but for the links to themselves (absolute: each its own host).
	if _, gwFeed := getPage(t, base+"/feed.atom?products=vue"); strings.ReplaceAll(gwFeed, base, "") != strings.ReplaceAll(feed, pageBase, "") {
		t.Errorf("serve's feed differs from the page server's:\n%s\n----\n%s", gwFeed, feed)
	}

	// A new release upstream while the page server is down: the ingest commits,
	// its send step records the failure, serve shows the release, the page
	// server still the old one.
	when := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	gh.AddTag("vuejs/core", githubtest.Tag{Name: "v9.9.9", Date: when})
	gh.AddRelease("vuejs/core", githubtest.Release{TagName: "v9.9.9", PublishedAt: when})
	g.down()
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest with the page server down exit %d:\n%s", code, out)
	}
	run2 := lastRun(t, a.lake)
	if run2.Version != run.Version+1 || run2.Status == releaselake.RunFailed {
		t.Fatalf("ingest with the page server down: version %d status %s", run2.Version, run2.Status)
	}
	if s := sendStep(t, run2); !strings.Contains(s.Error, "not reached") {
		t.Fatalf("send step error %q, want the page server not reached", s.Error)
	}
	eventually(t, "serve shows 9.9.9", func() bool {
		_, html := getPage(t, base+"/?products=vue")
		return strings.Contains(cardHTML(t, html, "vue"), ">9.9.9</a>")
	})

	// The page server restarts from its disk, still on the old snapshot.
	pm.Close()
	_, pageBase = servePage(t, pageDir)
	if _, html := getPage(t, pageBase+products); html != pageHTML {
		t.Fatal("restarted page server does not serve its last snapshot")
	}
	g.up(pageBase)

	// The next run, with nothing new upstream, pushes what the page server lacks.
	if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, "version -1") {
		t.Fatalf("third ingest exit %d:\n%s", code, out)
	}
	if s := sendStep(t, lastRun(t, a.lake)); s.Error != "" {
		t.Fatalf("retry push failed: %s", s.Error)
	}
	_, html := getPage(t, pageBase+"/?products=vue")
	if !strings.Contains(cardHTML(t, html, "vue"), `>9.9.9</a> <span class="new">new</span>`) ||
		!strings.Contains(html, `data-version="`+strconv.FormatInt(run2.Version, 10)+`"`) {
		t.Fatalf("page server after the retried push:\n%s", cardHTML(t, html, "vue"))
	}
	// A run after that has nothing to send and sends nothing.
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("fourth ingest exit %d:\n%s", code, out)
	}
	if s := sendStep(t, lastRun(t, a.lake)); s.Error != "" {
		t.Fatalf("send with nothing new: %s", s.Error)
	}

	// Refusals: each has its status and leaves the page as it was.
	_, pageHTML2 := getPage(t, pageBase+products)
	store, err := page.OpenStore(pageDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	current, err := store.Latest()
	if err != nil || current == nil {
		t.Fatalf("page server stored nothing: %v", err)
	}
	body, _ := current.Encode()
	older := *current
	older.Version--
	olderBody, _ := older.Encode()
	now := time.Now()
	if code, out := pushSigned(t, pageBase, body, now, pageSecret); code != 200 || !strings.Contains(out, "unchanged") {
		t.Fatalf("same snapshot again: %d %s", code, out)
	}
	for _, c := range []struct {
		name string
		body []byte
		ts   time.Time
		key  string
		code int
	}{
		{"bad signature", body, now.Add(time.Millisecond), "not-the-secret", 401},
		{"stale timestamp", body, now.Add(-6 * time.Minute), pageSecret, 401},
		{"replay", body, now, pageSecret, 409},
		{"older snapshot", olderBody, now.Add(2 * time.Millisecond), pageSecret, 409},
		{"malformed", []byte(`{"version":`), now.Add(3 * time.Millisecond), pageSecret, 400},
	} {
		code, out := pushSigned(t, pageBase, c.body, c.ts, c.key)
		if code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, code, out, c.code)
		}
		if _, after := getPage(t, pageBase+products); after != pageHTML2 {
			t.Errorf("%s changed the page", c.name)
		}
	}

	// `releaselake push` pushes now; the page server has it already.
	code, out := a.run("push")
	if code != 0 || !strings.Contains(out, "pushed version "+strconv.FormatInt(run2.Version, 10)) || !strings.Contains(out, "unchanged") {
		t.Fatalf("push exit %d:\n%s", code, out)
	}
	// So does the pushPage mutation.
	body, _ = json.Marshal(map[string]string{"query": `mutation { pushPage { version pushed status message } }`})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+pushAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var mut struct {
		Data struct {
			PushPage struct {
				Version int64
				Pushed  bool
				Status  int
				Message string
			}
		}
		Errors []any
	}
	json.NewDecoder(resp.Body).Decode(&mut)
	resp.Body.Close()
	if p := mut.Data.PushPage; !p.Pushed || p.Version != run2.Version || p.Status != 200 || len(mut.Errors) > 0 {
		t.Fatalf("pushPage mutation: %+v", mut)
	}
	g.down()
	if code, out := a.run("push"); code != 1 || !strings.Contains(out, "not reached") {
		t.Fatalf("push to a page server that is down: exit %d:\n%s", code, out)
	}
}

func TestPush_configuration(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{[]string{"push", "-lake", dir}, nil, 2, "RELEASELAKE_PAGE_URL is not set: want the page server's base URL"},
		{[]string{"push", "-lake", dir}, map[string]string{"RELEASELAKE_PAGE_URL": "http://127.0.0.1:1"}, 2, "RELEASELAKE_PAGE_URL is set but RELEASELAKE_PAGE_SECRET is not"},
		{[]string{"push", "-lake", dir, "-page-url", "ftp://x"}, map[string]string{"RELEASELAKE_PAGE_SECRET": "s"}, 2, `-page-url "ftp://x": want http(s)://`},
		{[]string{"push", "-lake", dir, "-page-url", "http://127.0.0.1:1"}, map[string]string{"RELEASELAKE_PAGE_SECRET": "s"}, 1, "nothing to push"},
		{[]string{"page", "-addr", "127.0.0.1:0", "-dir", dir}, nil, 2, "RELEASELAKE_PAGE_SECRET is not set"},
		{[]string{"page", "-lake", dir}, nil, 2, "unknown flag -lake (see releaselake page -h)"},
	}
	for _, tc := range cases {
		a := &app{t: t, env: tc.env}
		code, out := a.run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v %v: exit %d, want %d with %q:\n%s", tc.args, tc.env, code, tc.code, tc.want, out)
		}
	}
}

func TestPage_exitsZeroOnSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out bytes.Buffer
	env := map[string]string{"RELEASELAKE_PAGE_SECRET": "s", "RELEASELAKE_PAGE_DIR": t.TempDir()}
	go func() {
		done <- Run(ctx, []string{"page", "-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard, &syncWriter{w: &out})
	}()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("page exit %d:\n%s", code, out.String())
	}
}

// syncWriter lets the page server's log and the test share a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// String returns what was written, when w is a Stringer (a bytes.Buffer).
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.w)
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
	}
}
