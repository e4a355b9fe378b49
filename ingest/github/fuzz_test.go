package github

import (
	"testing"

	"github.com/releaselake/releaselake"
)

// Red lines from disk (perhaps damaged) never make Parse panic.
func FuzzParse(f *testing.F) {
	f.Add(string(releasesLine("pallets/flask", 1, rel(1, "2.0.0", "Flask", "2024-01-01T00:00:00Z", false, false))))
	f.Add(string(tagsLine("apache/kafka", 1, annotated("3.8.0", "2024-07-23T00:00:00Z", "2024-07-20T00:00:00Z"), lightweight("x", "2020-01-01T00:00:00Z"))))
	f.Add(`{"mode":"tags","complete":false,"data":{"repository":{"refs":{"nodes":[{"name":"v1","target":{"__typename":"Tag","target":null}}]}}}}`)
	f.Add(`{"mode":"releases","data":{"repository":{"releases":{"nodes":[null]}}}}`)
	p := releaselake.Product{Key: "x", Kind: "github", Ref: "o/x"}
	prev := []releaselake.Release{{Product: "x", Tag: "v0.1.0", Version: "0.1.0"}}
	f.Fuzz(func(t *testing.T, line string) {
		s := New(Config{})
		s.Parse(p, [][]byte{[]byte(line)}, prev)
		s.Parse(p, [][]byte{[]byte(line), []byte(line)}, nil)
	})
}
