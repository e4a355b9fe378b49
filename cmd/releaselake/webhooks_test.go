package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/ingest/webhook"
	"github.com/releaselake/releaselake/ingest/webhook/webhooktest"
	"github.com/releaselake/releaselake/lake"
)

// Real ingests (each a new process of the binary on the same lake) against the fake GitHub deliver to two local receivers: a signed JSON
// target of GA releases, and a Slack target that takes prereleases too. The
// lake's first version is not sent; a version the JSON receiver was down for
// is delivered by the next run, in order; a run after that sends nothing
// again.
func TestIngest_webhooksDeliverOnceInOrder(t *testing.T) {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    github: pallets/flask\n"), 0o644)
	const secret = "s3cret-of-the-json-target"
	jsonRecv, slackRecv := webhooktest.New(t, secret), webhooktest.New(t, "")
	hooks := filepath.Join(dir, "webhooks.yaml")
	os.WriteFile(hooks, []byte(fmt.Sprintf(`targets:
  - url: %s
    secret: %s
    products: [flask]
  - url: %s
    format: slack
    prerelease: true
`, jsonRecv.URL, secret, slackRecv.URL)), 0o600)
	lakeDir := filepath.Join(dir, "lake")
	a := &app{t: t, lake: lakeDir, env: map[string]string{"RELEASELAKE_LAKE": lakeDir, "RELEASELAKE_CATALOG": catalog,
		"RELEASELAKE_WEBHOOKS": hooks, "GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}}
	// Each ingest is a new process of the real binary: a restart each time.
	ingest := func(version int) string {
		t.Helper()
		code, out, logs := runBinary(t, dir, a.env, "ingest")
		if code != 0 || !strings.Contains(out, fmt.Sprintf("version %d,", version)) {
			t.Fatalf("ingest: exit %d, want version %d\n%s\n%s", code, version, out, logs)
		}
		if strings.Contains(out+logs, secret) || strings.Contains(out+logs, "/hook") {
			t.Fatalf("the output or log shows a secret or a target's URL:\n%s\n%s", out, logs)
		}
		return logs
	}
	at := time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)

	ingest(0) // the lake's first version: every release, sent to no one
	if n := len(jsonRecv.Deliveries()) + len(slackRecv.Deliveries()); n != 0 {
		t.Fatalf("the lake's first version was delivered %d times", n)
	}
	gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.0", PublishedAt: at, CreatedAt: at, IsPrerelease: true})
	ingest(1) // a prerelease: for the Slack target only
	jsonRecv.Down()
	gh.EditRelease("pallets/flask", "9.0.0", func(r *githubtest.Release) { r.IsPrerelease = false })
	// GA while the JSON receiver is down: the run succeeds, its log and record say so.
	if logs := ingest(2); !strings.Contains(logs, "webhooks failed; retried on the next run") {
		t.Fatalf("the log does not tell of the failed delivery:\n%s", logs)
	}
	s := lake.Open(mustFS(t, lakeDir))
	defer s.Close()
	runs, err := s.Runs(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if step := stepNamed(runs[0], "webhooks"); !strings.Contains(step, "not reached") || strings.Contains(step, secret) || strings.Contains(step, jsonRecv.URL) {
		t.Fatalf("run record's webhooks step = %q, want the JSON target not reached (and no URL or secret)", step)
	}
	jsonRecv.Up(t)
	gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.1", PublishedAt: at.Add(time.Hour), CreatedAt: at.Add(time.Hour)})
	ingest(3)  // the missed v2, then v3
	ingest(-1) // nothing new: nothing sent again
	runs, _ = s.Runs(context.Background(), 1)
	if step := stepNamed(runs[0], "webhooks"); step != "" {
		t.Fatalf("webhooks step of the last run failed: %s", step)
	}
	// One more in a process whose metrics are read: each target's POST
	// counted as delivered, and neither behind.
	gh.AddRelease("pallets/flask", githubtest.Release{TagName: "9.0.2", PublishedAt: at.Add(2 * time.Hour), CreatedAt: at.Add(2 * time.Hour)})
	m := openMain(t, io.Discard, a.getenv, "ingest")
	defer m.Close()
	if run, err := m.Ingest(context.Background(), "cli", nil); err != nil || run.Version != 4 {
		t.Fatalf("ingest: version %d, %v", run.Version, err)
	}
	rec := httptest.NewRecorder()
	m.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, tg := range []*webhooktest.Receiver{jsonRecv, slackRecv} {
		id := strings.TrimSuffix(tg.Deliveries()[0].ID, "-2")
		id = strings.TrimSuffix(id, "-1")
		for _, line := range []string{
			fmt.Sprintf(`releaselake_webhook_deliveries_total{outcome="delivered",target=%q} 1`, id),
			fmt.Sprintf(`releaselake_webhook_deliveries_total{outcome="failed",target=%q} 0`, id),
			fmt.Sprintf(`releaselake_webhook_undelivered_versions{target=%q} 0`, id),
		} {
			if !strings.Contains(rec.Body.String(), line+"\n") {
				t.Errorf("/metrics lacks %s", line)
			}
		}
	}

	var got []string
	for _, d := range jsonRecv.Deliveries() {
		if d.SignatureErr != nil {
			t.Errorf("delivery %s: signature: %v", d.ID, d.SignatureErr)
		}
		var b webhook.Body
		if err := json.Unmarshal(d.Body, &b); err != nil {
			t.Fatalf("JSON body: %v\n%s", err, d.Body)
		}
		for _, r := range b.Releases {
			got = append(got, fmt.Sprintf("json %s v%d %s/%s %s", d.ID[len(d.ID)-2:], b.Version, r.Product, r.Tag, r.Change))
		}
	}
	for _, d := range slackRecv.Deliveries() {
		if err := webhooktest.CheckSlack(d.Body); err != nil {
			t.Errorf("Slack body: %v\n%s", err, d.Body)
		}
		var m struct{ Text string }
		json.Unmarshal(d.Body, &m)
		got = append(got, "slack "+d.ID[len(d.ID)-2:]+" "+m.Text)
	}
	want := []string{
		"json -2 v2 flask/9.0.0 ga",
		"json -3 v3 flask/9.0.1 new",
		"json -4 v4 flask/9.0.2 new",
		"slack -1 1 release: flask 9.0.0",
		"slack -2 1 release: flask 9.0.0",
		"slack -3 1 release: flask 9.0.1",
		"slack -4 1 release: flask 9.0.2",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("deliveries:\n got  %q\n want %q", got, want)
	}
}

// stepNamed returns the error of run's step name ("" if it did not fail).
func stepNamed(run releaselake.Run, name string) string {
	for _, s := range run.Steps {
		if s.Name == name {
			return s.Error
		}
	}
	return ""
}

// A webhooks file that names a product the catalog does not have stops the
// command at start, exit 2, naming the variable, the file and the line, and
// never the secret.
func TestIngest_webhooksFileCheckedAtStart(t *testing.T) {
	dir := t.TempDir()
	hooks := filepath.Join(dir, "webhooks.yaml")
	os.WriteFile(hooks, []byte("targets:\n  - url: https://hooks.example/a\n    secret: s3cret-in-the-file\n  - url: https://hooks.example/b\n    secret: s3cret-in-the-file\n    products: [no-such-product]\n"), 0o600)
	a := &app{t: t, lake: filepath.Join(dir, "lake"), env: map[string]string{"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "RELEASELAKE_WEBHOOKS": hooks}}
	code, out := a.run("ingest")
	want := "releaselake ingest: RELEASELAKE_WEBHOOKS: " + hooks + ":4: products: \"no-such-product\" is not a catalog product key"
	if code != 2 || !strings.Contains(out, want) || strings.Contains(out, "s3cret") {
		t.Fatalf("exit %d, output:\n%s\nwant exit 2 and %q", code, out, want)
	}
	a.env["RELEASELAKE_WEBHOOKS"] = filepath.Join(dir, "missing.yaml")
	if code, out := a.run("serve"); code != 2 || !strings.Contains(out, "cannot read the webhooks file: open ") {
		t.Fatalf("a missing file: exit %d\n%s", code, out)
	}
}
