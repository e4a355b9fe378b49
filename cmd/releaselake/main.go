// Command releaselake crawls the release history of the frameworks in its catalog
// into a release lake and serves it over GraphQL and a web page.
//
//	releaselake serve    GraphQL API, GraphiQL, the release page, in-process ingest schedule
//	releaselake ingest   one crawl -> parse -> send run now, then exit
//
// and the others `releaselake -h` lists. Configuration is internal/cli's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest"
	"github.com/releaselake/releaselake/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal begins a graceful shutdown; with the handler gone, a
	// second one ends the process at once (Ctrl-C twice). The lake is safe at
	// any moment: a commit is one atomic step.
	context.AfterFunc(ctx, stop)
	os.Exit(Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// command is one subcommand. Its flags and environment (internal/cli says
// which a command reads) are parsed into m.Config first; commands with open set
// get m.Open() before run.
type command struct {
	summary string
	open    bool // call m.Open before run
	run     func(ctx context.Context, m *Main, stdout io.Writer) int
}

// commands is every subcommand; each lives in its own file.
var commands = map[string]command{
	"serve":    {summary: "serve GraphQL, GraphiQL, the release page, /healthz, /readyz; run the ingest schedule", open: true, run: runServe},
	"rebuild":  {summary: "recompute yellow from red and commit it if it differs (-check: only compare, exit 1 if it differs)", open: true, run: runRebuild},
	"ingest":   {summary: "run one ingest now and exit (0: committed or nothing new; 1: could not commit, or a source failed as a whole)", open: true, run: runIngest},
	"push":     {summary: "push the current snapshot to the page server now (RELEASELAKE_PAGE_URL)", open: true, run: runPush},
	"page":     {summary: "the public page server: receives signed snapshot pushes, serves the page and feed", open: false, run: runPage},
	"gen":      {summary: "write a synthetic catalog (-out) and one run's raw GitHub answers into the lake, for scale tests", open: false, run: runGen},
	"demo":     {summary: "serve demo data: the default catalog crawled from recorded upstreams in-process, offline, into a temporary lake", run: runDemo},
	"vacuum":   {summary: "remove files the lake keeps only for time travel, once older than -retention (default 7 days)", open: true, run: runVacuum},
	"optimize": {summary: "compact yellow's small data files into fewer (rows unchanged; -dry-run: say whether it would)", open: true, run: runOptimize},
	"version":  {summary: "print the module version, the commit it was built from and the Go version", run: runVersion},
}

// Run runs the command line args and returns the exit code: 0 done, 1 the
// command failed, 2 the command line or environment is wrong (one line on
// stderr, before anything else; docs/cli.md). serve returns when ctx is done,
// after a graceful shutdown.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	summaries := map[string]string{}
	for name, c := range commands {
		summaries[name] = c.summary
	}
	if len(args) == 2 && args[0] == "help" { // help serve: serve -h
		args = []string{args[1], "-h"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			cli.Usage(stderr, summaries)
			return 2
		}
		cli.Usage(stdout, summaries)
		return 0
	}
	name := args[0]
	if name == "--version" || name == "-version" { // as other programs answer it
		name = "version"
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "releaselake: %s\n", cli.UnknownCommand(name, slices.Sorted(maps.Keys(commands))))
		return 2
	}
	m := NewMain(stderr)
	var help strings.Builder
	if err := m.Config.ParseFlags(name, args[1:], getenv, &help); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage: releaselake %s [flags]\n\n%s\n\n%s", name, cmd.summary, help.String())
			return 0
		}
		fmt.Fprintf(stderr, "releaselake %s: %v\n", name, err)
		return 2
	}
	if cmd.open {
		if err := m.Open(); err != nil {
			fmt.Fprintf(stderr, "releaselake %s: %v\n", name, err)
			if releaselake.ClassOf(err) == releaselake.Invalid { // the catalog
				return 2
			}
			return 1
		}
		defer m.Close()
	}
	return cmd.run(ctx, m, stdout)
}

func runVersion(_ context.Context, _ *Main, stdout io.Writer) int {
	fmt.Fprint(stdout, cli.Version())
	return 0
}

func runIngest(ctx context.Context, m *Main, stdout io.Writer) int {
	run, err := m.Ingest(ctx, "cli", nil)
	ingest.WriteSummary(stdout, run)
	if err != nil {
		fmt.Fprintf(stdout, "could not commit: %v\n", err)
		return 1
	}
	if run.Error != "" { // a source failed as a whole
		fmt.Fprintf(stdout, "error: %s\n", run.Error)
		return 1
	}
	return 0
}

func runServe(ctx context.Context, m *Main, _ io.Writer) int {
	return serveUntilDone(ctx, m, "serve", m.Serve)
}

// serveUntilDone starts a server, waits for ctx (SIGTERM, SIGINT) and shuts it
// down gracefully: exit 0, or 1 if it could not start or stop cleanly.
func serveUntilDone(ctx context.Context, m *Main, name string, start func(context.Context) error) int {
	if err := start(ctx); err != nil {
		m.Log.Error(name, "err", err)
		return 1
	}
	<-ctx.Done()
	m.Log.Info("shutting down")
	if err := m.Close(); err != nil {
		m.Log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}
