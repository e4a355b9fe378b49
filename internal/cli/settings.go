package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/releaselake/releaselake/graph"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/ingest/sources"
	"github.com/releaselake/releaselake/lake"
)

// DefaultPageAddr is where `releaselake page` listens by default: beside a
// local `serve` on 8080.
const DefaultPageAddr = "127.0.0.1:8081"

// setting is one flag or environment variable (or both: the flag overrides
// the variable, which overrides the default).
type setting struct {
	flag    string // without the dash; none for a value read from the environment only
	env     string // the variable; none for a flag only
	def     string
	usage   string
	cmds    string // the commands (or groups, see uses) that read it
	boolean bool   // a flag without a value: -check
	secret  bool   // a token: from the environment only, never shown, trimmed
	dir     bool   // a directory, made or read once every other value is right
	// set stores v in c, or says what v should have been ("want …").
	set func(c *Config, v string) error
}

func (s setting) key() string {
	if s.flag != "" {
		return s.flag
	}
	return s.env
}

// all is every setting of every command, in the order help lists them.
var all = sync.OnceValue(func() []setting {
	out := []setting{
		{flag: "lake", env: "RELEASELAKE_LAKE", def: "./lake", cmds: "lake", dir: true,
			usage: "lake root: a path, file:///abs/path or hdfs://host:port/path", set: (*Config).setLake},
		{flag: "catalog", env: "RELEASELAKE_CATALOG", cmds: "crawl push rebuild demo",
			usage: "catalog file replacing the embedded one", set: (*Config).setCatalog},
		{flag: "addr", env: "RELEASELAKE_ADDR", def: "127.0.0.1:8080", cmds: "serve demo", usage: "listen address",
			set: func(c *Config, v string) error { c.Addr = v; return hostPort(v) }},
		{flag: "addr", env: "RELEASELAKE_ADDR", def: DefaultPageAddr, cmds: "page", usage: "listen address",
			set: func(c *Config, v string) error { c.Addr = v; return hostPort(v) }},
		{flag: "dir", env: "RELEASELAKE_PAGE_DIR", def: "./page-data", cmds: "page", dir: true, usage: "where received snapshots are kept",
			set: func(c *Config, v string) (err error) { c.PageDir, err = usableDir(v, true, "page"); return err }},
		{flag: "dir", cmds: "demo", dir: true, usage: "where the demo writes its lake; empty: a temporary directory removed at exit",
			set: func(c *Config, v string) (err error) {
				if c.DemoDir = v; v != "" {
					c.DemoDir, err = usableDir(v, true, "demo")
				}
				return err
			}},
		{flag: "tz", env: "RELEASELAKE_TZ", def: "UTC", cmds: "serve", usage: "time zone of the schedule",
			set: func(c *Config, v string) (err error) {
				if c.Location, err = time.LoadLocation(v); err != nil {
					return errors.New("want an IANA time zone such as UTC or Europe/Berlin")
				}
				return nil
			}},
		{flag: "schedule", env: "RELEASELAKE_SCHEDULE", def: "0 0 * * *", cmds: "serve", usage: "cron spec of the in-process ingest, or off",
			set: func(c *Config, v string) (err error) {
				if c.Schedule = v; v == "off" {
					return nil
				}
				if c.Period, err = ingest.SchedulePeriod(v, c.Location, time.Now()); err != nil {
					return errors.New(`want a cron spec of 5 fields (minute hour day month weekday) or 6 (seconds first), such as "0 0 * * *", or off`)
				}
				return nil
			}},
		{flag: "poll", env: "RELEASELAKE_POLL", def: "10s", cmds: "serve", usage: "how often to look for commits by other processes",
			set: func(c *Config, v string) (err error) { c.Poll, err = duration(v); return err }},
		{flag: "ingest-timeout", env: "RELEASELAKE_INGEST_TIMEOUT", def: "30m", cmds: "crawl", usage: "deadline of an ingest run's fetching",
			set: func(c *Config, v string) (err error) { c.Deadline, err = duration(v); return err }},
		{flag: "metrics-addr", env: "RELEASELAKE_METRICS_ADDR", cmds: "serve", usage: "listen address of /metrics, then not on -addr",
			set: func(c *Config, v string) error {
				if c.MetricsAddr = v; v == "" {
					return nil
				}
				return hostPort(v)
			}},
		{flag: "cors-origins", env: "RELEASELAKE_CORS_ORIGINS", cmds: "serve", usage: "comma-separated browser origins allowed to call /graphql, * for any",
			set: func(c *Config, v string) error { c.CORSOrigins = graph.SplitList(v); return nil }},
		{flag: "page-url", env: "RELEASELAKE_PAGE_URL", cmds: "pushes", usage: "page server base URL to push snapshots to; empty: no push",
			set: func(c *Config, v string) error {
				if c.PageURL = v; v != "" && !httpURL(v) {
					return errors.New("want http(s)://host[:port][/path]")
				}
				return nil
			}},
		{flag: "webhooks", env: "RELEASELAKE_WEBHOOKS", cmds: "crawl", usage: "YAML file of webhook targets told of each commit's new releases (docs/webhooks.md)",
			set: func(c *Config, v string) (err error) { c.Webhooks, err = readableFile(v, "webhooks"); return err }},
		{flag: "check", boolean: true, def: "false", cmds: "rebuild", usage: "only compare the rebuild with yellow; exit 1 if they differ",
			set: func(c *Config, v string) (err error) { c.Check, err = boolean(v); return err }},
		{flag: "retention", env: "RELEASELAKE_RETENTION", def: "7d", cmds: "vacuum", usage: "remove unneeded files older than this: 7d, 36h, 0 for all",
			set: func(c *Config, v string) (err error) {
				if c.Retention, err = lake.ParseRetention(v); err != nil {
					return errors.New("want a number of days (7d) or a duration (36h), 0 for all")
				}
				return nil
			}},
		{flag: "dry-run", boolean: true, def: "false", cmds: "vacuum", usage: "list what would be removed; remove nothing",
			set: func(c *Config, v string) (err error) { c.DryRun, err = boolean(v); return err }},
		{flag: "dry-run", boolean: true, def: "false", cmds: "optimize", usage: "say how yellow is laid out and whether it would compact; commit nothing",
			set: func(c *Config, v string) (err error) { c.DryRun, err = boolean(v); return err }},
		{flag: "products", def: "10000", cmds: "gen", usage: "GitHub products in the catalog",
			set: func(c *Config, v string) (err error) { c.Gen.Products, err = positive(v); return err }},
		{flag: "releases", def: "1000000", cmds: "gen", usage: "releases (yellow rows) the red table parses to, over all products",
			set: func(c *Config, v string) (err error) { c.Gen.Releases, err = positive(v); return err }},
		{flag: "seed", def: "1", cmds: "gen", usage: "seed: the same seed writes the same catalog and red table",
			set: func(c *Config, v string) (err error) {
				if c.Gen.Seed, err = strconv.ParseInt(v, 10, 64); err != nil {
					return errors.New("want a whole number")
				}
				return nil
			}},
		{flag: "out", def: ".", cmds: "gen", usage: "directory to write catalog.yaml to",
			set: func(c *Config, v string) error { c.Gen.Out = v; return nil }},
	}
	out = append(out, sourceSettings()...)
	return append(out,
		setting{flag: "log", env: "RELEASELAKE_LOG", def: "auto", cmds: "*", usage: "log format: auto (text on a terminal, else JSON), text or json",
			set: func(c *Config, v string) error {
				if c.LogFormat = v; v != "auto" && v != "text" && v != "json" {
					return errors.New("want auto, text or json")
				}
				return nil
			}},
		setting{env: "RELEASELAKE_MAX_RESPONSE_BYTES", def: "0", cmds: "serve", usage: "largest GraphQL answer in bytes; 0: 8 MiB",
			set: func(c *Config, v string) (err error) {
				if c.MaxResponse, err = strconv.Atoi(v); err != nil || c.MaxResponse < 0 {
					return errors.New("want a number of bytes, 0 for the default")
				}
				return nil
			}},
		setting{env: "RELEASELAKE_MAX_SUBSCRIPTIONS", def: "1000", cmds: "serve", usage: "GraphQL subscriptions (and SSE/WebSocket streams) open at once; past it new ones are refused",
			set: func(c *Config, v string) (err error) {
				if c.MaxSubs, err = strconv.Atoi(v); err != nil || c.MaxSubs < 1 {
					return errors.New("want a number of at least 1")
				}
				return nil
			}},
		setting{env: "RELEASELAKE_ADMIN_TOKEN", secret: true, cmds: "serve", usage: "bearer token of the GraphQL mutations",
			set: func(c *Config, v string) error { c.AdminToken = v; return oneWord(v) }},
		setting{env: "RELEASELAKE_PAGE_SECRET", secret: true, cmds: "pushes page", usage: "HMAC secret of snapshot pushes, the same at both ends",
			set: func(c *Config, v string) error { c.PageSecret = v; return nil }},
	)
})

// sourceSettings are the source kinds' settings (-pypi-url, GITHUB_TOKEN, …),
// read by the commands that crawl.
func sourceSettings() []setting {
	var out []setting
	for _, k := range sources.Kinds {
		for _, s := range k.Settings {
			usage := s.Usage
			if usage == "" && s.Secret {
				usage = k.Label + " token; without one, what needs it is not crawled"
			}
			out = append(out, setting{flag: s.Flag, env: s.Env, def: s.Default, usage: usage, secret: s.Secret, cmds: "crawl",
				set: func(c *Config, v string) error {
					c.Sources[s.Env] = v
					switch {
					case s.Secret:
						return oneWord(v)
					case s.URL && !httpURL(v):
						return errors.New("want an http(s) URL")
					}
					return nil
				}})
		}
	}
	return out
}

// setLake takes a lake path or URL. A local lake's directory must be readable
// at start (serve, ingest and gen create it; the other commands read an
// existing one) and laid out as a lake (a yellow that is a file is not a lake
// to report not ready over: nothing will fix it), and is kept as an absolute
// path, as logs then say it. An HDFS
// lake is connected to on first use, so serve starts, and reports not ready,
// while the NameNode is down.
func (c *Config) setLake(v string) (err error) {
	switch {
	case strings.HasPrefix(v, "hdfs://"):
		c.Lake = v
		return nil
	case strings.HasPrefix(v, "file://"):
		u, err := url.Parse(v)
		if err != nil || u.Path == "" || (u.Host != "" && u.Host != "localhost") {
			return errors.New("want file:///absolute/path")
		}
		v = u.Path
	case strings.Contains(v, "://") || v == "":
		return errors.New("want a path, file:///abs/path or hdfs://host:port/path")
	}
	if c.Lake, err = usableDir(v, uses(c.Command, "serve ingest gen"), "lake"); err != nil {
		return err
	}
	return lake.CheckLocal(c.Lake)
}

// usableDir returns dir as an absolute path once it is a readable directory,
// creating it if create is set; what names it ("lake") in errors.
func usableDir(dir string, create bool, what string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("cannot use it as the %s directory: %v", what, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return "", errors.New("not a directory")
	}
	if create {
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return "", fmt.Errorf("cannot create the %s directory: %v", what, err)
		}
	}
	f, err := os.Open(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no such directory (this command reads an existing %s; serve and ingest create one)", what)
	}
	if err == nil {
		defer f.Close()
		_, err = f.Readdirnames(1)
	}
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("cannot read the %s directory: %v", what, err)
	}
	return abs, nil
}

// setCatalog takes the catalog file, which must be readable; what it says is
// checked when it is loaded.
func (c *Config) setCatalog(v string) (err error) {
	c.Catalog, err = readableFile(v, "catalog")
	return err
}

// readableFile returns the absolute path of file v ("" if v is), once it
// can be read; what names it in errors.
func readableFile(v, what string) (string, error) {
	if v == "" {
		return "", nil
	}
	abs, err := filepath.Abs(v)
	if err != nil {
		return "", fmt.Errorf("cannot read the %s file: %v", what, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", fmt.Errorf("cannot read the %s file: %v", what, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		return "", fmt.Errorf("want a %s file, not a directory", what)
	}
	return abs, nil
}

func hostPort(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return errors.New("want host:port, such as 127.0.0.1:8080 or :8080")
	}
	return nil
}

func httpURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func duration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 10s, 5m or 1h30m")
	}
	return d, nil
}

func positive(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive whole number")
	}
	return n, nil
}

func boolean(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

// oneWord refuses a token with a space or control character inside: it goes
// into an Authorization header, which net/http then refuses to send, and the
// GitHub source would take that for a network failure and retry it.
func oneWord(token string) error {
	if i := strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		return fmt.Errorf("holds a space or control character at byte %d: a token is one word", i)
	}
	return nil
}
