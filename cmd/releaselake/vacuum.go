package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
)

// vacuumFlags adds the flags of `releaselake vacuum`.
func (c *Config) vacuumFlags(cmd string, fs *flag.FlagSet, env func(name, def string) string) error {
	if cmd != "vacuum" {
		return nil
	}
	c.Retention = lake.DefaultRetention
	if v := env("RELEASELAKE_RETENTION", ""); v != "" {
		d, err := lake.ParseRetention(v)
		if err != nil {
			return fmt.Errorf("RELEASELAKE_RETENTION: %w", err)
		}
		c.Retention = d
	}
	fs.Func("retention", "remove unneeded files older than this: 7d, 36h, 0 for all (RELEASELAKE_RETENTION; default 7d)",
		func(s string) (err error) { c.Retention, err = lake.ParseRetention(s); return err })
	fs.BoolVar(&c.DryRun, "dry-run", false, "list what would be removed; remove nothing")
	return nil
}

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
