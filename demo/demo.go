// Package demo is `releaselake demo`: the real crawler, lake and server over
// upstreams answered in-process from data embedded in the binary, so that a
// newcomer sees every product of the default catalog with no token and no
// network.
//
// The upstreams: the schema-checked fake GitHub (ingest/github/githubtest)
// holding the recorded tag histories of shared/fixtures (12 repositories) and
// plausible generated ones for the other 34 (data/github.csv), the Power BI
// blog feed and Tableau releases page generated in their real formats (web.go),
// and PyPI, npm and Maven registries for catalogs that name packages
// (registry.go). The sources reach them through their ordinary settings
// (GITHUB_GRAPHQL_URL, GITHUB_TOKEN, RELEASELAKE_PYPI_URL, …) and an HTTP
// transport that answers the feed's and page's URLs and refuses every host but
// 127.0.0.1. The manual product reads its embedded file as always.
//
// Run ingests once (day 1, dated yesterday: Now), moves the upstreams on by a
// day (NextDay: new releases, prereleases turned GA, the vendor's "coming soon"
// released) and ingests again (today), so that the lake holds two versions a
// day apart and asOf any instant between them answers as day 1 did; then it
// serves.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/github/githubtest"
	"github.com/releaselake/releaselake/ingest/sources"
)

// Notice is the banner of the page and of `lake { notices }` while the demo serves.
const Notice = "This is demo data (releaselake demo): recorded and generated upstream answers served in-process, not live releases."

// Options configure Start.
type Options struct {
	// Dir holds everything the demo writes (the lake, in Dir/lake). Empty: a
	// temporary directory, removed by Close.
	Dir string
	Log *slog.Logger
	Now func() time.Time // the clock dating day 2 (day 1 is a day before it); time.Now if nil
	// Catalog is the catalog file the demo serves (read as -catalog reads it);
	// empty: the default catalog. Its GitHub repositories that data/github.csv
	// does not name get a generated history, and its PyPI, npm and Maven packages
	// are answered by the registries (registry.go); a feed or page URL other than
	// the default catalog's is refused, and its product fails.
	Catalog string
	// Out, if set, receives the URLs to open in plain words once the server is up.
	Out io.Writer
}

// Demo is the demo's upstreams and its directory.
type Demo struct {
	Dir  string // where the demo writes
	Lake string // the lake root, Dir/lake
	// Settings are every source kind's settings: the fake GitHub's URL and
	// token, the registries' URLs, the defaults for the rest.
	Settings map[string]string
	// Transport carries the sources' requests (see the package comment).
	Transport http.RoundTripper

	log     *slog.Logger
	out     io.Writer
	clock   func() time.Time // Options.Now
	today   atomic.Bool      // NextDay has run: Now is clock's, no longer a day before
	temp    bool
	plans   []repoPlan
	names   map[string]string // the catalog's product names by lower-case owner/name
	github  *githubtest.Server
	web     *web
	reg     *http.Server // the package registries
	regURL  string
	day1End time.Time
}

// Now is the demo's time: a day before the clock until NextDay (day 1 is
// yesterday), the clock's after. The upstreams date their day 1 and day 2 by
// it, and the ingest runner must too (ingest.Runner.Now): then the runs, the
// rows' firstSeenAt and the lake's commits of day 1 are dated yesterday, and
// asOf any instant between the two ingests (an hour ago, say) finds day 1.
func (d *Demo) Now() time.Time {
	if d.today.Load() {
		return d.clock()
	}
	return d.clock().Add(-24 * time.Hour)
}

// Start makes the directory and starts the upstreams on day 1. The lake
// directory must be new or empty: the demo writes into no existing lake.
func Start(opts Options) (_ *Demo, err error) {
	d := &Demo{Dir: opts.Dir, log: opts.Log, out: opts.Out, clock: opts.Now}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.clock == nil {
		d.clock = time.Now
	}
	if d.Dir == "" {
		if d.Dir, err = os.MkdirTemp("", "releaselake-demo-"); err != nil {
			return nil, err
		}
		d.temp = true
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	d.Lake = filepath.Join(d.Dir, "lake")
	if entries, err := os.ReadDir(d.Lake); err == nil && len(entries) > 0 {
		return nil, releaselake.Errorf(releaselake.Invalid, "-dir %q holds a lake already (%s): give the demo a new or empty directory", d.Dir, d.Lake)
	}
	if err := os.MkdirAll(d.Lake, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	now := d.Now()
	if d.plans, err = readPlans(); err != nil {
		return nil, err
	}
	if err := d.planCatalog(opts.Catalog); err != nil {
		return nil, err
	}
	repos := make([]githubtest.Repo, len(d.plans))
	for i, p := range d.plans {
		if repos[i], err = p.history(now); err != nil {
			return nil, err
		}
	}
	schema, err := githubSchema()
	if err != nil {
		return nil, fmt.Errorf("demo: GitHub schema: %w", err)
	}
	d.github, err = githubtest.Start(func(msg string) { d.log.Warn("demo: the fake GitHub: " + msg) },
		githubtest.WithSchema(schemaFile, schema), githubtest.WithRepos(repos), githubtest.WithoutRequestLog(),
		githubtest.WithToken("demo-token"), githubtest.WithClock(d.Now), githubtest.WithNotes(d.releaseNotes))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d.web = newWeb(now)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: the package registries: %w", err)
	}
	d.reg, d.regURL = &http.Server{Handler: http.HandlerFunc(d.web.serveRegistry), ReadHeaderTimeout: 10 * time.Second}, "http://"+ln.Addr().String()
	go d.reg.Serve(ln) // ends with ErrServerClosed at Close
	local := http.DefaultTransport.(*http.Transport).Clone()
	local.Proxy = nil // 127.0.0.1 only
	d.Transport = &transport{web: d.web, local: local}
	d.Settings = map[string]string{}
	for _, k := range sources.Kinds {
		for _, s := range k.Settings {
			d.Settings[s.Env] = s.Default
		}
	}
	d.Settings["GITHUB_GRAPHQL_URL"], d.Settings["GITHUB_TOKEN"] = d.github.URL, d.github.Token
	d.Settings["RELEASELAKE_PYPI_URL"] = d.regURL
	d.Settings["RELEASELAKE_NPM_URL"] = d.regURL + "/npm"
	d.Settings["RELEASELAKE_MAVEN_URL"] = d.regURL + "/maven"
	return d, nil
}

// planCatalog adds a generated plan for each GitHub repository of the catalog
// that data/github.csv does not name.
func (d *Demo) planCatalog(file string) error {
	cat, err := catalog.Default(sources.Kinds)
	if file != "" {
		cat, err = catalog.Load(file, sources.Kinds)
	}
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range d.plans {
		have[strings.ToLower(p.repo)] = true
	}
	d.names = map[string]string{}
	for _, p := range cat.Products() {
		if p.Kind == releaselake.KindGitHub {
			d.names[strings.ToLower(p.Ref)] = p.Name
		}
		if p.Kind == releaselake.KindGitHub && !have[strings.ToLower(p.Ref)] {
			d.plans = append(d.plans, generatedPlan(p.Ref, "v", "-rc.N"))
			have[strings.ToLower(p.Ref)] = true
		}
	}
	return nil
}

// NextDay moves the upstreams on by a day: the tags and releases of data/github.csv's
// day2 column, this month's Power BI summary, Tableau's next patch released.
func (d *Demo) NextDay() {
	d.today.Store(true)
	now := d.Now()
	for _, p := range d.plans {
		for _, t := range p.day2Tags(now) {
			d.github.AddTag(p.repo, t)
			if p.releases {
				d.github.AddRelease(p.repo, githubtest.Release{TagName: t.Name, Name: t.Name,
					Description: d.releaseNotes(p.repo, t.Name), IsPrerelease: githubtest.LooksPrerelease(t.Name)})
			}
		}
	}
	d.web.nextDay(now)
}

// releaseNotes is the description of a demo release: said to be generated, with
// no link (a made-up pull request number would lead to a real, unrelated one).
func (d *Demo) releaseNotes(repo, tag string) string {
	name := d.names[strings.ToLower(repo)]
	if name == "" {
		name = repo
	}
	return "Demo data: a generated release note for " + name + " " + tag + ", not the project's own.\n"
}

// App is the program the demo runs over its upstreams: releaselake serve's,
// opened over d.Lake with d.Settings and d.Transport.
type App interface {
	Ingest(ctx context.Context, trigger string, products []string) (releaselake.Run, error)
	Serve(ctx context.Context) error
	Addr() string
}

// Run ingests day 1, moves on a day, ingests day 2 and starts serving; it
// returns once the server listens, having logged the URLs to open.
func (d *Demo) Run(ctx context.Context, app App) error {
	start := time.Now()
	var last int64
	for day := 1; day <= 2; day++ {
		if day == 2 {
			d.NextDay()
		}
		run, err := app.Ingest(ctx, "cli", nil)
		if err != nil {
			return fmt.Errorf("demo: ingest of day %d: %w", day, err)
		}
		if run.Error != "" {
			d.log.Warn("demo: ingest", "day", day, "error", run.Error)
		}
		d.log.Info("demo: ingested", "day", day, "version", run.Version, "rows", run.Rows, "added", run.Added, "changed", run.Changed)
		last = max(last, run.Version)
		if day == 1 {
			if run.Version == releaselake.NoVersion {
				return errors.New("demo: the first ingest committed nothing")
			}
			d.day1End = run.EndedAt
		}
		if day == 1 && run.EndedAt.After(d.clock().Add(-time.Hour)) {
			// An App whose runner keeps the real time would commit both days a
			// moment apart: asOf would need the exact instant.
			return errors.New("demo: day 1 was not dated yesterday: the ingest runner must use Demo.Now")
		}
	}
	if err := app.Serve(ctx); err != nil {
		return err
	}
	base := "http://" + app.Addr()
	if err := waitServing(ctx, base, last); err != nil {
		d.log.Warn("demo: the server has not loaded day 2 yet", "err", err)
	}
	d.log.Info("demo: ready", "after", time.Since(start).Round(time.Millisecond), "dir", d.Dir,
		"page", base+"/", "graphiql", base+"/graphiql", "graphql", base+"/graphql", "feed", base+"/feed.atom",
		"asOf", d.AsOf())
	if d.out != nil {
		fmt.Fprintf(d.out, `releaselake demo: demo data, served offline from recorded and generated upstreams (Ctrl-C stops it)
  the page   %[1]s/
  GraphiQL   %[1]s/graphiql
  GraphQL    %[1]s/graphql
  Atom feed  %[1]s/feed.atom
  time travel: the lake as it was after day 1, in GraphiQL:
    { latest(products: ["vue", "kubernetes", "powerbi"], asOf: "%[2]s") { product { key } version } }
  lake: %[3]s (%[4]s)
`, base, d.AsOf(), d.Lake, d.fate())
	}
	return nil
}

// AsOf is an instant between the two days, for asOf: the whole minute after day
// 1's ingest ended (a day ago).
func (d *Demo) AsOf() string {
	return d.day1End.UTC().Truncate(time.Minute).Add(time.Minute).Format(time.RFC3339)
}

// fate says what becomes of the directory at exit.
func (d *Demo) fate() string {
	if d.temp {
		return "removed at exit"
	}
	return "kept"
}

// waitServing waits (up to 30 s) until the server's /readyz says it serves version.
func waitServing(ctx context.Context, base string, version int64) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	want := fmt.Sprintf("ready: version %d,", version)
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			resp.Body.Close()
			if last = string(b); strings.HasPrefix(last, want) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("/readyz says %q: %w", last, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close stops the upstreams and removes the directory if Start made it.
func (d *Demo) Close() error {
	if d.github != nil {
		d.github.Close()
	}
	if d.reg != nil {
		d.reg.Shutdown(context.Background())
	}
	if d.temp {
		return os.RemoveAll(d.Dir)
	}
	return nil
}
