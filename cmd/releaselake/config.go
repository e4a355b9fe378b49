package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/releaselake/releaselake/graph"
)

// Config is the program's configuration: flags, defaulting to the environment
// variables named in README.md.
type Config struct {
	Command     string            // the command the flags were parsed for (serve, ingest, …)
	Lake        string            // RELEASELAKE_LAKE: path, file:///abs, or hdfs://host:port/path
	Addr        string            // RELEASELAKE_ADDR
	Catalog     string            // RELEASELAKE_CATALOG: file replacing the embedded catalog
	Schedule    string            // RELEASELAKE_SCHEDULE: cron spec, or "off"
	TZ          string            // RELEASELAKE_TZ
	Poll        time.Duration     // RELEASELAKE_POLL: how often serve looks for new commits
	AdminToken  string            // RELEASELAKE_ADMIN_TOKEN
	LogFormat   string            // RELEASELAKE_LOG: auto, text or json
	CORSOrigins []string          // RELEASELAKE_CORS_ORIGINS: browser origins allowed to call /graphql
	MetricsAddr string            // RELEASELAKE_METRICS_ADDR: /metrics alone there, not on Addr
	MaxResponse int               // RELEASELAKE_MAX_RESPONSE_BYTES: largest GraphQL answer (0: 8 MiB)
	MaxSubs     int               // RELEASELAKE_MAX_SUBSCRIPTIONS: subscriptions (and streams) open at once
	Deadline    time.Duration     // RELEASELAKE_INGEST_TIMEOUT: deadline of an ingest run's fetching
	Check       bool              // rebuild -check: compare only
	PageURL     string            // RELEASELAKE_PAGE_URL: page server to push to; empty: no push
	PageSecret  string            // RELEASELAKE_PAGE_SECRET: HMAC secret of pushes (both ends)
	PageDir     string            // RELEASELAKE_PAGE_DIR: where `page` keeps received snapshots
	Sources     map[string]string // the source kinds' settings (GITHUB_TOKEN, RELEASELAKE_PYPI_URL, …), by variable
	Retention   time.Duration     // vacuum -retention (RELEASELAKE_RETENTION): keep unneeded files this long
	DryRun      bool              // vacuum -dry-run: list, remove nothing
	Gen         GenConfig         // gen's flags
}

// ParseFlags reads the flags of a subcommand over defaults taken from getenv.
func (c *Config) ParseFlags(cmd string, args []string, getenv func(string) string, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c.Command = cmd
	c.Sources = map[string]string{}
	setSources := func() {}
	fs := flag.NewFlagSet("releaselake "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if cmd != "page" { // the page server has no lake and no GitHub
		fs.StringVar(&c.Lake, "lake", env("RELEASELAKE_LAKE", "./lake"), "lake root: a path, file:///abs/path or hdfs://host:port/path (RELEASELAKE_LAKE)")
	}
	if cmd != "page" && cmd != "gen" { // gen writes its own catalog and asks no upstream
		fs.StringVar(&c.Catalog, "catalog", env("RELEASELAKE_CATALOG", ""), "catalog file replacing the embedded one (RELEASELAKE_CATALOG)")
		setSources = c.sourceFlags(fs, env)
	}
	if cmd != "gen" {
		c.pageFlags(cmd, fs, env, getenv)
	}
	fs.StringVar(&c.LogFormat, "log", env("RELEASELAKE_LOG", "auto"), "log format: auto (text on a terminal, else JSON), text or json (RELEASELAKE_LOG)")
	tokens := c.sourceSecrets(getenv)
	c.AdminToken = secret(getenv, "RELEASELAKE_ADMIN_TOKEN")
	if cmd == "serve" {
		fs.StringVar(&c.Addr, "addr", env("RELEASELAKE_ADDR", "127.0.0.1:8080"), "listen address (RELEASELAKE_ADDR)")
		fs.StringVar(&c.Schedule, "schedule", env("RELEASELAKE_SCHEDULE", "0 0 * * *"), "cron spec of the in-process ingest, or off (RELEASELAKE_SCHEDULE)")
		fs.StringVar(&c.TZ, "tz", env("RELEASELAKE_TZ", "UTC"), "time zone of the schedule (RELEASELAKE_TZ)")
		poll, err := time.ParseDuration(env("RELEASELAKE_POLL", "10s"))
		if err != nil {
			return fmt.Errorf("RELEASELAKE_POLL: %w", err)
		}
		fs.DurationVar(&c.Poll, "poll", poll, "how often to look for commits by other processes (RELEASELAKE_POLL)")
		fs.StringVar(&c.MetricsAddr, "metrics-addr", env("RELEASELAKE_METRICS_ADDR", ""), "listen address of /metrics, then not on -addr (RELEASELAKE_METRICS_ADDR)")
		if c.MaxResponse, c.MaxSubs, err = graph.Limits(env); err != nil {
			return err
		}
		c.CORSOrigins = graph.SplitList(getenv("RELEASELAKE_CORS_ORIGINS"))
		fs.Func("cors-origins", "comma-separated browser origins allowed to call /graphql, * for any (RELEASELAKE_CORS_ORIGINS)",
			func(s string) error { c.CORSOrigins = graph.SplitList(s); return nil })
	}
	if cmd == "serve" || cmd == "ingest" {
		fs.Func("ingest-timeout", "deadline of an ingest run's fetching (RELEASELAKE_INGEST_TIMEOUT; default 30m)",
			func(s string) (err error) { c.Deadline, err = time.ParseDuration(s); return err })
		if err := fs.Set("ingest-timeout", env("RELEASELAKE_INGEST_TIMEOUT", "30m")); err != nil {
			return fmt.Errorf("RELEASELAKE_INGEST_TIMEOUT: %w", err)
		}
	}
	if cmd == "rebuild" {
		fs.BoolVar(&c.Check, "check", false, "only compare the rebuild with yellow; exit 1 if they differ")
	}
	c.genFlags(cmd, fs)
	if err := c.vacuumFlags(cmd, fs, env); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	setSources()
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.Poll < 0 {
		return fmt.Errorf("poll must not be negative")
	}
	if c.LogFormat != "auto" && c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log %q: want auto, text or json (RELEASELAKE_LOG)", c.LogFormat)
	}
	// A token goes into an Authorization header: with a space or control
	// character inside (two lines pasted into a Secret) net/http refuses to
	// send it, and the GitHub source would take that for a network failure
	// and retry it. Said at start, without the token.
	for _, name := range tokens {
		if err := oneWord(name, c.Sources[name]); err != nil {
			return err
		}
	}
	return oneWord("RELEASELAKE_ADMIN_TOKEN", c.AdminToken)
}

// oneWord refuses a token with a space or control character inside.
func oneWord(name, token string) error {
	if i := strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		return fmt.Errorf("%s holds a space or control character at byte %d: a token is one word", name, i)
	}
	return nil
}

// secret reads a token or key from the environment without the whitespace
// around it: one kept in a file (kubectl create secret --from-file, a Docker
// secret) usually ends in a newline, which would make every GitHub request
// invalid and no admin token or page signature match.
func secret(getenv func(string) string, name string) string {
	return strings.TrimSpace(getenv(name))
}
