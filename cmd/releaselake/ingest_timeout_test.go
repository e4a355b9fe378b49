package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/internal/cli"
)

func TestConfig_ingestTimeout(t *testing.T) {
	parse := func(cmd, env string, args ...string) (time.Duration, error) {
		var c cli.Config
		err := c.ParseFlags(cmd, args, func(k string) string {
			if k == "RELEASELAKE_INGEST_TIMEOUT" {
				return env
			}
			return ""
		}, io.Discard)
		return c.Deadline, err
	}
	for _, tc := range []struct {
		cmd, env string
		args     []string
		want     time.Duration
	}{
		{"ingest", "", nil, 30 * time.Minute},
		{"serve", "5m", nil, 5 * time.Minute},
		{"ingest", "5m", []string{"-ingest-timeout", "90s"}, 90 * time.Second},
	} {
		if got, err := parse(tc.cmd, tc.env, tc.args...); err != nil || got != tc.want {
			t.Errorf("%s %q %v: %v, %v; want %v", tc.cmd, tc.env, tc.args, got, err, tc.want)
		}
	}
	if _, err := parse("ingest", "30"); err == nil || !strings.Contains(err.Error(), "RELEASELAKE_INGEST_TIMEOUT") {
		t.Errorf("a timeout without a unit: %v", err)
	}
}
