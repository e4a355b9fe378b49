package fastpath

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// The direct path's helpers against what they stand in for (make
// bench-shortcuts; graph/shortcuts_bench_test.go has the paths themselves).

const benchQuery = `query ($p: [String!], $s: DateTime) { releases(products: $p, since: $s, first: 50) {
	totalCount pageInfo { hasNextPage endCursor }
	nodes { product { key name } version tag name url publishedAt prerelease source dateSource } } }`

var benchBody = []byte(`{"query":` + strings.ReplaceAll(mustJSON(benchQuery), "\n", `\n`) +
	`,"variables":{"p":["p01","p07","p13","p21","p42"],"s":"2020-01-01T00:00:00Z"}}`)

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// decodeParams against encoding/json (decodeJSON), on a usual POST body.
func BenchmarkShortcut_decodeParams(b *testing.B) {
	b.Run("off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p graphql.RawParams
			if decodeJSON(bytes.NewReader(benchBody), &p) != nil {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("on", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p graphql.RawParams
			if !decodeParams(benchBody, &p) {
				b.Fatal("not decoded")
			}
		}
	})
}

// writeResponse (the forked transports) against json.Marshal (gqlgen's), on
// a 50-row answer.
func BenchmarkShortcut_writeResponse(b *testing.B) {
	row := `{"product":{"key":"p01","name":"Product 1"},"version":"1.2.3","tag":"v1.2.3","name":"Product 1 1.2.3",` +
		`"url":"https://github.com/owner/p01/releases/tag/v1.2.3","publishedAt":"2020-01-01T00:00:00Z","prerelease":false,` +
		`"source":"github-release","dateSource":"release-published"}`
	data := []byte(`{"releases":{"totalCount":1000,"pageInfo":{"hasNextPage":true,"endCursor":"AQA"},"nodes":[` +
		strings.TrimSuffix(strings.Repeat(row+",", 50), ",") + `]}}`)
	resp := &graphql.Response{Data: data}
	b.Run("off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := json.Marshal(resp)
			if err != nil {
				b.Fatal(err)
			}
			io.Discard.Write(out)
		}
	})
	b.Run("on", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeResponse(io.Discard, resp)
		}
	})
}
