package main

import (
	"context"
	"fmt"
	"io"

	"github.com/releaselake/releaselake"
)

// runVacuum removes what the lake keeps only for time travel, once older than
// the retention (see lake.Store.Vacuum), and says what it removed and which
// versions stay readable. Exit 1 when it could not finish.
func runVacuum(ctx context.Context, m *Main, stdout io.Writer) int {
	res, err := m.Lake.Vacuum(ctx, m.Config.Retention, m.Config.DryRun)
	verb := "removed"
	if m.Config.DryRun {
		verb = "would remove"
	}
	for _, name := range res.Removed {
		fmt.Fprintf(stdout, "%s %s\n", verb, name)
	}
	fmt.Fprintf(stdout, "vacuum (retention %s): %s %d files, %s; kept %d data files; ",
		m.Config.Retention, verb, len(res.Removed), humanBytes(res.Bytes), res.Kept)
	if res.OldestReadable == releaselake.NoVersion {
		fmt.Fprintln(stdout, "the table has no versions")
	} else {
		fmt.Fprintf(stdout, "versions %d and later stay readable\n", res.OldestReadable)
	}
	if err != nil {
		fmt.Fprintf(stdout, "vacuum failed: %v\n", err)
		return 1
	}
	return 0
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
