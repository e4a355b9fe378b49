package main

import (
	"bufio"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// fixtureTag is one line of ../shared/fixtures/github/<owner>__<repo>.jsonl.
type fixtureTag struct {
	Tag  string    `json:"tag"`
	Date time.Time `json:"date"`
}

// fixtureTags reads a fixture file directly, so expectations are derived
// independently of the code under test.
func fixtureTags(t *testing.T, file string) []fixtureTag {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "fixtures", "github", file))
	if err != nil {
		t.Fatalf("fixtures are needed (../shared beside the repo): %v", err)
	}
	defer f.Close()
	var out []fixtureTag
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ft fixtureTag
		if err := json.Unmarshal(sc.Bytes(), &ft); err != nil {
			t.Fatal(err)
		}
		out = append(out, ft)
	}
	return out
}

// numeric returns the dot-separated numbers of s, or nil if s is anything else.
func numeric(s string) []int {
	var out []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// maxNumeric returns the greatest tag (after cutting prefix) that is purely numeric
// with at least minParts parts, by plain numeric comparison.
func maxNumeric(tags []fixtureTag, prefix string, minParts int) string {
	var best []int
	var bestTag string
	for _, ft := range tags {
		rest, ok := strings.CutPrefix(ft.Tag, prefix)
		n := numeric(rest)
		if !ok || len(n) < minParts {
			continue
		}
		if best == nil || slices.Compare(n, best) > 0 {
			best, bestTag = n, rest
		}
	}
	return bestTag
}

func TestMain_ingestThenServe_fromFakeGitHub(t *testing.T) {
	gh := githubtest.NewServer(t)
	a := &app{t: t, lake: t.TempDir()}
	a.env = map[string]string{
		"RELEASELAKE_LAKE":   a.lake,
		"GITHUB_TOKEN":       gh.Token,
		"GITHUB_GRAPHQL_URL": gh.URL,
	}
	// A lake never ingested is ready once read and found empty.
	base := a.serve()
	var empty struct{ Lake struct{ Version *int } }
	query(t, base, `{ lake { version } }`, nil, &empty)
	if empty.Lake.Version != nil {
		t.Fatalf("empty lake has version %d", *empty.Lake.Version)
	}
	// The default catalog: repositories without fixtures are NOT_FOUND at the fake,
	// which also shows that one product's failure does not stop the others.
	code, out := a.run("ingest")
	if code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	// The vendor page and feed are crawled too (and refused here: tests reach no host but 127.0.0.1).
	for _, want := range []string{"partial", "react failed", "tableau failed: page https://", "powerbi failed: feed https://"} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	// The server picks up the commit of another process without a restart.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var r struct{ Lake struct{ Version *int } }
		query(t, base, `{ lake { version } }`, nil, &r)
		if r.Lake.Version != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not pick up the ingest's commit")
		}
	}

	t.Run("kafka comes from tags", func(t *testing.T) {
		tags := fixtureTags(t, "apache__kafka.jsonl")
		want := map[string]time.Time{}
		for _, ft := range tags {
			// X.Y.Z[.W] releases and the two released betas (0.8.0-beta1, 0.8.2-beta);
			// not vote candidates (-rcN), kafka-*-candidate-*, tags/..., show.
			base, beta, isBeta := strings.Cut(ft.Tag, "-beta")
			plain := !isBeta && !strings.Contains(ft.Tag, "-")
			released := isBeta && (beta == "" || numeric(beta) != nil)
			if n := numeric(base); len(n) >= 3 && (plain || released) {
				want[ft.Tag] = ft.Date
			}
		}
		got, total := allReleases(t, base, "kafka", nil)
		if total != len(want) || len(got) != len(want) {
			t.Fatalf("kafka: totalCount %d, paged %d, want %d (tags that are versions)", total, len(got), len(want))
		}
		seen := map[string]bool{}
		for _, r := range got {
			if seen[r.Tag] {
				t.Errorf("tag %s twice across pages", r.Tag)
			}
			seen[r.Tag] = true
			d, ok := want[r.Tag]
			if !ok {
				t.Errorf("unexpected kafka row %s", r.Tag)
				continue
			}
			if r.Source != "github-tag" || r.Version != r.Tag || !r.PublishedAt.Equal(d) {
				t.Errorf("kafka %s: source %s version %s published %v, want github-tag, %s, %v", r.Tag, r.Source, r.Version, r.PublishedAt, r.Tag, d)
			}
		}
		// since filters on publishedAt >= since.
		since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		n := 0
		for _, d := range want {
			if !d.Before(since) {
				n++
			}
		}
		if _, total := allReleases(t, base, "kafka", &since); total != n {
			t.Errorf("kafka since 2020: totalCount %d, want %d", total, n)
		}
	})

	t.Run("latest by version order", func(t *testing.T) {
		var r struct {
			Latest []release
		}
		query(t, base, `query ($p: [String!]) { latest(products: $p) { product { key } version tag prerelease } }`,
			map[string]any{"p": []string{"flask", "kafka", "mybatis", "prometheus"}}, &r)
		want := map[string]string{
			"flask":   maxNumeric(fixtureTags(t, "pallets__flask.jsonl"), "", 2),
			"kafka":   maxNumeric(fixtureTags(t, "apache__kafka.jsonl"), "", 3),
			"mybatis": maxNumeric(fixtureTags(t, "mybatis__mybatis-3.jsonl"), "mybatis-", 3),
			// v0.3xx module twins must not beat v3.x
			"prometheus": maxNumeric(fixtureTags(t, "prometheus__prometheus.jsonl"), "v3.", 2),
		}
		want["prometheus"] = "3." + want["prometheus"]
		if len(r.Latest) != len(want) {
			t.Fatalf("latest returned %d products: %+v", len(r.Latest), r.Latest)
		}
		order := []string{"flask", "kafka", "mybatis", "prometheus"}
		for i, l := range r.Latest {
			if l.Product.Key != order[i] {
				t.Errorf("latest[%d] is %s, want %s (the order asked for)", i, l.Product.Key, order[i])
			}
			if l.Version != want[l.Product.Key] || l.Prerelease {
				t.Errorf("latest %s = %s (prerelease %v), want %s", l.Product.Key, l.Version, l.Prerelease, want[l.Product.Key])
			}
		}
	})

	t.Run("prometheus module twins are not versions", func(t *testing.T) {
		got, _ := allReleases(t, base, "prometheus", nil)
		if len(got) == 0 {
			t.Fatal("no prometheus releases")
		}
		for _, r := range got {
			// Real 0.x releases stop at 0.20.0 (2016); v0.21+ and v0.3NN tags are Go-module twins.
			if n := numeric(strings.SplitN(r.Version, "-", 2)[0]); len(n) == 3 && n[0] == 0 && n[1] > 20 {
				t.Errorf("module twin %s stored as a version", r.Tag)
			}
		}
	})

	t.Run("unknown product keys are named", func(t *testing.T) {
		r := query(t, base, releasesQuery, map[string]any{"p": []string{"flask", "nosuch", "zzz"}}, nil)
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "nosuch, zzz") || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Fatalf("errors %+v", r.Errors)
		}
	})

	t.Run("page shows requested products in order", func(t *testing.T) {
		resp, err := http.Get(base + "/?products=mybatis,kafka,nosuch")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		html := string(body)
		i, j := strings.Index(html, `data-product="mybatis"`), strings.Index(html, `data-product="kafka"`)
		if resp.StatusCode != 200 || i < 0 || j < i || strings.Contains(html, `data-product="flask"`) {
			t.Fatalf("page %d: mybatis at %d, kafka at %d:\n%s", resp.StatusCode, i, j, html)
		}
		if v := maxNumeric(fixtureTags(t, "mybatis__mybatis-3.jsonl"), "mybatis-", 3); !strings.Contains(html, ">"+v+"</a>") {
			t.Errorf("page lacks mybatis latest %s", v)
		}
		if !strings.Contains(html, "nosuch") {
			t.Error("page does not mention the unknown key")
		}
	})

	t.Run("graphiql", func(t *testing.T) {
		resp, err := http.Get(base + "/graphiql")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "graphiql") {
			t.Fatalf("graphiql: %d", resp.StatusCode)
		}
	})

	// A second run with nothing new upstream commits nothing and keeps firstSeenAt.
	var before struct {
		Lake struct {
			Version int
			Rows    int
		}
	}
	query(t, base, `{ lake { version rows } }`, nil, &before)
	first, _ := allReleases(t, base, "kafka", nil)
	requests := len(gh.Requests())
	code, out = a.run("ingest")
	// Nothing new upstream: the whole 49-product catalog costs at most 2 requests.
	if n := len(gh.Requests()) - requests; n > 2 {
		t.Errorf("a run with nothing new took %d GitHub requests", n)
	}
	if code != 0 {
		t.Fatalf("second ingest exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "version -1") {
		t.Errorf("second ingest should commit nothing:\n%s", out)
	}
	var after struct {
		Lake struct {
			Version int
			Rows    int
		}
		IngestRuns []struct {
			Status   string
			Version  *int
			Rows     int
			Failures []struct{ Product, Status string }
		}
	}
	query(t, base, `{ lake { version rows } ingestRuns(last: 5) { status version rows failures { product status } } }`, nil, &after)
	if after.Lake != before.Lake {
		t.Errorf("lake moved from %+v to %+v with nothing new upstream", before.Lake, after.Lake)
	}
	if len(after.IngestRuns) != 2 || after.IngestRuns[0].Version != nil || after.IngestRuns[1].Version == nil ||
		*after.IngestRuns[1].Version != before.Lake.Version || after.IngestRuns[0].Status != "partial" {
		t.Errorf("ingestRuns: %+v", after.IngestRuns)
	}
	second, _ := allReleases(t, base, "kafka", nil)
	for i := range first {
		if !first[i].FirstSeenAt.Equal(second[i].FirstSeenAt) {
			t.Fatalf("firstSeenAt of %s changed: %v -> %v", first[i].Tag, first[i].FirstSeenAt, second[i].FirstSeenAt)
		}
	}
}

func TestMain_withoutGitHubToken_saysSoEverywhere(t *testing.T) {
	a := &app{t: t, lake: t.TempDir()}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake}
	code, out := a.run("ingest")
	if code != 0 || !strings.Contains(out, "GITHUB_TOKEN is not set") {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	base := a.serve()
	var r struct {
		Lake struct {
			Version *int
			Rows    int
			Notices []string
		}
	}
	query(t, base, `{ lake { version rows notices } }`, nil, &r)
	// Without a token only the sources that need none have rows: queryme's embedded file.
	queryme, _ := allReleases(t, base, "queryme", nil)
	if r.Lake.Version == nil || len(queryme) == 0 || r.Lake.Rows != len(queryme) || len(r.Lake.Notices) != 1 || !strings.Contains(r.Lake.Notices[0], "GITHUB_TOKEN") {
		t.Fatalf("lake: %+v", r.Lake)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "GITHUB_TOKEN is not set") || strings.Count(string(body), "data-product=") != 49 {
		t.Errorf("page lacks the banner or the 49 products")
	}
}

func TestRun_badConfiguration(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(bad, []byte("products:\n  - key: a\n    github: o/a\n    pypi: a\n"), 0o644)
	cases := []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{[]string{"ingest", "-lake", dir, "-catalog", bad}, nil, 2, `-catalog: ` + bad + `: line 2: product "a": needs exactly one source`},
		{[]string{"ingest", "-lake", "s3://bucket/x"}, nil, 2, `-lake "s3://bucket/x": want a path`},
		{[]string{"frobnicate"}, nil, 2, `unknown command "frobnicate" (see releaselake -h)`},
		{[]string{"ingest", "-nosuchflag"}, nil, 2, "unknown flag -nosuchflag (see releaselake ingest -h)"},
		{[]string{"ingest", "-lake", dir, "-log", "JSON"}, nil, 2, `-log "JSON": want auto, text or json`},
		{[]string{"serve", "-lake", dir, "-log", "yaml"}, nil, 2, `-log "yaml": want auto, text or json`},
		{[]string{"ingest", "-lake", dir}, map[string]string{"GITHUB_TOKEN": "ghp_first\nghp_second"}, 2, "GITHUB_TOKEN holds a space or control character at byte 9"},
		{[]string{"serve", "-lake", dir}, map[string]string{"RELEASELAKE_ADMIN_TOKEN": "two words"}, 2, "RELEASELAKE_ADMIN_TOKEN holds a space or control character at byte 3"},
	}
	for _, tc := range cases {
		a := &app{t: t, env: map[string]string{}}
		maps.Copy(a.env, tc.env)
		code, out := a.run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.args, code, tc.code, tc.want, out)
		}
		for _, v := range tc.env {
			if strings.Contains(out, strings.Fields(v)[0]) {
				t.Errorf("%v: the output shows the token:\n%s", tc.args, out)
			}
		}
	}
}

// A catalog that does not parse is a configuration error for every command
// that reads one: exit 2, its one line naming the flag, file and line, before
// anything is logged (serve has begun reading the lake meanwhile).
func TestRun_badCatalogIsOneLineExit2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(bad, []byte("products:\n  - key: a\n    github: o/a\n    pypi: a\n"), 0o644)
	env := map[string]string{"RELEASELAKE_LAKE": dir, "RELEASELAKE_CATALOG": bad, "RELEASELAKE_LOG": "text",
		"RELEASELAKE_PAGE_URL": "http://127.0.0.1:1", "RELEASELAKE_PAGE_SECRET": "s", "RELEASELAKE_SCHEDULE": "off"}
	for _, cmd := range []string{"serve", "ingest", "push", "rebuild"} {
		a := &app{t: t, env: env}
		code, out := a.run(cmd)
		want := "releaselake " + cmd + ": RELEASELAKE_CATALOG: " + bad + ": line 2: product \"a\": needs exactly one source of github, pypi, npm, maven, feed, page, manual (has 2)\n"
		if code != 2 || out != want {
			t.Errorf("%s: exit %d:\n%s\nwant exit 2 and exactly:\n%s", cmd, code, out, want)
		}
	}
}

// A secret kept in a file (kubectl create secret --from-file, a Docker secret)
// usually ends in a newline. The program uses the token without it: otherwise
// every GitHub request fails (a newline is not allowed in a header) and no
// admin token ever matches.
func TestConfig_secretsEndingInNewline(t *testing.T) {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    github: pallets/flask\n"), 0o644)
	a := &app{t: t, lake: filepath.Join(dir, "lake")}
	a.env = map[string]string{"RELEASELAKE_LAKE": a.lake, "RELEASELAKE_CATALOG": catalog, "GITHUB_GRAPHQL_URL": gh.URL,
		"GITHUB_TOKEN": gh.Token + "\n", "RELEASELAKE_ADMIN_TOKEN": "admin-token\r\n"}
	if code, out := a.run("ingest"); code != 0 || !strings.Contains(out, ": succeeded,") {
		t.Errorf("ingest with a GITHUB_TOKEN ending in a newline: exit %d:\n%s", code, out)
	}
	base := a.serve()
	req, _ := http.NewRequest("POST", base+"/graphql", strings.NewReader(`{"query":"mutation { pushPage { pushed } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer admin-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqlResponse
	json.NewDecoder(resp.Body).Decode(&r)
	// No page server is configured, so the admitted mutation is UNAVAILABLE.
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAVAILABLE" {
		t.Errorf("pushPage with the admin token: %+v", r.Errors)
	}
}
