package fastpath

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// go test -fuzz=FuzzWriteResponse ./graph/fastpath: writeResponse writes what
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

// go test -fuzz=FuzzDecodeParams ./graph/fastpath: whatever decodeParams decodes, it
// decodes to what decodeJSON (encoding/json) does.
func FuzzDecodeParams(f *testing.F) {
	f.Add(`{"query":"query Op($p: [String!], $n: Int) { releases(products: $p, first: $n) { nodes { tag } } }","variables":{"p":["a","b"],"n":3},"operationName":"Op"}`)
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
