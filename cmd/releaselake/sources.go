package main

import (
	"cmp"
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
	if !m.Config.Crawls() { // push, rebuild and vacuum fetch nothing
		return nil
	}
	for _, n := range o.Notices {
		m.Log.Warn(n)
	}
	return nil
}
