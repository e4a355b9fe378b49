package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/demo"
)

// runDemo is serve over the demo's own lake and in-process upstreams (package demo).
func runDemo(ctx context.Context, m *Main, stdout io.Writer) int {
	m.Log = newLogger(m.logOut, m.Config.LogFormat)
	// The address first: a busy one (make run serving already) is the commonest
	// mistake, and is said before two ingests' worth of waiting.
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		fmt.Fprintf(m.logOut, "releaselake demo: %s %q: cannot listen there (%v): want a free host:port, such as 127.0.0.1:9090\n",
			m.Config.Named("addr"), m.Config.Addr, err)
		return 2
	}
	defer ln.Close() // if Serve never took it
	m.ln = ln
	d, err := demo.Start(demo.Options{Dir: m.Config.DemoDir, Log: m.Log, Catalog: m.Config.Catalog, Out: stdout})
	if err == nil {
		defer d.Close() // after m.Close has closed the lake
		defer m.Close() // serveUntilDone's, or the one a failed start needs
		c := &m.Config
		c.Command, c.Lake, c.Schedule, c.Poll, m.transport = "serve", d.Lake, "off", 10*time.Second, d.Transport
		maps.Copy(c.Sources, d.Settings)
		if err = m.Open(); err == nil {
			m.Runner.Now = d.Now // day 1 is committed yesterday (docs/demo.md)
		}
	}
	if err != nil {
		fmt.Fprintf(m.logOut, "releaselake demo: %v\n", err)
		if releaselake.ClassOf(err) == releaselake.Invalid { // the catalog, or -dir holding a lake
			return 2
		}
		return 1
	}
	m.notices = append(m.notices, demo.Notice)
	return serveUntilDone(ctx, m, "demo", func(ctx context.Context) error { return d.Run(ctx, m) })
}
