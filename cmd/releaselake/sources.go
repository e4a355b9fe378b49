package main

import (
	"flag"
	"net/http"
	"net/url"
	"path/filepath"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/feed"
	"github.com/releaselake/releaselake/ingest/httpfetch"
	"github.com/releaselake/releaselake/ingest/manual"
	"github.com/releaselake/releaselake/ingest/maven"
	"github.com/releaselake/releaselake/ingest/npm"
	"github.com/releaselake/releaselake/ingest/pypi"
	"github.com/releaselake/releaselake/ingest/webpage"
)

// sourceTransport carries the requests of the registry, feed and page sources;
// nil is http.DefaultTransport. This package's tests set it so that no test
// reaches past 127.0.0.1, whatever URLs the default catalog names.
var sourceTransport http.RoundTripper

// sourceFlags adds the flags of the registry base URLs.
func (c *Config) sourceFlags(fs *flag.FlagSet, env func(name, def string) string) {
	fs.StringVar(&c.PyPIURL, "pypi-url", env("RELEASELAKE_PYPI_URL", pypi.DefaultURL), "PyPI base URL: GET $URL/pypi/NAME/json (RELEASELAKE_PYPI_URL)")
	fs.StringVar(&c.NPMURL, "npm-url", env("RELEASELAKE_NPM_URL", npm.DefaultURL), "npm registry base URL: GET $URL/NAME (RELEASELAKE_NPM_URL)")
	fs.StringVar(&c.MavenURL, "maven-url", env("RELEASELAKE_MAVEN_URL", maven.DefaultURL), "Maven repository base URL: GET $URL/<group/path>/<artifact>/maven-metadata.xml (RELEASELAKE_MAVEN_URL)")
}

// addSources wires the sources other than GitHub: PyPI, npm, Maven, feeds,
// vendor pages and manual files. None needs a token. A relative manual: path
// is read from the directory of the catalog file, or, for the embedded catalog,
// from the files embedded beside it.
func (m *Main) addSources() error {
	c := m.Config
	for name, u := range map[string]string{"RELEASELAKE_PYPI_URL": c.PyPIURL, "RELEASELAKE_NPM_URL": c.NPMURL, "RELEASELAKE_MAVEN_URL": c.MavenURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return releaselake.Errorf(releaselake.Invalid, "%s %q: want an http(s) URL", name, u)
		}
	}
	client := &httpfetch.Client{HTTP: &http.Client{Transport: sourceTransport, Timeout: httpfetch.Timeout}}
	hand := &manual.Source{FS: releaselake.DefaultManualFiles}
	if c.Catalog != "" {
		hand = &manual.Source{Dir: filepath.Dir(c.Catalog)}
	}
	for _, s := range []releaselake.Source{
		pypi.New(c.PyPIURL, client),
		npm.New(c.NPMURL, client),
		maven.New(c.MavenURL, client),
		feed.New(client),
		webpage.New(client),
		hand,
	} {
		m.Runner.Sources[s.Kind()] = s
	}
	return nil
}
