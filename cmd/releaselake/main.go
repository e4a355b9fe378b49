// Command releaselake crawls the release history of the frameworks in its catalog
// into a release lake and serves it over GraphQL and a web page.
//
//	releaselake serve    GraphQL API, GraphiQL, the release page, in-process ingest schedule
//	releaselake ingest   one crawl -> parse -> send run now, then exit
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: releaselake <command> [flags]

commands:
  serve    serve GraphQL (/graphql), GraphiQL (/graphiql), the release page (/),
           /healthz and /readyz, and run the ingest on its schedule
  ingest   run one ingest now and exit (0: committed or nothing new; 1: could not commit)

Run 'releaselake <command> -h' for the flags; each defaults to an environment
variable (see README.md).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// Run runs the command line args and returns the exit code. serve returns when
// ctx is done, after a graceful shutdown.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd := args[0]
	if cmd != "serve" && cmd != "ingest" {
		fmt.Fprintf(stderr, "releaselake: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	m := NewMain(stderr)
	if err := m.Config.ParseFlags(cmd, args[1:], getenv, stderr); err != nil {
		if err.Error() == "flag: help requested" {
			return 0
		}
		fmt.Fprintf(stderr, "releaselake %s: %v\n", cmd, err)
		return 2
	}
	if err := m.Open(); err != nil {
		fmt.Fprintf(stderr, "releaselake %s: %v\n", cmd, err)
		return 1
	}
	defer m.Close()
	switch cmd {
	case "ingest":
		run, err := m.Ingest(ctx, "cli", nil)
		fmt.Fprintf(stdout, "run %s: %s, version %d, %d rows (+%d ~%d -%d)\n",
			run.ID, run.Status, run.Version, run.Rows, run.Added, run.Changed, run.Removed)
		for _, p := range run.Products {
			if p.Status != "ok" {
				fmt.Fprintf(stdout, "  %s %s: %s\n", p.Product, p.Status, p.Error)
			}
		}
		if err != nil {
			return 1
		}
		return 0
	default: // serve
		if err := m.Serve(ctx); err != nil {
			fmt.Fprintf(stderr, "releaselake serve: %v\n", err)
			return 1
		}
		<-ctx.Done()
		if err := m.Close(); err != nil {
			fmt.Fprintf(stderr, "releaselake serve: shutdown: %v\n", err)
			return 1
		}
		return 0
	}
}
