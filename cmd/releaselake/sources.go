package main

import (
	"cmp"
	"flag"
	"net/http"
	"path/filepath"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/httpfetch"
	"github.com/releaselake/releaselake/ingest/sources"
)

// sourceTransport carries the requests of every source; nil is
// http.DefaultTransport. This package's tests set it so that no test reaches
// past 127.0.0.1, whatever URLs the default catalog names.
var sourceTransport http.RoundTripper

// sourceFlags adds the flags of the source kinds' settings (-pypi-url,
// -github-url, …). The returned func stores their values in c.Sources once the
// flags are parsed.
func (c *Config) sourceFlags(fs *flag.FlagSet, env func(name, def string) string) func() {
	vals := map[string]*string{}
	for _, k := range sources.Kinds {
		for _, s := range k.Settings {
			if !s.Secret {
				vals[s.Env] = fs.String(s.Flag, env(s.Env, s.Default), s.Usage+" ("+s.Env+")")
			}
		}
	}
	return func() {
		for name, v := range vals {
			c.Sources[name] = *v
		}
	}
}

// sourceSecrets reads the source kinds' tokens (GITHUB_TOKEN) from the environment.
func (c *Config) sourceSecrets(getenv func(string) string) []string {
	var names []string
	for _, k := range sources.Kinds {
		for _, s := range k.Settings {
			if s.Secret {
				c.Sources[s.Env] = secret(getenv, s.Env)
				names = append(names, s.Env)
			}
		}
	}
	return names
}

// addSources makes the Source of every kind in sources.Kinds (sources.Open).
// A relative manual: path is read from the directory of the catalog file, or,
// for the embedded catalog, from the files embedded beside it.
func (m *Main) addSources() error {
	cfg := releaselake.SourceConfig{
		Settings: m.Config.Sources,
		HTTP:     &http.Client{Transport: cmp.Or(m.transport, sourceTransport), Timeout: httpfetch.Timeout},
		Log:      m.Log,
	}
	if m.Config.Catalog != "" {
		cfg.CatalogDir = filepath.Dir(m.Config.Catalog)
	}
	o, err := sources.Open(sources.Kinds, cfg, m.Catalog.Products())
	if err != nil {
		return err
	}
	m.Runner.Sources, m.Runner.Disabled, m.notices = o.Sources, o.Disabled, o.Notices
	for _, n := range o.Notices {
		m.Log.Warn(n)
	}
	return nil
}
