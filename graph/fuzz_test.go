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

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/releaselake/releaselake"
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
	slow := NewHandler(r, Options{CacheBytes: -1, noFastPath: true})
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

// sortSuggestions puts the names of each "Did you mean" list in order.
func sortSuggestions(b []byte) []byte {
	return suggestionsRe.ReplaceAllFunc(b, func(m []byte) []byte {
		names := quotedRe.FindAll(m, -1)
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
	r := oddResolver(f)
	f.Fuzz(func(t *testing.T, raw string) {
		d := json.NewDecoder(strings.NewReader(raw))
		d.UseNumber()
		var m map[string]any
		if d.Decode(&m) != nil {
			return
		}
		a, ok := readListArgs(fieldArgs{m: m})
		if !ok {
			return
		}
		if _, err := r.query(&a); err != nil && releaselake.ClassOf(err) != releaselake.Invalid {
			t.Fatalf("%s: class %s: %v", raw, releaselake.ClassOf(err), err)
		}
	})
}

// go test -fuzz=FuzzWriteResponse ./graph: writeResponse writes what
// json.Marshal writes for any response whose data is compact JSON.
func FuzzWriteResponse(f *testing.F) {
	f.Add(`{"a":"<b>&amp;\u2028\u2029 ü","n":[1,2.5,null,true],"s":"\u0001\"\\"}`, "oops <&>", true)
	f.Add(`null`, "", false)
	f.Add(`"\u00e2\u0080\u00a8"`, "", true)
	f.Fuzz(func(t *testing.T, value, message string, ext bool) {
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			return
		}
		var data bytes.Buffer
		enc := json.NewEncoder(&data)
		enc.SetEscapeHTML(false) // as gqlgen's marshalers: raw <, >, &
		enc.Encode(v)
		resp := &graphql.Response{Data: bytes.TrimSuffix(data.Bytes(), []byte("\n"))}
		if message != "" {
			resp.Errors = gqlerror.List{{Message: message, Extensions: map[string]any{"code": "X"}}}
		}
		if ext {
			resp.Extensions = map[string]any{"n": 1, "s": message}
		}
		want, err := json.Marshal(resp)
		if err != nil {
			t.Skip(err)
		}
		var got bytes.Buffer
		writeResponse(&got, resp)
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("got  %s\nwant %s", got.Bytes(), want)
		}
	})
}

// go test -fuzz=FuzzDecodeParams ./graph: whatever decodeParams decodes, it
// decodes to what decodeJSON (encoding/json) does.
func FuzzDecodeParams(f *testing.F) {
	for _, tc := range fastPathCases {
		b, _ := json.Marshal(map[string]any{"query": tc.query, "variables": tc.vars, "operationName": "Op"})
		f.Add(string(b))
	}
	for _, s := range []string{
		`{"query":"{ a }","variables":{"n":-0.5e+3,"b":[true,false,null,{"x":{}}],"s":"\"\\\/\b\f\n\r\t é"},"extensions":null}`,
		` {"variables":{"a":1,"a":2}, "query":null} trailing`,
		`{"query":"x","query":"y"}`, `{"Query":"x"}`, `{"query":"\u0041"}`, `{"variables":[]}`, `{"query":"a` + "\x01" + `"}`,
		`{"variables":{"n":01}}`, `{"variables":{"n":1.}}`, `{"variables":{"n":-}}`, `{"query":"\xff"}`, `{}`, `{"query":"x",}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var fast, slow graphql.RawParams
		if !decodeParams([]byte(body), &fast) {
			return
		}
		if err := decodeJSON(strings.NewReader(body), &slow); err != nil {
			t.Fatalf("decodeParams took what encoding/json refuses (%v): %q", err, body)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\ndecodeParams %#v\nencoding/json %#v", body, fast, slow)
		}
	})
}

// go test -fuzz=FuzzCoerceVariables ./graph: whatever coerceVariables
// coerces, it coerces to what validator.VariableValues does, and only what
// that accepts.
func FuzzCoerceVariables(f *testing.F) {
	const defs = `query A($s: String, $S: String!, $b: Boolean, $i: Int, $I: Int!, $t: DateTime,
		$ps: [String!], $pn: [String], $PS: [String!]!, $bs: [Boolean], $e: ReleaseOrderField) { __typename }
		query B($f: Float, $id: ID, $o: ReleaseOrder, $d: Int = 3, $ll: [[String]], $is: [Int]) { __typename }`
	for _, vars := range []string{
		`{"S":"x","I":1,"PS":[]}`,
		`{"s":"a","S":"b","b":true,"i":-7,"I":0,"t":"2021-01-01T00:00:00Z","ps":["react","vue"],"pn":["a",null],"PS":["x"],"bs":[true,null],"e":"version"}`,
		`{"S":"x","I":1,"PS":[],"ps":"one","pn":[1],"is":[1,2]}`, `{"S":"x","I":1.5,"PS":[]}`, `{"S":null,"I":1,"PS":[]}`,
		`{"S":"x","I":1,"PS":[null]}`, `{"S":"x","I":99999999999999999999,"PS":[]}`, `{"S":"x","I":"1","PS":[]}`,
		`{"S":"x","I":1,"PS":[],"e":"VERSION","o":{"field":"VERSION"},"f":1,"id":"x","d":null,"ll":[["a"]]}`,
		`{"S":"x","I":1,"PS":[],"e":"nope","t":5,"b":"true","s":{}}`, `{"I":1,"PS":[]}`, `{"S":"x","I":1,"PS":[],"unknown":1}`,
	} {
		f.Add(defs, vars)
	}
	f.Add(`query($p: [String!], $s: DateTime) { releases(products: $p, since: $s, first: 50) { totalCount } }`,
		`{"p":["react","vue","spark","kafka","django"],"s":"2021-01-01T00:00:00Z"}`)
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	f.Fuzz(func(t *testing.T, query, vars string) {
		// Parsed, not validated (the variables need not be used): the
		// definitions are looked up as the validator does.
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			return
		}
		for _, op := range doc.Operations {
			for _, v := range op.VariableDefinitions {
				v.Definition = schema.Types[v.Type.Name()]
			}
		}

		decode := func() map[string]any {
			var m map[string]any
			if decodeJSON(strings.NewReader(vars), &m) != nil {
				t.Skip()
			}
			return m
		}
		for _, op := range doc.Operations {
			fast, ok := coerceVariables(schema, op, decode())
			if !ok {
				continue
			}
			slow, err := validator.VariableValues(schema, op, decode())
			if err != nil {
				t.Fatalf("coerceVariables took what VariableValues refuses (%v): %s", err, vars)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%s:\ncoerceVariables %#v\nVariableValues  %#v", vars, fast, slow)
			}
		}
	})
}
