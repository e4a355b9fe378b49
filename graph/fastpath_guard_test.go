package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/releaselake/releaselake/graph/fastpath"
	"github.com/releaselake/releaselake/serving"
)

// otherExtension is an extension the direct path does not know.
type otherExtension struct{}

func (otherExtension) ExtensionName() string                   { return "SomethingNew" }
func (otherExtension) Validate(graphql.ExecutableSchema) error { return nil }
func (otherExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(ctx)
}

func postTo(h http.Handler, query string) []byte {
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}

// The direct path skips gqlgen's extension chain, so an extension it does not
// know turns it off (and says so in the log); gqlgen, with the fast path
// within its executor, answers alike.
func TestDirectPath_offWithAnExtensionItDoesNotKnow(t *testing.T) {
	const q = `{ releases(first: 2) { totalCount nodes { tag } } }`
	for _, tc := range []struct {
		use  []graphql.HandlerExtension
		want bool // the direct path answers
	}{{nil, true}, {[]graphql.HandlerExtension{otherExtension{}}, false}} {
		var logged bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logged, nil))
		h, direct := counting(oddResolver(t), Options{Log: log, CacheBytes: -1}, shortcuts{use: tc.use}, false)
		first := postTo(h, q)
		for range 3 {
			if got := postTo(h, q); !bytes.Equal(got, first) {
				t.Fatalf("answers differ: %s, then %s", first, got)
			}
		}
		if answered := direct() > 0; answered != tc.want {
			t.Errorf("extensions %v: direct path answered %v, want %v", tc.use, answered, tc.want)
		}
		if mentioned := strings.Contains(logged.String(), "SomethingNew"); mentioned == tc.want {
			t.Errorf("extensions %v: log %q", tc.use, logged.String())
		}
	}
}

// A panic in the fast path is recovered: gqlgen answers, the fallback is
// counted each time, and it is logged once per query text.
func TestFastPath_panicsAreCountedAndLoggedOncePerQuery(t *testing.T) {
	r := oddResolver(t)
	r.AsOf = func(context.Context, time.Time) (*serving.Index, error) { panic("boom") }
	var logged bytes.Buffer
	var mu sync.Mutex
	reasons := map[string]int{}
	h := newHandler(r, Options{Log: slog.New(slog.NewTextHandler(&logged, nil)), CacheBytes: -1,
		FastPathFallback: func(path, reason string) {
			mu.Lock()
			reasons[path+" "+reason]++
			mu.Unlock()
		}}, shortcuts{})
	const q = `{ latest(asOf: "2026-01-02T00:00:00Z") { tag } }`
	for range 3 {
		if b := postTo(h, q); !bytes.Contains(b, []byte("INTERNAL_SERVER_ERROR")) {
			t.Fatalf("answer %s, want gqlgen's internal error", b)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// The first request is new to the direct path; the next two panic there,
	// then within the executor.
	if reasons[fastpath.PathDirect+" "+fastpath.ReasonNewQuery] != 1 || reasons["direct panic"] != 2 || reasons["executor panic"] != 3 {
		t.Errorf("fallbacks %v", reasons)
	}
	if n := strings.Count(logged.String(), "fast path panic"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logged.String())
	}
}

// An extension Used after the direct path was made turns it off too.
func TestDirectPath_offWhenAnUnknownExtensionIsUsedLater(t *testing.T) {
	r := oddResolver(t)
	srv := fastpath.NewServer(NewExecutableSchema(Config{Resolvers: r}), fastpath.NewDocs(10))
	srv.AddTransport(fastpath.POST{})
	fast := fastpath.New(fastSource{r}, fastpath.Options{})
	srv.Use(fast)
	direct := fast.Direct(srv)
	if direct == nil {
		t.Fatal("no direct path over a server with only the fast path")
	}
	const q = `{ releases(first: 1) { totalCount } }`
	postTo(srv, q) // gqlgen parses and keeps it
	answer := func() bool {
		body, _ := json.Marshal(map[string]any{"query": q})
		req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		_, _, ok := direct.Answer(req.Context(), req, body)
		return ok
	}
	if !answer() {
		t.Fatal("the direct path did not answer a query gqlgen has parsed")
	}
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response { return next(ctx) })
	if answer() {
		t.Fatal("the direct path answered after an unknown extension was Used")
	}
}
