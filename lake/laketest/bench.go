package laketest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

// Rows returns n release rows shaped like real ones: 50 products, tags v1.x.y.
func Rows(n int) []releaselake.Release {
	rows := make([]releaselake.Release, n)
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		p := fmt.Sprintf("product%02d", i%50)
		tag := fmt.Sprintf("v1.%d.%d", i/50/10, i/50%10)
		rows[i] = releaselake.Release{
			Product: p, Tag: tag, Version: tag[1:], Name: p + " " + tag,
			URL:    "https://github.com/example/" + p + "/releases/tag/" + tag,
			Source: releaselake.SourceGitHubRelease, Repo: "example/" + p, DateSource: releaselake.DateReleasePublished,
			PublishedAt: at.Add(time.Duration(i) * time.Hour), FirstSeenAt: at.Add(time.Duration(i) * time.Hour),
			Prerelease: i%7 == 0,
		}
	}
	return rows
}

// BenchmarkCommit measures Store.Commit of a 5,000-row table on fsys: each
// iteration commits a new version (data file, log entry and, every tenth
// version, a checkpoint).
func BenchmarkCommit(b *testing.B, fsys lake.FS) {
	rows := Rows(5000)
	s := lake.Open(fsys)
	ctx := context.Background()
	base := releaselake.NoVersion
	b.ReportAllocs()
	for b.Loop() {
		rows[0].Name = fmt.Sprint("changed ", base)
		v, err := s.Commit(ctx, base, rows, releaselake.CommitInfo{RunID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		base = v
	}
}
