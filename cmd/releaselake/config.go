package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Config is the program's configuration: flags, defaulting to the environment
// variables named in README.md.
type Config struct {
	Lake        string        // RELEASELAKE_LAKE: path, file:///abs, or hdfs://host:port/path
	Addr        string        // RELEASELAKE_ADDR
	Catalog     string        // RELEASELAKE_CATALOG: file replacing the embedded catalog
	Schedule    string        // RELEASELAKE_SCHEDULE: cron spec, or "off"
	TZ          string        // RELEASELAKE_TZ
	Poll        time.Duration // RELEASELAKE_POLL: how often serve looks for new commits
	AdminToken  string        // RELEASELAKE_ADMIN_TOKEN
	GitHubToken string        // GITHUB_TOKEN
	GitHubURL   string        // GITHUB_GRAPHQL_URL
	LogFormat   string        // RELEASELAKE_LOG: text or json
}

// ParseFlags reads the flags of a subcommand over defaults taken from getenv.
func (c *Config) ParseFlags(cmd string, args []string, getenv func(string) string, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("releaselake "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Lake, "lake", env("RELEASELAKE_LAKE", "./lake"), "lake root: a path, file:///abs/path or hdfs://host:port/path (RELEASELAKE_LAKE)")
	fs.StringVar(&c.Catalog, "catalog", env("RELEASELAKE_CATALOG", ""), "catalog file replacing the embedded one (RELEASELAKE_CATALOG)")
	fs.StringVar(&c.GitHubURL, "github-url", env("GITHUB_GRAPHQL_URL", "https://api.github.com/graphql"), "GitHub GraphQL endpoint (GITHUB_GRAPHQL_URL)")
	fs.StringVar(&c.LogFormat, "log", env("RELEASELAKE_LOG", "text"), "log format: text or json (RELEASELAKE_LOG)")
	c.GitHubToken = getenv("GITHUB_TOKEN")
	c.AdminToken = getenv("RELEASELAKE_ADMIN_TOKEN")
	if cmd == "serve" {
		fs.StringVar(&c.Addr, "addr", env("RELEASELAKE_ADDR", "127.0.0.1:8080"), "listen address (RELEASELAKE_ADDR)")
		fs.StringVar(&c.Schedule, "schedule", env("RELEASELAKE_SCHEDULE", "0 0 * * *"), "cron spec of the in-process ingest, or off (RELEASELAKE_SCHEDULE)")
		fs.StringVar(&c.TZ, "tz", env("RELEASELAKE_TZ", "UTC"), "time zone of the schedule (RELEASELAKE_TZ)")
		poll, err := time.ParseDuration(env("RELEASELAKE_POLL", "10s"))
		if err != nil {
			return fmt.Errorf("RELEASELAKE_POLL: %w", err)
		}
		fs.DurationVar(&c.Poll, "poll", poll, "how often to look for commits by other processes (RELEASELAKE_POLL)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.Poll < 0 {
		return fmt.Errorf("poll must not be negative")
	}
	return nil
}
