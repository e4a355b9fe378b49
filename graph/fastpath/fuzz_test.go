package fastpath

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// gatewaySchema loads the gateway's schema (schema.graphqls at the root).
func gatewaySchema(t testing.TB) *ast.Schema {
	b, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	return gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(b)})
}

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

// go test -fuzz=FuzzCoerceVariables ./graph/fastpath: whatever coerceVariables
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
	schema := gatewaySchema(f)
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
