package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// acceptedAuditFindings are the graphql-http audit results other than ok that
// docs/contributing.md accepts, by audit id. Any other non-ok result fails the
// test, so the doc's list stays true.
var acceptedAuditFindings = map[string]string{
	// MAY: a body without "query" ({"qeury": ...}) is answered 200 with a
	// GRAPHQL_VALIDATION_FAILED error under application/json, like every other
	// request error (the SHOULD for application/json).
	"8764": "notice",
	"3E3A": "notice",
}

// The GraphQL over HTTP audit suite of the graphql-http npm package, run against
// the real server: no MUST may fail.
func TestGraphQL_graphqlHTTPAudit(t *testing.T) {
	dir := filepath.Join("..", "..", "scripts", "graphql-audit")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-http", "package.json")); err != nil {
		t.Fatalf("the graphql-http audit is not installed (make deps, or npm ci --prefix scripts/graphql-audit): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the graphql-http audit needs node: %v", err)
	}
	a := &app{t: t, lake: t.TempDir()}
	a.env = map[string]string{
		"RELEASELAKE_LAKE":         a.lake,
		"RELEASELAKE_ADMIN_TOKEN":  "audit-token",
		"RELEASELAKE_CORS_ORIGINS": "https://app.example.com",
	}
	base := a.serve()
	cmd := exec.Command(node, filepath.Join(dir, "audit.mjs"), base+"/graphql")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, stderr.String())
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct{ ID, Name, Status, Reason string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit output %q: %v", sc.Text(), err)
		}
		counts[r.Status]++
		switch {
		case r.Status == "ok":
		case r.Status == "error":
			t.Errorf("MUST failed: %s %s: %s", r.ID, r.Name, r.Reason)
		case acceptedAuditFindings[r.ID] != r.Status:
			t.Errorf("%s not accepted in docs/contributing.md: %s %s: %s", r.Status, r.ID, r.Name, r.Reason)
		}
	}
	if counts["ok"] < 40 {
		t.Fatalf("only %d audits passed: %s", counts["ok"], out)
	}
	t.Logf("graphql-http audit: %v", counts)
}

// The gateway as deployed: GraphiQL from embedded assets, caching headers,
// mutations behind the admin token, runIngest, and time travel over a real lake.
func TestGraphQL_servedByTheRealServer(t *testing.T) {
	gh := githubtest.NewServer(t)
	a := &app{t: t, lake: t.TempDir()}
	a.env = map[string]string{
		"RELEASELAKE_LAKE":        a.lake,
		"GITHUB_TOKEN":            gh.Token,
		"GITHUB_GRAPHQL_URL":      gh.URL,
		"RELEASELAKE_ADMIN_TOKEN": "s3cret",
	}
	before := time.Now().UTC()
	if code, out := a.run("ingest"); code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, out)
	}
	base := a.serve()

	// GraphiQL: the page and every asset it names come from this server.
	resp, err := http.Get(base + "/graphiql")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(page, []byte("cdn.")) {
		t.Fatalf("/graphiql: %d, loads from a CDN: %v", resp.StatusCode, bytes.Contains(page, []byte("cdn.")))
	}
	assets := regexp.MustCompile(`(?:src|href)="(/graphiql/assets/[^"]+)"`).FindAllSubmatch(page, -1)
	if len(assets) != 6 {
		t.Fatalf("%d assets in the page:\n%s", len(assets), page)
	}
	for _, m := range assets {
		resp, err := http.Get(base + string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 1000 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d, %d bytes, Cache-Control %q", m[1], resp.StatusCode, n, resp.Header.Get("Cache-Control"))
		}
	}

	// A GET query: ETag of the lake version, then 304.
	u := base + "/graphql?query=" + strings.ReplaceAll(`{ releases(products: ["react"], first: 5) { totalCount nodes { version } } }`, " ", "%20")
	resp, err = http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"v0-`) || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("ETag %q Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	// Time travel: now is version 0; before the first commit there was nothing.
	var now, then struct {
		Releases struct{ TotalCount int }
	}
	query(t, base, `{ releases { totalCount } }`, nil, &now)
	query(t, base, `query($t: DateTime) { releases(asOf: $t) { totalCount } }`, map[string]any{"t": time.Now().UTC().Format(time.RFC3339Nano)}, &then)
	if now.Releases.TotalCount == 0 || then.Releases.TotalCount != now.Releases.TotalCount {
		t.Fatalf("asOf now: %d releases, now %d", then.Releases.TotalCount, now.Releases.TotalCount)
	}
	r := query(t, base, `query($t: DateTime) { latest(asOf: $t) { version } }`, map[string]any{"t": before.Add(-time.Hour).Format(time.RFC3339)}, nil)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "NOT_FOUND" {
		t.Fatalf("asOf before the first commit: %+v", r.Errors)
	}

	// Mutations: refused without the token, run with it.
	mutate := func(q, token string) gqlResponse {
		body, _ := json.Marshal(map[string]string{"query": q})
		req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var g gqlResponse
		json.NewDecoder(resp.Body).Decode(&g)
		return g
	}
	for _, token := range []string{"", "wrong"} {
		if g := mutate(`mutation { runIngest { id } }`, token); len(g.Errors) == 0 || g.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Fatalf("token %q: %+v", token, g)
		}
	}
	if g := mutate(`mutation { pushPage { pushed } }`, "s3cret"); len(g.Errors) == 0 || g.Errors[0].Extensions["code"] != "UNAVAILABLE" ||
		!strings.Contains(g.Errors[0].Message, "RELEASELAKE_PAGE_URL") {
		t.Fatalf("pushPage without a page server: %+v", g)
	}
	g := mutate(`mutation { runIngest(products: ["react"]) { id status trigger } }`, "s3cret")
	var started struct {
		RunIngest struct{ ID, Status, Trigger string }
	}
	if len(g.Errors) > 0 || json.Unmarshal(g.Data, &started) != nil || started.RunIngest.Trigger != "mutation" {
		t.Fatalf("runIngest: %s %+v", g.Data, g.Errors)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		var runs struct {
			IngestRuns []struct{ ID, Status string }
		}
		query(t, base, `{ ingestRuns(last: 1) { id status } }`, nil, &runs)
		if len(runs.IngestRuns) == 1 && runs.IngestRuns[0].ID == started.RunIngest.ID && runs.IngestRuns[0].Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish: %+v", runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
