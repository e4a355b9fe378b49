package page

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// ?products= naming more keys than MaxProductKeys (and the catalog) is 400,
// on the page and the feed; as many as that still renders.
func TestHandler_productsParamIsBounded(t *testing.T) {
	snap := testSnapshot(t)
	keys := make([]string, MaxProductKeys+1)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	over := strings.Join(keys, ",")
	for _, h := range []interface {
		ServeHTTP(w http.ResponseWriter, r *http.Request)
	}{handler(snap), &Feed{Snapshot: func() *Snapshot { return snap }}} {
		if code, body := get(h, "/?products="+over); code != 400 || !strings.Contains(body, "at most 1000") {
			t.Fatalf("%d keys: %d %.100s", len(keys), code, body)
		}
		if code, _ := get(h, "/?products="+strings.Join(keys[:MaxProductKeys], ",")); code != 200 {
			t.Fatalf("%d keys: %d", MaxProductKeys, code)
		}
	}
}

// Everything a client puts in the query of the page or the feed is bounded,
// asked over HTTP of the page server after a push: too many or too long keys
// and an unknown or huge ?sort= are 400, never a page that echoes them.
func TestServer_queryParamsAreBounded(t *testing.T) {
	ps := newPageServer(t, t.TempDir())
	if code, r := ps.do(signed(encode(t, testSnapshot(t)), ps.now, secret)); code != 200 {
		t.Fatalf("push: %d %+v", code, r)
	}
	srv := httptest.NewServer(ps.srv)
	defer srv.Close()
	fetch := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(b)
	}
	long := strings.Repeat("k", MaxKeyBytes+1)
	many := strings.TrimSuffix(strings.Repeat("x,", MaxProductKeys+1), ",")
	for _, c := range []struct {
		query, want string
		code        int
	}{
		{"products=" + long, "at most 200", 400},
		{"products=vue," + many, "at most 1000", 400},
		{"sort=bogus", "?sort= is one of category, updated, name", 400},
		{"sort=" + strings.Repeat("n", 64<<10), "?sort= is one of", 400},
		{"products=" + strings.Repeat("k", MaxKeyBytes), "Unknown product keys", 200},
		{"sort=name&products=VUE,React", `data-product="react"`, 200},
	} {
		for _, path := range []string{"/", "/feed.atom"} {
			if path == "/feed.atom" && strings.HasPrefix(c.query, "sort=") {
				continue // the feed is newest first, whatever ?sort= says
			}
			code, body := fetch(path + "?" + c.query)
			want := c.want
			if path == "/feed.atom" && code == 200 {
				want = "<feed"
			}
			if code != c.code || !strings.Contains(body, want) {
				t.Errorf("%s?%.60s: %d %.200q, want %d with %q", path, c.query, code, body, c.code, want)
			}
			if code == 400 && strings.Contains(body, url.QueryEscape(long)) {
				t.Errorf("%s?%.60s: the refusal echoes the key", path, c.query)
			}
		}
	}
}
