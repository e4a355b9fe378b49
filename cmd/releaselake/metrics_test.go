package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"sigs.k8s.io/yaml"
)

func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return string(b)
}

// /metrics on the serve listener: gauges from start-up, then what a run, a
// query and the lake did; and every metric the example alerts and dashboard
// use exists.
func TestMetrics_serveExposesWhatOperatorsWatch(t *testing.T) {
	m := metricsMain(t, metricsEnv(t), "serve", "-addr", "127.0.0.1:0", "-schedule", "off")
	start := scrapeHandler(m)
	for _, want := range []string{"releaselake_index_version -1", "releaselake_index_rows 0", `releaselake_ingest_runs_total{status="failed"} 0`, "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(start, want) {
			t.Errorf("at start-up /metrics lacks %q", want)
		}
	}
	if _, err := m.Ingest(context.Background(), "test", nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := "http://" + m.Addr()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready")
		}
	}
	body, _ := json.Marshal(map[string]any{"query": "query Latest { latest { version } }", "operationName": "Latest"})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, _ = http.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{ nope }"}`))
	resp.Body.Close()
	// A request is counted once its answer is written, so the scrape may come first: poll.
	want := []string{
		`releaselake_index_version 0`,
		`releaselake_ingest_runs_total\{status="partial"\} 1`,
		`releaselake_product_last_success_timestamp_seconds\{product="flask"\} \d`,
		`releaselake_source_requests_last_run\{source="github"\} 1`,
		`releaselake_source_rate_limit_remaining\{source="github"\} \d`,
		`releaselake_graphql_requests_total\{operation="Latest",outcome="ok"\} 1`,
		`releaselake_graphql_requests_total\{operation="anonymous",outcome="error"\} 1`,
		`releaselake_graphql_fastpath_fallbacks_total\{path="direct",reason="new_query"\} [1-9]`,
		`releaselake_graphql_fastpath_panics_total 0`,
		`releaselake_lake_fs_operation_duration_seconds_count\{backend="local",op="publish"\} \d`,
	}
	var got string
	var missing []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, missing = scrape(t, base), nil
		for _, re := range want {
			if !regexp.MustCompile(`(?m)^` + re).MatchString(got) {
				missing = append(missing, re)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, re := range missing {
		t.Errorf("/metrics lacks %s", re)
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", regexp.MustCompile(`(?m)^releaselake_graphql_requests.*$`).FindAllString(got, -1))
	}
	if strings.Contains(got, `product="nope"`) {
		t.Error("a product that failed has a last-success time")
	}

	// The example alerts and dashboard name only metrics that exist.
	var names []string
	rules, err := os.ReadFile("../../deploy/monitoring/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr, For string
				Labels           map[string]string
				Annotations      map[string]string
			}
		}
	}
	if err := yaml.UnmarshalStrict(rules, &doc); err != nil {
		t.Fatal(err)
	}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			names = append(names, regexp.MustCompile(`\b(?:releaselake|go|process)_[a-z_]+`).FindAllString(r.Expr, -1)...)
		}
	}
	dash, err := os.ReadFile("../../deploy/monitoring/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(dash) {
		t.Fatal("dashboard is not JSON")
	}
	names = append(names, regexp.MustCompile(`\b(?:releaselake|go|process)_[a-z_]+`).FindAllString(string(dash), -1)...)
	if len(names) < 10 {
		t.Fatalf("found only %d metric names in the alerts and dashboard", len(names))
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
		if !strings.Contains(got, "# TYPE "+base+" ") {
			t.Errorf("alerts or dashboard use %s, which /metrics does not have", n)
		}
	}
}

// metricsEnv is the environment of the metrics tests: a temp lake, the fake
// GitHub, and a catalog of a product it has (flask) and one it has not (nope).
func metricsEnv(t *testing.T) map[string]string {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: flask\n    github: pallets/flask\n  - key: nope\n    github: pallets/nope\n"), 0o644)
	return map[string]string{"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "RELEASELAKE_CATALOG": catalog,
		"GITHUB_TOKEN": gh.Token, "GITHUB_GRAPHQL_URL": gh.URL}
}

// metricsMain is a Main opened for cmd with args over env.
func metricsMain(t *testing.T, env map[string]string, cmd string, args ...string) *Main {
	return openMain(t, io.Discard, func(k string) string { return env[k] }, cmd, args...)
}

// scrapeHandler reads /metrics from a Main that is not listening yet.
func scrapeHandler(m *Main) string {
	rec := httptest.NewRecorder()
	m.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// A process that starts after runs were recorded (a restart, a rollout, or
// the replica that did not run the ingest) shows their gauges from the run
// records: otherwise no product would have a last success until it ran an
// ingest itself, and the staleness alerts could not fire. Counters stay at
// what this process counted.
func TestMetrics_gaugesComeFromTheRunRecords(t *testing.T) {
	env := metricsEnv(t)
	first := metricsMain(t, env, "ingest")
	run, err := first.Ingest(context.Background(), "test", nil)
	if err != nil || run.Status != "partial" {
		t.Fatalf("ingest: %v %+v", err, run)
	}
	first.Close()

	m := metricsMain(t, env, "serve", "-addr", "127.0.0.1:0", "-schedule", "off")
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ended := strconv.FormatFloat(float64(run.EndedAt.Unix()), 'g', -1, 64) // as the text format writes it
	want := []string{
		`releaselake_product_last_success_timestamp_seconds{product="flask"} ` + ended,
		`releaselake_ingest_last_run_timestamp_seconds{status="partial"} ` + ended,
		`releaselake_source_requests_last_run{source="github"} 1`,
		`releaselake_ingest_runs_total{status="partial"} 0`,
	}
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = scrape(t, "http://"+m.Addr())
		if strings.Contains(got, want[0]) {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	if strings.Contains(got, `product="nope"`) {
		t.Error("a product that failed has a last-success time")
	}

	// A product taken out of the catalog gets no gauge from old records: its
	// last success would only age, and the staleness alert fire for ever.
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(catalog, []byte("products:\n  - key: nope\n    github: pallets/nope\n"), 0o644)
	env["RELEASELAKE_CATALOG"] = catalog
	later := metricsMain(t, env, "serve", "-addr", "127.0.0.1:0", "-schedule", "off")
	if err := later.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = scrape(t, "http://"+later.Addr()); strings.Contains(got, want[1]) {
			break
		}
	}
	if !strings.Contains(got, want[1]) || strings.Contains(got, `product="flask"`) {
		t.Errorf("with flask out of the catalog: last run seeded %v, flask shown %v", strings.Contains(got, want[1]), strings.Contains(got, `product="flask"`))
	}
}
