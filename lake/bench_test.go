package lake_test

import (
	"testing"

	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

// BenchmarkStore_Commit: a commit of a 5,000-row table on local disk
// (BENCHMARKS.md has the figures).
func BenchmarkStore_Commit(b *testing.B) {
	laketest.BenchmarkCommit(b, localfs.New(b.TempDir()))
}
