// Package cli is the command line of releaselake: which flags and environment
// variables each command reads, how each is checked, and each command's help.
//
// The convention: every mistake in the configuration is found before a command
// does anything and is one line naming the flag or variable and the form it
// accepts; the command prints it on standard error and exits 2. A value a
// command does not use is not read, so it is never the cause of an error there.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Config is the program's configuration: flags, defaulting to environment
// variables (docs/cli.md lists them), defaulting to built-in values.
type Config struct {
	Command     string            // the command the flags were parsed for (serve, ingest, …)
	Lake        string            // RELEASELAKE_LAKE: an absolute local path, or hdfs://host:port/path
	Addr        string            // RELEASELAKE_ADDR
	Catalog     string            // RELEASELAKE_CATALOG: file replacing the embedded catalog
	Schedule    string            // RELEASELAKE_SCHEDULE: cron spec, or "off"
	Location    *time.Location    // RELEASELAKE_TZ: time zone of the schedule
	Period      time.Duration     // the longest gap between two runs of the schedule; 0 when off
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
	DryRun      bool              // vacuum and optimize -dry-run: say what it would do, change nothing
	Gen         GenConfig         // gen's flags
	DemoDir     string            // demo -dir: the demo's own lake; empty: a temporary one
	Webhooks    string            // RELEASELAKE_WEBHOOKS: webhook targets file; empty: none

	named map[string]string // by setting key: "-flag" when the flag gave the value, else the variable
}

// GenConfig holds the flags of `releaselake gen`.
type GenConfig struct {
	Products int
	Releases int
	Seed     int64
	Out      string // directory of the catalog
}

// Crawls reports whether the command crawls upstream (and so uses the source
// kinds' settings and tokens).
func (c *Config) Crawls() bool { return uses(c.Command, "crawl") }

// Named returns how the value of the setting with the given key (its flag, or
// its variable when it has no flag) was given: "-catalog" or
// "RELEASELAKE_CATALOG", for messages about it.
func (c *Config) Named(key string) string { return c.named[key] }

// ParseFlags reads the flags of command cmd from args over the environment
// (getenv) and the defaults, and checks every value the command uses. On -h it
// writes the command's flags and variables to help and returns flag.ErrHelp.
// Any other error is a configuration error, one line long, naming the flag or
// variable.
func (c *Config) ParseFlags(cmd string, args []string, getenv func(string) string, help io.Writer) error {
	*c = Config{Command: cmd, Sources: map[string]string{}, named: map[string]string{}}
	for _, s := range sourceSettings() { // defaults, for the commands that do not crawl
		c.Sources[s.env] = s.def
	}
	used := settingsOf(cmd)
	fs := flag.NewFlagSet("releaselake "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	given := map[string]string{}
	for _, s := range used {
		record := func(v string) error { given[s.flag] = v; return nil }
		switch {
		case s.flag == "":
		case s.boolean:
			fs.BoolFunc(s.flag, s.usage, record)
		default:
			fs.Func(s.flag, s.usage, record)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			WriteFlags(help, cmd)
			return err
		}
		return flagError(cmd, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see releaselake %s -h)", fs.Arg(0), cmd)
	}
	// The directories are made or read last, once nothing else is wrong.
	for _, dirs := range []bool{false, true} {
		if dirs {
			if err := c.check(); err != nil {
				return err
			}
		}
		for _, s := range used {
			if s.dir != dirs {
				continue
			}
			if err := c.set(s, given, getenv); err != nil {
				return err
			}
		}
	}
	return nil
}

// set stores the value of s: its flag's if given, else its variable's if set,
// else its default.
func (c *Config) set(s setting, given map[string]string, getenv func(string) string) error {
	name, v := s.env, ""
	if s.env != "" {
		v = getenv(s.env)
	}
	if s.secret {
		// A secret kept in a file (kubectl create secret --from-file, a
		// Docker secret) usually ends in a newline: not part of it.
		v = strings.TrimSpace(v)
	}
	if f, ok := given[s.flag]; ok && s.flag != "" {
		name, v = "-"+s.flag, f
	} else if v == "" {
		v = s.def
	}
	c.named[s.key()] = name
	if err := s.set(c, v); err != nil {
		if s.secret { // never shown
			return fmt.Errorf("%s %v", name, err)
		}
		return fmt.Errorf("%s %q: %v", name, releaselake.Redact(v), err)
	}
	return nil
}

// flagError says what was wrong with the flags in one line and where the
// command's flags are listed.
func flagError(cmd string, err error) error {
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		msg = "unknown flag " + f
	} else if f, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		msg = "flag " + f + " needs a value"
	}
	return fmt.Errorf("%s (see releaselake %s -h)", msg, cmd)
}

// check is what a single value cannot say: the settings that need another.
func (c *Config) check() error {
	switch {
	case c.Command == "push" && c.PageURL == "":
		return errors.New("RELEASELAKE_PAGE_URL is not set: want the page server's base URL, http(s)://host[:port][/path]")
	case c.PageURL != "" && c.PageSecret == "":
		return fmt.Errorf("%s is set but RELEASELAKE_PAGE_SECRET is not: pushes are signed with it", c.Named("page-url"))
	case c.Command == "page" && c.PageSecret == "":
		return errors.New("RELEASELAKE_PAGE_SECRET is not set: the page server verifies every push with it")
	case c.Command == "gen" && c.Gen.Releases < c.Gen.Products:
		return fmt.Errorf("-releases %d: want at least one release per product (-products %d)", c.Gen.Releases, c.Gen.Products)
	}
	return nil
}

// settingsOf returns the settings command cmd reads, in the order its help lists them.
func settingsOf(cmd string) []setting {
	var out []setting
	for _, s := range all() {
		if uses(cmd, s.cmds) {
			out = append(out, s)
		}
	}
	return out
}

// uses reports whether cmd is one of cmds: command names and groups
// (see groups; "*": every command but version).
func uses(cmd, cmds string) bool {
	return slices.ContainsFunc(strings.Fields(cmds), func(name string) bool {
		return name == cmd || name == "*" && cmd != "version" || slices.Contains(strings.Fields(groups[name]), cmd)
	})
}

// groups names sets of commands that read the same settings.
var groups = map[string]string{
	"crawl":  "serve ingest",                                  // fetch from upstream: the sources' URLs and tokens
	"lake":   "serve ingest push rebuild vacuum optimize gen", // read or write a lake
	"pushes": "serve ingest push",                             // push snapshots to the page server
}
