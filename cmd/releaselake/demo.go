package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/releaselake/releaselake/demo"
)

// runDemo is serve over the demo's lake and in-process upstreams (package demo).
func runDemo(ctx context.Context, m *Main, _ io.Writer) int {
	m.Log = newLogger(m.logOut, m.Config.LogFormat)
	d, err := demo.Start(demo.Options{Dir: m.Config.DemoDir, Log: m.Log})
	if err != nil {
		fmt.Fprintf(m.logOut, "releaselake demo: %v\n", err)
		return 1
	}
	defer d.Close() // after serveUntilDone has closed the lake
	c := &m.Config
	c.Command, c.Lake, c.Schedule, c.Poll = "serve", d.Lake, "off", 10*time.Second
	maps.Copy(c.Sources, d.Settings)
	m.transport = d.Transport
	if err := m.Open(); err != nil {
		fmt.Fprintf(m.logOut, "releaselake demo: %v\n", err)
		return 1
	}
	m.notices = append(m.notices, demo.Notice)
	return serveUntilDone(ctx, m, "demo", func(ctx context.Context) error { return d.Run(ctx, m) })
}

func (c *Config) demoFlags(cmd string, fs *flag.FlagSet, env func(name, def string) string) {
	if cmd == "demo" {
		fs.StringVar(&c.Addr, "addr", env("RELEASELAKE_ADDR", "127.0.0.1:8080"), "listen address (RELEASELAKE_ADDR)")
		fs.StringVar(&c.DemoDir, "dir", "", "where the demo writes its lake; empty: a temporary directory removed at exit")
	}
}
