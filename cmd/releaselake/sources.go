package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
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

// addSources makes the Source of every kind in sources.Kinds. A kind its
// configuration leaves off (GitHub without a token) keeps its Source for
// rebuild, and its products are skipped with a notice saying how to fix it. A
// relative manual: path is read from the directory of the catalog file, or,
// for the embedded catalog, from the files embedded beside it.
func (m *Main) addSources() error {
	c := m.Config
	for _, k := range sources.Kinds {
		for _, s := range k.Settings {
			u := c.Sources[s.Env]
			if p, err := url.Parse(u); s.URL && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
				return releaselake.Errorf(releaselake.Invalid, "%s %q: want an http(s) URL", s.Env, u)
			}
		}
	}
	cfg := releaselake.SourceConfig{
		Settings: c.Sources,
		HTTP:     &http.Client{Transport: sourceTransport, Timeout: httpfetch.Timeout},
		Log:      m.Log,
	}
	if c.Catalog != "" {
		cfg.CatalogDir = filepath.Dir(c.Catalog)
	}
	count := map[string]int{}
	for _, p := range m.Catalog.Products() {
		count[p.Kind]++
	}
	for _, k := range sources.Kinds {
		src, err := k.New(cfg)
		if err != nil {
			return fmt.Errorf("source %s: %w", k.Name, err)
		}
		m.Runner.Sources[k.Name] = src
		u, ok := src.(releaselake.Unconfigured)
		if !ok {
			continue
		}
		if why, fix := u.Unconfigured(); why != "" {
			m.Runner.Disabled[k.Name] = why
			if n := count[k.Name]; n > 0 {
				msg := fmt.Sprintf("%s products are not being crawled (%d products): %s. %s", k.Label, n, why, fix)
				m.notices = append(m.notices, msg)
				m.Log.Warn(msg)
			}
		}
	}
	return nil
}
