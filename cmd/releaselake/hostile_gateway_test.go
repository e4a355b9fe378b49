package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

// The gateway's budgets (docs/security.md, "The gateway"), each tried as an
// attacker would through the real server over a 200k-row lake with nine
// versions: the answer is a clear error, the server's Go heap stays under a
// stated bound, and a normal query answers during the attack and after.

// hostileRows and hostileVersions make the lake: every version holds all
// the rows, as an ingest's commit does.
const (
	hostileRows     = 200_000
	hostileVersions = 9
	hostileHeapMax  = 300 << 20 // growth of the Go heap an attack may cause
)

// hostileLake generates hostileRows releases of 200 products and commits
// them hostileVersions times, an hour apart ending a day ago; it returns the
// environment serve needs and the commit times, oldest first.
func hostileLake(t *testing.T) (map[string]string, []time.Time) {
	t.Helper()
	dir := t.TempDir()
	gen := &app{t: t, env: map[string]string{
		"RELEASELAKE_LAKE": filepath.Join(dir, "gen"), "RELEASELAKE_CATALOG": filepath.Join(dir, "catalog.yaml")}}
	if code, out := gen.run("gen", "-products", "200", "-releases", fmt.Sprint(hostileRows), "-seed", "17", "-out", dir); code != 0 {
		t.Fatalf("gen: %s", out)
	}
	if code, out := gen.run("rebuild"); code != 0 {
		t.Fatalf("rebuild: %s", out)
	}
	ctx := context.Background()
	snap, err := lake.Open(localfs.New(filepath.Join(dir, "gen"))).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := lake.Open(localfs.New(filepath.Join(dir, "lake")))
	start := time.Now().Add(-time.Duration(hostileVersions+24) * time.Hour).Truncate(time.Hour)
	var times []time.Time
	for i := range hostileVersions {
		at := start.Add(time.Duration(i) * time.Hour)
		if _, err := store.Commit(ctx, int64(i)-1, snap.Releases, releaselake.CommitInfo{RunID: fmt.Sprint("hostile", i), Operation: "INGEST", At: at}); err != nil {
			t.Fatal(err)
		}
		times = append(times, at)
	}
	return map[string]string{"RELEASELAKE_LAKE": filepath.Join(dir, "lake"), "RELEASELAKE_CATALOG": filepath.Join(dir, "catalog.yaml")}, times
}

// hostileServe starts serve in this process with env.
func hostileServe(t *testing.T, env map[string]string) (*Main, string) {
	t.Helper()
	a := &app{t: t, env: env}
	m := openMain(t, io.Discard, a.getenv, "serve", "-addr", "127.0.0.1:0", "-schedule", "off", "-poll", "1s")
	if err := m.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	base := "http://" + m.Addr()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return m, base
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 20s")
		}
	}
}

// heapPeak samples the Go heap (bytes in heap objects, live or not yet
// swept) every 5 ms until stop is called, which returns the peak.
func heapPeak() (stop func() uint64) {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			rtmetrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-exited; return peak.Load() }
}

// heapNow is the Go heap after a collection.
func heapNow() uint64 {
	runtime.GC()
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}

// normalQueries asks a normal query in a loop until stop is called, which
// returns how many answered and the first failure.
func normalQueries(base string) (stop func() (int, error)) {
	var ok atomic.Int64
	var first atomic.Pointer[error]
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, body, err := post(base, `{"query":"{ releases(first: 3) { totalCount nodes { tag } } }"}`); err != nil || !strings.Contains(body, `"totalCount":200000`) {
				if err == nil {
					err = fmt.Errorf("answer %.200s", body)
				}
				first.CompareAndSwap(nil, &err)
			} else {
				ok.Add(1)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	return func() (int, error) {
		close(done)
		wg.Wait()
		if e := first.Load(); e != nil {
			return int(ok.Load()), *e
		}
		return int(ok.Load()), nil
	}
}

// post sends a GraphQL POST body.
func post(base, body string) (int, string, error) {
	resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// attack sends body n times at once while a normal query runs, and checks
// each answer with check, the heap growth against hostileHeapMax and that
// the normal query answered throughout and after.
func attack(t *testing.T, base, body string, n int, check func(status int, answer string)) {
	t.Helper()
	before := heapNow()
	stopNormal := normalQueries(base)
	stopHeap := heapPeak()
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			status, answer, err := post(base, body)
			if err != nil {
				t.Error(err)
				return
			}
			check(status, answer)
		})
	}
	wg.Wait()
	took := time.Since(start)
	peak := stopHeap()
	answered, err := stopNormal()
	goal := []rtmetrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	rtmetrics.Read(goal)
	after := heapNow()
	t.Logf("%d attacks of %d bytes in %s: Go heap %d MiB before, peak %d MiB, goal %d MiB, %d MiB after a GC; %d normal answers during",
		n, len(body), took.Round(time.Millisecond), before>>20, peak>>20, goal[0].Value.Uint64()>>20, after>>20, answered)
	if g := goal[0].Value.Uint64(); g > peak+hostileHeapMax {
		t.Errorf("heap goal %d MiB after the attack: the pacing multiplies its garbage", g>>20)
	}
	if err != nil || answered == 0 {
		t.Errorf("normal query during the attack: %d answered, %v", answered, err)
	}
	if peak > before+hostileHeapMax {
		t.Errorf("Go heap peaked at %d MiB, %d MiB over the %d MiB before: the budget is %d MiB", peak>>20, (peak-before)>>20, before>>20, hostileHeapMax>>20)
	}
	if _, answer, err := post(base, `{"query":"{ releases(first: 3) { totalCount } }"}`); err != nil || !strings.Contains(answer, `"totalCount":200000`) {
		t.Errorf("normal query after the attack: %v %.200s", err, answer)
	}
}

// codesOf is the extensions.code of each error of a GraphQL answer.
func codesOf(answer string) []string {
	var r gqlResponse
	if json.Unmarshal([]byte(answer), &r) != nil {
		return []string{"not JSON"}
	}
	var codes []string
	for _, e := range r.Errors {
		codes = append(codes, fmt.Sprint(e.Extensions["code"]))
	}
	return codes
}

func TestHostileGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("a 200k-row lake")
	}
	env, times := hostileLake(t)
	_, base := hostileServe(t, env)

	// 1,500 aliased __schema fields in a 37 KB body answered 52 MB each.
	t.Run("introspection amplification", func(t *testing.T) {
		var q bytes.Buffer
		q.WriteString("query {")
		for i := range 1500 {
			fmt.Fprintf(&q, " a%d: __schema { ...F }", i)
		}
		q.WriteString(" } fragment F on __Schema { types { name kind fields { name args { name } type { name kind ofType { name } } } } }")
		body, _ := json.Marshal(map[string]string{"query": q.String()})
		attack(t, base, string(body), 3, func(status int, answer string) {
			if codes := codesOf(answer); len(codes) != 1 || codes[0] != "COMPLEXITY_LIMIT_EXCEEDED" || len(answer) > 1000 {
				t.Errorf("HTTP %d, %d bytes: %.300s", status, len(answer), answer)
			}
		})
	})

	// Eight aliases of latest(asOf:) at eight older versions loaded eight
	// 200k-row indexes at once.
	t.Run("asOf loads", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i, at := range times[:8] {
			fmt.Fprintf(&q, ` v%d: latest(asOf: "%s") { version tag }`, i, at.Add(30*time.Minute).Format(time.RFC3339))
		}
		q.WriteString(" }")
		body, _ := json.Marshal(map[string]string{"query": q.String()})
		attack(t, base, string(body), 2, func(status int, answer string) {
			for _, c := range codesOf(answer) {
				if c != "UNAVAILABLE" {
					t.Errorf("HTTP %d: %.300s", status, answer)
				}
			}
		})
	})

	// Search text of 600 KB took 3 s of CPU; 120k keys in ?products= 0.5 s.
	t.Run("search and products= sizes", func(t *testing.T) {
		words := strings.Repeat("word ", 120_000)
		body, _ := json.Marshal(map[string]any{"query": "query($q: String) { products(search: $q) { key } }", "variables": map[string]string{"q": words}})
		start := time.Now()
		status, answer, err := post(base, string(body))
		if err != nil || status != 413 && fmt.Sprint(codesOf(answer)) != "[BAD_USER_INPUT]" {
			t.Errorf("600 KB search: HTTP %d %v %.300s", status, err, answer)
		}
		keys := strings.TrimSuffix(strings.Repeat("k,", 120_000), ",")
		resp, err := http.Get(base + "/?products=" + keys)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("120k keys: HTTP %d", resp.StatusCode)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("refusing both took %s", took)
		}
	})

	// Answers over RELEASELAKE_MAX_RESPONSE_BYTES, from gqlgen's executor, the
	// direct path and the response cache alike, are RESPONSE_TOO_LARGE;
	// RELEASELAKE_METRICS_ADDR takes /metrics off the public listener.
	t.Run("answer size and metrics listener", func(t *testing.T) {
		env2 := map[string]string{"RELEASELAKE_MAX_RESPONSE_BYTES": "5000", "RELEASELAKE_METRICS_ADDR": "127.0.0.1:0"}
		for k, v := range env {
			env2[k] = v
		}
		m, base2 := hostileServe(t, env2)
		for _, q := range []string{
			`{ __schema { types { name description fields { name description type { name kind } } } } }`, // gqlgen's executor
			`{ releases(first: 100) { nodes { tag url publishedAt } } }`,                                 // fast path, then direct
			`{ releases(first: 100) { nodes { tag url publishedAt } } }`,                                 // direct path or cache
			`{ lake { version } releases(first: 100) { nodes { tag url publishedAt } } }`,                // fast path within gqlgen
		} {
			body, _ := json.Marshal(map[string]string{"query": q})
			status, answer, err := post(base2, string(body))
			if err != nil || status != 200 || fmt.Sprint(codesOf(answer)) != "[RESPONSE_TOO_LARGE]" {
				t.Errorf("%s: HTTP %d %v %.300s", q, status, err, answer)
			}
		}
		if _, answer, _ := post(base2, `{"query":"{ releases(first: 10) { nodes { tag } } }"}`); len(codesOf(answer)) != 0 {
			t.Errorf("a small answer: %.300s", answer)
		}
		for u, want := range map[string]int{base2 + "/metrics": 404, "http://" + m.metricsLn.Addr() + "/metrics": 200} {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s: HTTP %d, want %d", u, resp.StatusCode, want)
			}
		}
	})

	// HTML answers carry the security headers; GraphiQL's introspection
	// query still answers (TestBrowser_graphiqlRunsReleasesQuery runs it).
	t.Run("security headers", func(t *testing.T) {
		for _, path := range []string{"/", "/graphiql"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
				h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: %v", path, h)
			}
		}
	})
}
