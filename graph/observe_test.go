package graph

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// observed collects what Options.Observe is told.
type observed struct {
	mu  sync.Mutex
	got []string // "op outcome"
}

func (o *observed) observe(op, outcome string, elapsed time.Duration) {
	if elapsed <= 0 {
		op += " (no time)"
	}
	o.mu.Lock()
	o.got = append(o.got, op+" "+outcome)
	o.mu.Unlock()
}

// take returns what was observed since the last take. An observation is made
// once the answer is written, so the client may read it first: wait for n.
func (o *observed) take(t *testing.T, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		o.mu.Lock()
		if len(o.got) >= n || time.Now().After(deadline) {
			got := o.got
			o.got = nil
			o.mu.Unlock()
			return got
		}
		o.mu.Unlock()
	}
}

// Options.Observe hears of every request once, with the operation name the
// request gave and its outcome, whichever path answered it: gqlgen, the
// direct path, the response cache, a 304, or a refusal before any of them.
func TestObserve_everyPathReportsTheOperationAndOutcome(t *testing.T) {
	var obs observed
	s := serve(t, Options{Observe: obs.observe, AdminToken: "secret", CORSOrigins: []string{"https://app.example.com"}})
	named := `{"query":"query Recent($p: [String!]) { releases(products: $p, first: 2) { nodes { tag } } }","operationName":"Recent","variables":{"p":["a"]}}`

	cases := []struct {
		name    string
		method  string
		body    string
		header  map[string]string
		repeat  int
		want    string // each time
		wantHit bool   // the direct path answered, at least the last time
	}{
		// gqlgen parses it the first time, the direct path answers the
		// second, the response cache the third and fourth.
		{"named query", "POST", named, nil, 4, "Recent ok", true},
		{"anonymous query", "POST", `{"query":"{ lake { version } }"}`, nil, 1, " ok", false},
		{"validation error", "POST", `{"query":"query Nope { nope }","operationName":"Nope"}`, nil, 1, "Nope error", false},
		{"unknown product", "POST", `{"query":"query U { releases(products: [\"zz\"]) { totalCount } }"}`, nil, 1, " error", false},
		{"not JSON", "POST", `{"query":`, nil, 1, " error", false},
		{"mutation without the token", "POST", `{"query":"mutation Push { pushPage { pushed } }","operationName":"Push"}`, nil, 1, "Push error", false},
		{"mutation with the token", "POST", `{"query":"mutation Push { pushPage { pushed } }","operationName":"Push"}`, map[string]string{"Authorization": "Bearer secret"}, 1, "Push ok", false},
	}
	for _, c := range cases {
		for range c.repeat {
			do(t, c.method, s.URL, c.body, c.header)
		}
		got := obs.take(t, c.repeat)
		want := slices.Repeat([]string{c.want}, c.repeat)
		if !slices.Equal(got, want) {
			t.Errorf("%s: observed %q, want %q", c.name, got, want)
		}
	}
	if s.hits() == 0 {
		t.Error("the direct path answered nothing: the named query did not take every path")
	}

	// A form post (415), a GET with its ETag (304), and a CORS preflight,
	// which is not a GraphQL request and is not observed.
	req, _ := http.NewRequest("POST", s.URL, strings.NewReader("query=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("form post: %v %v", resp, err)
	}
	u := getURL(s.URL, `query Tags { releases(first: 1) { nodes { tag } } }`, nil) + "&operationName=Tags"
	resp, _ := do(t, "GET", u, "", nil)
	do(t, "GET", u, "", map[string]string{"If-None-Match": resp.Header.Get("ETag")})
	do(t, "OPTIONS", s.URL, "", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
	if got, want := obs.take(t, 3), []string{" error", "Tags ok", "Tags notmodified"}; !slices.Equal(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}
	time.Sleep(50 * time.Millisecond)
	if got := obs.take(t, 0); len(got) != 0 {
		t.Errorf("a preflight was observed: %q", got)
	}
}
