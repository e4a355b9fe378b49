package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph/fastpath"
	"github.com/releaselake/releaselake/serving"
)

// go test -fuzz=FuzzRequest ./graph: whatever arrives over HTTP, the handler
// answers (no panic) with JSON.
func FuzzRequest(f *testing.F) {
	for _, tc := range fastPathCases {
		b, _ := json.Marshal(map[string]any{"query": tc.query, "variables": tc.vars})
		f.Add(true, string(b), "application/json")
		f.Add(false, url.Values{"query": {tc.query}}.Encode(), "")
	}
	f.Add(true, `{"query": 1}`, "application/graphql-response+json")
	f.Add(true, `{"query":"{ releases { totalCount } }","variables":[]}`, "*/*")
	f.Add(true, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`, "")
	f.Add(false, "query=%7B&variables=%7B", "")
	f.Add(true, `{"query":"mutation { pushPage { pushed } }"}`, "")
	h := NewHandler(oddResolver(f), Options{AdminToken: "t", CacheBytes: 1 << 20})
	f.Fuzz(func(t *testing.T, post bool, payload, accept string) {
		var req *http.Request
		if post {
			req = httptest.NewRequest("POST", "/graphql", strings.NewReader(payload))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req = httptest.NewRequest("GET", "/graphql", nil)
			req.URL.RawQuery = payload
		}
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d answer is not JSON: %q", rec.Code, rec.Body.String())
		}
	})
}

// go test -fuzz=FuzzFastPath ./graph: for any query and variables, the fast
// path (and the direct path) answers exactly as gqlgen's executor.
func FuzzFastPath(f *testing.F) {
	for _, tc := range fastPathCases {
		v, _ := json.Marshal(tc.vars)
		f.Add(tc.query, string(v))
	}
	for _, dq := range directQueries {
		f.Add(dq.query, `{"p":["c","a"],"n":3,"yes":true,"k":"a","o":{"field":"VERSION"},"s":"2026-01-05T00:00:00Z"}`)
	}
	r := oddResolver(f)
	fast := NewHandler(r, Options{CacheBytes: -1})
	slow := newHandler(r, Options{CacheBytes: -1}, shortcuts{off: true})
	f.Fuzz(func(t *testing.T, query, vars string) {
		var v any
		if json.Unmarshal([]byte(vars), &v) != nil {
			v = nil
		}
		body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
		answer := func(h http.Handler) []byte {
			req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Body.Bytes()
		}
		// Twice through the fast handler: the first time gqlgen parses and
		// validates the query, the second the direct path may answer it.
		b := answer(slow)
		for range 2 {
			sameAnswer(t, answer(fast), b)
		}
	})
}

// sameAnswer fails unless the fast path's answer a is gqlgen's b.
func sameAnswer(t *testing.T, a, b []byte) {
	t.Helper()
	if !equalAnswers(a, b) {
		t.Fatalf("fast path differs:\nfast %s\nslow %s", a, b)
	}
}

// equalAnswers reports whether two answers are the same but for what gqlgen
// itself varies from run to run: it resolves fields concurrently, so several
// errors may come in any order, and gqlparser orders equally good "Did you
// mean" suggestions at random. Everything else must be byte for byte equal.
func equalAnswers(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	a, b = sortSuggestions(a), sortSuggestions(b)
	if bytes.Equal(a, b) {
		return true
	}
	var ra, rb struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	json.Unmarshal(a, &ra)
	json.Unmarshal(b, &rb)
	sortRaw := func(l []json.RawMessage) []string {
		var out []string
		for _, e := range l {
			out = append(out, string(e))
		}
		slices.Sort(out)
		return out
	}
	return len(ra.Errors) >= 2 && bytes.Equal(ra.Data, rb.Data) && reflect.DeepEqual(sortRaw(ra.Errors), sortRaw(rb.Errors))
}

var (
	suggestionsRe = regexp.MustCompile(`Did you mean [^?]*\?`)
	quotedRe      = regexp.MustCompile(`\\"[^\\]*\\"`)
)

// sortSuggestions puts the names of each "Did you mean" list in order, and
// drops a list of five: gqlparser keeps the five closest names, and which of
// those tied at the fifth place it keeps is its map's order (with
// ReleaseLine and ReleaseLineDepth one edit apart, the same query was told
// either), so such a list says nothing about the fast path.
func sortSuggestions(b []byte) []byte {
	return suggestionsRe.ReplaceAllFunc(b, func(m []byte) []byte {
		names := quotedRe.FindAll(m, -1)
		if len(names) >= 5 {
			return []byte("Did you mean one of five names?")
		}
		slices.SortFunc(names, bytes.Compare)
		return append([]byte("Did you mean "), bytes.Join(names, []byte(", "))...)
	})
}

// go test -fuzz=FuzzCursor ./graph: any string decodes without panic to a
// cursor or a BAD_USER_INPUT error, and cursors survive a round trip.
func FuzzCursor(f *testing.F) {
	for _, r := range oddRows()[:5] {
		f.Add(encodeCursor(serving.Sort{Key: serving.ByVersion, Asc: true}, &r))
	}
	f.Add("")
	f.Add("AQ")
	f.Add("AQAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		rel, srt, err := decodeCursor(s)
		if err != nil {
			if releaselake.ClassOf(err) != releaselake.Invalid {
				t.Fatalf("class %s", releaselake.ClassOf(err))
			}
			return
		}
		again, srt2, err := decodeCursor(encodeCursor(srt, &rel))
		if err != nil || srt2 != srt || !again.PublishedAt.Equal(rel.PublishedAt) || !again.FirstSeenAt.Equal(rel.FirstSeenAt) ||
			again.Product != rel.Product || again.Version != rel.Version || again.Tag != rel.Tag {
			t.Fatalf("round trip: %+v %v -> %+v %v (%v)", rel, srt, again, srt2, err)
		}
	})
}

// go test -fuzz=FuzzListArgs ./graph: argument values of any shape are read
// without panic, and what is read either makes a query or a BAD_USER_INPUT.
func FuzzListArgs(f *testing.F) {
	f.Add(`{"products":["a","b"],"since":"2026-01-01T00:00:00Z","first":5,"orderBy":{"field":"VERSION"}}`)
	f.Add(`{"products":"a","until":"2026-01-01T00:00:00.5+02:00","prerelease":true,"after":"AQ"}`)
	f.Add(`{"orderBy":{"field":"NOPE","direction":1},"first":-1,"asOf":3}`)
	f.Add(`{"products":[null],"first":1e100}`)
	f.Add(`{"last":3,"before":"AQ","seenSince":"2026-01-01"}`)
	f.Add(`{"first":3,"last":3,"after":"AQ","before":"AQ","seenSince":"2026-1-1"}`)
	r := oddResolver(f)
	f.Fuzz(func(t *testing.T, raw string) {
		d := json.NewDecoder(strings.NewReader(raw))
		d.UseNumber()
		var m map[string]any
		if d.Decode(&m) != nil {
			return
		}
		a, ok := readListArgs(fastpath.ArgMap(m))
		if !ok {
			return
		}
		if _, err := r.query(&a); err != nil && releaselake.ClassOf(err) != releaselake.Invalid {
			t.Fatalf("%s: class %s: %v", raw, releaselake.ClassOf(err), err)
		}
	})
}

// Any id a client sends is read without a panic, and refused as
// BAD_USER_INPUT or read as what appendID makes of it: ids round-trip.
func FuzzNodeID(f *testing.F) {
	f.Add("UmVsZWFzZTpyZWFjdDp2MTkuMTAuMA", "react", "v19.10.0")
	f.Add("UHJvZHVjdDp2dWU", "vue", "")
	f.Add("!!", "a", "rel/release-3.1.0:x")
	f.Fuzz(func(t *testing.T, id, product, tag string) {
		if _, _, _, err := decodeID(id); err != nil && releaselake.ClassOf(err) != releaselake.Invalid {
			t.Fatalf("%q: class %s", id, releaselake.ClassOf(err))
		}
		if product == "" || strings.Contains(product, ":") || len(product) > MaxIDBytes-len(typeProduct)-1 {
			return // not a catalog key, or an id refused by its size
		}
		typ, p, tg, err := decodeID(string(appendID(nil, typeProduct, product, "")))
		if err != nil || typ != typeProduct || p != product || tg != "" {
			t.Fatalf("product %q: %q %q %q %v", product, typ, p, tg, err)
		}
		if tag == "" || len(product)+len(tag) > MaxIDBytes-len(typeRelease)-2 {
			return // no release has an empty tag; a longer id is refused by its size
		}
		typ, p, tg, err = decodeID(string(appendID(nil, typeRelease, product, tag)))
		if err != nil || typ != typeRelease || p != product || tg != tag {
			t.Fatalf("release %q %q: %q %q %q %v", product, tag, typ, p, tg, err)
		}
	})
}
