package sources_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/ingest/sources"
)

func settings() map[string]string {
	m := map[string]string{}
	for _, k := range sources.Kinds {
		for _, s := range k.Settings {
			m[s.Env] = s.Default
		}
	}
	return m
}

func TestOpen_githubWithoutTokenIsDisabledWithOneNotice(t *testing.T) {
	cfg := releaselake.SourceConfig{Settings: settings(), HTTP: http.DefaultClient, Log: slog.New(slog.DiscardHandler)}
	products := []releaselake.Product{{Key: "a", Kind: "github", Ref: "o/a"}, {Key: "b", Kind: "github", Ref: "o/b"}, {Key: "c", Kind: "pypi", Ref: "c"}}
	o, err := sources.Open(sources.Kinds, cfg, products)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Sources) != len(sources.Kinds) {
		t.Errorf("%d sources for %d kinds", len(o.Sources), len(sources.Kinds))
	}
	if o.Disabled["github"] == "" || len(o.Disabled) != 1 {
		t.Errorf("disabled = %v, want github alone", o.Disabled)
	}
	if len(o.Notices) != 1 || !strings.Contains(o.Notices[0], "GitHub products are not being crawled (2 products)") {
		t.Errorf("notices = %q", o.Notices)
	}
}

func TestOpen_badURLNamesItsVariable(t *testing.T) {
	s := settings()
	s["RELEASELAKE_PYPI_URL"] = "ftp://mirror"
	_, err := sources.Open(sources.Kinds, releaselake.SourceConfig{Settings: s, HTTP: http.DefaultClient, Log: slog.New(slog.DiscardHandler)}, nil)
	if releaselake.ClassOf(err) != releaselake.Invalid || !strings.Contains(err.Error(), `RELEASELAKE_PYPI_URL "ftp://mirror": want an http(s) URL`) {
		t.Errorf("err = %v", err)
	}
}
